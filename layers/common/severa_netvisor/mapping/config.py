"""The operator's mapping configuration: what the operator decides, as one validated pydantic model.

The file (``config/mapping.example.yaml`` is the commented template) says which Netvisor VAT codes,
product codes, dimension names and Severa statuses to use, how customers are matched, which
transfers may update what they transferred before, how hours reach payroll and how payments are
written back. Every model is strict about keys (a typo is an error naming its path, never a silently
ignored setting) and frozen (the configuration is read once per cold start and shared).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from severa_netvisor.finnish import (
    ALL_VAT_RATES,
    DEFAULT_VAT_CODES,
    FinnishValidationError,
    NetvisorVatCode,
    parse_decimal,
    validate_sales_vat_code,
)

__all__ = [
    "CustomerMatching",
    "DimensionMapping",
    "HoursMapping",
    "InvoiceOptions",
    "InvoiceStatuses",
    "MappingConfig",
    "PaymentOptions",
    "ProductMapping",
    "RecordTypeMapping",
    "UpdatePolicy",
    "VatMapping",
]


class _Strict(BaseModel):
    # extra="forbid": an unknown key (often a typo) is an error that names it.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _sales_code(value: object) -> NetvisorVatCode:
    if isinstance(value, NetvisorVatCode):
        value = value.value
    if not isinstance(value, str | int):  # YAML reads an unquoted 100 as a number
        raise ValueError(f"expected a Netvisor VAT code such as KOMY, got {type(value).__name__}")
    try:
        return validate_sales_vat_code(str(value), field="VAT code")
    except FinnishValidationError as error:
        # The loader prefixes the key path; keep the problem and the fix only.
        raise ValueError(f"{error.problem}. {error.fix}") from None


def _known_rate(value: object) -> Decimal:
    if isinstance(value, float):  # YAML reads 25.5 as a float; its repr is exact enough for a rate
        value = repr(value)
    if not isinstance(value, Decimal | int | str):
        raise ValueError(f"expected a VAT percentage such as 25.5, got {type(value).__name__}")
    try:
        rate = parse_decimal(value, "VAT rate")
    except FinnishValidationError as error:
        raise ValueError(error.problem) from None
    if rate not in ALL_VAT_RATES:
        known = ", ".join(f"{r.normalize():f}" for r in sorted(ALL_VAT_RATES, reverse=True))
        raise ValueError(f"{rate.normalize():f} has never been a Finnish VAT rate (rates since 1998: {known})")
    return rate


SalesVatCode = Annotated[NetvisorVatCode, BeforeValidator(_sales_code)]
VatRate = Annotated[Decimal, BeforeValidator(_known_rate)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
StatusName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
#: Netvisor dimension names are at most 50 characters (API.md §4.10).
DimensionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
ProductCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
RecordType = Annotated[int, Field(gt=0)]


def _key_text(value: object) -> str:
    """Keys such as employee numbers may be written unquoted in YAML; keep them as text."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


Key = Annotated[str, BeforeValidator(_key_text)]


class VatMapping(_Strict):
    """Severa VAT rate (and reverse charge / tax-free) → Netvisor VAT code (finland.md §5.2, §5.3)."""

    #: Domestic rows: Severa's row VAT percentage → code. A rate not listed (and no ``default_code``)
    #: fails the invoice with a message naming the rate, so nothing is sent with a guessed code.
    rates: dict[VatRate, SalesVatCode] = Field(
        default_factory=lambda: {
            Decimal(r): DEFAULT_VAT_CODES["domestic"] for r in ("25.5", "24", "14", "13.5", "10", "0")
        }
    )
    default_code: SalesVatCode | None = None
    #: Severa's row VAT code (``rowVatCode``) → Netvisor code; wins over ``rates`` when it matches.
    severa_codes: dict[Key, SalesVatCode] = Field(default_factory=dict)
    #: Rows of a customer with Severa's ``ReverseCharge`` set.
    reverse_charge_code: SalesVatCode = DEFAULT_VAT_CODES["reverse_charge_eu_services"]
    #: Rows of an invoice with Severa's ``IsTaxFree`` set (Severa documents it as the reverse-charge flag).
    tax_free_code: SalesVatCode = DEFAULT_VAT_CODES["reverse_charge_eu_services"]
    #: Reverse-charge and tax-free invoices need the buyer's VAT number on the invoice.
    require_buyer_vat_number: bool = True

    def code_for(
        self, rate: Decimal, *, reverse_charge: bool = False, tax_free: bool = False, severa_code: str | None = None
    ) -> NetvisorVatCode:
        """The Netvisor code for one row; raises ``FinnishValidationError`` naming the unmapped rate."""
        if reverse_charge:
            return self.reverse_charge_code
        if tax_free:
            return self.tax_free_code
        if severa_code and severa_code.strip() in self.severa_codes:
            return self.severa_codes[severa_code.strip()]
        code = self.rates.get(rate, self.default_code)
        if code is None:
            raise FinnishValidationError(
                "VAT rate",
                f"{rate.normalize():f} % has no Netvisor VAT code in the mapping",
                "Add it under vat.rates in the mapping configuration",
            )
        return code


