"""Lenient parsing of Netvisor responses.

Tags are compared in lower case (Netvisor mixes ``Netvisorkey`` and ``NetvisorKey``), decimals may
use a comma or a dot, dates come as ``d.M.yyyy`` or ISO, one element or many share a tag, unknown
elements are ignored, and error bodies (not always well-formed) go through a recovering parser with
a regular-expression fallback that keeps Netvisor's text verbatim.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from severa_netvisor.answers import MAX_DEPTH, AnswerRefused, check_no_dtd
from severa_netvisor.netvisor.models import (
    AttachmentInfo,
    Customer,
    CustomerSummary,
    Dimension,
    DimensionItem,
    DimensionRef,
    Product,
    ProductSummary,
    SalesInvoice,
    SalesInvoiceLine,
    SalesInvoiceSummary,
    SalesPayment,
)

Element = etree._Element

# No entity is resolved, no DTD loaded, no network reached (entity expansion, external entities and
# DTDs come to nothing); huge_tree because getsalesinvoice.nv may carry a PDF as one base64 text.
_STRICT = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)
_RECOVER = etree.XMLParser(recover=True, resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)


def parse_xml(body: bytes) -> Element | None:
    """The document with every tag lower-cased, or None when nothing could be recovered.

    Raises ``AnswerRefused`` when it nests deeper than ``answers.MAX_DEPTH`` levels or carries a DTD.
    """
    root: Element | None
    try:
        root = etree.fromstring(body, _STRICT)
    except etree.XMLSyntaxError:
        try:
            root = etree.fromstring(body, _RECOVER)
        except etree.XMLSyntaxError:
            return None
    if root is None:
        return None
    check_no_dtd(root)
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth > MAX_DEPTH:
            raise AnswerRefused(f"nests deeper than {MAX_DEPTH} levels")
        if isinstance(element.tag, str):
            element.tag = element.tag.lower()
    return root


# ---------------------------------------------------------------- scalars


def parse_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        # Whichever comes last is the decimal separator; the other groups thousands.
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None


_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def parse_datetime(text: str | None) -> datetime | None:
    """``7.10.2021 14:24:42``, ``7.2.2014``, ``2021-10-07T14:24:42`` or ``2021-10-07``; naive (Finnish time)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    match = _FINNISH_DATE.match(value)
    if match:
        day, month, year, hour, minute, second = match.groups()
        try:
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None


def parse_date(text: str | None) -> date | None:
    moment = parse_datetime(text)
    return moment.date() if moment else None


def parse_int(text: str | None) -> int | None:
    number = parse_decimal(text)
    return int(number) if number is not None and number == number.to_integral_value() else None


_TRUE = {"1", "true", "yes", "kyllä", "ja"}
_FALSE = {"0", "false", "no", "ei", "nej"}


