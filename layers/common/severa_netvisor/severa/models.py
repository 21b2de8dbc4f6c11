"""Typed Severa results: what the transfers read, validated at the edge.

Field names are snake_case; each field's alias is Severa's member name (API.md §5, catalogue order),
so ``Model.model_validate(severa_dict)`` takes zeep's output directly. Money and quantities are
``Decimal``, date-times are timezone-aware (Severa sends UTC without an offset, so a naive value is
read as UTC), nil is ``None`` and a nil or missing array is an empty list.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

T = TypeVar("T")


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _unwrap_array(value: Any) -> Any:
    """``ArrayOfX`` arrives as ``{"X": [...]}``, ``{"X": item}`` for one item, ``""`` when empty,
    or None when nil; the items inside are what matters."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        if not value:
            return []
        if len(value) == 1:
            inner = next(iter(value.values()))
            if inner is None:
                return []
            return inner if isinstance(inner, list) else [inner]
    return value


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
SeveraList = Annotated[list[T], BeforeValidator(_unwrap_array)]
StrList = Annotated[list[str], BeforeValidator(_unwrap_array)]


class _SeveraModel(BaseModel):
    # defer_build: a model is built on first use; each function validates only a few of them.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)


class Account(_SeveraModel):
    account_group_guids: StrList = Field(default_factory=list, alias="AccountGroupGUIDs")
    account_owner_user_guid: str | None = Field(None, alias="AccountOwnerUserGUID")
    account_rating: int | None = Field(None, alias="AccountRating")
    company_guid: str | None = Field(None, alias="CompanyGUID")
    currency_code: str | None = Field(None, alias="CurrencyCode")
    currency_guid: str | None = Field(None, alias="CurrencyGUID")
    guid: str | None = Field(None, alias="GUID")
    insert_ts: UtcDateTime = Field(alias="InsertTS")
    invoicing_vat: Decimal | None = Field(None, alias="InvoicingVat")
    is_active: bool = Field(alias="IsActive")
    is_internal: bool | None = Field(None, alias="IsInternal")
    language_code: str | None = Field(None, alias="LanguageCode")
    language_guid: str | None = Field(None, alias="LanguageGUID")
    name: str | None = Field(None, alias="Name")
    notes: str | None = Field(None, alias="Notes")
    number: int | None = Field(None, alias="Number")
    overdue_interest: Decimal | None = Field(None, alias="OverdueInterest")
    payment_term: int | None = Field(None, alias="PaymentTerm")
    pricelist_guid: str | None = Field(None, alias="PricelistGUID")
    reverse_charge: bool | None = Field(None, alias="ReverseCharge")
    updated_ts: UtcDateTime | None = Field(None, alias="UpdatedTS")
    e_invoice_address: str | None = Field(None, alias="eInvoiceAddress")
    e_invoice_operator: str | None = Field(None, alias="eInvoiceOperator")


class Customer(_SeveraModel):
    account_group_guids: StrList = Field(default_factory=list, alias="AccountGroupGUIDs")
    account_owner_user_guid: str | None = Field(None, alias="AccountOwnerUserGUID")
    account_rating: int | None = Field(None, alias="AccountRating")
    annual_revenue: int | None = Field(None, alias="AnnualRevenue")
    company_guid: str | None = Field(None, alias="CompanyGUID")
    currency_code: str | None = Field(None, alias="CurrencyCode")
    currency_guid: str | None = Field(None, alias="CurrencyGUID")
    email: str | None = Field(None, alias="Email")
    employees: int | None = Field(None, alias="Employees")
    guid: str | None = Field(None, alias="GUID")
    head_office_address_guid: str | None = Field(None, alias="HeadOfficeAddressGUID")
    industry_guid: str | None = Field(None, alias="IndustryGUID")
    insert_ts: UtcDateTime = Field(alias="InsertTS")
    invoicing_vat: Decimal | None = Field(None, alias="InvoicingVat")
    is_active: bool = Field(alias="IsActive")
    is_internal: bool | None = Field(None, alias="IsInternal")
    language_code: str | None = Field(None, alias="LanguageCode")
    language_guid: str | None = Field(None, alias="LanguageGUID")
    name: str | None = Field(None, alias="Name")
    notes: str | None = Field(None, alias="Notes")
    number: int | None = Field(None, alias="Number")
    overdue_interest: Decimal | None = Field(None, alias="OverdueInterest")
    payment_term: int | None = Field(None, alias="PaymentTerm")
    pricelist_guid: str | None = Field(None, alias="PricelistGUID")
    reverse_charge: bool | None = Field(None, alias="ReverseCharge")
    timezone_guid: str | None = Field(None, alias="TimezoneGUID")
    updated_ts: UtcDateTime | None = Field(None, alias="UpdatedTS")
    vat_number: str | None = Field(None, alias="VatNumber")
    website: str | None = Field(None, alias="Website")
    e_invoice_address: str | None = Field(None, alias="eInvoiceAddress")
    e_invoice_operator: str | None = Field(None, alias="eInvoiceOperator")


