"""Netvisor takes one request at a time per company: the connection check and dry runs wait their turn.

Issue 13, item 8: the connection check and dry runs took no lease but called Netvisor, so next to a
real run they were refused as overlapping requests (and made the run's own requests fail), and the
daily connection check raised a false alarm whenever a transfer was running. Now both queue behind
the shared ``netvisor-company`` lease every run holds. A real run makes slow Netvisor writes here
(latency on every customer create), so anything that called Netvisor beside it would overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from severa_netvisor.connection_check import NetvisorTurn, run_connection_check
from severa_netvisor.credentials import CredentialStore

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from tests.integration.rig import World, world
from tests.reliability.support import NETVISOR_LEASE, Warm, refusals, wait_for

ACCOUNTS = 8


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    with world(local_aws, accounts=ACCOUNTS, seed=31) as running:
        # Every customer create takes a while: a request beside the run would overlap one.
        running.netvisor.faults.add(Fault(kind="latency", resource="customer.nv", seconds=0.2))
        yield running


class Background:
    """A real scheduled run of the customers transfer in a thread (its own warm handler)."""

    def __init__(self, w: World):
        self.w = w
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="real-run")

    def _run(self) -> None:
        try:
            self.result = Warm(self.w, "customers")()
        except BaseException as error:  # handed to the test
            self.error = error

    def __enter__(self) -> Background:
        self.thread.start()
        # It holds the shared lease and is writing to Netvisor.
        wait_for(lambda: self.w.netvisor_posts("customer.nv") >= 1, what="the real run's first write")
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(timeout=120)

    def finished(self) -> dict[str, Any]:
        self.thread.join(timeout=120)
        assert self.error is None, self.error
        assert self.result is not None
        return self.result


def _turn(w: World, wait_seconds: float) -> NetvisorTurn:
    return NetvisorTurn(w.store(), wait_seconds=wait_seconds, poll_seconds=0.1, hold_seconds=60)


def _check(w: World, turn: NetvisorTurn) -> Any:
    return run_connection_check(CredentialStore(w.settings()), netvisor_turn=turn)


def test_the_connection_check_waits_for_a_running_transfer_then_probes(w: World) -> None:
    with Background(w) as run:
        report = _check(w, _turn(w, wait_seconds=60))
        posts_when_probed = w.netvisor_posts("customer.nv")
    result = run.finished()

    assert report.ok, report.as_dict()
    netvisor = next(c for c in report.checks if c.system == "netvisor")
    assert netvisor.message == "authenticated call succeeded"
    assert posts_when_probed == ACCOUNTS, "the probe went only once the run had finished with Netvisor"
    assert refusals(w) == 0, "no request was refused as overlapping"
    assert (result["created"], result["failed"], result["stopped_early"]) == (ACCOUNTS, 0, None)
    assert w.store().lease_holder(NETVISOR_LEASE) is None, "the check gave the lease back"


def test_a_check_whose_wait_ends_before_the_run_leaves_netvisor_alone_and_raises_no_alarm(w: World) -> None:
    with Background(w) as run:
        lists_before = w.netvisor.request_log.count("customerlist.nv")
        report = _check(w, _turn(w, wait_seconds=0.3))
        lists_during = w.netvisor.request_log.count("customerlist.nv") - lists_before
    result = run.finished()

    assert report.ok, "a running transfer is no reason for an alarm"
    netvisor = next(c for c in report.checks if c.system == "netvisor")
    assert netvisor.details == {"probed": False}
    assert "not probed" in netvisor.message
    assert "one request at a time" in netvisor.message
    assert lists_during == 0, "the check sent nothing to Netvisor"
    assert refusals(w) == 0
    assert (result["created"], result["failed"]) == (ACCOUNTS, 0)


def test_a_check_with_wrong_keys_still_fails_once_its_turn_comes(w: World) -> None:
    w.netvisor.company.customer_key = "0" * 32  # the company's key changed; the secret still has the old
    report = _check(w, _turn(w, wait_seconds=5))
    assert not report.ok
    netvisor = next(c for c in report.checks if c.system == "netvisor")
    assert "rejected the API identifiers" in netvisor.message


def test_the_check_function_waits_for_the_lease_a_transfer_holds(w: World) -> None:
    """Through the real function in a child process, as deployed: the lease is held by a transfer run
    for a few more seconds; the check waits for it, then probes, and passes."""
    held = w.store().acquire_lease(NETVISOR_LEASE, "a-transfer-run", 3)
    assert held is not None

    outcome = w.invoke("check_connections")

    assert outcome.ok, outcome.error
    assert outcome.result["ok"] is True
    assert [c["message"] for c in outcome.result["checks"]] == ["authenticated call succeeded"] * 2
    assert "waiting for a transfer to finish with Netvisor" in outcome.output
    assert w.store().lease_holder(NETVISOR_LEASE) is None


def test_a_dry_run_beside_a_real_run_queues_behind_it(w: World) -> None:
    with Background(w) as run:
        dry = Warm(w, "customers")({"dry_run": True})
        creates_when_planned = w.netvisor_posts("customer.nv")
    result = run.finished()

    assert dry["dry_run"] is True
    assert dry["lease_busy"] is False
    assert creates_when_planned == ACCOUNTS, "the dry run read Netvisor only after the real run finished"
    assert dry["created"] == 0, "everything was in Netvisor by the time the dry run planned"
    assert refusals(w) == 0
    assert (result["created"], result["failed"]) == (ACCOUNTS, 0)
