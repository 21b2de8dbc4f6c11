"""The payments transfer through its real handler (functions/payments/app.py) against both simulators
and moto: full, partial and multiple payments, payments for invoices the integration did not
transfer (matched by number or reference, or reported), reversals and credit losses reported,
backfill with ``since``, and a re-run that changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.finnish import build_finnish_reference
from severa_netvisor.state import SourceRef

from sandbox.aws import LocalAws
from sandbox.netvisor import NetvisorSimulator
from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa import build_state
from sandbox.severa.seed import SENT_STATUS
from sandbox.severa.state import SeveraState
from tests.integration.rig import World, world

PAID = "Maksettu"
PARTIAL = "Osittain maksettu"
PAY_DAY = date(2026, 11, 20)


def severa_state(invoices: int) -> SeveraState:
    state = build_state(7103, accounts=2, invoices=invoices, hour_entries=0, credit_note_share=0.0)
    state.invoice_statuses[PARTIAL] = {
        **state.invoice_statuses[SENT_STATUS],
        "Name": PARTIAL,
        "Description": PARTIAL,
        "SortOrder": 9,
    }
    return state


def prepare_severa(state: SeveraState, numbers: list[int]) -> list[str]:
    """Give the seeded invoices known numbers and references, all sent and awaiting payment."""
    guids = list(state.invoices)[: len(numbers)]
    for guid, number in zip(guids, numbers, strict=True):
        record = state.invoices[guid]
        record.update(
            Number=number,
            ReferenceNumber=build_finnish_reference(number),
            InvoiceStatus=SENT_STATUS,
            PaymentDate=None,
        )
    return guids


def netvisor_invoice(sim: NetvisorSimulator, number: str, amount: str, reference: str = "") -> int:
    """An invoice in Netvisor as the invoices transfer (or a person) would have left it."""
    state = sim.state
    with state.lock:
        # Keys far from the simulator's own: the shared invoices ledger may hold other tests' keys.
        key = 9_000_000 + len(state.invoices)
        state.invoices[key] = InvoiceRecord(
            key=key,
            number=number,
            invoice_date=date(2026, 11, 2),
            due_date=date(2026, 11, 16),
            status="open",
            amount=Decimal(amount),
            open_sum=Decimal(amount),
            currency="EUR",
            customer_key=0,
            reference_number=reference or build_finnish_reference(int(number)),
            fields={},
            lines=[],
            comments=[],
            attachments=[],
            last_modified=sim.now(),
            expect_partial_payments=True,
        )
    return key


def transferred(systems: World, severa_guid: str, netvisor_key: int) -> None:
    """The ledger entry the invoices transfer writes after sending an invoice."""
    systems.store().mark_done(
        SourceRef("severa", "invoice", severa_guid),
        target_key=str(netvisor_key),
        content_hash="sent-by-the-invoices-transfer",
        summary={},
        writeback_pending=False,
        expected_version=0,
        run_id="invoices-run",
    )


def log_texts(state: SeveraState, guid: str) -> list[str]:
    return [entry.text or "" for entry in state.log_of(guid)]


def paid_on(state: SeveraState, guid: str) -> date | None:
    value: Any = state.invoices[guid]["PaymentDate"]
    return value.date() if isinstance(value, datetime) else value


MAPPING = {
    "invoice_statuses": {"partially_paid": PARTIAL},
    "payments": {"record_partial_payments": True},
}


@pytest.fixture
def payments_world(local_aws: LocalAws) -> Iterator[tuple[World, list[str]]]:
    state = severa_state(7)
    guids = prepare_severa(state, [2001, 2002, 2003, 2004, 2005, 2006, 2007])
    with world(local_aws, severa_state=state, mapping_changes=MAPPING) as systems:
        yield systems, guids


def test_payments_reach_severa_once_and_the_odd_ones_are_reported(
    payments_world: tuple[World, list[str]],
) -> None:
    systems, (s1, s2, s3, s4, _s5, s6, s7) = payments_world
    nv = systems.netvisor
    severa = systems.severa.state
    n1 = netvisor_invoice(nv, "2001", "124.00")
    n2 = netvisor_invoice(nv, "2002", "200.00")
    netvisor_invoice(nv, "2003", "80.00")  # sent by hand: not in the ledger, same number in both systems
    netvisor_invoice(nv, "9004", "55.50", reference=build_finnish_reference(2004))  # only the reference agrees
    netvisor_invoice(nv, "9005", "10.00", reference=build_finnish_reference(777))  # Severa has no such invoice
    n6 = netvisor_invoice(nv, "2006", "100.00")
    n7 = netvisor_invoice(nv, "2007", "300.00")
    for guid, key in ((s1, n1), (s2, n2), (s6, n6), (s7, n7)):
        transferred(systems, guid, key)

    nv.add_payment(n1, "124.00", PAY_DAY)  # full
    nv.add_payment(n2, "50.00", PAY_DAY - timedelta(days=3))  # partial ...
    nv.add_payment(n2, "150.00", PAY_DAY)  # ... then the rest
    nv.add_payment("2003", "30.00", PAY_DAY)  # partial, matched by number
    nv.add_payment("9004", "55.50", PAY_DAY)  # full, matched by reference
    nv.add_payment("9005", "10.00", PAY_DAY)  # nobody's invoice in Severa
    nv.add_payment(n6, "60.00", PAY_DAY)  # partial ...
    nv.add_payment(n6, "-60.00", PAY_DAY)  # ... and reversed
    with nv.state.lock:
        nv.state.invoices[n7].status = "creditloss"
        nv.state.invoices[n7].last_modified = nv.now()

    first = systems.run("payments")

    assert first["created"] == 6, first
    assert first["failed"] == 3, first
    # Full payment of a transferred invoice: payment date and paid status.
    assert severa.invoices[s1]["InvoiceStatus"] == PAID
    assert paid_on(severa, s1) == PAY_DAY
    assert any("paid in full" in text for text in log_texts(severa, s1))
    # Two payments: the first is logged with what stayed open, the second settles it.
    assert severa.invoices[s2]["InvoiceStatus"] == PAID
    assert paid_on(severa, s2) == PAY_DAY
    texts = log_texts(severa, s2)
    assert any("Partial payment 50,00 EUR" in t and "open 150,00 EUR of 200,00 EUR" in t for t in texts), texts
    assert any("Payment 150,00 EUR" in t and "paid in full" in t for t in texts), texts
    # Not transferred by the integration: matched by number (partial) and by reference (full).
    assert severa.invoices[s3]["InvoiceStatus"] == PARTIAL
    assert paid_on(severa, s3) is None
    assert any("Partial payment 30,00 EUR" in t and "open 50,00 EUR" in t for t in log_texts(severa, s3))
    assert severa.invoices[s4]["InvoiceStatus"] == PAID
    # The partial payment before the reversal was recorded; the reversal and the credit loss were not guessed.
    assert severa.invoices[s6]["InvoiceStatus"] == PARTIAL
    assert severa.invoices[s7]["InvoiceStatus"] == SENT_STATUS
    assert log_texts(severa, s7) == []

    failures = {(f["source"]["type"], f["error_class"]): f for f in systems.messages()}
    assert set(failures) == {
        ("payment", "PaymentUnmatched"),
        ("payment", "PaymentNotApplicable"),
        ("creditloss", "PaymentNotApplicable"),
    }
    unmatched = failures[("payment", "PaymentUnmatched")]
    assert unmatched["step"] == "prepare"
    assert "no Severa invoice matches it" in unmatched["message"]
    assert "invoice 9005" in failures[("payment", "PaymentUnmatched")]["message"]
    assert "reversed" in failures[("payment", "PaymentNotApplicable")]["message"]
    assert failures[("creditloss", "PaymentNotApplicable")]["source"]["id"] == str(n7)
    assert "credit loss" in failures[("creditloss", "PaymentNotApplicable")]["message"]

    # Re-reading the same payments changes nothing and reports nothing twice.
    logs_before = len(severa.invoice_log)
    statuses_before = {guid: dict(record) for guid, record in severa.invoices.items()}
    quota_before = systems.severa.used_quota
    second = systems.run("payments")
    assert second["created"] == second["updated"] == second["failed"] == 0, second
    assert second["unchanged"] + second["still_failing"] == second["fetched"] > 0
    assert len(severa.invoice_log) == logs_before
    assert {guid: dict(record) for guid, record in severa.invoices.items()} == statuses_before
    assert systems.messages() == []
    # Only the reads that find invoices the integration did not transfer: statuses + one list per status.
    assert systems.severa.used_quota - quota_before <= 4


def test_backfill_catches_up_on_payments_from_before_installation(local_aws: LocalAws) -> None:
    state = severa_state(1)
    (guid,) = prepare_severa(state, [3001])
    with world(local_aws, severa_state=state) as systems:
        nv = systems.netvisor
        key = netvisor_invoice(nv, "3001", "99.90")
        long_ago = nv.now() - timedelta(days=60)
        payment = nv.add_payment(key, "99.90", long_ago.date())
        with nv.state.lock:  # paid and booked two months before the integration was installed
            payment.last_modified = long_ago
            nv.state.invoices[key].last_modified = long_ago

        ordinary = systems.run("payments")
        assert ordinary["fetched"] == 0, ordinary
        assert state.invoices[guid]["InvoiceStatus"] == SENT_STATUS

        since = (long_ago - timedelta(days=30)).date().isoformat()
        preview = systems.run("payments", {"since": since, "dry_run": True})
        (planned,) = preview["plan"]
        assert planned["action"] == "create"
        operations = [(r["system"], r["operation"]) for r in planned["requests"]]
        assert operations == [
            ("severa", "add a line to the invoice's log (AddNewInvoiceLogEntry)"),
            ("severa", "set the invoice's payment date (SetInvoicePaymentDate)"),
            ("severa", "set the invoice's status (SetInvoiceStatus)"),
        ]
        assert all(
            f"invoiceGUID: {guid}" in r["body"] or f"invoiceGuid: {guid}" in r["body"] for r in planned["requests"]
        )
        assert "paid in full" in planned["requests"][0]["body"]
        assert state.invoices[guid]["InvoiceStatus"] == SENT_STATUS, "a dry run writes nothing"

        backfill = systems.run("payments", {"since": since})
        assert backfill["created"] == 1, backfill
        assert state.invoices[guid]["InvoiceStatus"] == PAID
        assert paid_on(state, guid) == long_ago.date()
        assert systems.messages() == []
