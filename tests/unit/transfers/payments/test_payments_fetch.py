"""How the payments transfer reads Netvisor and finds Severa invoices (in-process, stand-in clients)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml
from severa_netvisor.engine import RunContext, SourceRecord
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.payments import PaymentFacts, PaymentUnmatched
from severa_netvisor.netvisor.models import InvoicePage, SalesInvoiceSummary, SalesPayment
from severa_netvisor.severa.models import Invoice, InvoiceStatus
from severa_netvisor.state import Cursor, LedgerEntry, LedgerStatus, SourceRef
from severa_netvisor.transfers.payments import (
    FIRST_RUN_LOOKBACK,
    PaymentsRun,
    from_netvisor_time,
    to_netvisor_time,
)

from sandbox.environment import SANDBOX_MAPPING

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SENT = "Lasku lähetetty Netvisoriin"


def mapping(**payments: Any) -> MappingConfig:
    data = yaml.safe_load(SANDBOX_MAPPING.read_text("utf-8"))
    data["payments"].update(payments)
    return MappingConfig.model_validate(data)


def payment(key: int, number: str, amount: str, minute: int, reference: str = "") -> SalesPayment:
    return SalesPayment(
        netvisor_key=key, payment_date=date(2026, 11, 19), sum=Decimal(amount), invoice_number=number,
        reference_number=reference, last_modified=datetime(2026, 11, 20, 13, minute),
    )  # fmt: skip


def invoice(key: int, number: str, total: str, open_sum: str, reference: str = "") -> SalesInvoiceSummary:
    return SalesInvoiceSummary(
        netvisor_key=key, number=number, status="open", invoice_sum=Decimal(total), open_sum=Decimal(open_sum),
        reference_number=reference,
    )  # fmt: skip


def severa_invoice(guid: str, number: int, reference: str) -> Invoice:
    fields = {"GUID": guid, "Number": number, "ReferenceNumber": reference, "InvoiceStatus": SENT}
    required = {"CurrencyRate": 1, "Date": NOW, "DueDate": NOW, "EntryDate": NOW, "IsCreditNote": False,
                "IsReimbursed": False, "IsTaxFree": False, "OverDueInterest": 0, "PaymentTerm": 14}  # fmt: skip
    return Invoice.model_validate({**required, **fields})


class Netvisor:
    def __init__(self, payments: list[SalesPayment], invoices: list[SalesInvoiceSummary]):
        self.payments, self.invoices = payments, invoices
        self.windows: list[datetime | None] = []

    def list_sales_payments(
        self, *, last_modified_start: datetime | None = None, limit_by_type: str | None = None, linked: bool = True
    ) -> list[SalesPayment]:
        """Payments targeted to invoices (every one here); none that is not."""
        assert limit_by_type == "excludecreditloss", "credit-loss write-offs are never read as payments"
        if not linked:
            return []
        self.windows.append(last_modified_start)
        return self.payments

    def iter_sales_invoices(self, *, last_modified_start: datetime | None = None) -> Iterable[SalesInvoiceSummary]:
        return iter(self.invoices)

    def list_sales_invoices(self, *, invoice_number: str) -> InvoicePage:
        return InvoicePage(invoices=())


class Severa:
    def __init__(self, invoices: list[Invoice]):
        self.invoices = invoices
        self.calls = 0

    def invoice_statuses(self) -> list[InvoiceStatus]:
        self.calls += 1
        return []

    def iter_invoice_keys_by_status(self, name: str) -> list[Invoice]:  # an Invoice has every key member
        self.calls += 1
        return [i for i in self.invoices if i.invoice_status == name]


class Clients:
    def __init__(self, netvisor: Netvisor, severa: Severa, config: MappingConfig):
        self.netvisor, self.severa, self.mapping = netvisor, severa, config


class Ledger:
    """The run's ledger: the invoices transfer's links (Netvisor key -> Severa GUID) and the payments
    written back before (payment key -> Severa GUID)."""

    def __init__(self, links: dict[str, str], done: dict[str, str] | None = None):
        self.links = links
        self.done = done or {}

    def targets_of(self, system: str, record_type: str) -> dict[str, str]:
        return dict(self.links)

    def get(self, refs: Iterable[SourceRef]) -> dict[SourceRef, LedgerEntry]:
        return {
            ref: LedgerEntry(ref, LedgerStatus.DONE, 1, target_key=self.done[ref.id])
            for ref in refs
            if ref.id in self.done
        }


class Transfers:
    """A warm Lambda: the same definition starts a new run each time."""

    def __init__(self, netvisor: Netvisor, severa: Severa, ledger: Ledger, config: MappingConfig):
        self.clients = Clients(netvisor, severa, config)
        self.ledger = ledger

    def start(self) -> PaymentsRun:
        run = RunContext("run", "payments", False, False, ledger=self.ledger, now=lambda: NOW)  # type: ignore[arg-type]
        return PaymentsRun(run, self.clients)  # type: ignore[arg-type]


def transfer(netvisor: Netvisor, severa: Severa, *, links: dict[str, str] | None = None,
             done: dict[str, str] | None = None, **options: Any) -> PaymentsRun:  # fmt: skip
    return Transfers(netvisor, severa, Ledger(links or {}, done), mapping(**options)).start()


def read(t: PaymentsRun, since: Cursor | None = None) -> list[SourceRecord]:
    return [r for page in t.fetch_pages(since, full_resync=False) for r in page]


def test_netvisor_times_are_finnish_wall_clock() -> None:
    assert to_netvisor_time(datetime(2026, 7, 1, 9, 0, tzinfo=UTC)) == datetime(2026, 7, 1, 12, 0)
    assert from_netvisor_time(datetime(2026, 1, 5, 10, 0)) == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_window_is_since_then_configured_start_then_a_month() -> None:
    nv = Netvisor([], [])
    read(transfer(nv, Severa([])), Cursor(datetime(2026, 11, 1, 10, 0, tzinfo=UTC)))
    read(transfer(nv, Severa([]), since="2026-06-01"))
    read(transfer(nv, Severa([])))
    assert nv.windows == [
        datetime(2026, 11, 1, 12, 0),
        datetime(2026, 6, 1, 0, 0),
        to_netvisor_time(NOW - FIRST_RUN_LOOKBACK),
    ]


def test_payments_in_order_with_what_each_left_open_and_their_severa_invoice() -> None:
    nv = Netvisor(
        [payment(12, "1002", "150.00", 5), payment(11, "1002", "50.00", 1), payment(13, "", "20.00", 2, "30033")],
        [invoice(900, "1002", "200.00", "0.00"), invoice(901, "7003", "20.00", "0.00", "30033")],
    )
    severa = Severa([severa_invoice("g-3", 3003, "3003 3")])
    found = read(transfer(nv, severa, links={"900": "g-2"}))
    assert [r.ref.id for r in found] == ["11", "13", "12"]
    facts: list[PaymentFacts] = [r.data for r in found]
    assert [f.open_after for f in facts] == [Decimal("150.00"), Decimal("0.00"), Decimal("0.00")]
    assert [f.severa_invoice_guid for f in facts] == ["g-2", "g-3", "g-2"]
    assert found[0].changed_at == from_netvisor_time(datetime(2026, 11, 20, 13, 1))


def test_severa_is_read_only_for_payments_the_ledgers_do_not_know() -> None:
    nv = Netvisor([payment(11, "1002", "50.00", 1)], [invoice(900, "1002", "200.00", "150.00")])
    severa = Severa([])
    found = read(transfer(nv, severa, done={"11": "g-2"}))
    assert found[0].data.severa_invoice_guid == "g-2"
    assert severa.calls == 0


def test_unmatched_and_ambiguous_payments_fail_in_prepare_naming_the_payment() -> None:
    nv = Netvisor(
        [payment(11, "1002", "50.00", 1), payment(12, "1003", "10.00", 2)],
        [invoice(900, "1002", "200.00", "150.00"), invoice(901, "1003", "10.00", "0.00")],
    )
    severa = Severa([severa_invoice("a", 1003, "1"), severa_invoice("b", 1003, "2")])
    t = transfer(nv, severa)
    unmatched, ambiguous = read(t)
    with pytest.raises(PaymentUnmatched, match="no Severa invoice matches it"):
        t.prepare(unmatched)
    with pytest.raises(PaymentUnmatched, match="2 Severa invoices awaiting payment have the invoice number 1003"):
        t.prepare(ambiguous)


def test_switched_off_reads_nothing() -> None:
    nv = Netvisor([], [])
    assert read(transfer(nv, Severa([]), enabled=False)) == []
    assert nv.windows == []


def test_a_warm_lambda_reads_severa_again_on_its_next_run() -> None:
    nv = Netvisor([payment(11, "1003", "10.00", 1)], [invoice(901, "1003", "10.00", "0.00")])
    severa = Severa([])
    warm = Transfers(nv, severa, Ledger({}), mapping())
    assert read(warm.start())[0].data.severa_invoice_guid is None
    severa.invoices.append(severa_invoice("g-new", 1003, "1"))
    assert read(warm.start())[0].data.severa_invoice_guid == "g-new"
