"""The resources: each takes the request and the company's state and returns Netvisor's answer."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from sandbox.netvisor import render
from sandbox.netvisor.render import comma, fi_date, fi_datetime, sub
from sandbox.netvisor.rules import FINNISH_RATES, ZERO_RATED_CODES
from sandbox.netvisor.state import (
    AttachmentRecord,
    CompanyState,
    CustomerRecord,
    DimensionItemRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    PaymentRecord,
    ProductRecord,
    WorkdayRecord,
    default_due_date,
    finnish_reference,
)
from sandbox.netvisor.validate import InvalidData, data_form_incorrect, parse_body, validate

INVOICE_PAGE_SIZE = 500
ID_LIST_LIMIT = {"getcustomer.nv": 500, "getproduct.nv": 400, "getsalesinvoice.nv": 500}
INVOICE_STATUSES = ("open", "paid", "unsent", "overdue", "reminded", "requested", "collected", "creditloss")
STATUS_TEXT = {
    "EN": {"open": "Open", "paid": "Paid", "unsent": "Unsent", "overdue": "Overdue", "creditloss": "Credit loss"},
    "FI": {"open": "Avoin", "paid": "Maksettu", "unsent": "Lähettämätön", "overdue": "Erääntynyt"},
}
WORKDAY_LOCKED = (
    "Data form incorrect:. Working time data cannot be imported. "
    "Hours on this date have already been acknowledged or approved"
)


@dataclass
class Request:
    resource: str
    method: str
    params: dict[str, str]
    body: bytes
    state: CompanyState
    now: datetime
    language: str
    base_url: str

    def tree(self) -> etree._Element:
        root = parse_body(self.body)
        validate(self.resource, root)
        return root

    def param(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value not in (None, "") else None


Handler = Callable[[Request], bytes]


# ---------------------------------------------------------------- helpers


def _text(element: etree._Element | None, *path: str) -> str:
    for name in path:
        if element is None:
            return ""
        element = element.find(name)
    return "" if element is None else (element.text or "")


def _decimal(text: str, where: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise data_form_incorrect(f"'{where}' is not a number: {text}") from None


def _date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise data_form_incorrect(f"'{where}' is not a date in format YYYY-MM-DD: {text}") from None


def _param_datetime(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise data_form_incorrect(f"Parameter '{name}' is not a date time (yyyy-MM-ddTHH:mm:ss): {value}") from None


def _id_list(request: Request, name: str) -> list[int]:
    raw = request.param(name) or ""
    try:
        keys = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise data_form_incorrect(f"Parameter '{name}' must list numbers separated by commas") from None
    limit = ID_LIST_LIMIT.get(request.resource, 500)
    if len(keys) > limit:
        raise InvalidData(f"Too many identifiers in '{name}': at most {limit}", code="INVALID_DATA_SIZE")
    return keys


def _leaves(element: etree._Element | None, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every leaf below ``element`` by tag (the request's element names are unique per resource)."""
    found: dict[str, str] = {}
    if element is None:
        return found
    for item in element.iter():
        if item is element or len(item) or item.tag in skip:
            continue
        if any(ancestor.tag in skip for ancestor in item.iterancestors()):
            continue
        found[str(item.tag)] = item.text or ""
    return found


def _dimensions(
    state: CompanyState, parent: etree._Element | None, *, create_items: bool, create_headers: bool = False
) -> list[tuple[str, str]]:
    refs: list[tuple[str, str]] = []
    for dim in parent.findall("dimension") if parent is not None else []:
        name, item = _text(dim, "dimensionname"), _text(dim, "dimensionitem")
        header = state.dimension(name)
        if header is None and create_headers:
            header = state.add_dimension_name(name)
        if header is None:
            raise data_form_incorrect(f"Dimension name not found: {name}")
        if header.item(item) is None:
            if not create_items:
                raise data_form_incorrect(f"Dimension item '{item}' not found under dimension '{name}'")
            state.add_dimension_item(name, item)
        refs.append((header.name, item))
    return refs


def _key_param(request: Request, name: str = "id") -> int:
    value = request.param(name)
    if value is None or not value.strip().isdigit():
        raise data_form_incorrect(f"Parameter '{name}' is missing or not a number")
    return int(value)


def _method(request: Request) -> str:
    method = (request.param("method") or "").lower()
    if method not in ("add", "edit"):
        raise data_form_incorrect("Parameter 'method' must be add or edit")
    return method


# ---------------------------------------------------------------- customers


_CUSTOMER_BASE_OUT = [
    ("internalidentifier", "InternalIdentifier"),
    ("externalidentifier", "ExternalIdentifier"),
    ("organizationunitnumber", "OrganizationUnitNumber"),
    ("customergroupname", "CustomerGroupName"),
    ("name", "Name"),
    ("nameextension", "NameExtension"),
    ("streetaddress", "StreetAddress"),
    ("additionaladdressline", "AdditionalStreetAddress"),
    ("city", "City"),
    ("postnumber", "PostNumber"),
    ("country", "Country"),
    ("phonenumber", "PhoneNumber"),
    ("faxnumber", "FaxNumber"),
    ("email", "Email"),
    ("emailinvoicingaddress", "EmailInvoicingAddress"),
    ("homepageuri", "HomePageUri"),
    ("isactive", "IsActive"),
    ("isprivatecustomer", "IsPrivateCustomer"),
]
_CUSTOMER_GROUPS_OUT = [
    ("CustomerFinvoiceDetails", [("finvoiceaddress", "FinvoiceAddress"), ("finvoiceroutercode", "FinvoiceRouterCode")]),
    (
        "CustomerDeliveryDetails",
        [
            ("deliveryname", "DeliveryName"),
            ("deliverystreetaddress", "DeliveryStreetAddress"),
            ("deliverycity", "DeliveryCity"),
            ("deliverypostnumber", "DeliveryPostNumber"),
            ("deliverycountry", "DeliveryCountry"),
        ],
    ),
    (
        "CustomerContactDetails",
        [
            ("contactperson", "ContactPerson"),
            ("contactpersonemail", "ContactPersonEmail"),
            ("contactpersonphone", "ContactPersonPhone"),
        ],
    ),
    (
        "CustomerAdditionalInformation",
        [
            ("comment", "Comment"),
            ("customerreferencenumber", "ReferenceNumber"),
            ("yourdefaultreference", "YourDefaultReference"),
            ("defaulttextbeforeinvoicelines", "DefaultTextBeforeInvoiceLines"),
            ("defaulttextafterinvoicelines", "DefaultTextAfterInvoiceLines"),
        ],
    ),
]