class Address(_SeveraModel):
    addressline: str | None = Field(None, alias="Addressline")
    addressline2: str | None = Field(None, alias="Addressline2")
    addressline3: str | None = Field(None, alias="Addressline3")
    city: str | None = Field(None, alias="City")
    company_guid: str | None = Field(None, alias="CompanyGUID")
    country_code: str | None = Field(None, alias="CountryCode")
    country_guid: str | None = Field(None, alias="CountryGUID")
    country_name: str | None = Field(None, alias="CountryName")
    country_region_guid: str | None = Field(None, alias="CountryRegionGUID")
    country_region_name: str | None = Field(None, alias="CountryRegionName")
    fax: str | None = Field(None, alias="Fax")
    guid: str | None = Field(None, alias="GUID")
    is_billing_address: bool = Field(alias="IsBillingAddress")
    is_postal_address: bool = Field(alias="IsPostalAddress")
    is_visit_address: bool = Field(alias="IsVisitAddress")
    phone: str | None = Field(None, alias="Phone")
    postal_code: str | None = Field(None, alias="PostalCode")


class ContactCommunicationMethod(_SeveraModel):
    is_forbidden_to_use: bool = Field(alias="IsForbiddenToUse")
    name: str | None = Field(None, alias="Name")
    type: str | None = Field(None, alias="Type")
    value: str | None = Field(None, alias="Value")


class Contact(_SeveraModel):
    account_guid: str | None = Field(None, alias="AccountGUID")
    address_guid: str | None = Field(None, alias="AddressGUID")
    communication_methods: SeveraList[ContactCommunicationMethod] = Field(
        default_factory=list, alias="CommunicationMethods"
    )
    contact_role_guid: str | None = Field(None, alias="ContactRoleGUID")
    date_of_birth: UtcDateTime | None = Field(None, alias="DateOfBirth")
    description: str | None = Field(None, alias="Description")
    first_name: str | None = Field(None, alias="FirstName")
    guid: str | None = Field(None, alias="GUID")
    is_active: bool = Field(alias="IsActive")
    job_title: str | None = Field(None, alias="JobTitle")
    keywords: StrList = Field(default_factory=list, alias="Keywords")
    language_guid: str | None = Field(None, alias="LanguageGUID")
    last_name: str | None = Field(None, alias="LastName")
    salutation: str | None = Field(None, alias="Salutation")
    satisfaction_level: int | None = Field(None, alias="SatisfactionLevel")
    time_zone_guid: str | None = Field(None, alias="TimeZoneGUID")


