"""Request bodies built with lxml in DTD element order.

Builders collect values into ``Node`` trees keyed by element name; ``render`` walks the resource's
schema (``schema.py``) so the order on the wire is always the DTD's, whatever order the values came
in. Empty elements are left out (an empty element would blank a value on edit) unless a field is
cleared on purpose (``CustomerInput.cleared``); decimals use a comma, dates are ``YYYY-MM-DD``
(``format="ansi"``), and the body is UTF-8 without an XML declaration, starting with ``<root>`` as
Netvisor asks.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from severa_netvisor.netvisor import schema
from severa_netvisor.netvisor.errors import NetvisorError
from severa_netvisor.netvisor.models import (
    CustomerInput,
    DimensionItemInput,
    DimensionRef,
    InvoiceCommentLine,
    InvoiceProductLine,
    ProductInput,
    SalesInvoiceInput,
    WorkdayInput,
)
from severa_netvisor.netvisor.schema import El

Scalar = str | int | Decimal | date | bool | None

# Characters XML 1.0 cannot carry at all; they are dropped rather than failing the whole record.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class RequestBuildError(NetvisorError):
    """A record cannot be turned into a valid Netvisor request (a required element is missing)."""

    code = "INVALID_REQUEST"
    action = "Fill in the field named in the message (in Severa or in the mapping), then replay the record."


def format_decimal(value: Decimal) -> str:
    """Netvisor's decimal comma, no exponent, no thousands separator: ``Decimal('1234.5')`` -> ``1234,5``."""
    text = format(value, "f")
    return text.replace(".", ",")


def format_value(value: Scalar) -> str | None:
    text: str | None
    if value is None:
        text = None
    elif isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, Decimal):
        text = format_decimal(value)
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, int):
        text = str(value)
    else:
        text = _NOT_XML.sub("", value)
    return text


@dataclass
class Node:
    """Values for one element: text for a leaf, children by name for a container."""

    text: str | None = None
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: dict[str, Node | list[Node] | None] = field(default_factory=dict)
    #: An empty leaf sent on purpose: on an edit Netvisor blanks the value.
    explicit_empty: bool = False


def leaf(value: Scalar, **attrs: str | None) -> Node | None:
    text = format_value(value)
    if text is None or text == "":
        return None
    return Node(text=text, attrs=dict(attrs))


def leaf_or_empty(value: Scalar, *, clear: bool) -> Node | None:
    """``leaf(value)``, or an explicitly empty element when the value is to be blanked."""
    node = leaf(value)
    if node is None and clear:
        return Node(text="", explicit_empty=True)
    return node


def group(**children: Node | list[Node] | None) -> Node:
    return Node(children=dict(children))


def _with_attributes(spec: El, node: Node, path: str) -> etree._Element:
    element = etree.Element(spec.name)
    if not node.attrs:
        return element
    for attribute, attribute_value in node.attrs.items():
        if attribute_value is not None and attribute_value != "":
            if attribute not in spec.attributes:
                raise ValueError(f"{_here(path, spec)}: attribute '{attribute}' is not in the schema")
            element.set(attribute, attribute_value)
    return element


def _here(path: str, spec: El) -> str:
    return f"{path}/{spec.name}" if path else spec.name


def _unknown_children(spec: El, node: Node, path: str) -> None:
    unknown = set(node.children) - {child.name for child in spec.children}
    if unknown:
        raise ValueError(f"{_here(path, spec)}: no such element(s) in the schema: {sorted(unknown)}")


def _render_leaf(spec: El, node: Node, path: str) -> etree._Element | None:
    if node.children:
        _unknown_children(spec, node, path)
    element = _with_attributes(spec, node, path)
    if node.explicit_empty and not spec.required:
        return element  # <name/>: blanks the value on an edit
    if node.text is None or node.text == "":
        return None
    element.text = node.text
    return element


def render(spec: El, node: Node, path: str = "") -> etree._Element | None:
    """The element for ``node`` following ``spec``; None when it would be empty."""
    # Leaves are most of a request's elements (about 70 an invoice): their path is spelled out only
    # for an error message, and the schema check runs only where a node has children.
    if not spec.children:
        return _render_leaf(spec, node, path)
    here = _here(path, spec)
    _unknown_children(spec, node, path)
    element = _with_attributes(spec, node, path)
    missing = []
    for child_spec in spec.children:
        value = node.children.get(child_spec.name)
        values = value if isinstance(value, list) else [value] if value is not None else []
        rendered = [r for v in values if (r := render(child_spec, v, here)) is not None]
        if child_spec.required and not rendered:
            missing.append(child_spec.name)
        element.extend(rendered)
    present = len(element)
    if not present:
        return None  # an optional wrapper with nothing inside is left out (Netvisor rejects empty lists)
    if spec.choice and present != 1:
        raise RequestBuildError(f"Cannot build the Netvisor request: '{here}' needs exactly one child.")
    if missing and not spec.choice:
        raise RequestBuildError(f"Cannot build the Netvisor request: required element '{here}/{missing[0]}' is empty.")
    return element


