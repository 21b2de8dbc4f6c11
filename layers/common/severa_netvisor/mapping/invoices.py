"""Severa invoice -> Netvisor salesinvoice.nv: pure mapping and pre-flight validation (no I/O).

``map_invoice`` turns one Severa ``Invoice`` into a ``SalesInvoiceInput`` plus the few fields a person
reads in a drift report, or raises :class:`InvoiceValidationError` listing *every* problem found, each
naming the invoice, the field and the fix, so one correction round in Severa is enough.

Amounts follow finland.md §7: each row is recomputed in cents (``finnish.row_amounts``), compared with
Severa's row sums, and sent with its VAT and gross sums so Netvisor does not round differently; the
invoice total is the sum of the rounded rows and must equal Severa's totals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from severa_netvisor.errors import IntegrationError
from severa_netvisor.finnish import (
    NETVISOR_LENGTH_LIMITS,
    FinnishValidationError,
    RowAmounts,
    check_invoice_totals,
    check_length,
    check_row_matches,
    normalize_business_id,
    round_cents,
    row_amounts,
    validate_reference,
    validate_vat_rate,
)
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.dimensions import (
    DimensionMappingError,
    business_unit_item_text,
    cost_centre_item_text,
    project_item_text,
)
from severa_netvisor.mapping.products import netvisor_product_code_or_default
from severa_netvisor.netvisor.models import (
    DimensionRef,
    InvoiceAttachment,
    InvoiceCommentLine,
    InvoiceProductLine,
    SalesInvoiceInput,
)
from severa_netvisor.severa.models import Invoice, InvoiceRow

__all__ = [
    "CUSTOMER_PLACEHOLDER_PREFIX",
    "InvoiceValidationError",
    "MappedInvoice",
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
#: Severa's dates are calendar dates in office time; a UTC midnight and a Helsinki midnight both land here.
_OFFICE_ZONE_NAME = "Europe/Helsinki"
_FINNISH_COUNTRY_NAMES = {"fi", "fin", "suomi", "finland"}
_ZERO = Decimal(0)


def _office_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo(_OFFICE_ZONE_NAME)
    except ZoneInfoNotFoundError:  # pragma: no cover - a runtime without tz data
        return None


_ZONE = _office_zone()


class InvoiceValidationError(IntegrationError):
    """The invoice cannot be sent as it is; the message lists each problem (field: problem. Fix)."""

    system = "validation"
    retryable = False

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


def invoice_label(invoice: Invoice) -> str:
    number = invoice.number if invoice.number is not None else "(no number)"
    return f"Severa invoice {number} ({invoice.guid})"


def customer_placeholder(account_guid: str) -> str:
    return CUSTOMER_PLACEHOLDER_PREFIX + account_guid


def local_date(moment: datetime) -> date:
    """The office calendar date of a Severa date-time."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(_ZONE).date() if _ZONE is not None else aware.date()


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


def _discount_percent(row: InvoiceRow) -> Decimal | None:
    """Severa has no discount member; a row whose net is below quantity x price carries one."""
    gross_before = row.delivered_quantity * row.row_unit_price
    if gross_before == _ZERO or round_cents(gross_before) == row.row_vat_excluded_amount:
        return None
    discount = ((1 - row.row_vat_excluded_amount / gross_before) * 100).quantize(Decimal("0.0001"))
    return discount.normalize() if _ZERO < discount <= 100 else None


def _product_code(row: InvoiceRow, config: MappingConfig) -> str:
    """The code the products transfer gives this row's product (or work type, for hour rows)."""
    code, name = (row.article_identifier or "").strip(), (row.article_name or "").strip()
    if row.hour_guids and not row.product_guids:
        return netvisor_product_code_or_default(config.products, kind="worktype", code=code, name=name)
    guid = row.product_guids[0] if row.product_guids else ""
    return netvisor_product_code_or_default(config.products, kind="product", guid=guid, code=code, name=name)


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
class _Row:
    line: InvoiceProductLine | InvoiceCommentLine
    amounts: RowAmounts | None


def _map_row(row: InvoiceRow, invoice: Invoice, config: MappingConfig, problems: _Problems) -> _Row | None:
    where = f"row {row.row_number}"
    if _is_comment_row(row):
        text = _text(row.article_name) or _text(row.row_free_text)
        return _Row(InvoiceCommentLine(comment=text), None) if text else None
    tax_free = invoice.is_tax_free or bool(invoice.invoice_config and invoice.invoice_config.is_tax_free)
    rate = row.row_vat_rate_percent
    code = None
    if rate is None:
        problems.add(f"{where} VAT rate", "is empty", "Set the row's VAT percentage in Severa")
    else:
        supply_date = local_date(row.row_delivery_date)
        if tax_free and rate != _ZERO:
            problems.add(
                f"{where} VAT rate",
                f"{rate.normalize():f} % on a tax-free (reverse-charge) invoice",
                "Set the row's VAT to 0 % or clear the invoice's tax-free flag in Severa",
            )
        else:
            problems.check(lambda: validate_vat_rate(rate, supply_date, f"{where} VAT rate"))
        code = problems.check(
            lambda: config.vat.code_for(rate, tax_free=tax_free, severa_code=row.row_vat_code), f"{where} "
        )
    name = _text(row.article_name) or _text(row.row_free_text)
    if name is None:
        problems.add(f"{where} product name", "is empty", "Give the row a name in Severa")
    product = _product_code(row, config)
    discount = _discount_percent(row)
    amounts = None
    if rate is not None:
        amounts = problems.check(
            lambda: row_amounts(row.row_unit_price, row.delivered_quantity, discount or _ZERO, rate), f"{where} "
        )
    if amounts is not None:
        problems.check(
            lambda: check_row_matches(
                amounts,
                net=row.row_vat_excluded_amount,
                vat=row.row_vat_amount,
                gross=row.row_amount,
                field=f"{where} sums",
            )
        )
    dimensions = _row_dimensions(row, invoice, config, problems, where)
    if code is None or name is None or amounts is None or rate is None:
        return None
    free_text = _text(row.row_free_text) if _text(row.article_name) else None
    line = InvoiceProductLine(
        product_identifier=product,
        name=name,
        unit_price=row.row_unit_price,
        vat_percentage=rate,
        vat_code=code.value,
        quantity=row.delivered_quantity,
        discount_percentage=discount,
        free_text=free_text,
        vat_sum=amounts.vat,
        line_sum=amounts.gross,
        dimensions=dimensions,
        unit_name=_text(row.quantity_unit_code),
    )
    return _Row(line, amounts)


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