class Case(_SeveraModel):
    account_guid: str | None = Field(None, alias="AccountGUID")
    account_name: str | None = Field(None, alias="AccountName")
    account_number: int | None = Field(None, alias="AccountNumber")
    billing_address: str | None = Field(None, alias="BillingAddress")
    billing_address_guid: str | None = Field(None, alias="BillingAddressGUID")
    billing_internal_notes: str | None = Field(None, alias="BillingInternalNotes")
    billing_notes_before_grid: str | None = Field(None, alias="BillingNotesBeforeGrid")
    business_unit_guid: str | None = Field(None, alias="BusinessUnitGUID")
    business_unit_name: str | None = Field(None, alias="BusinessUnitName")
    business_unit_number: str | None = Field(None, alias="BusinessUnitNumber")
    case_number: int | None = Field(None, alias="CaseNumber")
    case_owner_user_code: str | None = Field(None, alias="CaseOwnerUserCode")
    case_owner_user_guid: str | None = Field(None, alias="CaseOwnerUserGUID")
    closed_date: UtcDateTime | None = Field(None, alias="ClosedDate")
    completion_estimate: int | None = Field(None, alias="CompletionEstimate")
    contact_guid: str | None = Field(None, alias="ContactGUID")
    cost_center_guid: str | None = Field(None, alias="CostCenterGUID")
    cost_center_number: str | None = Field(None, alias="CostCenterNumber")
    currency_guid: str | None = Field(None, alias="CurrencyGUID")
    currency_shortform: str | None = Field(None, alias="CurrencyShortform")
    current_case_status_description: str | None = Field(None, alias="CurrentCaseStatusDescription")
    current_case_status_guid: str | None = Field(None, alias="CurrentCaseStatusGUID")
    current_case_status_insert_ts: UtcDateTime | None = Field(None, alias="CurrentCaseStatusInsertTs")
    deadline_date: UtcDateTime | None = Field(None, alias="DeadlineDate")
    description: str | None = Field(None, alias="Description")
    expected_value: Decimal | None = Field(None, alias="ExpectedValue")
    guid: str | None = Field(None, alias="GUID")
    include_exceptions: bool = Field(alias="IncludeExceptions")
    include_over_time: bool = Field(alias="IncludeOverTime")
    insert_ts: UtcDateTime = Field(alias="InsertTs")
    internal_name: str | None = Field(None, alias="InternalName")
    invoice_template_guid: str | None = Field(None, alias="InvoiceTemplateGUID")
    is_closed: bool = Field(alias="IsClosed")
    is_daily_allowance_billable: bool = Field(alias="IsDailyAllowanceBillable")
    is_internal: bool = Field(alias="IsInternal")
    is_mileage_billable: bool = Field(alias="IsMileageBillable")
    is_other_travel_expenses_billable: bool = Field(alias="IsOtherTravelExpensesBillable")
    latest_estimation_date: UtcDateTime | None = Field(None, alias="LatestEstimationDate")
    lead_rating: int | None = Field(None, alias="LeadRating")
    lead_source_guid: str | None = Field(None, alias="LeadSourceGUID")
    name: str | None = Field(None, alias="Name")
    order_number: str | None = Field(None, alias="OrderNumber")
    our_reference: str | None = Field(None, alias="OurReference")
    overdue_interest: Decimal | None = Field(None, alias="OverdueInterest")
    payment_term: int | None = Field(None, alias="PaymentTerm")
    pricelist_guid: str | None = Field(None, alias="PricelistGUID")
    pricing_rule: str | None = Field(None, alias="PricingRule")
    pricing_type: str | None = Field(None, alias="PricingType")
    priority: int = Field(alias="Priority")
    probability: int | None = Field(None, alias="Probability")
    root_task_guid: str | None = Field(None, alias="RootTaskGUID")
    sales_close_date: UtcDateTime | None = Field(None, alias="SalesCloseDate")
    sales_person_user_code: str | None = Field(None, alias="SalesPersonUserCode")
    sales_person_user_guid: str | None = Field(None, alias="SalesPersonUserGUID")
    sales_process_guid: str | None = Field(None, alias="SalesProcessGUID")
    sales_status_guid: str | None = Field(None, alias="SalesStatusGUID")
    shared_to_extranet: bool = Field(alias="SharedToExtranet")
    start_date: UtcDateTime = Field(alias="StartDate")
    updated_ts: UtcDateTime | None = Field(None, alias="UpdatedTs")
    url_to_case: str | None = Field(None, alias="UrlToCase")
    use_default_products_in_work_time_entry: bool = Field(alias="UseDefaultProductsInWorkTimeEntry")
    use_default_work_types: bool = Field(alias="UseDefaultWorkTypes")
    your_reference: str | None = Field(None, alias="YourReference")


class BusinessUnit(_SeveraModel):
    code: str | None = Field(None, alias="Code")
    cost_center_guid: str | None = Field(None, alias="CostCenterGUID")
    currency_code: str | None = Field(None, alias="CurrencyCode")
    currency_guid: str | None = Field(None, alias="CurrencyGUID")
    formatting_culture: str | None = Field(None, alias="FormattingCulture")
    guid: str | None = Field(None, alias="GUID")
    insert_ts: UtcDateTime = Field(alias="InsertTS")
    is_active: bool = Field(alias="IsActive")
    language_code: str | None = Field(None, alias="LanguageCode")
    language_guid: str | None = Field(None, alias="LanguageGUID")
    name: str | None = Field(None, alias="Name")
    next_invoice_number: int | None = Field(None, alias="NextInvoiceNumber")
    over_due_interest: Decimal | None = Field(None, alias="OverDueInterest")
    parent_business_unit_guid: str | None = Field(None, alias="ParentBusinessUnitGUID")
    payment_term: int | None = Field(None, alias="PaymentTerm")
    show_logo_on_invoices: bool = Field(alias="ShowLogoOnInvoices")
    show_logo_on_pdf_reports: bool = Field(alias="ShowLogoOnPdfReports")
    time_zone_guid: str | None = Field(None, alias="TimeZoneGUID")
    updated_ts: UtcDateTime | None = Field(None, alias="UpdatedTS")
    vat_number: str | None = Field(None, alias="VatNumber")