def to_bytes(resource: str, body: Node) -> bytes:
    """Render ``body`` (the children of ``<root>``) for ``resource`` and serialise it."""
    spec = schema.REQUEST_SCHEMAS[resource]
    root = render(spec, body)
    if root is None:  # pragma: no cover - every schema has a required body element
        raise RequestBuildError(f"Cannot build the Netvisor request for {resource}: it is empty.")
    return etree.tostring(root, encoding="utf-8", xml_declaration=False)


def _dimensions(refs: tuple[DimensionRef, ...]) -> list[Node]:
    return [group(dimensionname=leaf(d.name), dimensionitem=leaf(d.item)) for d in refs]


# ---------------------------------------------------------------- customer.nv


def build_customer(customer: CustomerInput) -> bytes:
    c = customer
    cleared = set(c.cleared)
    base = group(
        internalidentifier=leaf(c.code),
        externalidentifier=leaf(c.business_id),
        organizationunitnumber=leaf_or_empty(c.organization_unit_number, clear="organization_unit_number" in cleared),
        name=leaf(c.name),
        nameextension=leaf(c.name_extension),
        streetaddress=leaf(c.street_address),
        additionaladdressline=leaf(c.additional_address_line),
        city=leaf(c.city),
        postnumber=leaf(c.post_number),
        country=leaf(c.country, type="ISO-3166"),
        customergroupname=leaf(c.customer_group_name),
        phonenumber=leaf(c.phone_number),
        email=leaf(c.email),
        homepageuri=leaf(c.home_page_uri),
        isactive=leaf(c.is_active),
        isprivatecustomer=leaf(c.is_private_customer),
        emailinvoicingaddress=leaf_or_empty(c.email_invoicing_address, clear="email_invoicing_address" in cleared),
    )
    body = group(
        customer=group(
            customerbaseinformation=base,
            customerfinvoicedetails=group(
                finvoiceaddress=leaf_or_empty(c.finvoice_address, clear="finvoice_address" in cleared),
                finvoiceroutercode=leaf_or_empty(c.finvoice_router_code, clear="finvoice_router_code" in cleared),
            ),
            customerdeliverydetails=group(
                deliveryname=leaf(c.delivery_name),
                deliverystreetaddress=leaf(c.delivery_street_address),
                deliverycity=leaf(c.delivery_city),
                deliverypostnumber=leaf(c.delivery_post_number),
                deliverycountry=leaf(c.delivery_country, type="ISO-3166"),
            ),
            customercontactdetails=group(
                contactperson=leaf(c.contact_person),
                contactpersonemail=leaf(c.contact_person_email),
                contactpersonphone=leaf(c.contact_person_phone),
            ),
            customeradditionalinformation=group(
                comment=leaf(c.comment),
                customerreferencenumber=leaf(c.reference_number),
                invoicinglanguage=leaf(c.invoicing_language, type="ISO-3166"),
                yourdefaultreference=leaf(c.your_default_reference),
                defaulttextbeforeinvoicelines=leaf(c.default_text_before_lines),
                defaulttextafterinvoicelines=leaf(c.default_text_after_lines),
            ),
            customerdimensiondetails=group(dimension=_dimensions(c.dimensions)),
        )
    )
    return to_bytes("customer.nv", body)


# ---------------------------------------------------------------- product.nv


def build_product(product: ProductInput) -> bytes:
    p = product
    body = group(
        product=group(
            productbaseinformation=group(
                productcode=leaf(p.code),
                productgroup=leaf(p.group),
                name=leaf(p.name),
                description=leaf(p.description),
                unitprice=leaf(p.unit_price, type=p.price_type),
                unit=leaf(p.unit),
                purchaseprice=leaf(p.purchase_price),
                isactive=leaf(p.is_active),
                issalesproduct=leaf(p.is_sales_product),
            ),
            productbookkeepingdetails=group(
                defaultvatpercentage=leaf(p.default_vat_percentage),
                defaultdomesticaccountnumber=leaf(p.default_domestic_account_number),
                defaulteuaccountnumber=leaf(p.default_eu_account_number),
                defaultoutsideeuaccountnumber=leaf(p.default_outside_eu_account_number),
            )
            if p.default_vat_percentage is not None
            else None,
        )
    )
    return to_bytes("product.nv", body)


# ---------------------------------------------------------------- salesinvoice.nv


def _product_line(line: InvoiceProductLine) -> Node:
    return group(
        salesinvoiceproductline=group(
            productidentifier=leaf(line.product_identifier, type=line.product_identifier_type),
            productname=leaf(line.name),
            productunitprice=leaf(line.unit_price, type=line.price_type),
            productvatpercentage=leaf(line.vat_percentage, vatcode=line.vat_code),
            salesinvoiceproductlinequantity=leaf(line.quantity),
            salesinvoiceproductlinediscountpercentage=leaf(line.discount_percentage),
            salesinvoiceproductlinefreetext=leaf(line.free_text),
            # Netvisor uses the two only together (reference API.md §4.6).
            salesinvoiceproductlinevatsum=leaf(line.vat_sum if line.line_sum is not None else None),
            salesinvoiceproductlinesum=leaf(line.line_sum if line.vat_sum is not None else None),
            accountingaccountsuggestion=leaf(line.account_suggestion),
            dimension=_dimensions(line.dimensions),
            productunitname=leaf(line.unit_name),
        )
    )


