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
    VatCase,
    parse_decimal,
    validate_sales_vat_code,
    vat_case_of,
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


#: Notes a zero-rated or reverse-charge invoice must carry (Tax Administration, "Laskutusvaatimukset
#: arvonlisäverotuksessa", VH/3634/00.01.00/2023, 6.1.11 and 6.1.12: the ground of the VAT-free sale or
#: the words "käännetty verovelvollisuus"). Severa's own TaxFreeDescription, when the invoice has one,
#: is printed instead. The accountant should confirm the texts for the company.
DEFAULT_VAT_NOTES: dict[str, str] = {
    "RAMY": "Käännetty verovelvollisuus: arvonlisäveron maksaa ostaja (AVL 8 c §). Reverse charge.",
    "EUPM312": "Käännetty verovelvollisuus / Reverse charge (AVL 65 §; direktiivi 2006/112/EY 196 art.).",
    "EUPM309": "Käännetty verovelvollisuus / Reverse charge (AVL 65 §; direktiivi 2006/112/EY 196 art.).",
    "EUMY": "Veroton yhteisömyynti / Intra-Community supply (AVL 72 a §; direktiivi 2006/112/EY 138 art.).",
    "EUUM": "Ei Suomen arvonlisäveroa: myynti EU:n ulkopuolelle / No Finnish VAT: sale outside the EU.",
}

NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class VatMapping(_Strict):
    """Which Netvisor VAT code each invoice row gets (finland.md §5.2, §5.3).

    A row's code follows, in order: the operator's entry for Severa's row VAT code
    (``severa_codes``); for a taxed row, its rate (``rates``); for a 0 % row, the buyer's country,
    whether the buyer pays the VAT (Severa's ReverseCharge on the customer, or IsTaxFree on the
    invoice) and whether the row sells goods or services.
    """

    #: Domestic rows: Severa's row VAT percentage → code. A rate not listed (and no ``default_code``)
    #: fails the invoice with a message naming the rate, so nothing is sent with a guessed code.
    rates: dict[VatRate, SalesVatCode] = Field(
        default_factory=lambda: {
            Decimal(r): DEFAULT_VAT_CODES["domestic"] for r in ("25.5", "24", "14", "13.5", "10", "0")
        }
    )
    default_code: SalesVatCode | None = None
    #: Severa's row VAT code (``rowVatCode``) → Netvisor code; wins over everything else when it matches.
    severa_codes: dict[Key, SalesVatCode] = Field(default_factory=dict)
    #: 0 % rows of a Finnish buyer who pays the VAT (domestic reverse charge: construction services,
    #: AVL 8 c §).
    reverse_charge_code: SalesVatCode = DEFAULT_VAT_CODES["reverse_charge_construction"]
    #: 0 % rows of services to a buyer in another EU country who pays the VAT there.
    eu_services_code: SalesVatCode = DEFAULT_VAT_CODES["reverse_charge_eu_services"]
    #: 0 % rows of goods to a VAT-registered buyer in another EU country.
    eu_goods_code: SalesVatCode = DEFAULT_VAT_CODES["reverse_charge_eu_goods"]
    #: 0 % rows of a buyer outside the EU.
    outside_eu_code: SalesVatCode = DEFAULT_VAT_CODES["outside_eu"]
    #: Severa products (GUID, code or name) that are goods; every other row (hours, travel, other
    #: products) is a service.
    goods: list[Key] = Field(default_factory=list)
    #: The note a zero-rated or reverse-charge invoice carries, per Netvisor code (DEFAULT_VAT_NOTES).
    #: Severa's TaxFreeDescription, when set on the invoice, is used instead.
    notes: dict[SalesVatCode, NoteText] = Field(
        default_factory=lambda: {NetvisorVatCode(code): text for code, text in DEFAULT_VAT_NOTES.items()}
    )
    #: Reverse-charge and EU invoices need the buyer's VAT number (business ID for a Finnish buyer).
    require_buyer_vat_number: bool = True
    #: No longer used (every tax-free row went to one code, whatever the buyer): kept only to explain.
    tax_free_code: SalesVatCode | None = None

    @field_validator("tax_free_code")
    @classmethod
    def _no_tax_free_code(cls, value: NetvisorVatCode | None) -> NetvisorVatCode | None:
        if value is not None:
            raise ValueError(
                "is no longer used: a tax-free row's code now follows from the buyer's country and the row "
                "(reverse_charge_code for Finnish buyers, eu_services_code, eu_goods_code, outside_eu_code); "
                "remove tax_free_code"
            )
        return value

    @model_validator(mode="after")
    def _codes_fit_their_cases(self) -> Self:
        expected = {
            "reverse_charge_code": VatCase.DOMESTIC_REVERSE_CHARGE,
            "eu_services_code": VatCase.EU_SERVICES,
            "eu_goods_code": VatCase.EU_GOODS,
            "outside_eu_code": VatCase.OUTSIDE_EU,
        }
        for key, case in expected.items():
            code: NetvisorVatCode = getattr(self, key)
            actual = vat_case_of(code)
            if actual is not case and actual is not VatCase.EXEMPT:
                hint = (
                    " (EU sales have their own keys: eu_services_code, eu_goods_code)"
                    if key == "reverse_charge_code"
                    else ""
                )
                raise ValueError(
                    f"vat.{key} is {code.value}, a code for {actual.value} sales; it must be a code for {case.value} "
                    f"sales{hint}"
                )
        return self

    def is_goods(self, *, guid: str = "", code: str = "", name: str = "") -> bool:
        keys = {k for k in (guid, code, name) if k}
        return bool(keys & set(self.goods))

    def code_for(
        self, rate: Decimal, *, reverse_charge: bool = False, tax_free: bool = False, severa_code: str | None = None
    ) -> NetvisorVatCode:
        """The code for a row of a Finnish buyer selling services (see ``mapping.vat.row_vat_code``)."""
        from severa_netvisor.mapping.vat import Buyer, row_vat_code  # noqa: PLC0415 - vat imports this module

        buyer = Buyer(country="FI", reverse_charge=reverse_charge, tax_free=tax_free)
        return row_vat_code(self, rate, buyer=buyer, severa_code=severa_code, goods=False).code


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
    #: The status a new invoice gets in Netvisor: "unsent" when Netvisor sends invoices to customers (it
    #: then waits to be sent there), "open" when Severa or its e-invoicing operator has sent them already.
    #: Invoices picked up in a Severa *sent* status (``sent_since``) always arrive as "open".
    netvisor_status: Literal["unsent", "open"] = "unsent"
    #: A credit note waits in Netvisor until it and its invoice are both sent (matchcreditnote.nv); after
    #: this many days of waiting it is also reported as an open failure, so someone sends them.
    credit_note_wait_days: int = Field(default=14, ge=1, le=365)
    #: Write "Transferred to Netvisor as invoice N" in the Severa invoice log (the status change says it
    #: too: switch it off to save one Severa call per invoice on large backlogs).
    log_success: bool = True
    #: Only invoices of these Severa business units (names); empty means all.
    business_units: list[Text] = Field(default_factory=list)
    #: Also pick up invoices sent on or after this date, whatever their status.
    sent_since: date | None = None
    #: Send each row's Severa sales account (rowSalesAccountNumber) as Netvisor's account suggestion
    #: (accountingaccountsuggestion); off, Netvisor books the row on the product's own account.
    use_severa_sales_account: bool = False
    #: Severa sales account → Netvisor account, where the two charts differ (unlisted accounts pass as is).
    sales_accounts: dict[Key, Key] = Field(default_factory=dict)

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
    """How an existing Netvisor customer is found, and what the customers transfer sends.

    Matching tries the keys in ``match_order``; a business ID is used only when exactly one Severa
    account and at most one Netvisor customer have it (cities and groups share one across many
    billing units), and a customer found by it that carries another customer number is reported,
    never adopted.
    """

    match_order: list[CustomerKey] = Field(default_factory=lambda: list(_CUSTOMER_MATCH_ORDER), min_length=1)
    #: The e-invoice operator codes the company's Netvisor accepts (Netvisor refuses an operator not on
    #: its list); empty: any well-formed code is sent.
    einvoice_operators: list[Key] = Field(default_factory=list)
    #: Also blank ``organizationunitnumber`` on every customer: earlier versions of this integration
    #: wrote the e-invoice address there, which Netvisor's customer.nv page says must not hold it. Off by
    #: default: a unit number someone keyed in Netvisor by hand would be lost too.
    clear_organization_unit_number: bool = False
    #: The Netvisor customer code of an account that has no Severa customer number. "from_severa_guid": a
    #: code made from the account's Severa GUID (``SEV-6F1F3A526A3C``), which Netvisor stores and searches
    #: (customerlist.nv), so a create whose answer was lost is found again instead of made twice. "none":
    #: no code; such an account without a business ID is then never created again after a lost answer (it
    #: waits for a person: nothing in Netvisor could tell whether the first create arrived).
    code_without_number: Literal["from_severa_guid", "none"] = "from_severa_guid"

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
    #: Every run re-reads the hour entries of this many past days (the open payroll period) by date, so
    #: entries deleted in Severa, or moved to another day or user, leave their old day in payroll too.
    open_period_days: int = Field(default=45, ge=1, le=400)

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
    #: Extra or stricter field lengths to check before sending ("product name": 200, ...), over the
    #: limits Netvisor documents (finnish.NETVISOR_LENGTH_LIMITS); see docs/assumptions.md.
    netvisor_limits: dict[Text, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)

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