class ProductBase(_SeveraModel):
    code: str | None = Field(None, alias="Code")
    description: str | None = Field(None, alias="Description")
    guid: str | None = Field(None, alias="GUID")
    is_active: bool = Field(alias="IsActive")
    measurement_unit: str | None = Field(None, alias="MeasurementUnit")
    name: str | None = Field(None, alias="Name")
    type: str | None = Field(None, alias="Type")
    unit_cost: Decimal | None = Field(None, alias="UnitCost")
    unit_price: Decimal | None = Field(None, alias="UnitPrice")
    use_in_work_time_entry: bool = Field(alias="UseInWorkTimeEntry")
    vat: Decimal | None = Field(None, alias="VAT")


class Product(ProductBase):
    product_category_guid: str | None = Field(None, alias="ProductCategoryGUID")
    sales_account_guid: str | None = Field(None, alias="SalesAccountGUID")


class WorkType(_SeveraModel):
    code: str | None = Field(None, alias="Code")
    guid: str | None = Field(None, alias="GUID")
    is_active: bool = Field(alias="IsActive")
    is_default: bool = Field(alias="IsDefault")
    is_productive: bool = Field(alias="IsProductive")
    name: str | None = Field(None, alias="Name")
    sales_account_guid: str | None = Field(None, alias="SalesAccountGUID")


class InvoiceStatus(_SeveraModel):
    description: str | None = Field(None, alias="Description")
    has_invoice_number: bool = Field(alias="HasInvoiceNumber")
    is_active: bool = Field(alias="IsActive")
    is_default: bool = Field(alias="IsDefault")
    is_paid: bool = Field(alias="IsPaid")
    is_read_only: bool = Field(alias="IsReadOnly")
    is_sent: bool = Field(alias="IsSent")
    is_waiting_payment: bool = Field(alias="IsWaitingPayment")
    name: str | None = Field(None, alias="Name")
    sort_order: int = Field(alias="SortOrder")


class InvoicePostAddress(_SeveraModel):
    country: str | None = Field(None, alias="country")
    country_code: str | None = Field(None, alias="countryCode")
    post_code_identifier: str | None = Field(None, alias="postCodeIdentifier")
    street_name: str | None = Field(None, alias="streetName")
    town_name: str | None = Field(None, alias="townName")


class InvoiceBuyerOrganization(_SeveraModel):
    buyer_contact_person_name: str | None = Field(None, alias="buyerContactPersonName")
    buyer_electronic_invoice_address: str | None = Field(None, alias="buyerElectronicInvoiceAddress")
    buyer_electronic_invoice_operator: str | None = Field(None, alias="buyerElectronicInvoiceOperator")
    buyer_emailaddress_identifier: str | None = Field(None, alias="buyerEmailaddressIdentifier")
    buyer_organisation_name: str | None = Field(None, alias="buyerOrganisationName")
    buyer_organisation_tax_code: str | None = Field(None, alias="buyerOrganisationTaxCode")
    buyer_party_identifier: str | None = Field(None, alias="buyerPartyIdentifier")
    buyer_phone_number_identifier: str | None = Field(None, alias="buyerPhoneNumberIdentifier")
    buyer_postal_address_details: InvoicePostAddress | None = Field(None, alias="buyerPostalAddressDetails")


class InvoiceSellerOrganization(_SeveraModel):
    seller_e_invoice_address: str | None = Field(None, alias="sellerEInvoiceAddress")
    seller_e_invoice_operator: str | None = Field(None, alias="sellerEInvoiceOperator")
    seller_organisation_name: str | None = Field(None, alias="sellerOrganisationName")
    seller_organisation_tax_code: str | None = Field(None, alias="sellerOrganisationTaxCode")
    seller_party_identifier: str | None = Field(None, alias="sellerPartyIdentifier")
    seller_postal_address_details: InvoicePostAddress | None = Field(None, alias="sellerPostalAddressDetails")


class InvoiceBankAccount(_SeveraModel):
    seller_account_id: str | None = Field(None, alias="sellerAccountID")
    seller_bic: str | None = Field(None, alias="sellerBic")


