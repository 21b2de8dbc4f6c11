"""The simulator's request validation against the real request fixtures (element order, required fields)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.netvisor.validate import InvalidData, parse_body, validate

VALID = {
    "Customer.xml": "customer.nv",
    "CustomerMinimal.xml": "customer.nv",
    "ProductMinimal.xml": "product.nv",
    "SalesInvoice.xml": "salesinvoice.nv",
    "SalesInvoiceMinimal.xml": "salesinvoice.nv",
    "SalesInvoiceMatchCreditNote.xml": "matchcreditnote.nv",
    "SalesPayment.xml": "salespayment.nv",
    "Dimension.xml": "dimensionitem.nv",
}


def fixture(shared_reference: Path, name: str) -> bytes:
    return (shared_reference / "netvisor/samples/requests" / name).read_bytes()


@pytest.mark.parametrize("name", sorted(VALID))
def test_request_fixtures_pass(shared_reference, name):
    validate(VALID[name], parse_body(fixture(shared_reference, name)))


def test_product_fixture_out_of_dtd_order_is_rejected_naming_the_element(shared_reference):
    # Known quirk (samples SOURCES.md): UnitWeight comes before UnitPrice.
    with pytest.raises(InvalidData, match="'unitprice' is in the wrong place"):
        validate("product.nv", parse_body(fixture(shared_reference, "Product.xml")))


@pytest.mark.parametrize(
    ("resource", "body", "message"),
    [
        ("customer.nv", b"<root><customer><customerbaseinformation><name>A</name>", "not well-formed"),
        ("customer.nv", b"", "no XML content"),
        ("customer.nv", b"<other/>", "must start with <root>"),
        ("customer.nv", b"<root><customer/></root>", "'root/customer/customerbaseinformation' is missing"),
        (
            "customer.nv",
            b"<root><customer><customerbaseinformation><name>A</name><name>B</name></customerbaseinformation>"
            b"</customer></root>",
            "may appear only once",
        ),
        (
            "customer.nv",
            b"<root><customer><customerbaseinformation><nosuch>A</nosuch></customerbaseinformation></customer></root>",
            "'nosuch' is not allowed",
        ),
        (
            "matchcreditnote.nv",
            b"<root><matchcreditnote><creditnotenetvisorkey> </creditnotenetvisorkey>"
            b"<invoicenetvisorkey>1</invoicenetvisorkey></matchcreditnote></root>",
            "Compulsory element 'root/matchcreditnote/creditnotenetvisorkey' is empty",
        ),
        (
            "product.nv",
            b"<root><product><productbaseinformation><productgroup>a</productgroup><name>b</name>"
            b"<unitprice>1</unitprice><isactive>1</isactive><issalesproduct>1</issalesproduct>"
            b"</productbaseinformation></product></root>",
            "needs the attribute 'type'",
        ),
        (
            "workday.nv",
            b'<root><workday><date format="ansi">2026-01-05</date><employeeidentifier type="number">7'
            b"</employeeidentifier><workdayhour><hours>7,5</hours><collectorratio>11</collectorratio>"
            b"<acceptancestatus>confirmed</acceptancestatus></workdayhour></workday></root>",
            "Compulsory element 'root/workday/workdayhour/description' is missing",
        ),
        (
            "workday.nv",
            b'<root><workday><date format="ansi">2026-01-05</date><employeeidentifier type="number">7'
            b"</employeeidentifier><workdayhour><hours>7,5</hours><collectorratio>11</collectorratio>"
            b"<description>Tyo</description></workdayhour></workday></root>",
            "Compulsory element 'root/workday/workdayhour/acceptancestatus' is missing",
        ),
        (
            "workday.nv",
            b'<root><workday><date format="ansi">2026-01-05</date><employeeidentifier type="number">7'
            b"</employeeidentifier><workdayhour><hours>7,5</hours><collectorratio>11</collectorratio>"
            b"<acceptancestatus>confirmed</acceptancestatus><description> </description></workdayhour>"
            b"</workday></root>",
            "Compulsory element 'root/workday/workdayhour/description' is empty",
        ),
        (
            "customer.nv",
            b"<root><customer><customerbaseinformation><name>" + b"N" * 251 + b"</name>"
            b"</customerbaseinformation></customer></root>",
            "'root/customer/customerbaseinformation/name' is too long: 251 characters, at most 250",
        ),
    ],
)
def test_invalid_bodies_are_named(resource, body, message):
    with pytest.raises(InvalidData, match=message) as caught:
        validate(resource, parse_body(body))
    assert caught.value.code == "INVALID_DATA"
    assert caught.value.text.startswith("Data form incorrect:.")