def _check_einvoicing(state: CompanyState, fields: dict[str, str]) -> None:
    """customer.nv (77000554181): the e-invoice address itself is not checked, but "the operator must
    be found in the system"; ``organizationunitnumber`` is the buyer's OVT/unit number (Finvoice
    BuyerOrganisationUnitNumber), "max 17", and must not hold the customer's e-invoice address
    (the Finnish page: "Kenttään ei pidä laittaa asiakkaan verkkolaskuosoitetta"): digits only."""
    operator = fields.get("finvoiceroutercode", "").strip()
    if operator and operator.upper() not in state.einvoice_operators:
        raise data_form_incorrect(f"E-invoice operator not found: {operator}")
    unit = fields.get("organizationunitnumber", "").strip()
    if unit and not (unit.isdigit() and 12 <= len(unit) <= 17):
        raise data_form_incorrect(f"Organization unit number must be 12-17 digits: {unit}")


def customer(request: Request) -> bytes:
    method = _method(request)
    body = request.tree().find("customer")
    state = request.state
    fields = _leaves(body, skip=("customerdimensiondetails",))
    _check_einvoicing(state, fields)
    # customer.nv creates unknown dimension headers and items unless useonlyexistingdimensions=1
    # ("Prevents automatic creation of new cost object headers and cost objects", 77000554181).
    existing_only = request.param("useonlyexistingdimensions") == "1"
    dimensions = _dimensions(state, body.find("customerdimensiondetails") if body is not None else None,
                             create_items=not existing_only, create_headers=not existing_only)  # fmt: skip
    with state.lock:
        if method == "add":
            if not fields.get("name", "").strip():
                raise data_form_incorrect("Compulsory element 'name' is missing")
            code = fields.get("internalidentifier", "")
            if code and state.customer_by("customer", code) is not None:
                raise InvalidData(f"Customer code already exists: {code}", code="DUPLICATE_DATA")
            key = state.new_key()
            state.customers[key] = CustomerRecord(key, fields, dimensions, request.now)
            return render.ok_document(request.now, inserted_key=key)
        key = _key_param(request)
        record = state.customers.get(key)
        if record is None:
            raise data_form_incorrect(f"Customer not found with Netvisor identifier: {key}")
        record.fields.update(fields)  # an empty element blanks the value, as in Netvisor
        if dimensions:
            record.dimensions = dimensions
        record.changed_at = request.now
        return render.ok_document(request.now)


def customer_list(request: Request) -> bytes:
    keyword = request.param("keyword")
    changed_since = _param_datetime(request.param("changedsince"), "changedsince")
    codes = [c for c in (request.param("customercodelist") or "").split(",") if c]
    if len(codes) > 100:
        raise InvalidData("Too many customer codes: at most 100", code="INVALID_DATA_SIZE")
    listing = etree.Element("Customerlist")
    with request.state.lock:
        for record in sorted(request.state.customers.values(), key=lambda c: c.key):
            if keyword is not None:
                haystack = [record.name, record.code, record.business_id, record.fields.get("nameextension", "")]
                if not any(keyword.lower() in value.lower() for value in haystack):
                    continue
            elif changed_since is not None and record.changed_at < changed_since:
                continue
            if codes and record.code not in codes:
                continue
            item = sub(listing, "Customer")
            sub(item, "Netvisorkey", str(record.key))
            sub(item, "Name", record.name)
            sub(item, "Code", record.code)
            sub(item, "OrganisationIdentifier", record.business_id)
            sub(item, "CustomerGroupID", "1")
            sub(item, "CustomerGroupName", record.fields.get("customergroupname", ""))
            sub(item, "Uri", f"{request.base_url}/getcustomer.nv?id={record.key}")
    return render.ok_document(request.now, listing)


def _customer_element(record: CustomerRecord) -> etree._Element:
    element = etree.Element("Customer")
    base = sub(element, "CustomerBaseInformation")
    sub(base, "NetvisorKey", str(record.key))
    for field_name, tag in _CUSTOMER_BASE_OUT:
        if tag == "Country":
            sub(base, tag, record.fields.get(field_name, ""), type="ISO-3166")
        else:
            sub(base, tag, record.fields.get(field_name, ""))
    for group_tag, members in _CUSTOMER_GROUPS_OUT:
        group = sub(element, group_tag)
        for field_name, tag in members:
            sub(group, tag, record.fields.get(field_name, ""))
    return element


def get_customer(request: Request) -> bytes:
    state = request.state
    with state.lock:
        if request.param("idlist") is not None:
            wrapper = etree.Element("Customers")
            for key in _id_list(request, "idlist"):
                record = state.customers.get(key)
                if record is not None:
                    wrapper.append(_customer_element(record))
            return render.ok_document(request.now, wrapper)
        key = _key_param(request)
        record = state.customers.get(key)
        if record is None:
            raise data_form_incorrect(f"Customer not found with Netvisor identifier: {key}")
        return render.ok_document(request.now, _customer_element(record))


# ---------------------------------------------------------------- products