class InvoiceSellerContact(_SeveraModel):
    seller_account_details: SeveraList[InvoiceBankAccount] = Field(default_factory=list, alias="sellerAccountDetails")
    seller_contact_person_name: str | None = Field(None, alias="sellerContactPersonName")
    seller_emailaddress_identifier: str | None = Field(None, alias="sellerEmailaddressIdentifier")
    seller_fax_number: str | None = Field(None, alias="sellerFaxNumber")
    seller_free_text: str | None = Field(None, alias="sellerFreeText")
    seller_home_town_name: str | None = Field(None, alias="sellerHomeTownName")
    seller_phone_number: str | None = Field(None, alias="sellerPhoneNumber")
    seller_webaddress_identifier: str | None = Field(None, alias="sellerWebaddressIdentifier")


class InvoiceDetails(_SeveraModel):
    invoice_date: UtcDateTime = Field(alias="invoiceDate")
    invoice_due_date: UtcDateTime = Field(alias="invoiceDueDate")
    invoice_number: int | None = Field(None, alias="invoiceNumber")
    invoice_total_vat_amount: Decimal = Field(alias="invoiceTotalVatAmount")
    invoice_total_vat_excluded_amount: Decimal = Field(alias="invoiceTotalVatExcludedAmount")
    invoice_total_vat_included_amount: Decimal = Field(alias="invoiceTotalVatIncludedAmount")
    invoice_type_text: str | None = Field(None, alias="invoiceTypeText")
    order_identifier: str | None = Field(None, alias="orderIdentifier")
    origin_code: str | None = Field(None, alias="originCode")
    payment_over_due_fine_free_text: str | None = Field(None, alias="paymentOverDueFineFreeText")
    payment_over_due_fine_percent: Decimal = Field(alias="paymentOverDueFinePercent")
    payment_terms_free_text: str | None = Field(None, alias="paymentTermsFreeText")
    seller_reference_identifier: str | None = Field(None, alias="sellerReferenceIdentifier")
    vat_base_amount: Decimal = Field(alias="vatBaseAmount")
    vat_rate_amount: Decimal = Field(alias="vatRateAmount")
    vat_rate_percent: int = Field(alias="vatRatePercent")


class InvoiceConfig(_SeveraModel):
    bill_expense: str | None = Field(None, alias="BillExpense")
    bill_hour: str | None = Field(None, alias="BillHour")
    bill_product: str | None = Field(None, alias="BillProduct")
    expense_item_description_format: str | None = Field(None, alias="ExpenseItemDescriptionFormat")
    hour_item_description_format: str | None = Field(None, alias="HourItemDescriptionFormat")
    hour_primary_group_by: str | None = Field(None, alias="HourPrimaryGroupBy")
    hour_secondary_group_by: str | None = Field(None, alias="HourSecondaryGroupBy")
    is_tax_free: bool = Field(alias="IsTaxFree")
    product_item_description_format: str | None = Field(None, alias="ProductItemDescriptionFormat")
    product_primary_group_by: str | None = Field(None, alias="ProductPrimaryGroupBy")
    product_secondary_group_by: str | None = Field(None, alias="ProductSecondaryGroupBy")
    show_attach_price_excluding_vat: bool = Field(alias="ShowAttachPriceExcludingVAT")
    show_attach_unit: bool = Field(alias="ShowAttachUnit")
    show_attach_unit_price: bool = Field(alias="ShowAttachUnitPrice")
    show_attach_vat: bool = Field(alias="ShowAttachVAT")
    show_logo_on_invoice: bool = Field(alias="ShowLogoOnInvoice")
    show_price_excluding_vat: bool = Field(alias="ShowPriceExcludingVAT")
    show_quantity: bool = Field(alias="ShowQuantity")
    show_unit: bool = Field(alias="ShowUnit")
    show_unit_price: bool = Field(alias="ShowUnitPrice")
    show_vat: bool = Field(alias="ShowVAT")
    tax_free_description: str | None = Field(None, alias="TaxFreeDescription")
    travel_primary_group_by: str | None = Field(None, alias="TravelPrimaryGroupBy")
    travel_secondary_group_by: str | None = Field(None, alias="TravelSecondaryGroupBy")


