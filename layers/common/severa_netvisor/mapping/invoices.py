"""Severa invoice -> Netvisor salesinvoice.nv: pure mapping and pre-flight validation (no I/O).

``map_invoice`` turns one Severa ``Invoice`` into a ``SalesInvoiceInput`` plus the few fields a person
reads in a drift report, or raises :class:`InvoiceValidationError` listing *every* problem found, each
naming the invoice, the field and the fix, so one correction round in Severa is enough.

Amounts follow finland.md §7: each row is recomputed in cents (``finnish.row_amounts``, with the exact
discount percentage that reproduces Severa's net), compared with Severa's row sums, and sent with its
VAT and gross sums so Netvisor does not round differently; the invoice total is the sum of the rows
and must equal Severa's totals rounded either per row or once per VAT rate (both are lawful; with the
second, each rate's difference goes onto its largest row). Signs follow Netvisor: a unit price is
never negative, a negative row has a negative quantity and sums, and a credit note Severa gives with
positive amounts is turned negative whole. VAT codes: ``mapping.vat``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from severa_netvisor.errors import IntegrationError
from severa_netvisor.finnish import (
    NETVISOR_LENGTH_LIMITS,
    FinnishValidationError,
    InvoiceTotals,
    RowAmounts,
    VatCase,
    check_length,
    check_row_matches,
    exact_discount_percent,
    normalize_business_id,
    reconcile_invoice_totals,
    round_cents,
    row_amounts,
    validate_credit_vat_rate,
    validate_reference,
    validate_vat_rate,
    vat_rates_on,
)
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.dimensions import (
    DimensionMappingError,
    business_unit_item_text,
    cost_centre_item_text,
    project_item_text,
)
from severa_netvisor.mapping.products import netvisor_product_code_or_default
from severa_netvisor.mapping.vat import (
    Buyer,
    RowVat,
    buyer_id_problem,
    buyer_id_text,
    missing_notes,
    row_vat_code,
    vat_notes,
)
from severa_netvisor.netvisor.models import (
    DimensionRef,
    InvoiceAttachment,
    InvoiceCommentLine,
    InvoiceProductLine,
    SalesInvoiceInput,
)
from severa_netvisor.severa.models import Invoice, InvoiceRow
from severa_netvisor.timezone import finnish_date, office_date

__all__ = [
    "CUSTOMER_PLACEHOLDER_PREFIX",
    "InvoiceValidationError",
    "MappedInvoice",
    "buyer_email",
    "customer_placeholder",
    "invoice_label",
    "local_date",
    "map_invoice",
    "pdf_attachment",
]

T = TypeVar("T")

#: Stands for the Netvisor customer key until the writer knows it (and in the content hash, so the
#: hash does not change when the customer is transferred between two runs).
CUSTOMER_PLACEHOLDER_PREFIX = "severa-account:"
_FINNISH_COUNTRY_NAMES = {"fi", "fin", "suomi", "finland"}
_ZERO = Decimal(0)


class InvoiceValidationError(IntegrationError):
    """The invoice cannot be sent as it is; the message lists each problem (field: problem. Fix)."""

    system = "validation"
    retryable = False
    #: The record's own data in Severa: its author can fix it.
    for_author = True

    def __init__(self, label: str, problems: list[str]):
        super().__init__(f"{label} cannot be transferred: " + " | ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class MappedInvoice:
    invoice: SalesInvoiceInput
    #: What a person compares in a drift report.
    summary: Mapping[str, str]
    account_guid: str
    number: str
    is_credit_note: bool
    #: The Severa GUID of the invoice a credit note credits.
    credited_guid: str | None
    #: The invoice's buyer e-mail (where Severa sends this invoice), for the customer's e-mail invoicing.
    buyer_email: str | None = None
    #: The Netvisor VAT codes of the invoice's rows, in row order.
    vat_codes: tuple[str, ...] = ()


def invoice_label(invoice: Invoice) -> str:
    """The invoice as people know it: "credit note 6 to Kärkkäisen Arkkitehdit Oy" (no GUIDs: the
    label reaches Severa's invoice log, the digest and the failures list)."""
    kind = "credit note" if invoice.is_credit_note else "invoice"
    number = invoice.number if invoice.number is not None else "(no number)"
    customer = (invoice.account_name or "").strip()
    return f"{kind} {number}" + (f" to {customer}" if customer else "")


def customer_placeholder(account_guid: str) -> str:
    return CUSTOMER_PLACEHOLDER_PREFIX + account_guid


def local_date(moment: datetime) -> date:
    """The office calendar date of a Severa date-time."""
    # Severa's dates are calendar dates in office time; a UTC midnight and a Helsinki midnight both land here.
    return office_date(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _money(value: Decimal) -> str:
    return f"{round_cents(value):f}"


class _Problems:
    """Collects every problem of one invoice instead of stopping at the first."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, field: str, problem: str, fix: str) -> None:
        self.items.append(f"{field}: {problem}. {fix}")

    def check(self, call: Callable[[], T], where: str = "") -> T | None:
        try:
            return call()
        except FinnishValidationError as error:
            self.items.append(f"{where}{error.message}")
            return None


def pdf_attachment(number: str, content: bytes, *, print_by_default: bool) -> InvoiceAttachment:
    """The Severa invoice PDF as a salesinvoice.nv attachment (names within Netvisor's limits)."""
    filename = check_length(f"lasku-{number}.pdf", NETVISOR_LENGTH_LIMITS["attachment file name"], "attachment")
    description = f"Severa invoice {number}"[: NETVISOR_LENGTH_LIMITS["attachment description"]]
    return InvoiceAttachment(
        filename=filename, content=content, description=description, print_by_default=print_by_default
    )


# -- rows -----------------------------------------------------------------------------------------


def _is_comment_row(row: InvoiceRow) -> bool:
    """Severa's text-only rows: nothing to sell, nothing to pay."""
    return (
        row.delivered_quantity == _ZERO
        and row.row_unit_price == _ZERO
        and row.row_amount == _ZERO
        and not row.product_guids
        and not row.hour_guids
    )


def _product_code(row: InvoiceRow, config: MappingConfig) -> str:
    """The code the products transfer gives this row's product (or work type, for hour rows)."""
    code, name = (row.article_identifier or "").strip(), (row.article_name or "").strip()
    if _is_hour_row(row):
        return netvisor_product_code_or_default(config.products, kind="worktype", code=code, name=name)
    guid = row.product_guids[0] if row.product_guids else ""
    return netvisor_product_code_or_default(config.products, kind="product", guid=guid, code=code, name=name)


def _is_hour_row(row: InvoiceRow) -> bool:
    return bool(row.hour_guids) and not row.product_guids


def _is_goods(row: InvoiceRow, config: MappingConfig) -> bool:
    """Hours and travel are services; a product is goods when the mapping lists it under vat.goods."""
    if _is_hour_row(row) or (not row.product_guids and not row.article_identifier):
        return False
    guid = row.product_guids[0] if row.product_guids else ""
    return config.vat.is_goods(
        guid=guid, code=(row.article_identifier or "").strip(), name=(row.article_name or "").strip()
    )


def _dimension_item(source: str, row: InvoiceRow, invoice: Invoice, config: MappingConfig) -> str | None:
    """The item text the dimensions transfer creates for this row's project / unit / cost centre."""
    if source == "project":
        if row.main_case_number is None and not _text(row.main_case_name):
            return None
        return project_item_text(
            config.dimensions, number=row.main_case_number, name=row.main_case_name, guid=row.main_case_guid or ""
        )
    if source == "business_unit":
        unit = _text(invoice.business_unit_name)
        return business_unit_item_text(unit, guid=invoice.business_unit_guid or "") if unit else None
    if source == "cost_centre":
        number = _text(row.row_cost_center_number)
        return cost_centre_item_text(number, guid=row.row_cost_center_guid or "") if number else None
    return _text(row.main_user_full_name)  # user


def _row_dimensions(
    row: InvoiceRow, invoice: Invoice, config: MappingConfig, problems: _Problems, where: str
) -> tuple[DimensionRef, ...]:
    refs = []
    for source, dimension in config.dimensions.names().items():
        try:
            item = _dimension_item(source, row, invoice, config)
        except DimensionMappingError as error:
            problems.items.append(f"{where} dimension '{dimension}': {error.message}")
            continue
        if not item:
            continue
        limit = NETVISOR_LENGTH_LIMITS["dimension item"]
        if len(item) > limit:  # the user's name: no shared check for it
            problems.add(
                f"{where} dimension '{dimension}'",
                f"the item '{item[:40]}...' has {len(item)} characters; Netvisor allows at most {limit}",
                "Shorten the name in Severa",
            )
            continue
        refs.append(DimensionRef(name=dimension, item=item))
    return tuple(refs)


@dataclass(frozen=True)
class _Context:
    """What every row of one invoice is mapped with."""

    invoice: Invoice
    config: MappingConfig
    buyer: Buyer
    problems: _Problems
    credit_note: bool
    #: A credit note whose Severa amounts are all positive: every sign is turned (Netvisor wants
    #: negative quantities, line sums and total on a credit note).
    mirror: bool
    #: The supply dates of the invoice a credit note corrects (its rows keep their VAT rates).
    original_supplies: tuple[date, ...]
    limits: Mapping[str, int]
    #: Numbers of the rows that could not be mapped (their problems are listed): totals are not
    #: compared while a row is missing.
    failed_rows: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    """A product row, checked, before its sums are settled against the invoice's totals."""

    row: InvoiceRow
    name: str
    product: str
    unit_price: Decimal
    quantity: Decimal
    discount: Decimal | None
    rate: Decimal
    vat: RowVat
    amounts: RowAmounts
    free_text: str | None
    account: str | None
    dimensions: tuple[DimensionRef, ...]

    def line(self, amounts: RowAmounts) -> InvoiceProductLine:
        return InvoiceProductLine(
            product_identifier=self.product,
            name=self.name,
            unit_price=self.unit_price,
            vat_percentage=self.rate,
            vat_code=self.vat.code.value,
            quantity=self.quantity,
            discount_percentage=self.discount,
            free_text=self.free_text,
            vat_sum=amounts.vat,
            line_sum=amounts.gross,
            account_suggestion=self.account,
            dimensions=self.dimensions,
            unit_name=_text(self.row.quantity_unit_code),
        )


def _signed(row: InvoiceRow, ctx: _Context) -> tuple[Decimal, Decimal, RowAmounts]:
    """Unit price (never negative), quantity and Severa's sums with Netvisor's signs: a negative row
    has a negative quantity and negative sums (salesinvoice.nv, 77000554152: "kappalemäärä … ja
    loppusumma negatiivisin luvuin, yksikköhinta positiivisena")."""
    turn = Decimal(-1) if ctx.mirror else Decimal(1)
    price, quantity = row.row_unit_price, row.delivered_quantity * turn
    if price < _ZERO:
        price, quantity = -price, -quantity
    given = RowAmounts(row.row_vat_excluded_amount * turn, row.row_vat_amount * turn, row.row_amount * turn)
    return price, quantity, given


def _check_rate(rate: Decimal, row: InvoiceRow, ctx: _Context, where: str) -> None:
    """The rate in force on the row's supply date; a credit note keeps its original supply's rate."""
    field = f"{where} VAT rate"
    if ctx.credit_note and ctx.original_supplies:
        allowed = frozenset().union(*(vat_rates_on(day) for day in ctx.original_supplies))
        if rate not in allowed:
            days = ", ".join(day.isoformat() for day in sorted(set(ctx.original_supplies)))
            ctx.problems.add(
                field,
                f"{rate.normalize():f} % was not a Finnish VAT rate on the credited supplies ({days}; rates then: "
                + ", ".join(f"{r.normalize():f}" for r in sorted(allowed, reverse=True))
                + " %)",
                "Use the rate of the supply the credit note corrects",
            )
    elif ctx.credit_note:
        ctx.problems.check(lambda: validate_credit_vat_rate(rate, local_date(row.row_delivery_date), field))
    else:
        ctx.problems.check(lambda: validate_vat_rate(rate, local_date(row.row_delivery_date), field))


def _account(row: InvoiceRow, ctx: _Context, where: str) -> str | None:
    """Severa's sales account as Netvisor's account suggestion, when the mapping asks for it."""
    options = ctx.config.invoices
    number = _text(row.row_sales_account_number)
    if not options.use_severa_sales_account or number is None:
        return None
    account = options.sales_accounts.get(number, number)
    if not account.isdigit():
        ctx.problems.add(
            f"{where} sales account",
            f"'{account}' is not an account number",
            "Correct the row's sales account in Severa, or map it under invoices.sales_accounts",
        )
        return None
    return account


def _amounts(
    price: Decimal, quantity: Decimal, given: RowAmounts, rate: Decimal, *, ctx: _Context, where: str
) -> tuple[Decimal | None, RowAmounts | None]:
    """The exact discount (as few decimals as reproduce Severa's net) and the cent-rounded row."""
    problems = ctx.problems
    try:
        discount = exact_discount_percent(price, quantity, given.net)
    except FinnishValidationError as error:
        problems.add(f"{where} sums", error.problem, error.fix)
        return None, None
    amounts = problems.check(lambda: row_amounts(price, quantity, discount or _ZERO, rate), f"{where} ")
    if amounts is not None:
        problems.check(
            lambda: check_row_matches(amounts, net=given.net, vat=given.vat, gross=given.gross, field=f"{where} sums")
        )
    return discount, amounts


def _map_row(row: InvoiceRow, ctx: _Context) -> _Row | InvoiceCommentLine | None:
    where = f"row {row.row_number}"
    problems = ctx.problems
    if _is_comment_row(row):
        text = _text(row.article_name) or _text(row.row_free_text)
        return InvoiceCommentLine(comment=text) if text else None
    rate = row.row_vat_rate_percent
    name = _text(row.article_name) or _text(row.row_free_text)
    if name is None:
        problems.add(f"{where} product name", "is empty", "Give the row a name in Severa")
    product = _product_code(row, ctx.config)
    _check_limit(product, "product code", f"{where} product code", ctx)
    dimensions = _row_dimensions(row, ctx.invoice, ctx.config, problems, where)
    account = _account(row, ctx, where)
    if rate is None:
        problems.add(f"{where} VAT rate", "is empty", "Set the row's VAT percentage in Severa")
        ctx.failed_rows.append(row.row_number)
        return None
    _check_rate(rate, row, ctx, where)
    vat = problems.check(
        lambda: row_vat_code(
            ctx.config.vat, rate, buyer=ctx.buyer, severa_code=row.row_vat_code, goods=_is_goods(row, ctx.config)
        ),
        f"{where} ",
    )
    price, quantity, given = _signed(row, ctx)
    discount, amounts = _amounts(price, quantity, given, rate, ctx=ctx, where=where)
    if vat is None or name is None or amounts is None:
        ctx.failed_rows.append(row.row_number)
        return None
    free_text = _text(row.row_free_text) if _text(row.article_name) else None
    return _Row(row, name, product, price, quantity, discount, rate, vat, amounts, free_text, account, dimensions)


def _check_limit(value: str | None, limit_name: str, label: str, ctx: _Context) -> None:
    """A value longer than Netvisor takes is named before sending (NETVISOR_LENGTH_LIMITS)."""
    limit = ctx.limits.get(limit_name)
    if value is not None and limit is not None and len(value) > limit:
        ctx.problems.add(
            label,
            f"'{value[:40]}...' has {len(value)} characters; Netvisor allows at most {limit}",
            "Shorten it in Severa",
        )


# -- the invoice ----------------------------------------------------------------------------------


def _country_code(invoice: Invoice) -> str | None:
    buyer = invoice.buyer_organization
    details = buyer.buyer_postal_address_details if buyer else None
    code = _text(details.country_code if details else None)
    if code:
        return code.upper()
    country = _text(invoice.receiver_country)
    if country and country.casefold() in _FINNISH_COUNTRY_NAMES:
        return "FI"
    return country.upper() if country and len(country) == 2 else None


def _buyer_vat_number(invoice: Invoice) -> str | None:
    buyer = invoice.buyer_organization
    return _text(invoice.receiver_vat_number) or _text(buyer.buyer_organisation_tax_code if buyer else None)


def buyer_email(invoice: Invoice) -> str | None:
    """The address the invoice itself is sent to (its buyer's e-mail), not the customer's general one."""
    buyer = invoice.buyer_organization
    return _text(buyer.buyer_emailaddress_identifier if buyer else None) or _text(invoice.receiver_contact_email)


def _buyer(invoice: Invoice, reverse_charge: bool | None) -> Buyer:
    tax_free = invoice.is_tax_free or bool(invoice.invoice_config and invoice.invoice_config.is_tax_free)
    return Buyer(
        country=_country_code(invoice),
        reverse_charge=bool(reverse_charge),
        tax_free=tax_free,
        vat_number=_buyer_vat_number(invoice),
    )


def _check_business_id(invoice: Invoice, country: str | None, problems: _Problems) -> None:
    """A Finnish buyer that is a company must have a valid business ID (from the party id or VAT number)."""
    if country not in (None, "FI"):
        return
    buyer = invoice.buyer_organization
    candidate = _text(buyer.buyer_party_identifier if buyer else None) or _text(
        buyer.buyer_organisation_tax_code if buyer else None
    )
    vat_number = _text(invoice.receiver_vat_number)
    if candidate is None and vat_number and vat_number.upper().startswith("FI"):
        candidate = vat_number
    if candidate is None:
        return  # a private person: no business ID to check
    problems.check(lambda: normalize_business_id(candidate, "customer business ID"))


_BILLING_FIELDS = (
    ("customer name", "receiver_customer_name", "customer name"),
    ("customer street address", "receiver_addressline", "street address"),
    ("customer post code", "receiver_postal_code", "post code"),
    ("customer town", "receiver_city", "city"),
)


def _check_address(invoice: Invoice, country: str | None, ctx: _Context) -> None:
    for label, attribute, limit_name in _BILLING_FIELDS:
        value = _text(getattr(invoice, attribute))
        if attribute == "receiver_customer_name":
            value = value or _text(invoice.account_name)
        if value is None:
            ctx.problems.add(
                label, "is empty", "Fill in the billing address of the invoice (or the customer) in Severa"
            )
        _check_limit(value, limit_name, label, ctx)
    if country is None:
        ctx.problems.add(
            "customer country", "is empty or not an ISO 3166 code", "Set the billing address country in Severa"
        )


def _summary(invoice: Invoice, mapped: SalesInvoiceInput, rows: int) -> dict[str, str]:
    return {
        "number": mapped.number or "",
        "date": mapped.invoice_date.isoformat(),
        "due_date": mapped.due_date.isoformat() if mapped.due_date else "",
        "total": _money(mapped.amount),
        "currency": mapped.currency,
        "customer": (invoice.account_name or "").strip(),
        "reference": mapped.reference_number or "",
        "rows": str(rows),
    }


def _check_header(invoice: Invoice, config: MappingConfig, problems: _Problems) -> tuple[str, str | None]:
    """Number, customer, currency and reference; returns the currency and the checked reference."""
    options = config.invoices
    if invoice.number is None:
        problems.add("invoice number", "is empty", "Give the invoice a number in Severa (a numbered status)")
    if _text(invoice.account_guid) is None:
        problems.add("customer", "the invoice has no customer", "Set the invoice's customer in Severa")
    currency = (_text(invoice.currency_shortform) or options.home_currency).upper()
    if currency != options.home_currency:
        problems.add(
            "currency",
            f"the invoice is in {currency}, but Netvisor's home currency is {options.home_currency}",
            "Invoice in the home currency, or transfer this invoice by hand",
        )
    reference = _text(invoice.reference_number) or _text(
        invoice.invoice_details.seller_reference_identifier if invoice.invoice_details else None
    )
    return currency, problems.check(lambda: validate_reference(reference or "", "reference number"))


def _severa_date(moment: datetime) -> date | None:
    """The office calendar day of a Severa date, None for Severa's "no date": its API is .NET, whose
    dates cannot be empty, and sends a date never set as DateTime.MinValue (0001-01-01)."""
    return None if moment.year <= 1 else local_date(moment)


def _check_dates(invoice: Invoice, problems: _Problems) -> None:
    """An invoice needs its date and a due date on or after it.

    salesinvoice.nv (77000554152) requires the invoice date and the net days or the due date; Netvisor
    counts the due date from the invoice (or value) date and the payment term ("Creating a new sales
    invoice", 77000466443), so an invoice's due date before its date is a slip in Severa, not a term.
    A credit note's due date is sent as Severa has it: nothing is paid by it (Severa may keep the
    credited invoice's due date on it).
    Far past or future dates are sent as they are: Netvisor documents the format (YYYY-MM-DD), no
    range, and refuses a date outside the company's accounting periods itself (that invoice alone).
    """
    day, due = _severa_date(invoice.date), _severa_date(invoice.due_date)
    if day is None:
        problems.add("invoice date", "is empty", "Set the invoice date in Severa")
    if due is None:
        problems.add("due date", "is empty", "Set the invoice's due date (or payment term) in Severa")
    elif day is not None and due < day and not invoice.is_credit_note:
        problems.add(
            "due date",
            f"{finnish_date(due)} is before the invoice date {finnish_date(day)}",
            "Correct the due date or the payment term in Severa",
        )


def _mirrors(invoice: Invoice) -> bool:
    """A credit note Severa gives with positive amounts: Netvisor needs every sign turned."""
    details = invoice.invoice_details
    if not invoice.is_credit_note or details is None or details.invoice_total_vat_included_amount <= _ZERO:
        return False
    return all(r.row_vat_excluded_amount >= _ZERO for r in invoice.invoice_rows)


def _totals(rows: list[_Row], invoice: Invoice, ctx: _Context) -> tuple[InvoiceTotals | None, list[RowAmounts]]:
    """Severa's totals against the rows, per row or per VAT rate (both lawful), with Netvisor's signs."""
    details = invoice.invoice_details
    if details is None:
        ctx.problems.add("invoice totals", "Severa returned no invoice details", "Open and save the invoice in Severa")
        return None, []
    if not rows or ctx.failed_rows:
        return None, []
    turn = Decimal(-1) if ctx.mirror else Decimal(1)
    found = ctx.problems.check(
        lambda: reconcile_invoice_totals(
            [(r.rate, r.amounts) for r in rows],
            total_gross=details.invoice_total_vat_included_amount * turn,
            total_vat=details.invoice_total_vat_amount * turn,
            total_net=details.invoice_total_vat_excluded_amount * turn,
        )
    )
    if found is None:
        return None, []
    totals, amounts = found
    if ctx.credit_note and totals.gross > _ZERO:
        ctx.problems.add(
            "total",
            f"a credit note must have a negative total, not {_money(totals.gross)} (some rows are negative)",
            "Correct the credit note's rows in Severa",
        )
    return totals, amounts


def _after_rows_text(invoice: Invoice, rows: list[_Row], ctx: _Context) -> str | None:
    """Severa's notes after the rows, the VAT notes the rows' codes need and the buyer's identifier."""
    codes = [r.vat.code for r in rows]
    cases = [r.vat.case for r in rows]
    severa_note = (
        _text(invoice.tax_free_description)
        or _text(invoice.invoice_config.tax_free_description if invoice.invoice_config else None)
        if ctx.buyer.tax_free or any(c is not VatCase.DOMESTIC for c in cases)
        else None
    )
    missing = missing_notes(codes, ctx.config.vat, severa_note)
    if missing:
        ctx.problems.add(
            "VAT note",
            f"the invoice has {', '.join(missing)} rows but no note saying why no VAT is charged",
            "Write the tax-free description on the invoice in Severa, or set vat.notes in the mapping",
        )
    if ctx.config.vat.require_buyer_vat_number:
        error = buyer_id_problem(cases, ctx.buyer)
        if error is not None:
            ctx.problems.items.append(error.message)
            identifier = None
        else:
            identifier = buyer_id_text(cases, ctx.buyer)
    else:
        identifier = None if buyer_id_problem(cases, ctx.buyer) else buyer_id_text(cases, ctx.buyer)
    texts = [_text(invoice.notes_after_invoice_rows), *vat_notes(codes, ctx.config.vat, severa_note), identifier]
    return "\n".join(t for t in texts if t) or None


def map_invoice(
    invoice: Invoice,
    config: MappingConfig,
    *,
    customer_key: str | None = None,
    reverse_charge: bool | None = None,
    original_supply_dates: Collection[date] = (),
) -> MappedInvoice:
    """The Netvisor invoice for ``invoice``; raises ``InvoiceValidationError`` listing every problem.

    ``customer_key`` is the Netvisor key of the invoice's customer when already known; otherwise a
    placeholder the writer replaces (the customers transfer runs for that account first).
    ``reverse_charge`` is Severa's ReverseCharge of the invoice's customer (the buyer pays the VAT);
    ``original_supply_dates``, for a credit note, the supply (delivery) dates of the rows of the
    invoice it corrects, whose VAT rates its rows keep (without them, any rate in force on or before
    the credit note's own dates is accepted).
    """
    label = invoice_label(invoice)
    problems = _Problems()
    currency, checked_reference = _check_header(invoice, config, problems)
    buyer = _buyer(invoice, reverse_charge)
    limits = {**NETVISOR_LENGTH_LIMITS, **config.netvisor_limits}
    ctx = _Context(
        invoice,
        config,
        buyer,
        problems,
        invoice.is_credit_note,
        _mirrors(invoice),
        tuple(original_supply_dates),
        limits,
    )
    _check_dates(invoice, problems)
    _check_business_id(invoice, buyer.country, problems)
    _check_address(invoice, buyer.country, ctx)
    mapped_rows = [m for row in sorted(invoice.invoice_rows, key=lambda r: r.row_number) if (m := _map_row(row, ctx))]
    product_rows = [m for m in mapped_rows if isinstance(m, _Row)]
    if not product_rows and not problems.items:
        problems.add("rows", "the invoice has no rows to bill", "Add at least one priced row in Severa")
    totals, amounts = _totals(product_rows, invoice, ctx)
    after_rows = _after_rows_text(invoice, product_rows, ctx)
    account_guid = _text(invoice.account_guid)
    if problems.items or totals is None or invoice.number is None or account_guid is None:
        raise InvoiceValidationError(label, problems.items or ["the invoice could not be mapped"])
    settled = iter(amounts)
    lines = tuple(m.line(next(settled)) if isinstance(m, _Row) else m for m in mapped_rows)
    number = str(invoice.number)
    supply = max((local_date(r.row_delivery_date) for r in invoice.invoice_rows), default=None)
    mapped = SalesInvoiceInput(
        number=number,
        invoice_date=local_date(invoice.date),
        event_date=supply,
        delivery_date=supply,
        due_date=local_date(invoice.due_date),
        amount=totals.gross,
        currency=currency,
        reference_number=checked_reference,
        status=config.invoices.netvisor_status,
        customer_identifier=customer_key or customer_placeholder(account_guid),
        customer_identifier_type="netvisor",
        customer_name=_text(invoice.receiver_customer_name) or _text(invoice.account_name),
        customer_address_line=_text(invoice.receiver_addressline),
        customer_post_number=_text(invoice.receiver_postal_code),
        customer_town=_text(invoice.receiver_city),
        customer_country_code=buyer.country,
        our_reference=_text(invoice.our_reference),
        your_reference=_text(invoice.your_reference),
        order_number=_text(invoice.order_number) or _text(invoice.po_number),
        free_text_before_lines=_text(invoice.notes_before_invoice_rows),
        free_text_after_lines=after_rows,
        payment_term_net_days=invoice.payment_term,
        lines=lines,
    )
    return MappedInvoice(
        invoice=mapped,
        summary=_summary(invoice, mapped, len(product_rows)),
        account_guid=account_guid,
        number=number,
        is_credit_note=invoice.is_credit_note or totals.gross < _ZERO,
        credited_guid=_text(invoice.reimburse_invoice_guid),
        buyer_email=buyer_email(invoice),
        vat_codes=tuple(dict.fromkeys(r.vat.code.value for r in product_rows)),
    )