def product(request: Request) -> bytes:
    method = _method(request)
    body = request.tree().find("product")
    fields = _leaves(body, skip=("dimension",))
    price = body.find("productbaseinformation/unitprice") if body is not None else None
    price_type = price.get("type", "net") if price is not None else "net"
    for name in ("unitprice", "purchaseprice", "defaultvatpercentage"):
        if fields.get(name):
            _decimal(fields[name], name)
    state = request.state
    with state.lock:
        if method == "add":
            code = fields.get("productcode", "")
            if code and state.product_by("customer", code) is not None:
                raise InvalidData(f"Product code already exists: {code}", code="DUPLICATE_DATA")
            key = state.new_key()
            state.products[key] = ProductRecord(key, fields, price_type, request.now)
            return render.ok_document(request.now, inserted_key=key)
        key = _key_param(request)
        record = state.products.get(key)
        if record is None:
            raise data_form_incorrect(f"Product not found with Netvisor identifier: {key}")
        record.fields.update(fields)
        record.price_type = price_type
        record.changed_at = request.now
        return render.ok_document(request.now)


def product_list(request: Request) -> bytes:
    keyword = request.param("keyword")
    changed_since = _param_datetime(request.param("changedsince"), "changedsince")
    listing = etree.Element("ProductList")
    with request.state.lock:
        for record in sorted(request.state.products.values(), key=lambda p: p.key):
            if keyword is not None and not any(
                keyword.lower() in value.lower() for value in (record.name, record.code)
            ):
                continue
            if changed_since is not None and record.changed_at < changed_since:
                continue
            item = sub(listing, "Product")
            sub(item, "NetvisorKey", str(record.key))
            sub(item, "ProductCode", record.code)
            sub(item, "Name", record.name)
            sub(item, "UnitPrice", comma(_decimal(record.fields.get("unitprice", "0"), "unitprice")))
            sub(item, "ProductGroupDescription", record.fields.get("productgroup", ""))
            sub(item, "Uri", f"{request.base_url}/getproduct.nv?id={record.key}")
    return render.ok_document(request.now, listing)


def _product_element(record: ProductRecord) -> etree._Element:
    element = etree.Element("Product")
    base = sub(element, "ProductBaseInformation")
    sub(base, "NetvisorKey", str(record.key))
    f = record.fields
    sub(base, "ProductCode", f.get("productcode", ""))
    sub(base, "ProductGroup", f.get("productgroup", ""))
    sub(base, "Name", f.get("name", ""))
    sub(base, "Description", f.get("description", ""))
    price = _decimal(f.get("unitprice", "0"), "unitprice")
    sub(base, "UnitPrice", comma(price, 4), type="brutto" if record.price_type == "gross" else "netto")
    sub(base, "Unit", f.get("unit", ""))
    sub(base, "PurchasePrice", f.get("purchaseprice", ""))
    sub(base, "IsActive", f.get("isactive", "1"))
    sub(base, "IsSalesProduct", f.get("issalesproduct", "1"))
    books = sub(element, "ProductBookkeepingDetails")
    sub(books, "DefaultVatPercent", f.get("defaultvatpercentage", "0"))
    return element


def get_product(request: Request) -> bytes:
    state = request.state
    with state.lock:
        if request.param("idlist") is not None:
            wrapper = etree.Element("Products")
            for key in _id_list(request, "idlist"):
                record = state.products.get(key)
                if record is not None:
                    wrapper.append(_product_element(record))
            return render.ok_document(request.now, wrapper)
        record = state.products.get(_key_param(request))
        # Not found is OK with an empty <Product></Product> (reference GetProductNotFound.xml).
        element = _product_element(record) if record else etree.Element("Product")
        if record is None:
            element.text = ""
        return render.ok_document(request.now, element)


# ---------------------------------------------------------------- sales invoices


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _invoice_line(state: CompanyState, line: etree._Element, index: int) -> InvoiceLineRecord:
    where = f"invoiceline {index}"
    identifier = line.find("productidentifier")
    assert identifier is not None  # validated
    kind = identifier.get("type", "")
    product_record = state.product_by(kind, identifier.text or "")
    if product_record is None:
        raise data_form_incorrect(f"Product not found with identifier ({kind}): {identifier.text}")
    vat = line.find("productvatpercentage")
    assert vat is not None
    vat_code = vat.get("vatcode", "")  # checked against the known codes by validate()
    price_element = line.find("productunitprice")
    assert price_element is not None
    unit_price = _decimal(price_element.text or "", f"{where}/productunitprice")
    vat_percentage = _decimal(vat.text or "", f"{where}/productvatpercentage")
    quantity = _decimal(_text(line, "salesinvoiceproductlinequantity"), f"{where}/quantity")
    discount_text = _text(line, "salesinvoiceproductlinediscountpercentage")
    discount = _decimal(discount_text, f"{where}/discount") if discount_text.strip() else Decimal(0)
    _check_vat_code(vat_code, vat_percentage, where)
    account = _text(line, "accountingaccountsuggestion").strip()
    if account and not account.isdigit():
        # Netvisor's account suggestion is an account number (product data import 77000498445:
        # "only account number, e.g. 3000").
        raise data_form_incorrect(f"Account suggestion '{account}' in {where} is not an account number")
    given_vat, given_sum = _text(line, "salesinvoiceproductlinevatsum"), _text(line, "salesinvoiceproductlinesum")
    if given_vat.strip() and given_sum.strip():
        vat_sum, line_sum = _decimal(given_vat, f"{where}/vatsum"), _decimal(given_sum, f"{where}/sum")
    else:
        # Netvisor rounds line sums to 2 decimals when they are not both given.
        base = unit_price * quantity * (1 - discount / 100)
        if price_element.get("type") == "gross":
            line_sum = _round(base)
            vat_sum = _round(line_sum - line_sum / (1 + vat_percentage / 100))
        else:
            vat_sum = _round(base * vat_percentage / 100)
            line_sum = _round(base) + vat_sum
    return InvoiceLineRecord(
        product_key=product_record.key,
        product_code=product_record.code,
        product_identifier=identifier.text or "",
        product_identifier_type=kind,
        name=_text(line, "productname"),
        unit_price=unit_price,
        price_type=price_element.get("type", "net"),
        vat_percentage=vat_percentage,
        vat_code=vat_code,
        quantity=quantity,
        discount_percentage=discount,
        free_text=_text(line, "salesinvoiceproductlinefreetext"),
        vat_sum=vat_sum,
        line_sum=line_sum,
        account_suggestion=_text(line, "accountingaccountsuggestion"),
        dimensions=_dimensions(state, line, create_items=False),
    )