class InvoiceRow(_SeveraModel):
    case_guids: StrList = Field(default_factory=list, alias="CaseGUIDs")
    event_date: UtcDateTime = Field(alias="EventDate")
    guid: str | None = Field(None, alias="GUID")
    hour_guids: StrList = Field(default_factory=list, alias="HourGUIDs")
    item_guids: StrList = Field(default_factory=list, alias="ItemGUIDs")
    main_case_guid: str | None = Field(None, alias="MainCaseGUID")
    main_case_name: str | None = Field(None, alias="MainCaseName")
    main_case_number: int | None = Field(None, alias="MainCaseNumber")
    main_user_full_name: str | None = Field(None, alias="MainUserFullName")
    main_user_guid: str | None = Field(None, alias="MainUserGUID")
    phase_guids: StrList = Field(default_factory=list, alias="PhaseGUIDs")
    product_guids: StrList = Field(default_factory=list, alias="ProductGUIDs")
    travel_expense_guids: StrList = Field(default_factory=list, alias="TravelExpenseGUIDs")
    user_guids: StrList = Field(default_factory=list, alias="UserGUIDs")
    article_identifier: str | None = Field(None, alias="articleIdentifier")
    article_name: str | None = Field(None, alias="articleName")
    delivered_quantity: Decimal = Field(alias="deliveredQuantity")
    quantity_unit_code: str | None = Field(None, alias="quantityUnitCode")
    row_account_dimension_text: str | None = Field(None, alias="rowAccountDimensionText")
    row_amount: Decimal = Field(alias="rowAmount")
    row_amount_currency_identifier: str | None = Field(None, alias="rowAmountCurrencyIdentifier")
    row_cost_amount: Decimal = Field(alias="rowCostAmount")
    row_cost_center_guid: str | None = Field(None, alias="rowCostCenterGUID")
    row_cost_center_name: str | None = Field(None, alias="rowCostCenterName")
    row_cost_center_number: str | None = Field(None, alias="rowCostCenterNumber")
    row_delivery_date: UtcDateTime = Field(alias="rowDeliveryDate")
    row_free_text: str | None = Field(None, alias="rowFreeText")
    row_identifier: str | None = Field(None, alias="rowIdentifier")
    row_number: int = Field(alias="rowNumber")
    row_recurring_sales_account_number: str | None = Field(None, alias="rowRecurringSalesAccountNumber")
    row_sales_account_number: str | None = Field(None, alias="rowSalesAccountNumber")
    row_sales_receivable_account_number: str | None = Field(None, alias="rowSalesReceivableAccountNumber")
    row_unit_price: Decimal = Field(alias="rowUnitPrice")
    row_vat_account_number: str | None = Field(None, alias="rowVatAccountNumber")
    row_vat_amount: Decimal = Field(alias="rowVatAmount")
    row_vat_code: str | None = Field(None, alias="rowVatCode")
    row_vat_currency_identifier: str | None = Field(None, alias="rowVatCurrencyIdentifier")
    row_vat_excluded_amount: Decimal = Field(alias="rowVatExcludedAmount")
    row_vat_excluded_currency_identifier: str | None = Field(None, alias="rowVatExcludedCurrencyIdentifier")
    row_vat_rate_percent: Decimal | None = Field(None, alias="rowVatRatePercent")
    unit_price_amount: Decimal = Field(alias="unitPriceAmount")
    unit_price_currency_identifier: str | None = Field(None, alias="unitPriceCurrencyIdentifier")


