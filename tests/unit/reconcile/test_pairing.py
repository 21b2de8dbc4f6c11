"""Which Netvisor invoice is which Severa invoice: the ledger first, then the number, then the ledger
read backwards. Pure: the lookups beyond the period are a fake that counts its calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from severa_netvisor.reconcile.facts import LedgerFacts, NetvisorInvoice, SeveraInvoice, Stage
from severa_netvisor.reconcile.pairing import Outside, pair_invoices


def severa(guid: str, number: str, stage: Stage = Stage.BOOKED) -> SeveraInvoice:
    return SeveraInvoice(
        guid=guid, number=number, invoice_date=date(2026, 10, 5), status="s", stage=stage, account_guid="a",
        customer_number="10001", customer_name="Oy", gross=Decimal("124.00"), net=Decimal("100.00"),
        vat=Decimal("24.00"), reference="1232", is_credit_note=False, credited_guid=None, paid=False,
        payment_date=None, vat_lines=(),
    )  # fmt: skip


def netvisor(key: int, number: str) -> NetvisorInvoice:
    return NetvisorInvoice(
        key=key, number=number, invoice_date=date(2026, 10, 5), status="open", customer_code="10001",
        customer_name="Oy", reference="1232", gross=Decimal("124.00"), open_sum=Decimal("124.00"),
    )  # fmt: skip


def done(key: int) -> LedgerFacts:
    return LedgerFacts(status="done", target_key=str(key))


class FakeLookups:
    def __init__(
        self,
        keys: dict[int, NetvisorInvoice] | None = None,
        reverse: dict[int, str] | None = None,
        outside: dict[str, SeveraInvoice | None] | None = None,
    ):
        self.keys, self.reverse, self.outside = keys or {}, reverse or {}, outside or {}
        self.key_reads: list[list[int]] = []

    def netvisor_by_keys(self, keys: Sequence[int]) -> dict[int, NetvisorInvoice]:
        self.key_reads.append(list(keys))
        return {k: self.keys[k] for k in keys if k in self.keys}

    def severa_guid_of(self, netvisor_key: int) -> str | None:
        return self.reverse.get(netvisor_key)

    def severa_outside(self, guid: str) -> Outside:
        return Outside(self.outside[guid]) if guid in self.outside else Outside(None, read=False)

    def ledger_outside(self, guid: str) -> LedgerFacts | None:
        return None


def test_the_ledger_pairs_even_when_the_numbers_differ() -> None:
    result = pair_invoices({"g1": severa("g1", "1")}, {500: netvisor(500, "999")}, {"g1": done(500)}, FakeLookups())
    assert [(p.severa.guid, p.netvisor.key) for p in result.pairs] == [("g1", 500)]
    assert not result.missing
    assert not result.netvisor_only


def test_without_a_ledger_entry_the_number_pairs() -> None:
    result = pair_invoices({"g1": severa("g1", "7")}, {500: netvisor(500, "7")}, {}, FakeLookups())
    assert [(p.severa.guid, p.netvisor.key) for p in result.pairs] == [("g1", 500)]


def test_a_recorded_key_outside_the_period_is_read_once_and_paired() -> None:
    lookups = FakeLookups(keys={600: replace(netvisor(600, "1"), invoice_date=date(2026, 9, 30))})
    result = pair_invoices({"g1": severa("g1", "1"), "g2": severa("g2", "2")}, {}, {"g1": done(600),
                           "g2": done(601)}, lookups)  # fmt: skip
    assert lookups.key_reads == [[600, 601]], "one batch read for every recorded key not in the period"
    assert [(p.severa.guid, p.netvisor_outside) for p in result.pairs] == [("g1", True)]
    assert [(s.guid, note) for s, _, note in result.missing] == [
        ("g2", "transferred as Netvisor key 601, which Netvisor no longer has")
    ]


def test_stages_decide_what_an_unpaired_severa_invoice_is() -> None:
    invoices = {
        "sent": severa("sent", "1"),
        "ready": severa("ready", "2", Stage.WAITING),
        "draft": severa("draft", "3", Stage.OTHER),
    }
    result = pair_invoices(invoices, {}, {}, FakeLookups())
    assert [s.guid for s, _, _ in result.missing] == ["sent"]
    assert [s.guid for s, _ in result.waiting] == ["ready"]
    assert {s.guid for s in result.severa_in_books} == {"sent", "ready"}, "a draft is not an invoice yet"


def test_leftover_netvisor_invoices_are_traced_back_through_the_ledger() -> None:
    moved = replace(severa("old", "5"), invoice_date=date(2026, 8, 1))
    lookups = FakeLookups(reverse={701: "old", 702: "gone", 703: "unread"}, outside={"old": moved, "gone": None})
    result = pair_invoices(
        {}, {700: netvisor(700, "4"), 701: netvisor(701, "5"), 702: netvisor(702, "6"), 703: netvisor(703, "8")},
        {}, lookups,
    )  # fmt: skip
    assert [(p.severa.guid, p.severa_outside) for p in result.pairs] == [("old", True)]
    why = {n.key: text for n, text in result.netvisor_only}
    assert why[700] == "no Severa invoice"
    assert "no longer exists in Severa" in why[702]
    assert "not read" in why[703]