def _check_vat_code(vat_code: str, percentage: Decimal, where: str) -> None:
    """The line's VAT percentage must fit its code: a zero-rated or reverse-charge code carries 0 %
    (the seller charges no VAT: Tax Administration, "Laskutusvaatimukset arvonlisäverotuksessa" 6.1.12),
    a domestic sale one of Finland's rates (rules.FINNISH_RATES)."""
    if vat_code in ZERO_RATED_CODES and percentage != 0:
        raise data_form_incorrect(f"VAT code {vat_code} does not allow VAT {comma(percentage, 1)} % in {where}")
    if vat_code == "KOMY" and f"{percentage.normalize():f}" not in FINNISH_RATES:
        raise data_form_incorrect(f"VAT percentage {comma(percentage, 1)} is not a Finnish VAT rate in {where}")


def _check_credit_note_signs(lines: list[InvoiceLineRecord], amount: Decimal) -> None:
    """salesinvoice.nv (77000554152): a credit note has a negative quantity and total, a positive unit
    price, and negative line VAT sums and line sums when they are given."""
    if amount >= 0:
        return
    for index, line in enumerate(lines, start=1):
        if line.unit_price < 0:
            raise data_form_incorrect(f"Credit note line {index}: the unit price must be positive")
        if line.quantity != 0 and line.line_sum != 0 and (line.quantity < 0) != (line.line_sum < 0):
            raise data_form_incorrect(
                f"Credit note line {index}: the line sum {comma(line.line_sum)} and the quantity "
                f"{comma(line.quantity)} must have the same sign"
            )
    if all(line.quantity >= 0 for line in lines):
        raise data_form_incorrect("A credit note needs negative quantities")


def _attachments(body: etree._Element) -> list[AttachmentRecord]:
    found = []
    for item in body.findall("salesinvoiceattachments/salesinvoiceattachment"):
        data = _text(item, "documentdata").strip()
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise data_form_incorrect(f"Attachment '{_text(item, 'filename')}' is not valid Base64") from None
        document = item.find("documentdata")
        found.append(
            AttachmentRecord(
                mime_type=_text(item, "mimetype"),
                description=_text(item, "attachmentdescription"),
                filename=_text(item, "filename"),
                data_base64=data,
                document_type=document.get("type", "") if document is not None else "",
            )
        )
    return found


_INVOICE_TOP_LEVEL = (
    "salesinvoicefreetextbeforelines", "salesinvoicefreetextafterlines", "salesinvoiceourreference",
    "salesinvoiceyourreference", "salesinvoiceprivatecomment", "invoicingcustomername",
    "invoicingcustomernameextension", "invoicingcustomeraddressline", "invoicingcustomeradditionaladdressline",
    "invoicingcustomerpostnumber", "invoicingcustomertown", "invoicingcustomercountrycode", "sellername",
    "salesinvoiceeventdate", "salesinvoicevaluedate", "salesinvoicedeliverydate", "paymenttermnetdays",
    "ordernumber",
)  # fmt: skip


def _invoice_number(state: CompanyState, given: str, existing: InvoiceRecord | None) -> str:
    """The number given (refused when another invoice has it), or the next free one on an add."""
    number = given
    if existing is not None:
        number = number or existing.number
    elif number:
        if state.invoice_by_number(number) is not None:
            raise InvalidData(f"Invoice number already exists: {number}", code="DUPLICATE_DATA")
    else:
        number = str(state.next_invoice_number)
        state.next_invoice_number += 1
    if number.isdigit():
        state.next_invoice_number = max(state.next_invoice_number, int(number) + 1)
    return number


def _build_invoice(request: Request, body: etree._Element, key: int, existing: InvoiceRecord | None) -> InvoiceRecord:
    state = request.state
    identifier = body.find("invoicingcustomeridentifier")
    assert identifier is not None
    kind = identifier.get("type", "")
    customer_record = state.customer_by(kind, identifier.text or "")
    if customer_record is None:
        raise data_form_incorrect(f"Customer not found with identifier ({kind}): {identifier.text}")
    status = _text(body, "salesinvoicestatus").strip().lower()
    if status not in ("open", "unsent", "delivered", "undelivered"):
        raise data_form_incorrect(f"Unknown invoice status: {status}")
    invoice_date = _date(_text(body, "salesinvoicedate"), "salesinvoicedate")
    for optional in ("salesinvoiceeventdate", "salesinvoicevaluedate", "salesinvoicedeliverydate"):
        if _text(body, optional).strip():
            _date(_text(body, optional), optional)
    amount_element = body.find("salesinvoiceamount")
    assert amount_element is not None
    amount = _decimal(amount_element.text or "", "salesinvoiceamount")
    due_text, net_days = _text(body, "salesinvoiceduedate"), _text(body, "paymenttermnetdays")
    if due_text.strip():
        due_date = _date(due_text, "salesinvoiceduedate")
    elif net_days.strip().isdigit():
        due_date = default_due_date(invoice_date, int(net_days))
    else:
        raise data_form_incorrect("Either paymenttermnetdays or salesinvoiceduedate is required")
    lines: list[InvoiceLineRecord] = []
    comments: list[str] = []
    for index, line in enumerate(body.findall("invoicelines/invoiceline"), start=1):
        product_line = line.find("salesinvoiceproductline")
        if product_line is not None:
            lines.append(_invoice_line(state, product_line, index))
        else:
            comments.append(_text(line, "salesinvoicecommentline", "comment"))
    if not lines:
        raise data_form_incorrect("An invoice needs at least one product line")
    _check_credit_note_signs(lines, amount)
    number = _invoice_number(state, _text(body, "salesinvoicenumber").strip(), existing)
    fields = {name: _text(body, name) for name in _INVOICE_TOP_LEVEL if body.find(name) is not None}
    if not fields.get("invoicingcustomername"):
        fields["invoicingcustomername"] = customer_record.name  # copied from the customer register
    paid = (existing.amount - existing.open_sum) if existing else Decimal(0)
    return InvoiceRecord(
        key=key,
        number=number,
        invoice_date=invoice_date,
        due_date=due_date,
        status=existing.status if existing and existing.status == "paid" else status,
        amount=amount,
        open_sum=amount - paid,
        currency=amount_element.get("iso4217currencycode", "EUR"),
        customer_key=customer_record.key,
        reference_number=_text(body, "salesinvoicereferencenumber").strip()
        or finnish_reference(int(number) if number.isdigit() else key),
        fields=fields,
        lines=lines,
        comments=comments,
        attachments=_attachments(body),
        last_modified=request.now,
        expect_partial_payments=_text(body, "expectpartialpayments").strip() == "1",
    )