class Invoice(_SeveraModel):
    account_guid: str | None = Field(None, alias="AccountGUID")
    account_name: str | None = Field(None, alias="AccountName")
    account_number: int | None = Field(None, alias="AccountNumber")
    business_unit_code: str | None = Field(None, alias="BusinessUnitCode")
    business_unit_guid: str | None = Field(None, alias="BusinessUnitGUID")
    business_unit_name: str | None = Field(None, alias="BusinessUnitName")
    buyer_organization: InvoiceBuyerOrganization | None = Field(None, alias="BuyerOrganization")
    culture: str | None = Field(None, alias="Culture")
    currency_guid: str | None = Field(None, alias="CurrencyGUID")
    currency_name: str | None = Field(None, alias="CurrencyName")
    currency_rate: Decimal = Field(alias="CurrencyRate")
    currency_shortform: str | None = Field(None, alias="CurrencyShortform")
    date: UtcDateTime = Field(alias="Date")
    description: str | None = Field(None, alias="Description")
    due_date: UtcDateTime = Field(alias="DueDate")
    entry_date: UtcDateTime = Field(alias="EntryDate")
    guid: str | None = Field(None, alias="GUID")
    invoice_allowed_case_guids: StrList = Field(default_factory=list, alias="InvoiceAllowedCaseGUIDs")
    invoice_config: InvoiceConfig | None = Field(None, alias="InvoiceConfig")
    invoice_details: InvoiceDetails | None = Field(None, alias="InvoiceDetails")
    invoice_numbering_business_unit_guid: str | None = Field(None, alias="InvoiceNumberingBusinessUnitGUID")
    invoice_rows: SeveraList[InvoiceRow] = Field(default_factory=list, alias="InvoiceRows")
    invoice_status: str | None = Field(None, alias="InvoiceStatus")
    is_credit_note: bool = Field(alias="IsCreditNote")
    is_reimbursed: bool = Field(alias="IsReimbursed")
    is_tax_free: bool = Field(alias="IsTaxFree")
    language_code: str | None = Field(None, alias="LanguageCode")
    language_guid: str | None = Field(None, alias="LanguageGUID")
    main_case_guid: str | None = Field(None, alias="MainCaseGUID")
    notes: str | None = Field(None, alias="Notes")
    number: int | None = Field(None, alias="Number")
    order_number: str | None = Field(None, alias="OrderNumber")
    our_reference: str | None = Field(None, alias="OurReference")
    over_due_interest: Decimal = Field(alias="OverDueInterest")
    payment_date: UtcDateTime | None = Field(None, alias="PaymentDate")
    payment_status: str | None = Field(None, alias="PaymentStatus")
    payment_term: int = Field(alias="PaymentTerm")
    po_number: str | None = Field(None, alias="PoNumber")
    receiver_addressline: str | None = Field(None, alias="ReceiverAddressline")
    receiver_city: str | None = Field(None, alias="ReceiverCity")
    receiver_contact_email: str | None = Field(None, alias="ReceiverContactEmail")
    receiver_contact_name: str | None = Field(None, alias="ReceiverContactName")
    receiver_country: str | None = Field(None, alias="ReceiverCountry")
    receiver_customer_name: str | None = Field(None, alias="ReceiverCustomerName")
    receiver_postal_code: str | None = Field(None, alias="ReceiverPostalCode")
    receiver_state: str | None = Field(None, alias="ReceiverState")
    receiver_vat_number: str | None = Field(None, alias="ReceiverVatNumber")
    reference_number: str | None = Field(None, alias="ReferenceNumber")
    reimburse_invoice_guid: str | None = Field(None, alias="ReimburseInvoiceGUID")
    seller_contact: InvoiceSellerContact | None = Field(None, alias="SellerContact")
    seller_organization: InvoiceSellerOrganization | None = Field(None, alias="SellerOrganization")
    sender_addressline: str | None = Field(None, alias="SenderAddressline")
    sender_city: str | None = Field(None, alias="SenderCity")
    sender_contact_name: str | None = Field(None, alias="SenderContactName")
    sender_country: str | None = Field(None, alias="SenderCountry")
    sender_name: str | None = Field(None, alias="SenderName")
    sender_postal_code: str | None = Field(None, alias="SenderPostalCode")
    sender_state: str | None = Field(None, alias="SenderState")
    sender_vat_number: str | None = Field(None, alias="SenderVatNumber")
    tax_free_description: str | None = Field(None, alias="TaxFreeDescription")
    title: str | None = Field(None, alias="Title")
    virtual_bank_barcode: str | None = Field(None, alias="VirtualBankBarcode")
    your_reference: str | None = Field(None, alias="YourReference")
    notes_after_invoice_rows: str | None = Field(None, alias="NotesAfterInvoiceRows")
    notes_before_invoice_rows: str | None = Field(None, alias="NotesBeforeInvoiceRows")


class InvoiceKey(_SeveraModel):
    """The members of an invoice a run sorts, picks and matches invoices by (``stubs.py``)."""

    entry_date: UtcDateTime = Field(alias="EntryDate")
    guid: str | None = Field(None, alias="GUID")
    invoice_status: str | None = Field(None, alias="InvoiceStatus")
    number: int | None = Field(None, alias="Number")
    reference_number: str | None = Field(None, alias="ReferenceNumber")


class InvoiceFile(_SeveraModel):
    guid: str | None = Field(None, alias="GUID")
    mime_type: str | None = Field(None, alias="MIMEtype")
    name: str | None = Field(None, alias="Name")
    print_order: int = Field(alias="PrintOrder")


