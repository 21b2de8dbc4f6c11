"""What a run leaves for the people who operate it: one e-mail digest per run with new failures, and
the last-run record that ``severa-netvisor status`` reads (with the cursor, the lag, the open failures).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from severa_netvisor.digest import DigestTopic
from severa_netvisor.engine import Engine
from severa_netvisor.status import read_status

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.severa import build_state
from tests.integration.engine.doubles import FakeContext
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks

REFUSAL = "Viitenumero on virheellinen"


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(61, accounts=3, invoices=8, hour_entries=0)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state)
        yield running


def test_a_run_with_new_failures_sends_one_digest_and_a_run_with_none_sends_nothing(w: World) -> None:
    ready = checks.ready_invoices(w.severa.state)
    w.netvisor.faults.add(Fault(kind="error", resource="salesinvoice.nv", times=2, code="INVALID_DATA", text=REFUSAL))
    first = w.run("invoices")  # the deployed handler, in a child process
    assert (first["failed"], first["failures_new"]) == (2, 2)
    [digest] = w.digests()
    failures = w.open_failures("invoices")
    assert digest["subject"] == "severa-netvisor (test-stack): invoices, 2 new failures need you"
    for failure in failures:
        assert failure.label in digest["message"]
        assert f"Failure id: {failure.id}" in digest["message"]
    assert REFUSAL in digest["message"]  # Netvisor's words, verbatim
    assert len(ready) >= 3

    second = w.run("invoices")  # the two still fail the same way: not news, no mail
    assert second["failures_new"] == 0
    assert w.digests() == []


def test_status_shows_the_last_run_its_lag_and_the_open_failures(w: World) -> None:
    w.netvisor.faults.add(Fault(kind="error", resource="salesinvoice.nv", nth=1, code="INVALID_DATA", text=REFUSAL))
    summary = w.run_engine("invoices")
    assert summary.failed == 1

    [customers, invoices, payments] = read_status(w.store(), ["customers", "invoices", "payments"])

    assert invoices.last_run is not None
    assert invoices.last_run.run_id == summary.run_id
    assert invoices.last_run.outcome == "ok"
    assert invoices.last_run.counts["created"] == summary.created
    assert invoices.last_run.counts["failed"] == 1
    assert invoices.lag_seconds is not None
    assert invoices.lag_seconds < 600
    assert invoices.cursor == summary.cursor_after
    assert invoices.open_failures == 1
    assert invoices.oldest_open_failure is not None
    assert invoices.running is None
    # The invoices run brought their customers over through the engine, but ran no customers run.
    assert customers.last_run is None
    assert customers.lag_seconds is None
    assert payments.last_run is None
    assert payments.open_failures == 0
    assert invoices.as_dict()["last_run"]["counts"]["failed"] == 1


def test_dry_runs_and_busy_runs_leave_the_last_run_alone(w: World) -> None:
    real = w.run_engine("invoices")
    w.run_engine("invoices", dry_run=True)
    last = w.last_run("invoices")
    assert last is not None
    assert last.run_id == real.run_id

    lease = w.store().acquire_lease("invoices", "someone-else", 60)
    assert lease is not None
    busy = w.run_engine("invoices")
    assert busy.lease_busy
    last = w.last_run("invoices")
    assert last is not None
    assert last.run_id == real.run_id
    [status] = read_status(w.store(), ["invoices"])
    assert status.running is not None
    assert status.running.owner == "someone-else"


def test_a_run_stopped_early_is_partial_and_the_lag_counts_from_the_last_complete_run(w: World) -> None:
    complete = w.run_engine("customers")
    w.severa.state.touch(next(iter(w.severa.state.customers.values())))  # a change for the next run
    # The next run has less time left than its margin: it stops before taking the change.
    short = FakeContext(lambda: 30.0)
    stopped = w.run_engine("customers", engine=w.engine("customers", margin_seconds=60.0), context_=short)
    assert stopped.stopped_early is not None
    assert stopped.stopped_by_error is None
    last = w.last_run("customers")
    assert last is not None
    assert (last.run_id, last.outcome) == (stopped.run_id, "partial")
    assert "time budget" in (last.stopped_early or "")
    assert last.caught_up_at == complete.started_at


def test_a_digest_that_cannot_be_sent_does_not_fail_the_run(w: World) -> None:
    w.netvisor.faults.add(Fault(kind="error", resource="salesinvoice.nv", nth=1, code="INVALID_DATA", text=REFUSAL))
    base = w.engine("invoices")
    gone = f"arn:aws:sns:eu-north-1:123456789012:missing-{uuid.uuid4().hex[:6]}"
    engine = Engine(
        base.transfer,
        state=base.state,
        register=base.register,
        failure_queue=base.failure_queue,
        margin_seconds=0.0,
        options=base.options,
        dependencies=base.dependencies,
        observers=[DigestTopic(gone, client=w.aws.client("sns"))],
    )
    summary = w.run_engine("invoices", engine=engine)
    assert summary.failed == 1
    assert summary.stopped_early is None
    [failure] = w.open_failures("invoices")  # the failure itself is kept whatever became of the mail
    assert failure.reason