def sales_invoice(request: Request) -> bytes:
    method = _method(request)
    body = request.tree().find("salesinvoice")
    assert body is not None
    state = request.state
    with state.lock:
        if method == "add":
            key = state.new_key()
            state.invoices[key] = _build_invoice(request, body, key, None)
            return render.ok_document(request.now, inserted_key=key)
        key = _key_param(request)
        existing = state.invoices.get(key)
        if existing is None:
            raise data_form_incorrect(f"Sales invoice not found with Netvisor identifier: {key}")
        state.invoices[key] = _build_invoice(request, body, key, existing)
        return render.ok_document(request.now)


def _list_status(state: CompanyState, invoice: InvoiceRecord, today: date) -> tuple[str, str]:
    if state.overdue(invoice, today):
        return "open", "overdue"
    return invoice.status, ""


@dataclass(frozen=True)
class _ListFilter:
    """salesinvoicelist.nv's filters (77000466914), each None when not given."""

    status: str | None
    modified_from: datetime | None
    modified_to: datetime | None
    above: int | None
    begin: date | None
    finish: date | None
    number: str | None
    customer_code: str | None

    @classmethod
    def of(cls, request: Request) -> _ListFilter:
        wanted = request.param("invoicestatus")
        if wanted is not None and wanted not in (*INVOICE_STATUSES, "rejected"):
            raise data_form_incorrect(f"Unknown invoicestatus: {wanted}")
        above, begin, finish = (
            request.param(n) for n in ("invoicesabovenetvisorkey", "begininvoicedate", "endinvoicedate")
        )
        return cls(
            wanted,
            _param_datetime(request.param("lastmodifiedstart"), "lastmodifiedstart"),
            _param_datetime(request.param("lastmodifiedend"), "lastmodifiedend"),
            int(above) if above is not None else None,
            _date(begin, "begininvoicedate") if begin is not None else None,
            _date(finish, "endinvoicedate") if finish is not None else None,
            request.param("invoicenumber"),
            request.param("customercode"),
        )

    def keeps(self, invoice: InvoiceRecord, statuses: tuple[str, str], code: str) -> bool:
        checks = (
            self.status is None or self.status in statuses,
            self.modified_from is None or invoice.last_modified >= self.modified_from,
            self.modified_to is None or invoice.last_modified <= self.modified_to,
            self.above is None or invoice.key > self.above,
            self.begin is None or invoice.invoice_date >= self.begin,
            self.finish is None or invoice.invoice_date <= self.finish,
            self.number is None or invoice.number == self.number,
            self.customer_code is None or code == self.customer_code,
        )
        return all(checks)


def _list_item(
    listing: etree._Element, request: Request, invoice: InvoiceRecord, statuses: tuple[str, str], code: str
) -> None:
    status, substatus = statuses
    item = sub(listing, "SalesInvoice")
    sub(item, "NetvisorKey", str(invoice.key))
    sub(item, "InvoiceNumber", invoice.number)
    sub(item, "Invoicedate", invoice.invoice_date.isoformat(), format="ansi")
    sub(item, "InvoiceDueDate", invoice.due_date.isoformat(), format="ansi")
    if substatus:
        sub(item, "InvoiceStatus", status, substatus=substatus)
    else:
        sub(item, "InvoiceStatus", status)
    sub(item, "CustomerCode", code)
    sub(item, "CustomerName", invoice.fields.get("invoicingcustomername", ""))
    sub(item, "ReferenceNumber", invoice.reference_number)
    sub(item, "InvoiceSum", comma(invoice.amount))
    sub(item, "OpenSum", comma(invoice.open_sum))
    sub(item, "Uri", f"{request.base_url}/getsalesinvoice.nv?netvisorkey={invoice.key}")


def sales_invoice_list(request: Request) -> bytes:
    state = request.state
    wanted = _ListFilter.of(request)
    listing = etree.Element("SalesInvoiceList")
    if request.param("listtype") == "preinvoice":
        return render.ok_document(request.now, listing)  # orders are not simulated
    today = request.now.date()
    count = 0
    with state.lock:
        for invoice in sorted(state.invoices.values(), key=lambda i: i.key):
            statuses = _list_status(state, invoice, today)
            customer_record = state.customers.get(invoice.customer_key)
            code = customer_record.code if customer_record else ""
            if not wanted.keeps(invoice, statuses, code):
                continue
            _list_item(listing, request, invoice, statuses, code)
            count += 1
            if count >= INVOICE_PAGE_SIZE:  # at most 500 a page (reference API.md §3.4)
                break
    return render.ok_document(request.now, listing)


