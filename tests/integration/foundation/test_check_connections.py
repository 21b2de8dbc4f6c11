"""The connection check function end to end: handler, secrets in moto, both simulators over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sandbox.aws import LocalAws
from sandbox.invoke import InvokeResult, function_spec, run_function
from sandbox.netvisor import NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret


@dataclass
class Systems:
    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator

    def invoke(self, severa: dict[str, str], netvisor: dict[str, str]) -> InvokeResult:
        assert self.aws.resolver is not None
        self.aws.put_secret("severa-netvisor/severa", severa)
        self.aws.put_secret("severa-netvisor/netvisor", netvisor)
        return run_function(function_spec("check_connections", self.aws.resolver), {}, aws_env=self.aws.env())


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[Systems]:
    with (
        SeveraSimulator(state=build_state(2, accounts=2, invoices=2, hour_entries=2)) as severa,
        NetvisorSimulator() as netvisor,
    ):
        yield Systems(local_aws, severa, netvisor)


def test_both_systems_answer(systems: Systems) -> None:
    outcome = systems.invoke(severa_secret(systems.severa), netvisor_secret(systems.netvisor))
    assert outcome.ok, outcome.output
    assert outcome.result["ok"] is True
    assert [c["message"] for c in outcome.result["checks"]] == ["authenticated call succeeded"] * 2


def test_wrong_netvisor_key_says_what_to_fix_and_hides_the_key(systems: Systems) -> None:
    bad = {**netvisor_secret(systems.netvisor), "customer_key": "WRONG-customer-key-0001"}
    outcome = systems.invoke(severa_secret(systems.severa), bad)
    assert outcome.error is not None
    assert outcome.error["errorType"] == "ConnectionCheckFailed"
    message = outcome.error["errorMessage"]
    assert "netvisor:" in message
    assert "severa:" not in message, "Severa was fine and must not be blamed"
    assert "AUTHENTICATION_FAILED" in message or "keys" in message.lower()
    everything = outcome.output + json.dumps(outcome.error)
    assert "WRONG-customer-key-0001" not in everything
    assert netvisor_secret(systems.netvisor)["partner_key"] not in everything


def test_regenerated_severa_key_says_update_the_secret(systems: Systems) -> None:
    bad = {**severa_secret(systems.severa), "api_key": "OLD-severa-key-0002"}
    outcome = systems.invoke(bad, netvisor_secret(systems.netvisor))
    assert outcome.error is not None
    message = outcome.error["errorMessage"]
    assert "severa:" in message
    assert "regenerated" in message or "deactivated" in message
    assert "OLD-severa-key-0002" not in outcome.output + json.dumps(outcome.error)


def test_unreachable_netvisor_host_is_named(systems: Systems) -> None:
    bad = {**netvisor_secret(systems.netvisor), "host": "http://127.0.0.1:9"}
    outcome = systems.invoke(severa_secret(systems.severa), bad)
    assert outcome.error is not None
    assert "127.0.0.1:9" in outcome.error["errorMessage"]