class HourEntry(_SeveraModel):
    account_guid: str | None = Field(None, alias="AccountGUID")
    case_guid: str | None = Field(None, alias="CaseGUID")
    description: str | None = Field(None, alias="Description")
    end_time: UtcDateTime | None = Field(None, alias="EndTime")
    event_date: UtcDateTime = Field(alias="EventDate")
    guid: str | None = Field(None, alias="GUID")
    invoice_description: str | None = Field(None, alias="InvoiceDescription")
    invoice_guid: str | None = Field(None, alias="InvoiceGUID")
    invoice_quantity: Decimal | None = Field(None, alias="InvoiceQuantity")
    invoice_row_guid: str | None = Field(None, alias="InvoiceRowGUID")
    is_approved: bool | None = Field(None, alias="IsApproved")
    is_billable: bool = Field(alias="IsBillable")
    is_productive: bool | None = Field(None, alias="IsProductive")
    is_read_only: bool = Field(alias="IsReadOnly")
    over_time_guid: str | None = Field(None, alias="OverTimeGUID")
    phase_guid: str | None = Field(None, alias="PhaseGUID")
    quantity: Decimal = Field(alias="Quantity")
    start_time: UtcDateTime | None = Field(None, alias="StartTime")
    task_guid: str | None = Field(None, alias="TaskGUID")
    unit_cost: Decimal = Field(alias="UnitCost")
    unit_price: Decimal = Field(alias="UnitPrice")
    unit_price_in_base_currency: Decimal = Field(alias="UnitPriceInBaseCurrency")
    user_guid: str | None = Field(None, alias="UserGUID")
    work_type_guid: str | None = Field(None, alias="WorkTypeGUID")


class User(_SeveraModel):
    addressline: str | None = Field(None, alias="Addressline")
    bank_account_number: str | None = Field(None, alias="BankAccountNumber")
    business_unit_code: str | None = Field(None, alias="BusinessUnitCode")
    business_unit_guid: str | None = Field(None, alias="BusinessUnitGUID")
    business_unit_name: str | None = Field(None, alias="BusinessUnitName")
    code: str | None = Field(None, alias="Code")
    country_code: str | None = Field(None, alias="CountryCode")
    country_guid: str | None = Field(None, alias="CountryGUID")
    country_region_guid: str | None = Field(None, alias="CountryRegionGUID")
    country_region_name: str | None = Field(None, alias="CountryRegionName")
    culture: str | None = Field(None, alias="Culture")
    default_activity_type_guid: str | None = Field(None, alias="DefaultActivityTypeGUID")
    email: str | None = Field(None, alias="Email")
    first_name: str | None = Field(None, alias="FirstName")
    guid: str | None = Field(None, alias="GUID")
    is_active: bool = Field(alias="IsActive")
    language_code: str | None = Field(None, alias="LanguageCode")
    language_guid: str | None = Field(None, alias="LanguageGUID")
    last_name: str | None = Field(None, alias="LastName")
    notes: str | None = Field(None, alias="Notes")
    organization_guid: str | None = Field(None, alias="OrganizationGUID")
    phone: str | None = Field(None, alias="Phone")
    photo_file_guid: str | None = Field(None, alias="PhotoFileGUID")
    post_office: str | None = Field(None, alias="PostOffice")
    postal_code: str | None = Field(None, alias="PostalCode")
    profile_guid: str | None = Field(None, alias="ProfileGUID")
    salutation: str | None = Field(None, alias="Salutation")
    send_daily_mail: bool = Field(alias="SendDailyMail")
    send_weekly_mail: bool = Field(alias="SendWeeklyMail")
    social_security_number: str | None = Field(None, alias="SocialSecurityNumber", repr=False)
    superior_user_guid: str | None = Field(None, alias="SuperiorUserGUID")
    timezone_guid: str | None = Field(None, alias="TimezoneGUID")
    title: str | None = Field(None, alias="Title")
    worktype_guid: str | None = Field(None, alias="WorktypeGUID")


class Currency(_SeveraModel):
    guid: str | None = Field(None, alias="GUID")
    is_active: bool = Field(alias="IsActive")
    iso_code: str | None = Field(None, alias="IsoCode")
    rate: Decimal = Field(alias="Rate")
    symbol: str | None = Field(None, alias="Symbol")


class CustomerDetails(_SeveraModel):
    """A customer with its addresses and contacts (what the customers transfer sends on)."""

    customer: Customer
    addresses: list[Address] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)

    @property
    def billing_address(self) -> Address | None:
        """The first billing address, else the head office address, else any address."""
        for address in self.addresses:
            if address.is_billing_address:
                return address
        head_office = self.customer.head_office_address_guid
        return next((a for a in self.addresses if a.guid == head_office), self.addresses[0] if self.addresses else None)


class QuotaStatus(_SeveraModel):
    """The ``Quota`` / ``UsedQuota`` headers of the latest response (None until one was seen)."""

    quota: int | None = None
    used: int | None = None

    @property
    def remaining(self) -> int | None:
        return None if self.quota is None or self.used is None else max(self.quota - self.used, 0)