def _invoice_lines(lines: etree._Element, request: Request, invoice: InvoiceRecord) -> None:
    holder = sub(lines, "InvoiceLine")  # several product lines in one InvoiceLine, as Netvisor answers
    for line in invoice.lines:
        item = sub(holder, "SalesInvoiceProductLine")
        sub(item, "productidentifier", line.product_identifier, type=line.product_identifier_type)
        sub(item, "ProductName", line.name)
        sub(item, "ProductNetvisorKey", str(line.product_key))
        sub(item, "ProductUnitPrice", comma(line.unit_price, 4))
        sub(item, "ProductVatPercentage", comma(line.vat_percentage, 1), vatcode=line.vat_code)
        sub(item, "SalesInvoiceProductLineQuantity", comma(line.quantity, 2))
        sub(item, "SalesInvoiceProductLineDiscountPercentage", comma(line.discount_percentage, 2))
        sub(item, "SalesInvoiceProductLineFreeText", line.free_text)
        sub(item, "SalesInvoiceProductLineVatSum", comma(line.vat_sum))
        sub(item, "SalesInvoiceProductLineSum", comma(line.line_sum))
        sub(item, "AccountingAccountSuggestion", line.account_suggestion)
        for name, value in line.dimensions:
            dim = sub(item, "Dimension")
            sub(dim, "DimensionName", name)
            sub(dim, "DimensionItem", value)
    if request.param("showcommentlines") == "1":
        for comment in invoice.comments:
            comment_line = sub(sub(lines, "InvoiceLine"), "SalesInvoiceCommentLine")
            sub(comment_line, "Comment", comment)


def _invoice_attachments(wrapper: etree._Element, invoice: InvoiceRecord) -> None:
    for attachment in invoice.attachments:
        item = sub(wrapper, "SalesInvoiceAttachment")
        sub(item, "MimeType", attachment.mime_type)
        sub(item, "AttachmentDescription", attachment.description)
        sub(item, "FileName", attachment.filename)
        sub(item, "DocumentData", attachment.data_base64, type=attachment.document_type)


def _invoice_element(request: Request, invoice: InvoiceRecord, attachments: bool) -> etree._Element:
    f = invoice.fields
    element = etree.Element("SalesInvoice")
    sub(element, "SalesInvoiceNetvisorKey", str(invoice.key))
    sub(element, "SalesInvoiceNumber", invoice.number)
    sub(element, "SalesInvoiceDate", invoice.invoice_date.isoformat(), format="ansi")
    for name, tag in (
        ("salesinvoiceeventdate", "SalesInvoiceEventDate"),
        ("salesinvoicevaluedate", "SalesInvoiceValueDate"),
        ("salesinvoicedeliverydate", "SalesInvoiceDeliveryDate"),
    ):
        if f.get(name):
            sub(element, tag, f[name].strip(), format="ansi")
    sub(element, "SalesInvoiceDueDate", invoice.due_date.isoformat(), format="ansi")
    sub(element, "SalesInvoiceReferencenumber", invoice.reference_number)
    # The real amount comes with a dot while line sums use a comma (reference GetSalesInvoice.xml).
    sub(element, "SalesInvoiceAmount", f"{_round(invoice.amount)}", iso4217currencycode=invoice.currency,
        currencyrate="1")  # fmt: skip
    sub(element, "SellerIdentifier", f.get("sellername", ""), type="name")
    texts = STATUS_TEXT.get(request.language, STATUS_TEXT["EN"])
    sub(element, "InvoiceStatus", texts.get(invoice.status, invoice.status.title()), status=invoice.status)
    for name, tag in (
        ("salesinvoicefreetextbeforelines", "SalesInvoiceFreeTextBeforeLines"),
        ("salesinvoicefreetextafterlines", "SalesInvoiceFreeTextAfterLines"),
        ("salesinvoiceourreference", "SalesInvoiceOurReference"),
        ("salesinvoiceyourreference", "SalesInvoiceYourReference"),
        ("salesinvoiceprivatecomment", "SalesInvoicePrivateComment"),
        ("invoicingcustomername", "InvoicingCustomerName"),
        ("invoicingcustomeraddressline", "InvoicingCustomerAddressline"),
        ("invoicingcustomerpostnumber", "InvoicingCustomerPostnumber"),
        ("invoicingcustomertown", "InvoicingCustomerTown"),
    ):
        sub(element, tag, f.get(name, ""))
    country = f.get("invoicingcustomercountrycode", "FI") or "FI"
    sub(element, "InvoicingCustomerCountryCode", "Finland" if country == "FI" else country, ISO_3166=country)
    partial = {"FI": ("Kyllä", "Ei")}.get(request.language, ("Yes", "No"))
    sub(element, "MatchPartialPaymentsByDefault", partial[0] if invoice.expect_partial_payments else partial[1])
    sub(element, "PaymentTermNetDays", str((invoice.due_date - invoice.invoice_date).days))
    _invoice_lines(sub(element, "InvoiceLines"), request, invoice)
    if attachments and invoice.attachments:
        _invoice_attachments(sub(element, "SalesInvoiceAttachments"), invoice)
    return element


def get_sales_invoice(request: Request) -> bytes:
    state = request.state
    attachments = request.param("includeattachments") == "1"
    with state.lock:
        if request.param("netvisorkeylist") is not None:
            wrapper = etree.Element("SalesInvoices")
            for key in _id_list(request, "netvisorkeylist"):
                invoice = state.invoices.get(key)
                if invoice is not None:
                    wrapper.append(_invoice_element(request, invoice, attachments))
            return render.ok_document(request.now, wrapper)
        invoice = state.invoices.get(_key_param(request, "netvisorkey"))
        element = _invoice_element(request, invoice, attachments) if invoice else etree.Element("SalesInvoice")
        return render.ok_document(request.now, element)