def _check_address(invoice: Invoice, country: str | None, problems: _Problems) -> None:
    required = {
        "customer name": invoice.receiver_customer_name or invoice.account_name,
        "customer street address": invoice.receiver_addressline,
        "customer post code": invoice.receiver_postal_code,
        "customer town": invoice.receiver_city,
    }
    for field, value in required.items():
        if not _text(value):
            problems.add(field, "is empty", "Fill in the billing address of the invoice (or the customer) in Severa")
    if country is None:
        problems.add(
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


def map_invoice(invoice: Invoice, config: MappingConfig, *, customer_key: str | None = None) -> MappedInvoice:
    """The Netvisor invoice for ``invoice``; raises ``InvoiceValidationError`` listing every problem.

    ``customer_key`` is the Netvisor key of the invoice's customer when already known; otherwise a
    placeholder the writer replaces (the customers transfer runs for that account first).
    """
    label = invoice_label(invoice)
    problems = _Problems()
    options = config.invoices
    if invoice.number is None:
        problems.add("invoice number", "is empty", "Give the invoice a number in Severa (a numbered status)")
    account_guid = _text(invoice.account_guid)
    if account_guid is None:
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
    checked_reference = problems.check(lambda: validate_reference(reference or "", "reference number"))
    country = _country_code(invoice)
    _check_business_id(invoice, country, problems)
    _check_address(invoice, country, problems)
    tax_free = invoice.is_tax_free or bool(invoice.invoice_config and invoice.invoice_config.is_tax_free)
    if tax_free and config.vat.require_buyer_vat_number and not _buyer_vat_number(invoice):
        problems.add(
            "buyer VAT number",
            "is empty on a reverse-charge (tax-free) invoice",
            "Add the customer's VAT number in Severa; reverse charge needs it on the invoice",
        )
    rows = sorted(invoice.invoice_rows, key=lambda r: r.row_number)
    mapped_rows = [m for row in rows if (m := _map_row(row, invoice, config, problems)) is not None]
    amounts = [r.amounts for r in mapped_rows if r.amounts is not None]
    if not amounts and not problems.items:
        problems.add("rows", "the invoice has no rows to bill", "Add at least one priced row in Severa")
    totals = None
    details = invoice.invoice_details
    if amounts and details is not None:
        totals = problems.check(
            lambda: check_invoice_totals(
                amounts,
                total_gross=details.invoice_total_vat_included_amount,
                total_vat=details.invoice_total_vat_amount,
                total_net=details.invoice_total_vat_excluded_amount,
            )
        )
    elif details is None:
        problems.add("invoice totals", "Severa returned no invoice details", "Open and save the invoice in Severa")
    if totals is not None and invoice.is_credit_note and totals.gross > _ZERO:
        problems.add(
            "total", f"a credit note must have a negative total, not {_money(totals.gross)}", "Correct it in Severa"
        )
    if problems.items or totals is None or invoice.number is None or account_guid is None:
        raise InvoiceValidationError(label, problems.items or ["the invoice could not be mapped"])
    after_rows = [_text(invoice.notes_after_invoice_rows)]
    if tax_free:
        # The legal reverse-charge note belongs on the invoice (finland.md §5.3).
        after_rows.append(
            _text(invoice.tax_free_description)
            or _text(invoice.invoice_config.tax_free_description if invoice.invoice_config else None)
        )
    number = str(invoice.number)
    due = local_date(invoice.due_date)
    supply = max((local_date(r.row_delivery_date) for r in rows), default=None)
    mapped = SalesInvoiceInput(
        number=number,
        invoice_date=local_date(invoice.date),
        event_date=supply,
        delivery_date=supply,
        due_date=due,
        amount=totals.gross,
        currency=currency,
        reference_number=checked_reference,
        status=options.netvisor_status,
        customer_identifier=customer_key or customer_placeholder(account_guid),
        customer_identifier_type="netvisor",
        customer_name=_text(invoice.receiver_customer_name) or _text(invoice.account_name),
        customer_address_line=_text(invoice.receiver_addressline),
        customer_post_number=_text(invoice.receiver_postal_code),
        customer_town=_text(invoice.receiver_city),
        customer_country_code=country,
        our_reference=_text(invoice.our_reference),
        your_reference=_text(invoice.your_reference),
        order_number=_text(invoice.order_number) or _text(invoice.po_number),
        free_text_before_lines=_text(invoice.notes_before_invoice_rows),
        free_text_after_lines="\n".join(t for t in after_rows if t) or None,
        payment_term_net_days=invoice.payment_term,
        lines=tuple(r.line for r in mapped_rows),
    )
    return MappedInvoice(
        invoice=mapped,
        summary=_summary(invoice, mapped, len(amounts)),
        account_guid=account_guid,
        number=number,
        is_credit_note=invoice.is_credit_note or totals.gross < _ZERO,
        credited_guid=_text(invoice.reimburse_invoice_guid),
    )