def parse_bool(text: str | None) -> bool | None:
    value = (text or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


# ---------------------------------------------------------------- navigation


def child(element: Element | None, *path: str) -> Element | None:
    """The first element down ``path`` (lower-case names), or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if isinstance(c.tag, str) and c.tag == name), None)
    return element


def children(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [c for c in element if isinstance(c.tag, str) and c.tag == name]


def text(element: Element | None, *path: str) -> str:
    found = child(element, *path) if path else element
    return "" if found is None or found.text is None else found.text


def is_empty(element: Element | None) -> bool:
    return element is None or (len(element) == 0 and not (element.text or "").strip())


# ---------------------------------------------------------------- envelope


@dataclass(frozen=True)
class Status:
    ok: bool
    code: str | None = None
    text: str | None = None
    timestamp: datetime | None = None


# Tags only: a lazy ``<status>(.*?)</status>`` rescans the rest of the body from every unclosed
# ``<status>`` (quadratic: 49 s of CPU on a 320 KB hostile body); pairing the tags is one pass.
_STATUS_TAGS = re.compile(r"<(/?)status>", re.IGNORECASE)
_TIMESTAMP_TAGS = re.compile(r"<(/?)timestamp>", re.IGNORECASE)


def _tagged_texts(body: str, tags: re.Pattern[str]) -> list[str]:
    """The text between each opening tag and the closing tag right after it, in one linear pass;
    an opening tag that another opening tag follows before any closing tag is dropped."""
    found: list[str] = []
    opened: int | None = None
    for tag in tags.finditer(body):
        if not tag.group(1):
            opened = tag.end()
        elif opened is not None:
            found.append(body[opened : tag.start()])
            opened = None
    return found


def _status_from(values: list[str], timestamp: str | None) -> Status | None:
    values = [v.strip() for v in values if v.strip()]
    if not values:
        return None
    moment = parse_datetime(timestamp)
    if values[0].upper() == "OK":
        return Status(ok=True, timestamp=moment)
    detail = next((v for v in values[1:]), values[0] if values[0].upper() != "FAILED" else "")
    code, _, message = detail.partition(" :: ")
    if not _:
        # "CODE::text" without spaces, or a bare text: keep whatever is there.
        code, _, message = detail.partition("::")
    return Status(ok=False, code=code.strip() or None, text=message.strip() or None, timestamp=moment)


def read_status(body: bytes, root: Element | None = None) -> Status | None:
    """The ResponseStatus of a body; None when it has none (e.g. an HTML error page)."""
    try:
        etree.fromstring(body, _STRICT)
        well_formed = True
    except etree.XMLSyntaxError:
        well_formed = False
    if not well_formed:
        # Real error bodies echo raw '&': read the texts verbatim instead of trusting a recovery.
        decoded = body.decode("utf-8", errors="replace")
        statuses = [html.unescape(s) for s in _tagged_texts(decoded, _STATUS_TAGS)]
        stamps = _tagged_texts(decoded, _TIMESTAMP_TAGS)
        return _status_from(statuses, stamps[0] if stamps else None)
    root = root if root is not None else parse_xml(body)
    response_status = child(root, "responsestatus")
    if response_status is None:
        return None
    return _status_from([s.text or "" for s in children(response_status, "status")], text(response_status, "timestamp"))


def inserted_key(root: Element | None) -> int | None:
    return parse_int(text(root, "replies", "inserteddataidentifier"))


# ---------------------------------------------------------------- customers


def parse_customer_list(root: Element | None) -> list[CustomerSummary]:
    result = []
    for item in children(child(root, "customerlist"), "customer"):
        key = parse_int(text(item, "netvisorkey"))
        if key is None:
            continue
        result.append(
            CustomerSummary(
                netvisor_key=key,
                name=text(item, "name"),
                code=text(item, "code"),
                business_id=text(item, "organisationidentifier"),
                uri=text(item, "uri"),
            )
        )
    return result


def parse_customer(element: Element) -> Customer:
    base = child(element, "customerbaseinformation")
    finvoice = child(element, "customerfinvoicedetails")
    extra = child(element, "customeradditionalinformation")
    return Customer(
        netvisor_key=parse_int(text(base, "netvisorkey")),
        code=text(base, "internalidentifier"),
        business_id=text(base, "externalidentifier"),
        organization_unit_number=text(base, "organizationunitnumber"),
        name=text(base, "name"),
        name_extension=text(base, "nameextension"),
        street_address=text(base, "streetaddress"),
        additional_address_line=text(base, "additionalstreetaddress") or text(base, "additionaladdressline"),
        city=text(base, "city"),
        post_number=text(base, "postnumber"),
        country=text(base, "country"),
        customer_group_name=text(base, "customergroupname"),
        phone_number=text(base, "phonenumber"),
        email=text(base, "email"),
        email_invoicing_address=text(base, "emailinvoicingaddress"),
        home_page_uri=text(base, "homepageuri"),
        is_active=parse_bool(text(base, "isactive")),
        finvoice_address=text(finvoice, "finvoiceaddress"),
        finvoice_router_code=text(finvoice, "finvoiceroutercode"),
        comment=text(extra, "comment"),
        reference_number=text(extra, "referencenumber"),
        balance_limit=parse_decimal(text(extra, "balancelimit")),
    )


def _one_or_many(root: Element | None, plural: str, single: str) -> list[Element]:
    """A get resource answers one ``<Single>`` for an id and ``<Plural><Single>*`` for an id list."""
    many = child(root, plural)
    return children(many, single) if many is not None else children(root, single)


def parse_customers(root: Element | None) -> list[Customer]:
    """getcustomer.nv: one ``Customer`` for ``id``, ``Customers/Customer*`` for ``idlist``."""
    items = _one_or_many(root, "customers", "customer")
    return [parse_customer(item) for item in items if not is_empty(item)]


# ---------------------------------------------------------------- products


def parse_product_list(root: Element | None) -> list[ProductSummary]:
    result = []
    for item in children(child(root, "productlist"), "product"):
        key = parse_int(text(item, "netvisorkey"))
        if key is None:
            continue
        result.append(
            ProductSummary(
                netvisor_key=key,
                code=text(item, "productcode"),
                name=text(item, "name"),
                unit_price=parse_decimal(text(item, "unitprice")),
                uri=text(item, "uri"),
            )
        )
    return result


def parse_product(element: Element) -> Product:
    base = child(element, "productbaseinformation")
    books = child(element, "productbookkeepingdetails")
    price = child(base, "unitprice")
    return Product(
        netvisor_key=parse_int(text(base, "netvisorkey")),
        code=text(base, "productcode"),
        group=text(base, "productgroup"),
        name=text(base, "name"),
        description=text(base, "description"),
        unit_price=parse_decimal(text(price)),
        price_type=price.get("type", "") if price is not None else "",
        unit=text(base, "unit"),
        is_active=parse_bool(text(base, "isactive")),
        is_sales_product=parse_bool(text(base, "issalesproduct")),
        default_vat_percentage=parse_decimal(text(books, "defaultvatpercent") or text(books, "defaultvatpercentage")),
    )


def parse_products(root: Element | None) -> list[Product]:
    """getproduct.nv: not found is OK with an empty ``<Product>``, which yields no product."""
    items = _one_or_many(root, "products", "product")
    return [parse_product(item) for item in items if not is_empty(item)]


# ---------------------------------------------------------------- sales invoices


def parse_sales_invoice_list(root: Element | None) -> list[SalesInvoiceSummary]:
    result = []
    for item in children(child(root, "salesinvoicelist"), "salesinvoice"):
        key = parse_int(text(item, "netvisorkey"))
        if key is None:
            continue
        status = child(item, "invoicestatus")
        result.append(
            SalesInvoiceSummary(
                netvisor_key=key,
                number=text(item, "invoicenumber"),
                invoice_date=parse_date(text(item, "invoicedate")),
                due_date=parse_date(text(item, "invoiceduedate")),
                status=text(status).strip(),
                substatus=status.get("substatus", "") if status is not None else "",
                customer_code=text(item, "customercode"),
                customer_name=text(item, "customername"),
                reference_number=text(item, "referencenumber"),
                invoice_sum=parse_decimal(text(item, "invoicesum")),
                open_sum=parse_decimal(text(item, "opensum")),
                uri=text(item, "uri"),
            )
        )
    return result


def _dimension_refs(element: Element | None) -> tuple[DimensionRef, ...]:
    refs = []
    for dim in children(element, "dimension"):
        name, item = text(dim, "dimensionname"), text(dim, "dimensionitem")
        if name and item:
            refs.append(DimensionRef(name=name, item=item))
    return tuple(refs)


def _invoice_line(line: Element) -> SalesInvoiceLine:
    identifier = child(line, "productidentifier")
    vat = child(line, "productvatpercentage")
    return SalesInvoiceLine(
        product_identifier=text(identifier),
        product_identifier_type=identifier.get("type", "") if identifier is not None else "",
        name=text(line, "productname"),
        unit_price=parse_decimal(text(line, "productunitprice")),
        vat_percentage=parse_decimal(text(vat)),
        vat_code=vat.get("vatcode", "") if vat is not None else "",
        quantity=parse_decimal(text(line, "salesinvoiceproductlinequantity")),
        discount_percentage=parse_decimal(text(line, "salesinvoiceproductlinediscountpercentage")),
        free_text=text(line, "salesinvoiceproductlinefreetext"),
        vat_sum=parse_decimal(text(line, "salesinvoiceproductlinevatsum")),
        line_sum=parse_decimal(text(line, "salesinvoiceproductlinesum")),
        account_suggestion=text(line, "accountingaccountsuggestion"),
        dimensions=_dimension_refs(line),
    )


def _attachments(element: Element) -> tuple[AttachmentInfo, ...]:
    found = []
    wrapper = child(element, "salesinvoiceattachments")
    if wrapper is None:
        wrapper = child(element, "attachments")
    for item in children(wrapper, "salesinvoiceattachment") + children(wrapper, "attachment"):
        data = text(item, "documentdata")
        try:
            content = base64.b64decode(data, validate=False) if data else None
        except (binascii.Error, ValueError):
            content = None
        found.append(
            AttachmentInfo(
                filename=text(item, "filename"),
                mime_type=text(item, "mimetype"),
                description=text(item, "attachmentdescription"),
                content=content,
            )
        )
    return tuple(found)


def parse_sales_invoice(element: Element) -> SalesInvoice:
    lines: list[SalesInvoiceLine] = []
    comments: list[str] = []
    for invoice_line in children(child(element, "invoicelines"), "invoiceline"):
        # Several product lines may share one InvoiceLine in real answers.
        lines.extend(_invoice_line(p) for p in children(invoice_line, "salesinvoiceproductline"))
        comments.extend(text(c, "comment") for c in children(invoice_line, "salesinvoicecommentline"))
    amount = child(element, "salesinvoiceamount")
    status = child(element, "invoicestatus")
    country = child(element, "invoicingcustomercountrycode")
    return SalesInvoice(
        netvisor_key=parse_int(text(element, "salesinvoicenetvisorkey")),
        number=text(element, "salesinvoicenumber"),
        invoice_date=parse_date(text(element, "salesinvoicedate")),
        event_date=parse_date(text(element, "salesinvoiceeventdate")),
        due_date=parse_date(text(element, "salesinvoiceduedate")),
        value_date=parse_date(text(element, "salesinvoicevaluedate")),
        delivery_date=parse_date(text(element, "salesinvoicedeliverydate")),
        reference_number=text(element, "salesinvoicereferencenumber"),
        amount=parse_decimal(text(amount)),
        currency=amount.get("iso4217currencycode", "") if amount is not None else "",
        status=status.get("status", "") if status is not None else "",
        status_text=text(status),
        free_text_before_lines=text(element, "salesinvoicefreetextbeforelines"),
        free_text_after_lines=text(element, "salesinvoicefreetextafterlines"),
        our_reference=text(element, "salesinvoiceourreference"),
        your_reference=text(element, "salesinvoiceyourreference"),
        private_comment=text(element, "salesinvoiceprivatecomment"),
        customer_name=text(element, "invoicingcustomername"),
        customer_address_line=text(element, "invoicingcustomeraddressline"),
        customer_post_number=text(element, "invoicingcustomerpostnumber"),
        customer_town=text(element, "invoicingcustomertown"),
        customer_country_code=(country.get("ISO-3166") or country.get("iso-3166") or text(country))
        if country is not None
        else "",
        payment_term_net_days=parse_int(text(element, "paymenttermnetdays")),
        lines=tuple(lines),
        comment_lines=tuple(comments),
        attachments=_attachments(element),
    )


def parse_sales_invoices(root: Element | None) -> list[SalesInvoice]:
    """getsalesinvoice.nv: not found is OK with an empty ``<SalesInvoice />``, which yields none."""
    items = _one_or_many(root, "salesinvoices", "salesinvoice")
    return [parse_sales_invoice(item) for item in items if not is_empty(item)]


# ---------------------------------------------------------------- payments and dimensions


def parse_sales_payment_list(root: Element | None) -> list[SalesPayment]:
    result = []
    for item in children(child(root, "salespaymentlist"), "salespayment"):
        key = parse_int(text(item, "netvisorkey"))
        if key is None:
            continue
        error = child(item, "bankstatuserrordescription")
        result.append(
            SalesPayment(
                netvisor_key=key,
                name=text(item, "name"),
                payment_date=parse_date(text(item, "date")),
                sum=parse_decimal(text(item, "sum")),
                reference_number=text(item, "referencenumber"),
                invoice_number=text(item, "invoicenumber"),
                bank_status=text(item, "bankstatus"),
                bank_status_error_code=error.get("code", "") if error is not None else "",
                bank_status_error_text=text(error),
                last_modified=parse_datetime(text(item, "lastmodifiedtimestamp")),
            )
        )
    return result


def parse_dimension_list(root: Element | None) -> list[Dimension]:
    result = []
    for header in children(child(root, "dimensionnamelist"), "dimensionname"):
        items = [
            DimensionItem(
                netvisor_key=parse_int(text(detail, "netvisorkey")),
                name=text(detail, "name"),
                is_hidden=parse_bool(text(detail, "ishidden")) or False,
                level=parse_int(text(detail, "level")),
                father_id=parse_int(text(detail, "fatherid")),
            )
            for detail in children(child(header, "dimensiondetails"), "dimensiondetail")
        ]
        result.append(
            Dimension(
                netvisor_key=parse_int(text(header, "netvisorkey")),
                name=text(header, "name"),
                is_hidden=parse_bool(text(header, "ishidden")) or False,
                items=tuple(items),
            )
        )
    return result