class ProductMapping(_Strict):
    """Severa products and work types → Netvisor product codes."""

    #: Used for a row whose product or work type has no code of its own.
    default_product_code: ProductCode
    #: Severa product (GUID, code or name) → Netvisor product code.
    products: dict[Key, ProductCode] = Field(default_factory=dict)
    #: Severa work type (GUID, code or name) → Netvisor product code, for hour rows.
    work_types: dict[Key, ProductCode] = Field(default_factory=dict)
    #: When a Severa product has a code and no entry above, send that code (the products transfer
    #: creates Netvisor products under the Severa codes).
    use_severa_product_code: bool = True

    def code_for_product(self, *, guid: str = "", code: str = "", name: str = "") -> str:
        for key in (guid, code, name):
            if key and key in self.products:
                return self.products[key]
        if code and self.use_severa_product_code:
            return code
        return self.default_product_code

    def code_for_work_type(self, *, guid: str = "", code: str = "", name: str = "") -> str:
        for key in (guid, code, name):
            if key and key in self.work_types:
                return self.work_types[key]
        return self.default_product_code


class DimensionMapping(_Strict):
    """Which Severa fields become which Netvisor dimension (by name); ``null`` leaves one out."""

    project: DimensionName | None = "Projekti"
    business_unit: DimensionName | None = None
    cost_centre: DimensionName | None = None
    user: DimensionName | None = None
    #: The dimension item text for a project: its Severa number, its name, or both ("1001 Website").
    project_item: Literal["number", "name", "number_and_name"] = "number_and_name"

    @model_validator(mode="after")
    def _names_distinct(self) -> Self:
        seen: dict[str, str] = {}
        for source in ("project", "business_unit", "cost_centre", "user"):
            name = getattr(self, source)
            if name is None:
                continue
            if name.casefold() in seen:
                raise ValueError(
                    f"dimensions.{source} and dimensions.{seen[name.casefold()]} both use the Netvisor "
                    f"dimension '{name}'; give each its own dimension name"
                )
            seen[name.casefold()] = source
        return self

    def names(self) -> dict[str, str]:
        """Severa field → Netvisor dimension name, for the fields that are mapped."""
        return {
            source: name
            for source in ("project", "business_unit", "cost_centre", "user")
            if (name := getattr(self, source)) is not None
        }


class InvoiceStatuses(_Strict):
    """Severa invoice status names, exactly as they are spelled in Severa's settings."""

    ready_to_transfer: StatusName
    transferred: StatusName
    paid: StatusName
    partially_paid: StatusName | None = None
    #: Set on an invoice that could not be transferred (its log entry says why); none if not set.
    error: StatusName | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        names: dict[str, str] = {}
        for field in ("ready_to_transfer", "transferred", "paid", "partially_paid", "error"):
            value = getattr(self, field)
            if value is None:
                continue
            if value.casefold() in names:
                raise ValueError(
                    f"invoice_statuses.{field} and invoice_statuses.{names[value.casefold()]} are both "
                    f"'{value}'; each status needs its own Severa status name"
                )
            names[value.casefold()] = field
        return self


class InvoiceOptions(_Strict):
    attach_pdf: bool = True
    #: ``printbydefault`` of the attached PDF: whether Netvisor prints it with the invoice.
    print_by_default: bool = False
    #: Netvisor ``deliverymethod`` text, if every invoice should carry one.
    delivery_method: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] | None = None
    #: The home currency of both Severa and Netvisor; invoices in another currency fail clearly.
    home_currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    #: The status a new invoice gets in Netvisor.
    netvisor_status: Literal["unsent", "open"] = "unsent"
    #: Only invoices of these Severa business units (names); empty means all.
    business_units: list[Text] = Field(default_factory=list)
    #: Also pick up invoices sent on or after this date, whatever their status.
    sent_since: date | None = None

    @field_validator("business_units")
    @classmethod
    def _unique_units(cls, value: list[str]) -> list[str]:
        duplicates = sorted({u for u in value if value.count(u) > 1})
        if duplicates:
            raise ValueError("listed more than once: " + ", ".join(duplicates))
        return value


CustomerKey = Literal["netvisor_key", "customer_number", "business_id"]
PaymentKey = Literal["invoice_number", "reference"]
_CUSTOMER_MATCH_ORDER: tuple[CustomerKey, ...] = ("netvisor_key", "customer_number", "business_id")
_PAYMENT_MATCH_ORDER: tuple[PaymentKey, ...] = ("invoice_number", "reference")