def _comment_line(line: InvoiceCommentLine) -> Node:
    return group(salesinvoicecommentline=group(comment=leaf(line.comment)))


def build_sales_invoice(invoice: SalesInvoiceInput) -> bytes:
    i = invoice
    ansi = "ansi"
    lines = [_product_line(x) if isinstance(x, InvoiceProductLine) else _comment_line(x) for x in i.lines]
    attachments = [
        group(
            mimetype=leaf(a.mime_type),
            attachmentdescription=leaf(a.description),
            filename=leaf(a.filename),
            documentdata=leaf(base64.b64encode(a.content).decode("ascii"), type=a.document_type),
            printbydefault=leaf(a.print_by_default),
        )
        for a in i.attachments
    ]
    body = group(
        salesinvoice=group(
            salesinvoicenumber=leaf(i.number),
            salesinvoicedate=leaf(i.invoice_date, format=ansi),
            salesinvoiceeventdate=leaf(i.event_date, format=ansi),
            salesinvoiceduedate=leaf(i.due_date, format=ansi),
            salesinvoicevaluedate=leaf(i.value_date, format=ansi),
            salesinvoicedeliverydate=leaf(i.delivery_date, format=ansi),
            salesinvoicereferencenumber=leaf(i.reference_number),
            salesinvoiceamount=leaf(i.amount, iso4217currencycode=i.currency),
            sellername=leaf(i.seller_name),
            invoicetype=leaf(i.invoice_type),
            salesinvoicestatus=leaf(i.status, type="netvisor"),
            salesinvoicefreetextbeforelines=leaf(i.free_text_before_lines),
            salesinvoicefreetextafterlines=leaf(i.free_text_after_lines),
            salesinvoiceourreference=leaf(i.our_reference),
            salesinvoiceyourreference=leaf(i.your_reference),
            salesinvoiceprivatecomment=leaf(i.private_comment),
            invoicingcustomeridentifier=leaf(i.customer_identifier, type=i.customer_identifier_type),
            invoicingcustomername=leaf(i.customer_name),
            invoicingcustomernameextension=leaf(i.customer_name_extension),
            invoicingcustomeraddressline=leaf(i.customer_address_line),
            invoicingcustomeradditionaladdressline=leaf(i.customer_additional_address_line),
            invoicingcustomerpostnumber=leaf(i.customer_post_number),
            invoicingcustomertown=leaf(i.customer_town),
            invoicingcustomercountrycode=leaf(i.customer_country_code, type="ISO-3166"),
            paymenttermnetdays=leaf(i.payment_term_net_days),
            expectpartialpayments=leaf(i.expect_partial_payments),
            ordernumber=leaf(i.order_number),
            invoicelines=group(invoiceline=lines),
            # An empty wrapper is rejected by Netvisor: render() drops it when there is nothing inside.
            salesinvoiceattachments=group(salesinvoiceattachment=attachments),
        )
    )
    return to_bytes("salesinvoice.nv", body)


# ---------------------------------------------------------------- other writes


def build_match_credit_note(credit_note_key: int, invoice_key: int) -> bytes:
    body = group(
        matchcreditnote=group(creditnotenetvisorkey=leaf(credit_note_key), invoicenetvisorkey=leaf(invoice_key))
    )
    return to_bytes("matchcreditnote.nv", body)


def build_dimension_item(item: DimensionItemInput) -> bytes:
    body = group(
        dimensionitem=group(
            name=leaf(item.dimension_name),
            item=leaf(item.item),
            olditem=leaf(item.old_item),
            fatherid=leaf(item.father_id),
            fatheritem=leaf(item.father_item),
            ishidden=leaf(None if item.is_hidden is None else ("True" if item.is_hidden else "False")),
        )
    )
    return to_bytes("dimensionitem.nv", body)


def build_workday(workday: WorkdayInput) -> bytes:
    w = workday
    hours = [
        group(
            hours=leaf(h.hours),
            collectorratio=leaf(h.collector_ratio, type="number"),
            acceptancestatus=leaf(h.acceptance_status),
            description=leaf(h.description),
            invoicingproductidentifier=leaf(h.invoicing_product_identifier),
            customeridentifier=leaf(h.customer_identifier, type=h.customer_identifier_type),
            dimension=_dimensions(h.dimensions),
        )
        for h in w.hours
    ]
    body = group(
        workday=group(
            date=leaf(w.date, format="ansi", method=w.method),
            employeeidentifier=leaf(
                w.employee_identifier,
                type=w.employee_identifier_type,
                defaultdimensionhandlingtype=w.default_dimension_handling,
            ),
            workdayhour=hours,
        )
    )
    return to_bytes("workday.nv", body)
