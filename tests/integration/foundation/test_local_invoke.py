"""The local invoke runner: template environment, a running clock, errors, timeouts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_NETVISOR_SECRET, SANDBOX_SEVERA_SECRET
from sandbox.invoke import function_spec, run_function
from sandbox.template import REPO_ROOT

CLOCK = REPO_ROOT / "tests" / "fixtures" / "functions" / "clock"


def _clock_spec(local_aws: LocalAws, timeout: float = 30):
    assert local_aws.resolver is not None
    spec = function_spec("check_connections", local_aws.resolver)
    return replace(spec, name="clock", timeout=timeout)


def test_function_gets_the_environment_the_template_gives_it(local_aws: LocalAws) -> None:
    spec = _clock_spec(local_aws)
    event = {"env": ["STATE_TABLE_NAME", "FAILED_RECORDS_QUEUE_URL", "NETVISOR_SECRET_NAME",
                     "POWERTOOLS_SERVICE_NAME", "AWS_ENDPOINT_URL"]}
    outcome = run_function(spec, event, aws_env=local_aws.env(), code_dir=CLOCK)
    assert outcome.ok, outcome.output
    env = outcome.result["env"]
    assert env["STATE_TABLE_NAME"] == local_aws.table_name()
    assert env["FAILED_RECORDS_QUEUE_URL"] == local_aws.queue_url("FailedRecordsQueue")
    assert env["NETVISOR_SECRET_NAME"] == "severa-netvisor/netvisor"
    assert env["POWERTOOLS_SERVICE_NAME"] == "severa-netvisor"
    assert env["AWS_ENDPOINT_URL"] == local_aws.endpoint_url


def test_remaining_time_counts_down_from_the_template_timeout(local_aws: LocalAws) -> None:
    spec = _clock_spec(local_aws, timeout=20)
    outcome = run_function(spec, {"sleep": 0.3}, aws_env=local_aws.env(), code_dir=CLOCK)
    assert outcome.ok, outcome.output
    assert 0 < outcome.result["first"] <= 20_000
    assert outcome.result["first"] - outcome.result["second"] >= 250


def test_handler_exception_is_reported_like_lambda(local_aws: LocalAws) -> None:
    outcome = run_function(_clock_spec(local_aws), {"fail": True}, aws_env=local_aws.env(), code_dir=CLOCK)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error["errorType"] == "ValueError"
    assert outcome.error["errorMessage"] == "asked to fail"


def test_function_that_outlives_its_timeout_is_killed(local_aws: LocalAws, monkeypatch) -> None:
    monkeypatch.setattr("sandbox.invoke.KILL_GRACE_SECONDS", 0.5)
    outcome = run_function(_clock_spec(local_aws, timeout=1), {"sleep": 30}, aws_env=local_aws.env(), code_dir=CLOCK)
    assert outcome.error is not None
    assert outcome.error["errorType"] == "Timeout"
    assert outcome.seconds < 10


def test_check_connections_fails_with_the_field_to_fix(local_aws: LocalAws) -> None:
    assert local_aws.resolver is not None
    spec = function_spec("check_connections", local_aws.resolver)
    broken = {k: v for k, v in SANDBOX_NETVISOR_SECRET.items() if k != "organisation_id"}
    local_aws.put_secret("severa-netvisor/severa", SANDBOX_SEVERA_SECRET)
    local_aws.put_secret("severa-netvisor/netvisor", broken)
    outcome = run_function(spec, {}, aws_env=local_aws.env())
    assert outcome.error is not None
    assert outcome.error["errorType"] == "ConnectionCheckFailed"
    assert "'organisation_id' is missing" in outcome.error["errorMessage"]
    assert SANDBOX_NETVISOR_SECRET["customer_key"] not in outcome.output + json.dumps(outcome.error)


def test_make_invoke_cli_runs_a_function_end_to_end_on_a_fresh_sandbox(tmp_path) -> None:
    env = {**os.environ, "SEVERA_NETVISOR_SANDBOX_DIR": str(tmp_path)}  # no kept sandbox there
    completed = subprocess.run(
        [sys.executable, "-m", "sandbox.invoke", "check_connections", "events/check_connections.json"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False, env=env,
    )
    assert completed.returncode == 0, completed.stderr
    assert "this invoke starts a fresh one" in completed.stderr
    assert completed.stdout.splitlines() == [
        "Connection check: all good",
        "  Severa: reachable, the credentials work (API version S3 2.27.0 (simulator))",
        "  Netvisor: reachable, the credentials work",
    ]
    raw = subprocess.run(
        [sys.executable, "-m", "sandbox.invoke", "check_connections", "events/check_connections.json", "--raw"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False, env=env,
    )
    report = json.loads(raw.stdout)
    assert report["ok"] is True
    assert {check["system"] for check in report["checks"]} == {"severa", "netvisor"}