class CustomerMatching(_Strict):
    """How an existing Netvisor customer is found: tried in this order, the first match wins."""

    match_order: list[CustomerKey] = Field(default_factory=lambda: list(_CUSTOMER_MATCH_ORDER), min_length=1)

    @field_validator("match_order")
    @classmethod
    def _no_repeats(cls, value: list[CustomerKey]) -> list[CustomerKey]:
        if len(set(value)) != len(value):
            raise ValueError("each way of matching may appear once")
        return value


class UpdatePolicy(_Strict):
    """Whether a transfer may update a Netvisor record it created before, when Severa changes it.

    Invoices default to no: a changed invoice is reported as drift instead of being overwritten.
    """

    customers: bool = True
    products: bool = True
    dimensions: bool = True
    invoices: bool = False


class RecordTypeMapping(_Strict):
    """Severa work type / overtime class → Netvisor record type (``collectorratio`` number)."""

    default: RecordType | None = None
    work_types: dict[Key, RecordType] = Field(default_factory=dict)
    #: Overtime classes win over work types.
    overtime: dict[Key, RecordType] = Field(default_factory=dict)

    def for_entry(self, *, work_type: str = "", overtime: str = "") -> int | None:
        if overtime and overtime in self.overtime:
            return self.overtime[overtime]
        if work_type and work_type in self.work_types:
            return self.work_types[work_type]
        return self.default


class HoursMapping(_Strict):
    """Severa hour entries → Netvisor payroll workday records."""

    enabled: bool = False
    #: Only entries approved in Severa are sent.
    approval_required: bool = True
    #: Severa user (GUID, code or e-mail) → Netvisor employee number.
    employees: dict[Key, Key] = Field(default_factory=dict)
    employee_identifier_type: Literal["number", "personalidentificationnumber", "netvisorkey"] = "number"
    record_types: RecordTypeMapping = Field(default_factory=RecordTypeMapping)
    acceptance_status: Literal["confirmed", "accepted"] = "confirmed"
    #: workday.nv needs a description on every row: used when the entries have no text and no work type.
    default_description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] = (
        "Työaika"
    )

    @field_validator("employees")
    @classmethod
    def _one_user_per_employee(cls, value: dict[str, str]) -> dict[str, str]:
        users_of: dict[str, list[str]] = {}
        for user, employee in value.items():
            users_of.setdefault(employee, []).append(user)
        clashes = [f"{employee} ← {', '.join(users)}" for employee, users in users_of.items() if len(users) > 1]
        if clashes:
            raise ValueError("one Netvisor employee number is mapped from several Severa users: " + "; ".join(clashes))
        return value

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> Self:
        if self.enabled and not self.employees:
            raise ValueError("hours.enabled is true but hours.employees maps no Severa user to an employee number")
        if self.enabled and self.record_types.default is None and not self.record_types.work_types:
            raise ValueError("hours.enabled is true but hours.record_types has neither a default nor work_types")
        return self


class PaymentOptions(_Strict):
    """Netvisor payments → Severa invoice payment date and paid status."""

    enabled: bool = True
    #: How a Netvisor payment finds its Severa invoice, in order.
    match_by: list[PaymentKey] = Field(default_factory=lambda: list(_PAYMENT_MATCH_ORDER), min_length=1)
    #: Write partial payments back (needs ``invoice_statuses.partially_paid``).
    record_partial_payments: bool = False
    #: On the first run, look at payments from this date on.
    since: date | None = None

    @field_validator("match_by")
    @classmethod
    def _no_repeats(cls, value: list[PaymentKey]) -> list[PaymentKey]:
        if len(set(value)) != len(value):
            raise ValueError("each way of matching may appear once")
        return value


class MappingConfig(_Strict):
    """The whole mapping file."""

    version: Literal[1] = 1
    vat: VatMapping = Field(default_factory=VatMapping)
    products: ProductMapping
    dimensions: DimensionMapping = Field(default_factory=DimensionMapping)
    invoice_statuses: InvoiceStatuses
    invoices: InvoiceOptions = Field(default_factory=InvoiceOptions)
    customers: CustomerMatching = Field(default_factory=CustomerMatching)
    allow_updates: UpdatePolicy = Field(default_factory=UpdatePolicy)
    hours: HoursMapping = Field(default_factory=HoursMapping)
    payments: PaymentOptions = Field(default_factory=PaymentOptions)

    @model_validator(mode="after")
    def _partial_payments_need_a_status(self) -> Self:
        if self.payments.record_partial_payments and self.invoice_statuses.partially_paid is None:
            raise ValueError("payments.record_partial_payments is true but invoice_statuses.partially_paid is not set")
        return self

    def summary(self) -> Mapping[str, object]:
        """A short, log-friendly description (no secrets exist here, but keep logs small)."""
        return {
            "vat_rates": sorted(f"{r:f}" for r in self.vat.rates),
            "dimensions": self.dimensions.names(),
            "ready_status": self.invoice_statuses.ready_to_transfer,
            "hours": self.hours.enabled,
            "payments": self.payments.enabled,
        }
