"""An invoice set back to "ready" in Severa without a change (issue 11): it is in Netvisor already, so
it is not sent again; its status goes back to transferred with a log entry saying where it is, so it
is not read on every run forever."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from sandbox.severa.seed import READY_STATUS, SENT_STATUS
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(57, accounts=2, invoices=6, hour_entries=0, credit_note_share=0.0)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state)
        yield running


def test_an_unchanged_invoice_set_back_to_ready_is_not_sent_again_and_leaves_the_ready_list(w: World) -> None:
    ready = checks.ready_invoices(w.severa.state)
    first = w.run_engine("invoices")
    assert (first.created, first.failed) == (len(ready), 0), first
    again = ready[0]
    in_netvisor = w.netvisor.state.invoice_by_number(str(again["Number"]))
    assert in_netvisor is not None
    again["InvoiceStatus"] = READY_STATUS  # someone in Severa marks it ready again, changing nothing
    posts = w.netvisor_posts("salesinvoice.nv")

    second = w.run_engine("invoices")

    assert (second.created, second.updated, second.failed) == (0, 0, 0), second
    assert w.netvisor_posts("salesinvoice.nv") == posts  # not sent again
    assert again["InvoiceStatus"] == SENT_STATUS
    log = [entry.text or "" for entry in w.severa.state.log_of(again["GUID"])]
    assert f"Already in Netvisor as invoice {again['Number']} (Netvisor key {in_netvisor.key}); not sent again." in log
    assert max(checks.numbers_in_netvisor(w.netvisor.state).values()) == 1
    # No longer ready: the next run does not read it at all.
    assert w.run_engine("invoices").fetched == 0
