"""A backlog larger than a day's share of Severa's quota: the run stops, checkpointed, without an alarm,
and the next day's runs go on; every invoice ends in Netvisor once, none is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from sandbox.severa.seed import READY_STATUS, SENT_STATUS
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks


def _ready(w: World) -> set[str]:
    return {str(r["Number"]) for r in w.severa.state.invoices.values() if r["InvoiceStatus"] == READY_STATUS}


def _next_day(w: World, days: int) -> None:
    later = datetime.now(UTC) + timedelta(days=days)
    w.severa.clock = lambda: later


def test_past_the_share_a_scheduled_run_stops_without_failing_and_the_next_day_goes_on(local_aws: LocalAws) -> None:
    with world(local_aws, severa_state=build_state(31, accounts=5, invoices=30, hour_entries=0)) as w:
        checks.seed_netvisor(w.severa.state, w.netvisor.state, customers=False)
        ready = _ready(w)
        assert ready
        # Other integrations used 70 % of today's calls already; this one may use up to 60 % (the default).
        w.severa.quota, w.severa.used_quota = 10_000, 7_000

        stopped = w.run("invoices")  # through the real handler: it returns, the invocation succeeds

        assert stopped["stopped_by_error"] is None
        assert "7 001 of the daily 10 000" in stopped["stopped_early"]  # the statuses read, then the stop
        assert "60%" in stopped["stopped_early"]
        assert "SEVERA_QUOTA_SHARE" in stopped["stop_action"]
        assert stopped["created"] == 0
        assert not w.netvisor.state.invoices
        assert w.open_failures("invoices") == []
        assert not w.messages()

        _next_day(w, 1)
        done = w.run("invoices")

        assert (done["created"], done["failed"], done["stopped_early"]) == (len(ready), 0, None)
        assert set(checks.numbers_in_netvisor(w.netvisor.state)) == ready
        assert max(checks.numbers_in_netvisor(w.netvisor.state).values()) == 1


def test_a_backlog_spreads_over_days_each_invoice_once(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    from severa_netvisor.transfers import invoices

    monkeypatch.setattr(invoices, "PAGE_SIZE", 5)
    with world(local_aws, severa_state=build_state(32, accounts=5, invoices=150, hour_entries=0)) as w:
        checks.seed_netvisor(w.severa.state, w.netvisor.state, customers=False)
        ready = _ready(w)
        assert len(ready) > 40
        # About 30 invoices' worth of calls a day (3 each: PDF, status, log line) within the 60 % share.
        w.severa.quota = 160
        days, created = 0, 0
        while _ready(w) and days < 5:
            _next_day(w, days)
            summary = w.run_engine("invoices")
            created += summary.created
            assert summary.stopped_by_error is None
            assert summary.failed == 0
            # Past the share by at most the pages already taken (one at hand, one read ahead) and their customers.
            assert w.severa.used_quota <= 0.6 * w.severa.quota + 2 * 5 * 3 + 5 * 3
            days += 1

        assert days >= 2, "the backlog should not fit in one day's share"
        assert not _ready(w)
        numbers = checks.numbers_in_netvisor(w.netvisor.state)
        assert set(numbers) == ready
        assert max(numbers.values()) == 1
        assert created == len(ready)
        sent = {str(r["Number"]) for r in w.severa.state.invoices.values() if r["InvoiceStatus"] == SENT_STATUS}
        assert ready <= sent  # every one written back
