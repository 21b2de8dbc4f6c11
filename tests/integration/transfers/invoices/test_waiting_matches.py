"""Credit notes waiting for their invoices to be sent in Netvisor (issue 16, empty runs): their invoices
are read in bulk once a run, not one request per credit note on every run, and they are matched once
the accountant sends them."""

from __future__ import annotations

from typing import Any

from severa_netvisor.transfers.credit_notes import MATCH_TYPE

from sandbox.aws import LocalAws
from sandbox.netvisor.faults import Fault
from sandbox.severa import build_state
from tests.integration.rig import world
from tests.integration.transfers.invoices import checks


def test_waiting_credit_notes_cost_one_netvisor_read_a_run_and_are_matched_once_sent(local_aws: LocalAws) -> None:
    state = build_state(61, accounts=3, invoices=120, hour_entries=0, credit_note_share=0.3)
    with world(local_aws, severa_state=state) as w:
        checks.seed_netvisor(state, w.netvisor.state)
        ready = {r["GUID"]: r for r in checks.ready_invoices(state)}
        credited = {r["ReimburseInvoiceGUID"] for r in ready.values() if r["ReimburseInvoiceGUID"]}
        # Credit notes entered before the invoice they credit (the ready list is read in entry order).
        early = {
            g
            for g in credited & set(ready)
            if any(r["ReimburseInvoiceGUID"] == g and r["EntryDate"] < ready[g]["EntryDate"] for r in ready.values())
        }
        first = w.run_engine("invoices")
        assert first.failed == 0, first
        # What a credit note needs of the invoice it credits (supply dates, and the number its waiting
        # match keeps) comes from this run's ready list when the invoice is on it: Severa is asked only
        # for the others, once each, not once per credit note and again when its match is noted.
        assert credited & set(ready)
        assert credited - set(ready)
        assert len(credited - set(ready)) <= w.severa.calls["GetInvoiceByGUID"] <= len(credited - set(ready) | early)
        reads = w.netvisor.request_log.count("getsalesinvoice.nv")
        waiting_before = _waiting_matches(w.table_items())

        second = w.run_engine("invoices")  # nobody has sent anything in Netvisor: every match waits

        assert second.waiting >= 3, second
        assert w.netvisor.request_log.count("getsalesinvoice.nv") - reads == 1
        # A match that waits costs no state-table write: its entry is as the first run left it.
        assert len(waiting_before) >= 3
        assert _waiting_matches(w.table_items()) == waiting_before
        w.netvisor.send_invoices()
        matches = w.netvisor.request_log.count("matchcreditnote.nv")
        third = w.run_engine("invoices")
        matched = w.netvisor.request_log.count("matchcreditnote.nv") - matches
        assert matched >= 3
        # Those whose invoice Severa has not made ready yet (not in Netvisor) go on waiting.
        assert (third.waiting, third.failed) == (second.waiting - matched, 0), third


def _waiting_matches(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if MATCH_TYPE in item["pk"]["S"] and item["status"]["S"] == "pending"]


def test_a_match_whose_answer_was_lost_is_made_again_once_and_a_warm_run_twice_changes_nothing(
    local_aws: LocalAws,
) -> None:
    """No pending marker stands before a match (it is idempotent): a match Netvisor made but whose answer
    was lost is sent again by the next run, taken as made, and every credit note ends matched once."""
    state = build_state(61, accounts=3, invoices=120, hour_entries=0, credit_note_share=0.3)
    with world(local_aws, severa_state=state) as w:
        checks.seed_netvisor(state, w.netvisor.state)
        assert w.run_engine("invoices").failed == 0
        w.netvisor.send_invoices()
        w.netvisor.faults.add(Fault(kind="drop", resource="matchcreditnote.nv", nth=1))  # applied, answer lost

        lost = w.run_engine("invoices")
        again = w.run_engine("invoices")  # the same warm process, run after run
        settled = w.run_engine("invoices")

        credit_notes = [i for i in w.netvisor.state.invoices.values() if i.matched_to is not None]
        made = lost.also.get("credit notes matched", 0) + again.also.get("credit notes matched", 0)
        assert credit_notes, "no credit note was matched"
        assert made == len(credit_notes)  # each counted once: the lost one by the run that made it again
        assert again.also.get("credit notes matched", 0) >= 1  # the lost one, made again
        assert w.netvisor.request_log.count("matchcreditnote.nv") == len(credit_notes) + 1
        assert settled.also.get("credit notes matched", 0) == 0
        assert (lost.stopped_by_error, again.failed, settled.failed) == (None, 0, 0)
        assert w.open_failures("invoices") == []
