"""Credit notes waiting for their invoices to be sent in Netvisor (issue 16, empty runs): their invoices
are read in bulk once a run, not one request per credit note on every run, and they are matched once
the accountant sends them."""

from __future__ import annotations

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from tests.integration.rig import world
from tests.integration.transfers.invoices import checks


def test_waiting_credit_notes_cost_one_netvisor_read_a_run_and_are_matched_once_sent(local_aws: LocalAws) -> None:
    state = build_state(61, accounts=3, invoices=120, hour_entries=0, credit_note_share=0.3)
    with world(local_aws, severa_state=state) as w:
        checks.seed_netvisor(state, w.netvisor.state)
        first = w.run_engine("invoices")
        assert first.failed == 0, first
        reads = w.netvisor.request_log.count("getsalesinvoice.nv")

        second = w.run_engine("invoices")  # nobody has sent anything in Netvisor: every match waits

        assert second.waiting >= 3, second
        assert w.netvisor.request_log.count("getsalesinvoice.nv") - reads == 1
        w.netvisor.send_invoices()
        matches = w.netvisor.request_log.count("matchcreditnote.nv")
        third = w.run_engine("invoices")
        matched = w.netvisor.request_log.count("matchcreditnote.nv") - matches
        assert matched >= 3
        # Those whose invoice Severa has not made ready yet (not in Netvisor) go on waiting.
        assert (third.waiting, third.failed) == (second.waiting - matched, 0), third