def match_credit_note(request: Request) -> bytes:
    body = request.tree().find("matchcreditnote")
    state = request.state
    with state.lock:
        keys = []
        for name in ("creditnotenetvisorkey", "invoicenetvisorkey"):
            text = _text(body, name).strip()
            if not text.isdigit() or int(text) not in state.invoices:
                raise data_form_incorrect(f"Sales invoice not found with Netvisor identifier: {text} ({name})")
            keys.append(int(text))
        credit, invoice = state.invoices[keys[0]], state.invoices[keys[1]]
        if not credit.is_credit_note:
            raise data_form_incorrect(f"Sales invoice {credit.key} is not a credit note")
        if credit.matched_to is not None:
            raise InvalidData(f"Credit note {credit.key} is already matched", code="DUPLICATE_DATA")
        # "The invoice status of both invoices has to be 'Sent' and vouchers have to be created."
        # (Netvisor, matchcreditnote.nv: https://support.netvisor.fi/en/support/solutions/articles/
        # 77000554165-matching-credit-note-to-invoice-matchcreditnote-nv). Netvisor makes the voucher when
        # an invoice is sent, so an invoice still "unsent" has none.
        for what, record in (("Credit note", credit), ("Sales invoice", invoice)):
            if record.status == "unsent":
                raise data_form_incorrect(f"{what} {record.key} is not sent; it has no voucher to match")
        invoice.open_sum += credit.open_sum
        credit.open_sum = Decimal(0)
        credit.matched_to = invoice.key
        credit.status = "paid"
        if invoice.open_sum <= 0:
            invoice.status = "paid"
        credit.last_modified = invoice.last_modified = request.now
    return render.ok_document(request.now)


def update_sales_invoice_status(request: Request) -> bytes:
    state = request.state
    status = (request.param("status") or "").lower()
    if status not in INVOICE_STATUSES:
        raise data_form_incorrect(f"Unknown status: {status}")
    keys = _id_list(request, "netvisorkeylist") if request.param("netvisorkeylist") else [
        _key_param(request, "netvisorkey")
    ]  # fmt: skip
    with state.lock:
        for key in keys:
            invoice = state.invoices.get(key)
            if invoice is None:
                raise data_form_incorrect(f"Sales invoice not found with Netvisor identifier: {key}")
            invoice.status = status
            invoice.last_modified = request.now
    return render.ok_document(request.now)


# ---------------------------------------------------------------- payments


def sales_payment(request: Request) -> bytes:
    body = request.tree().find("salespayment")
    state = request.state
    sum_element = body.find("sum") if body is not None else None
    assert sum_element is not None
    if sum_element.get("currency", "EUR").upper() != "EUR":
        raise data_form_incorrect(f"Unknown currency: {sum_element.get('currency')}")
    amount = _decimal(sum_element.text or "", "sum")
    payment_date = _date(_text(body, "paymentdate"), "paymentdate")
    target = body.find("targetidentifier") if body is not None else None
    assert target is not None
    with state.lock:
        kind, value = target.get("type", ""), (target.text or "").strip()
        invoice = None
        if kind == "netvisor" and value.isdigit():
            invoice = state.invoices.get(int(value))
        elif kind == "invoicenumber":
            invoice = state.invoice_by_number(value)
        elif kind == "reference":
            invoice = next((i for i in state.invoices.values() if i.reference_number == value), None)
        if invoice is None:
            raise data_form_incorrect(f"Sales invoice not found with identifier ({kind}): {value}")
        if invoice.status == "paid":
            raise data_form_incorrect(f"Sales invoice {invoice.number} is already paid")
        payment = state.apply_payment(invoice, amount, payment_date, _text(body, "sourcename"), request.now)
    return render.ok_document(request.now, inserted_key=payment.key)


def sales_payment_list(request: Request) -> bytes:
    """salespaymentlist.nv (https://support.netvisor.fi/en/support/solutions/articles/77000554171-get-sales-
    payment-list-salespaymentlist-nv): ``limitbytype`` "onlycreditloss" lists only credit-loss write-offs,
    "excludecreditloss" all but them; ``limitlinkedpayments`` 0 lists the payments with no invoice linked,
    1 those with one. Each payment carries its BankStatus, and BankStatusErrorDescription (with its code)
    when the bank reported it failed (the page's sample answer: FAILED, ERROR_IN_DUE_DATE)."""
    state = request.state
    by_type, linked = request.param("limitbytype"), request.param("limitlinkedpayments")
    if by_type not in (None, "onlycreditloss", "excludecreditloss"):
        raise data_form_incorrect(f"Unknown limitbytype: {by_type}")
    if linked not in (None, "0", "1"):
        raise data_form_incorrect(f"limitlinkedpayments must be 0 or 1: {linked}")
    wanted = _payment_filter(request)
    listing = etree.Element("SalesPaymentList")
    with state.lock:
        for payment in sorted(state.payments.values(), key=lambda p: p.key):
            if not wanted(payment):
                continue
            if by_type is not None and (payment.kind == "creditloss") != (by_type == "onlycreditloss"):
                continue
            if linked is not None and (payment.invoice_key is not None) != (linked == "1"):
                continue
            _payment_element(listing, payment)
    return render.ok_document(request.now, listing)


def _payment_filter(request: Request) -> Callable[[PaymentRecord], bool]:
    """salespaymentlist.nv's time, invoice, date and key limits as one test of a payment."""
    start = _param_datetime(request.param("lastmodifiedstart"), "lastmodifiedstart")
    end = _param_datetime(request.param("lastmodifiedend"), "lastmodifiedend")
    invoice_key, invoice_number = request.param("invoicenetvisorkey"), request.param("invoicenumber")
    begin, finish = request.param("begindate"), request.param("enddate")
    first_day = _date(begin, "begindate") if begin is not None else None
    last_day = _date(finish, "enddate") if finish is not None else None
    above = request.param("abovenetvisorkey")

    def wanted(payment: PaymentRecord) -> bool:
        return not (
            (start is not None and payment.last_modified < start)
            or (end is not None and payment.last_modified > end)
            or (invoice_key is not None and str(payment.invoice_key) != invoice_key)
            or (invoice_number is not None and payment.invoice_number != invoice_number)
            or (first_day is not None and payment.payment_date < first_day)
            or (last_day is not None and payment.payment_date > last_day)
            or (above is not None and payment.key <= int(above))
        )

    return wanted


