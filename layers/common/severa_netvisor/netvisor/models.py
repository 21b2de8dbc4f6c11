"""Typed request inputs and results of the Netvisor client (pydantic, at the edge).

Inputs name things the way the integration thinks of them; ``xmlbuild`` maps them to Netvisor's
elements. Results hold what the lenient parser found; every field Netvisor may omit is optional.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

VatCode = Literal[
    "NONE", "KOOS", "EUOS", "EUUO", "EUPO", "100", "KOMY", "EUMY", "EUUM", "EUPM312", "EUPM309",
    "MUUL", "EVTO", "EVPO", "EVKV", "KAVE", "RAMY", "RAOS", "EVRO", "MAAL", "EVMA", "KOMY0",
]  # fmt: skip
InvoiceStatus = Literal["open", "paid", "unsent", "overdue", "reminded", "requested", "collected", "creditloss"]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


# ---------------------------------------------------------------- inputs


class DimensionRef(_Input):
    """A dimension by name: the header (e.g. "Projekti") and the item (e.g. "P-100")."""

    name: str = Field(min_length=1)
    item: str = Field(min_length=1)


class CustomerInput(_Input):
    name: str = Field(min_length=1)
    #: Customer number in Netvisor (internalidentifier).
    code: str | None = None
    business_id: str | None = None
    organization_unit_number: str | None = None
    name_extension: str | None = None
    street_address: str | None = None
    additional_address_line: str | None = None
    city: str | None = None
    post_number: str | None = None
    country: str | None = None
    customer_group_name: str | None = None
    phone_number: str | None = None
    email: str | None = None
    home_page_uri: str | None = None
    is_active: bool | None = True
    is_private_customer: bool | None = None
    email_invoicing_address: str | None = None
    finvoice_address: str | None = None
    finvoice_router_code: str | None = None
    delivery_name: str | None = None
    delivery_street_address: str | None = None
    delivery_city: str | None = None
    delivery_post_number: str | None = None
    delivery_country: str | None = None
    contact_person: str | None = None
    contact_person_email: str | None = None
    contact_person_phone: str | None = None
    comment: str | None = None
    reference_number: str | None = None
    invoicing_language: str | None = None
    your_default_reference: str | None = None
    default_text_before_lines: str | None = None
    default_text_after_lines: str | None = None
    dimensions: tuple[DimensionRef, ...] = ()
    #: Fields (names above) sent as empty elements, which blank them in Netvisor on an edit
    #: ("in edit request the empty element is interpreted as an order to update the value to blank",
    #: resources general 77000466681). Only fields this integration owns are cleared.
    cleared: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _cleared_fields_exist_and_are_empty(self) -> Self:
        for name in self.cleared:
            if name not in CLEARABLE_CUSTOMER_FIELDS:
                raise ValueError(f"'{name}' cannot be cleared (clearable: {', '.join(CLEARABLE_CUSTOMER_FIELDS)})")
            if getattr(self, name) is not None:
                raise ValueError(f"'{name}' is both set and cleared")
        return self


#: The customer fields an edit may blank with an empty element.
CLEARABLE_CUSTOMER_FIELDS = (
    "organization_unit_number",
    "email_invoicing_address",
    "finvoice_address",
    "finvoice_router_code",
)


class ProductInput(_Input):
    name: str = Field(min_length=1)
    group: str = Field(min_length=1)
    code: str | None = None
    description: str | None = None
    unit_price: Decimal
    price_type: Literal["net", "gross"] = "net"
    unit: str | None = None
    purchase_price: Decimal | None = None
    is_active: bool = True
    is_sales_product: bool = True
    default_vat_percentage: Decimal | None = None
    default_domestic_account_number: str | None = None
    default_eu_account_number: str | None = None
    default_outside_eu_account_number: str | None = None


class InvoiceProductLine(_Input):
    kind: Literal["product"] = "product"
    product_identifier: str = Field(min_length=1)
    product_identifier_type: Literal["netvisor", "customer"] = "customer"
    name: str = Field(min_length=1)
    unit_price: Decimal
    price_type: Literal["net", "gross"] = "net"
    vat_percentage: Decimal
    vat_code: VatCode = "KOMY"
    quantity: Decimal
    discount_percentage: Decimal | None = None
    free_text: str | None = None
    #: Give both or neither (Netvisor ignores one alone); VAT-inclusive line sum and its VAT part.
    vat_sum: Decimal | None = None
    line_sum: Decimal | None = None
    account_suggestion: str | None = None
    dimensions: tuple[DimensionRef, ...] = ()
    unit_name: str | None = None


class InvoiceCommentLine(_Input):
    kind: Literal["comment"] = "comment"
    comment: str = Field(min_length=1)


class InvoiceAttachment(_Input):
    filename: str = Field(min_length=1)
    content: bytes
    description: str = Field(min_length=1)
    mime_type: str = "application/pdf"
    document_type: Literal["pdf", "finvoice"] = "pdf"
    print_by_default: bool | None = None


class SalesInvoiceInput(_Input):
    """An invoice, or a credit note (negative quantities and a negative amount)."""

    invoice_date: date
    amount: Decimal
    customer_identifier: str = Field(min_length=1)
    customer_identifier_type: Literal["netvisor", "customer", "organizationunitnumber"] = "netvisor"
    lines: tuple[InvoiceProductLine | InvoiceCommentLine, ...] = Field(min_length=1)
    number: str | None = None
    status: Literal["open", "unsent"] = "unsent"
    currency: str = "EUR"
    event_date: date | None = None
    due_date: date | None = None
    value_date: date | None = None
    delivery_date: date | None = None
    reference_number: str | None = None
    seller_name: str | None = None
    invoice_type: str | None = None
    free_text_before_lines: str | None = None
    free_text_after_lines: str | None = None
    our_reference: str | None = None
    your_reference: str | None = None
    private_comment: str | None = None
    customer_name: str | None = None
    customer_name_extension: str | None = None
    customer_address_line: str | None = None
    customer_additional_address_line: str | None = None
    customer_post_number: str | None = None
    customer_town: str | None = None
    customer_country_code: str | None = None
    payment_term_net_days: int | None = None
    expect_partial_payments: bool | None = None
    order_number: str | None = None
    attachments: tuple[InvoiceAttachment, ...] = ()

    @property
    def is_credit_note(self) -> bool:
        return self.amount < 0


class DimensionItemInput(_Input):
    dimension_name: str = Field(min_length=1, max_length=50)
    item: str = Field(min_length=1, max_length=200)
    #: For an edit: the item's current name.
    old_item: str | None = None
    father_id: int | None = None
    father_item: str | None = None
    is_hidden: bool | None = None


class WorkdayHour(_Input):
    hours: Decimal
    #: Record type (collectorratio) number; must exist in Netvisor.
    collector_ratio: str = Field(min_length=1)
    #: workday.nv (77000554280): acceptancestatus and description occur exactly once per row.
    acceptance_status: Literal["confirmed", "accepted"] = "confirmed"
    description: str = Field(min_length=1)
    invoicing_product_identifier: str | None = None
    customer_identifier: str | None = None
    customer_identifier_type: Literal["netvisor", "customer"] = "netvisor"
    dimensions: tuple[DimensionRef, ...] = ()


class WorkdayInput(_Input):
    date: date
    employee_identifier: str = Field(min_length=1)
    employee_identifier_type: Literal["number", "personalidentificationnumber", "netvisorkey"] = "number"
    method: Literal["replace", "increment"] = "replace"
    default_dimension_handling: Literal["none", "usedefault"] | None = None
    hours: tuple[WorkdayHour, ...] = ()


# ---------------------------------------------------------------- results


class CustomerSummary(_Result):
    netvisor_key: int
    name: str = ""
    code: str = ""
    business_id: str = ""
    uri: str = ""


class Customer(_Result):
    netvisor_key: int | None = None
    code: str = ""
    business_id: str = ""
    organization_unit_number: str = ""
    name: str = ""
    name_extension: str = ""
    street_address: str = ""
    additional_address_line: str = ""
    city: str = ""
    post_number: str = ""
    country: str = ""
    customer_group_name: str = ""
    phone_number: str = ""
    email: str = ""
    email_invoicing_address: str = ""
    home_page_uri: str = ""
    is_active: bool | None = None
    finvoice_address: str = ""
    finvoice_router_code: str = ""
    comment: str = ""
    reference_number: str = ""
    balance_limit: Decimal | None = None


class ProductSummary(_Result):
    netvisor_key: int
    code: str = ""
    name: str = ""
    unit_price: Decimal | None = None
    uri: str = ""


class Product(_Result):
    netvisor_key: int | None = None
    code: str = ""
    group: str = ""
    name: str = ""
    description: str = ""
    unit_price: Decimal | None = None
    price_type: str = ""
    unit: str = ""
    is_active: bool | None = None
    is_sales_product: bool | None = None
    default_vat_percentage: Decimal | None = None


class SalesInvoiceSummary(_Result):
    netvisor_key: int
    number: str = ""
    invoice_date: date | None = None
    due_date: date | None = None
    status: str = ""
    substatus: str = ""
    customer_code: str = ""
    customer_name: str = ""
    reference_number: str = ""
    invoice_sum: Decimal | None = None
    open_sum: Decimal | None = None
    uri: str = ""


class SalesInvoiceLine(_Result):
    product_identifier: str = ""
    product_identifier_type: str = ""
    name: str = ""
    unit_price: Decimal | None = None
    vat_percentage: Decimal | None = None
    vat_code: str = ""
    quantity: Decimal | None = None
    discount_percentage: Decimal | None = None
    free_text: str = ""
    vat_sum: Decimal | None = None
    line_sum: Decimal | None = None
    account_suggestion: str = ""
    dimensions: tuple[DimensionRef, ...] = ()


class AttachmentInfo(_Result):
    filename: str = ""
    mime_type: str = ""
    description: str = ""
    content: bytes | None = None


class SalesInvoice(_Result):
    netvisor_key: int | None = None
    number: str = ""
    invoice_date: date | None = None
    event_date: date | None = None
    due_date: date | None = None
    value_date: date | None = None
    delivery_date: date | None = None
    reference_number: str = ""
    amount: Decimal | None = None
    currency: str = ""
    status: str = ""
    status_text: str = ""
    free_text_before_lines: str = ""
    free_text_after_lines: str = ""
    our_reference: str = ""
    your_reference: str = ""
    private_comment: str = ""
    customer_name: str = ""
    customer_address_line: str = ""
    customer_post_number: str = ""
    customer_town: str = ""
    customer_country_code: str = ""
    payment_term_net_days: int | None = None
    lines: tuple[SalesInvoiceLine, ...] = ()
    comment_lines: tuple[str, ...] = ()
    attachments: tuple[AttachmentInfo, ...] = ()


class SalesPayment(_Result):
    netvisor_key: int
    name: str = ""
    payment_date: date | None = None
    sum: Decimal | None = None
    reference_number: str = ""
    invoice_number: str = ""
    bank_status: str = ""
    bank_status_error_code: str = ""
    bank_status_error_text: str = ""
    last_modified: datetime | None = None


class DimensionItem(_Result):
    netvisor_key: int | None = None
    name: str = ""
    is_hidden: bool = False
    level: int | None = None
    father_id: int | None = None


class Dimension(_Result):
    netvisor_key: int | None = None
    name: str = ""
    is_hidden: bool = False
    items: tuple[DimensionItem, ...] = ()


class ResponseStatus(_Result):
    """The envelope of a successful answer."""

    ok: bool
    timestamp: datetime | None = None


class InvoicePage(_Result):
    """One page of salesinvoicelist.nv (at most 500); ``next_above_key`` pages on when it is full."""

    invoices: tuple[SalesInvoiceSummary, ...]
    next_above_key: int | None = None
