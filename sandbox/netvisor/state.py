"""What the simulated Netvisor company remembers: plain dataclasses a test or the demo can inspect."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sandbox.netvisor.rules import DEFAULT_EINVOICE_OPERATORS


def finnish_reference(base: int) -> str:
    """A Finnish reference number (viitenumero): ``base`` plus the 7-3-1 check digit."""
    digits = str(base)
    if len(digits) < 3:
        digits = digits.rjust(3, "1")  # a reference has at least 4 digits
    weights = itertools.cycle((7, 3, 1))
    total = sum(int(d) * w for d, w in zip(reversed(digits), weights, strict=False))
    return digits + str((10 - total % 10) % 10)


@dataclass
class CustomerRecord:
    key: int
    #: Request leaf element (lower case) -> text, e.g. {"name": "Oy Ab", "internalidentifier": "100"}.
    fields: dict[str, str]
    dimensions: list[tuple[str, str]]
    changed_at: datetime

    @property
    def code(self) -> str:
        return self.fields.get("internalidentifier", "")

    @property
    def name(self) -> str:
        return self.fields.get("name", "")

    @property
    def business_id(self) -> str:
        return self.fields.get("externalidentifier", "")


@dataclass
class ProductRecord:
    key: int
    fields: dict[str, str]
    price_type: str
    changed_at: datetime

    @property
    def code(self) -> str:
        return self.fields.get("productcode", "")

    @property
    def name(self) -> str:
        return self.fields.get("name", "")


@dataclass
class InvoiceLineRecord:
    product_key: int
    product_code: str
    product_identifier: str
    product_identifier_type: str
    name: str
    unit_price: Decimal
    price_type: str
    vat_percentage: Decimal
    vat_code: str
    quantity: Decimal
    discount_percentage: Decimal
    free_text: str
    vat_sum: Decimal
    line_sum: Decimal
    account_suggestion: str
    dimensions: list[tuple[str, str]]


@dataclass
class AttachmentRecord:
    mime_type: str
    description: str
    filename: str
    data_base64: str
    document_type: str


@dataclass
class InvoiceRecord:
    key: int
    number: str
    invoice_date: date
    due_date: date
    status: str
    amount: Decimal
    open_sum: Decimal
    currency: str
    customer_key: int
    reference_number: str
    #: Top-level request leaves (free texts, references, address...) by lower-case element name.
    fields: dict[str, str]
    lines: list[InvoiceLineRecord]
    comments: list[str]
    attachments: list[AttachmentRecord]
    last_modified: datetime
    expect_partial_payments: bool = False
    matched_to: int | None = None

    @property
    def is_credit_note(self) -> bool:
        return self.amount < 0


@dataclass
class PaymentRecord:
    key: int
    #: The invoice the payment is targeted to; None for a payment Netvisor could not target (a bank
    #: statement line whose reference matched no invoice), which waits for an accountant.
    invoice_key: int | None
    invoice_number: str
    payment_date: date
    sum: Decimal
    name: str
    reference_number: str
    last_modified: datetime
    #: "payment", or "creditloss" for an invoice written off as a credit loss (salespaymentlist.nv lists
    #: both; its ``limitbytype`` parameter tells them apart, 77000554171).
    kind: str = "payment"
    #: BankStatus: "OK", or "FAILED" with BankStatusErrorDescription (code and text), as in Netvisor's
    #: own sample answer of salespaymentlist.nv (SalesPaymentList.xml: ERROR_IN_DUE_DATE).
    bank_status: str = "OK"
    bank_error_code: str = ""
    bank_error_text: str = ""


@dataclass
class DimensionItemRecord:
    key: int
    name: str
    hidden: bool = False
    father_id: int = 0
    level: int = 1


@dataclass
class DimensionRecord:
    key: int
    name: str
    hidden: bool = False
    items: list[DimensionItemRecord] = field(default_factory=list)

    def item(self, name: str) -> DimensionItemRecord | None:
        return next((i for i in self.items if i.name == name), None)


@dataclass
class WorkdayRecord:
    employee: str
    employee_type: str
    day: date
    collector_ratio: str
    hours: Decimal
    acceptance_status: str
    description: str
    dimensions: list[tuple[str, str]]


@dataclass
class CompanyState:
    """One company's data. Mutations happen under ``lock`` (the simulator serialises them)."""

    customers: dict[int, CustomerRecord] = field(default_factory=dict)
    products: dict[int, ProductRecord] = field(default_factory=dict)
    invoices: dict[int, InvoiceRecord] = field(default_factory=dict)
    payments: dict[int, PaymentRecord] = field(default_factory=dict)
    dimensions: dict[str, DimensionRecord] = field(default_factory=dict)
    workdays: list[WorkdayRecord] = field(default_factory=list)
    #: (employee identifier, day) pairs whose hours are approved: imports for them fail.
    locked_days: set[tuple[str, date]] = field(default_factory=set)
    #: Record types (collectorratio numbers) that exist.
    collector_ratios: set[str] = field(default_factory=lambda: {"1", "11", "100"})
    #: E-invoice operators (intermediator codes) this company's Netvisor knows.
    einvoice_operators: set[str] = field(default_factory=lambda: set(DEFAULT_EINVOICE_OPERATORS))
    next_invoice_number: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _keys: itertools.count[int] = field(default_factory=lambda: itertools.count(100), repr=False)

    def new_key(self) -> int:
        return next(self._keys)

    # ---- lookups used by the resources and the tests

    def customer_by(self, kind: str, value: str) -> CustomerRecord | None:
        for customer in self.customers.values():
            if kind == "netvisor" and str(customer.key) == value.strip():
                return customer
            if kind == "customer" and customer.code == value:
                return customer
            if kind == "organizationunitnumber" and customer.fields.get("organizationunitnumber") == value:
                return customer
        return None

    def product_by(self, kind: str, value: str) -> ProductRecord | None:
        for product in self.products.values():
            if kind == "netvisor" and str(product.key) == value.strip():
                return product
            if kind == "customer" and product.code == value:
                return product
            if kind in ("primaryeancode", "secondaryeancode") and product.fields.get(kind) == value:
                return product
        return None

    def invoice_by_number(self, number: str) -> InvoiceRecord | None:
        return next((i for i in self.invoices.values() if i.number == number), None)

    def dimension(self, name: str) -> DimensionRecord | None:
        return self.dimensions.get(name.strip().lower())

    def add_dimension_name(self, name: str, *, hidden: bool = False) -> DimensionRecord:
        with self.lock:
            existing = self.dimension(name)
            if existing is not None:
                return existing
            record = DimensionRecord(self.new_key(), name, hidden)
            self.dimensions[name.strip().lower()] = record
            return record

    def add_dimension_item(self, header: str, item: str, *, father: str | None = None) -> DimensionItemRecord:
        with self.lock:
            dimension = self.dimension(header) or self.add_dimension_name(header)
            existing = dimension.item(item)
            if existing is not None:
                return existing
            parent = dimension.item(father) if father else None
            record = DimensionItemRecord(
                self.new_key(), item, father_id=parent.key if parent else 0, level=parent.level + 1 if parent else 1
            )
            dimension.items.append(record)
            return record

    def send_invoices(self, now: datetime, *numbers: str) -> int:
        """What an accountant does in Netvisor: send unsent invoices (all, or those numbered) to the
        customers; each gets its voucher and the status "open". Returns how many were sent."""
        sent = 0
        with self.lock:
            for invoice in self.invoices.values():
                if invoice.status == "unsent" and (not numbers or invoice.number in numbers):
                    invoice.status = "open"
                    invoice.last_modified = now
                    sent += 1
        return sent

    def overdue(self, invoice: InvoiceRecord, today: date) -> bool:
        return invoice.status == "open" and invoice.open_sum > 0 and invoice.due_date < today

    def apply_payment(
        self,
        invoice: InvoiceRecord,
        amount: Decimal,
        payment_date: date,
        name: str,
        now: datetime,
        *,
        failed: tuple[str, str] | None = None,
    ) -> PaymentRecord:
        """A payment targeted to ``invoice``. ``failed``: the bank reported it failed (code, text): it is
        listed with BankStatus FAILED and settles nothing."""
        with self.lock:
            payment = PaymentRecord(
                key=self.new_key(),
                invoice_key=invoice.key,
                invoice_number=invoice.number,
                payment_date=payment_date,
                sum=amount,
                name=name,
                reference_number=invoice.reference_number,
                last_modified=now,
            )
            self.payments[payment.key] = payment
            if failed is not None:
                payment.bank_status, (payment.bank_error_code, payment.bank_error_text) = "FAILED", failed
                return payment
            self._settle(invoice, amount, now)
            return payment

    def _settle(self, invoice: InvoiceRecord, amount: Decimal, now: datetime) -> None:
        invoice.open_sum -= amount
        if invoice.open_sum == 0 or (invoice.open_sum < 0) == (invoice.amount > 0):
            invoice.status = "paid"
        elif invoice.status == "unsent":
            invoice.status = "open"
        invoice.last_modified = now

    def unlinked_payment(
        self, amount: Decimal, payment_date: date, name: str, reference: str, now: datetime
    ) -> PaymentRecord:
        """A bank statement line Netvisor could not target to an invoice (its reference matched none)."""
        with self.lock:
            payment = PaymentRecord(self.new_key(), None, "", payment_date, amount, name, reference, now)
            self.payments[payment.key] = payment
            return payment

    def target_payment(self, payment: PaymentRecord, invoice: InvoiceRecord, now: datetime) -> None:
        """What an accountant does with an untargeted payment (matchpayment.nv, "normal" handling)."""
        with self.lock:
            payment.invoice_key, payment.invoice_number = invoice.key, invoice.number
            payment.last_modified = now
            self._settle(invoice, payment.sum, now)

    def write_off(self, invoice: InvoiceRecord, payment_date: date, now: datetime) -> PaymentRecord:
        """The open sum written off as a credit loss (matchpayment.nv handling "creditloss"): a credit-loss
        entry in the payment list, and the invoice's status "creditloss"."""
        with self.lock:
            payment = PaymentRecord(
                self.new_key(), invoice.key, invoice.number, payment_date, invoice.open_sum, "Luottotappio",
                invoice.reference_number, now, kind="creditloss",
            )  # fmt: skip
            self.payments[payment.key] = payment
            invoice.open_sum = Decimal(0)
            invoice.status = "creditloss"
            invoice.last_modified = now
            return payment


def default_due_date(invoice_date: date, net_days: int) -> date:
    return invoice_date + timedelta(days=net_days)