def _payment_element(listing: etree._Element, payment: PaymentRecord) -> None:
    item = sub(listing, "SalesPayment")
    sub(item, "NetvisorKey", str(payment.key))
    sub(item, "Name", payment.name)
    sub(item, "Date", fi_date(payment.payment_date))
    sub(item, "Sum", comma(payment.sum))
    sub(item, "ReferenceNumber", payment.reference_number)
    sub(item, "ForeignCurrencyAmount")
    sub(item, "InvoiceNumber", payment.invoice_number)
    sub(item, "LastModifiedTimestamp", fi_datetime(payment.last_modified))
    sub(item, "BankStatus", payment.bank_status)
    if payment.bank_status != "OK":
        sub(item, "BankStatusErrorDescription", payment.bank_error_text, code=payment.bank_error_code)


# ---------------------------------------------------------------- dimensions


def dimension_list(request: Request) -> bytes:
    show_hidden = request.param("showhidden") == "1"
    listing = etree.Element("DimensionNameList")
    with request.state.lock:
        for header in sorted(request.state.dimensions.values(), key=lambda d: d.key):
            if header.hidden and not show_hidden:
                continue
            item = sub(listing, "DimensionName")
            sub(item, "Netvisorkey", str(header.key))
            sub(item, "Name", header.name)
            sub(item, "IsHidden", str(header.hidden))
            sub(item, "LinkType", "0")
            details = sub(item, "DimensionDetails")
            for sort, detail in enumerate(header.items):
                if detail.hidden and not show_hidden:
                    continue
                element = sub(details, "DimensionDetail")
                sub(element, "Netvisorkey", str(detail.key))
                sub(element, "Name", detail.name)
                sub(element, "IsHidden", str(detail.hidden))
                sub(element, "Level", str(detail.level))
                sub(element, "Sort", str(sort))
                sub(element, "EndSort", str(sort))
                sub(element, "FatherID", str(detail.father_id))
    return render.ok_document(request.now, listing)


def dimension_item(request: Request) -> bytes:
    method = _method(request)
    body = request.tree().find("dimensionitem")
    state = request.state
    name, item = _text(body, "name").strip(), _text(body, "item")
    hidden_text = _text(body, "ishidden").strip().lower()
    with state.lock:
        header = state.dimension(name)
        if header is None:
            raise data_form_incorrect(f"Dimension name not found: {name}")
        if method == "add":
            if header.item(item) is not None:
                raise InvalidData(f"Dimension item already exists: {item}", code="DUPLICATE_DATA")
            father_name = _text(body, "fatheritem")
            father = header.item(father_name) if father_name else None
            if father_name and father is None:
                raise data_form_incorrect(f"Father item not found: {father_name}")
            header.items.append(
                DimensionItemRecord(
                    state.new_key(),
                    item,
                    hidden=hidden_text == "true",
                    father_id=father.key if father else 0,
                    level=father.level + 1 if father else 1,
                )
            )
            return render.ok_document(request.now)
        old = _text(body, "olditem")
        if not old:
            raise data_form_incorrect("Compulsory element 'olditem' is missing for method edit")
        record = header.item(old)
        if record is None:
            raise data_form_incorrect(f"Dimension item not found: {old}")
        record.name = item
        if hidden_text in ("true", "false"):
            record.hidden = hidden_text == "true"
        return render.ok_document(request.now)


# ---------------------------------------------------------------- payroll


def workday(request: Request) -> bytes:
    body = request.tree().find("workday")
    assert body is not None
    state = request.state
    date_element = body.find("date")
    assert date_element is not None
    day = _date(date_element.text or "", "date")
    method = (date_element.get("method") or "replace").lower()
    employee_element = body.find("employeeidentifier")
    assert employee_element is not None
    employee = (employee_element.text or "").strip()
    with state.lock:
        if (employee, day) in state.locked_days:
            raise InvalidData(WORKDAY_LOCKED)
        records = []
        for hour in body.findall("workdayhour"):
            ratio = _text(hour, "collectorratio").strip()
            if ratio not in state.collector_ratios:
                raise data_form_incorrect(f"Record type (collectorratio) not found: {ratio}")
            records.append(
                WorkdayRecord(
                    employee=employee,
                    employee_type=employee_element.get("type", ""),
                    day=day,
                    collector_ratio=ratio,
                    # Netvisor rounds hours to 2 decimals.
                    hours=_round(_decimal(_text(hour, "hours"), "hours")),
                    acceptance_status=_text(hour, "acceptancestatus"),
                    description=_text(hour, "description"),
                    dimensions=_dimensions(state, hour, create_items=True),
                )
            )
        for record in records:
            same = [
                w
                for w in state.workdays
                if (w.employee, w.day, w.collector_ratio) == (employee, day, record.collector_ratio)
            ]
            if method == "increment" and same:
                same[0].hours += record.hours
                continue
            for old in same:
                state.workdays.remove(old)
            state.workdays.append(record)
    return render.ok_document(request.now)


RESOURCES: dict[tuple[str, str], Handler] = {
    ("POST", "customer.nv"): customer,
    ("GET", "customerlist.nv"): customer_list,
    ("GET", "getcustomer.nv"): get_customer,
    ("POST", "product.nv"): product,
    ("GET", "productlist.nv"): product_list,
    ("GET", "getproduct.nv"): get_product,
    ("POST", "salesinvoice.nv"): sales_invoice,
    ("GET", "salesinvoicelist.nv"): sales_invoice_list,
    ("GET", "getsalesinvoice.nv"): get_sales_invoice,
    ("POST", "matchcreditnote.nv"): match_credit_note,
    ("POST", "updatesalesinvoicestatus.nv"): update_sales_invoice_status,
    ("POST", "salespayment.nv"): sales_payment,
    ("GET", "salespaymentlist.nv"): sales_payment_list,
    ("GET", "dimensionlist.nv"): dimension_list,
    ("POST", "dimensionitem.nv"): dimension_item,
    ("POST", "workday.nv"): workday,
}
