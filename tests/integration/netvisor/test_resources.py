"""The client against the simulator over real HTTP, resource by resource."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from severa_netvisor.netvisor import NetvisorInvalidDataError
from severa_netvisor.netvisor.models import (
    CustomerInput,
    DimensionItemInput,
    DimensionRef,
    InvoiceAttachment,
    InvoiceCommentLine,
    InvoiceProductLine,
    ProductInput,
    SalesInvoiceInput,
    WorkdayHour,
    WorkdayInput,
)
from severa_netvisor.netvisor.xmlbuild import build_sales_invoice

from sandbox.netvisor.state import CustomerRecord, InvoiceRecord, ProductRecord

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def invoice_input(customer_key: int, *, sign: int = 1, number: str | None = None, **extra) -> SalesInvoiceInput:
    values = {
        "invoice_date": date(2025, 2, 28),
        "amount": Decimal("251.00") * sign,
        "customer_identifier": str(customer_key),
        "number": number,
        "status": "open",
        "payment_term_net_days": 14,
        "free_text_before_lines": "Kiitos tilauksesta!",
        "lines": (
            InvoiceProductLine(
                product_identifier="W1",
                name="Konsultointi",
                unit_price=Decimal("100.00"),
                vat_percentage=Decimal("25.5"),
                quantity=Decimal(2 * sign),
                free_text="Helmikuu",
                dimensions=(DimensionRef(name="Projekti", item="P-100"),),
            ),
            InvoiceCommentLine(comment="Jakso 1.2.–28.2."),
        ),
    }
    values.update(extra)
    return SalesInvoiceInput(**values)


def test_credentials_check(client, sim):
    details = client.check_credentials()
    assert details["organisation_id"] == sim.company.organisation_id
    assert details["resource"] == "customerlist.nv"
    assert details["server_timestamp"] == "3.3.2025 9:00:00"


def test_customer_add_edit_and_get(client, sim):
    key = client.add_customer(
        CustomerInput(name="Öljy Oy", code="2001", business_id="1572860-0", city="Turku", comment="Hyvä")
    )
    assert sim.state.customers[key].code == "2001"
    client.edit_customer(key, CustomerInput(name="Öljy & Voitelu Oy", email="lasku@oljy.fi"))
    customer = client.get_customer(key)
    assert (customer.netvisor_key, customer.code, customer.name) == (key, "2001", "Öljy & Voitelu Oy")
    assert (customer.city, customer.email, customer.comment, customer.business_id) == (
        "Turku", "lasku@oljy.fi", "Hyvä", "1572860-0",
    )  # fmt: skip
    with pytest.raises(NetvisorInvalidDataError, match="Customer not found with Netvisor identifier: 99999"):
        client.get_customer(99999)


def test_customer_list_by_keyword_and_changed_since(client, clock):
    first = client.add_customer(CustomerInput(name="Alfa Oy", code="A1", business_id="1572860-0"))
    clock.advance(hours=1)
    since = clock.now
    second = client.add_customer(CustomerInput(name="Beeta Oy", code="B1"))
    assert [c.netvisor_key for c in client.list_customers(changed_since=since)] == [second]
    assert [c.netvisor_key for c in client.list_customers(keyword="alfa")] == [first]
    assert [c.netvisor_key for c in client.list_customers(keyword="1572860")] == [first]
    # Netvisor ignores changedsince when a keyword is given.
    assert [c.netvisor_key for c in client.list_customers(keyword="oy", changed_since=since)] == [first, second]
    assert [c.code for c in client.list_customers(codes=["B1"])] == ["B1"]


def test_get_customers_in_batches_of_500(client, sim, clock):
    for key in range(5000, 5600):
        sim.state.customers[key] = CustomerRecord(key, {"name": f"C{key}"}, [], clock.now)
    customers = client.get_customers(list(range(5000, 5600)))
    assert [c.netvisor_key for c in customers] == list(range(5000, 5600))
    assert sim.request_log.count("getcustomer.nv") == 2


def test_product_add_edit_list_and_get(client, sim, clock):
    key = client.add_product(
        ProductInput(
            name="Työ", group="Palvelut", code="T1", unit_price=Decimal("80.5"), default_vat_percentage=Decimal("25.5")
        )
    )
    client.edit_product(key, ProductInput(name="Työtunti", group="Palvelut", code="T1", unit_price=Decimal("85")))
    product = client.get_product(key)
    assert product is not None
    assert (product.name, product.code, product.unit_price, product.default_vat_percentage) == (
        "Työtunti", "T1", Decimal("85"), Decimal("25.5"),
    )  # fmt: skip
    assert client.get_product(99999) is None  # Netvisor answers OK with an empty <Product>
    [summary] = client.list_products(keyword="työ")
    assert (summary.netvisor_key, summary.unit_price) == (key, Decimal("85.00"))
    clock.advance(days=1)
    assert client.list_products(changed_since=clock.now) == []
    for extra in range(7000, 7450):
        sim.state.products[extra] = ProductRecord(extra, {"name": "x", "unitprice": "1"}, "net", clock.now)
    assert len(client.get_products(list(range(7000, 7450)))) == 450
    assert sim.request_log.count("getproduct.nv") == 2 + 2  # two single gets + batches of 400


def test_sales_invoice_with_comment_lines_dimensions_and_pdf(client, sim, seeded):
    invoice = invoice_input(
        seeded["customer"],
        attachments=(InvoiceAttachment(filename="lasku.pdf", content=PDF, description="Lasku PDF"),),
    )
    key = client.add_sales_invoice(invoice)
    stored = sim.state.invoices[key]
    assert (stored.number, stored.open_sum, stored.status) == ("1", Decimal("251.00"), "open")
    assert stored.attachments[0].filename == "lasku.pdf"
    got = client.get_sales_invoice(key, include_attachments=True)
    assert got is not None
    assert (got.netvisor_key, got.number, got.amount, got.status) == (key, "1", Decimal("251.00"), "open")
    assert got.due_date == date(2025, 3, 14)
    assert got.free_text_before_lines == "Kiitos tilauksesta!"
    [line] = got.lines
    assert (line.product_identifier, line.quantity, line.vat_code, line.vat_sum, line.line_sum) == (
        "W1", Decimal("2"), "KOMY", Decimal("51.00"), Decimal("251.00"),
    )  # fmt: skip
    assert line.dimensions == (DimensionRef(name="Projekti", item="P-100"),)
    assert got.comment_lines == ("Jakso 1.2.–28.2.",)
    assert got.attachments[0].content == PDF
    assert got.reference_number == stored.reference_number
    assert client.get_sales_invoice(99999) is None


def test_sales_invoice_edit_replaces_the_invoice(client, sim, seeded):
    key = client.add_sales_invoice(invoice_input(seeded["customer"], number="700"))
    client.edit_sales_invoice(key, invoice_input(seeded["customer"], number="700", free_text_before_lines="Uusi"))
    got = client.get_sales_invoice(key)
    assert got is not None
    assert (got.number, got.free_text_before_lines) == ("700", "Uusi")
    assert len(sim.state.invoices) == 1


def test_credit_note_and_match(client, sim, seeded):
    invoice_key = client.add_sales_invoice(invoice_input(seeded["customer"]))
    credit_key = client.add_sales_invoice(invoice_input(seeded["customer"], sign=-1))
    assert sim.state.invoices[credit_key].open_sum == Decimal("-251.00")
    client.match_credit_note(credit_key, invoice_key)
    assert sim.state.invoices[invoice_key].open_sum == Decimal("0")
    assert sim.state.invoices[invoice_key].status == "paid"
    assert sim.state.invoices[credit_key].matched_to == invoice_key


def test_update_sales_invoice_status(client, sim, seeded):
    key = client.add_sales_invoice(invoice_input(seeded["customer"]))
    client.update_sales_invoice_status(key, "paid")
    assert sim.state.invoices[key].status == "paid"
    assert [i.netvisor_key for i in client.list_sales_invoices(status="paid").invoices] == [key]


def test_sales_invoice_list_by_status_and_last_modified(client, sim, seeded, clock):
    old = client.add_sales_invoice(invoice_input(seeded["customer"]))
    clock.advance(hours=2)
    start = clock.now
    new = client.add_sales_invoice(invoice_input(seeded["customer"], status="unsent"))
    clock.advance(hours=2)
    window = client.list_sales_invoices(last_modified_start=start, last_modified_end=clock.now)
    assert [i.netvisor_key for i in window.invoices] == [new]
    assert window.next_above_key is None
    assert [i.netvisor_key for i in client.list_sales_invoices(status="unsent").invoices] == [new]
    # Due 14.3.2025; the simulator's clock says 3.3.2025 + 4 h: still open, not overdue.
    [summary] = client.list_sales_invoices(status="open").invoices
    assert (summary.netvisor_key, summary.open_sum, summary.customer_code) == (old, Decimal("251.00"), "1001")
    clock.advance(days=30)
    [overdue] = client.list_sales_invoices(status="overdue").invoices
    assert (overdue.netvisor_key, overdue.status, overdue.substatus) == (old, "open", "overdue")


def test_sales_invoice_list_pages_above_a_key(client, sim, seeded, clock):
    for key in range(10_000, 11_100):
        sim.state.invoices[key] = InvoiceRecord(
            key=key, number=str(key), invoice_date=date(2025, 1, 1), due_date=date(2025, 1, 15), status="open",
            amount=Decimal(10), open_sum=Decimal(10), currency="EUR", customer_key=seeded["customer"],
            reference_number="", fields={}, lines=[], comments=[], attachments=[], last_modified=clock.now,
        )  # fmt: skip
    first = client.list_sales_invoices()
    assert len(first.invoices) == 500
    assert first.next_above_key == 10_499
    keys = [i.netvisor_key for i in client.iter_sales_invoices()]
    assert keys == list(range(10_000, 11_100))
    assert sim.request_log.count("salesinvoicelist.nv") == 1 + 3


def test_get_sales_invoices_by_key_list(client, seeded):
    keys = [client.add_sales_invoice(invoice_input(seeded["customer"])) for _ in range(3)]
    assert [i.netvisor_key for i in client.get_sales_invoices(keys)] == keys


def test_partial_and_full_payments(client, sim, seeded, clock):
    key = client.add_sales_invoice(invoice_input(seeded["customer"]))
    start = clock.advance(minutes=1)
    sim.add_payment(key, "100.00", date(2025, 3, 3))
    assert sim.state.invoices[key].status == "open"
    [partial] = client.list_sales_payments(invoice_key=key)
    assert (partial.sum, partial.payment_date, partial.invoice_number) == (Decimal("100.00"), date(2025, 3, 3), "1")
    assert client.list_sales_invoices(invoice_number="1").invoices[0].open_sum == Decimal("151.00")
    later = clock.advance(days=1)
    sim.add_payment("1", Decimal("151.00"), date(2025, 3, 4), name="Asiakas Oy")
    assert [p.sum for p in client.list_sales_payments(last_modified_start=later)] == [Decimal("151.00")]
    assert len(client.list_sales_payments(last_modified_start=start, last_modified_end=later)) == 2
    summary = client.list_sales_invoices(status="paid").invoices[0]
    assert (summary.netvisor_key, summary.open_sum) == (key, Decimal("0.00"))
    assert client.list_sales_payments(invoice_number="1")[1].last_modified == later
    with pytest.raises(ValueError, match="already paid"):
        sim.add_payment(key, "1.00")


def test_dimensions_list_add_and_edit(client, sim):
    client.add_dimension_item(DimensionItemInput(dimension_name="Projekti", item="P-1"))
    client.add_dimension_item(DimensionItemInput(dimension_name="Projekti", item="P-1.1", father_item="P-1"))
    client.edit_dimension_item(DimensionItemInput(dimension_name="Projekti", item="P-1 uusi", old_item="P-1"))
    client.edit_dimension_item(
        DimensionItemInput(dimension_name="Projekti", item="P-1.1", old_item="P-1.1", is_hidden=True)
    )
    projects = next(d for d in client.list_dimensions() if d.name == "Projekti")
    assert [(i.name, i.level, i.is_hidden) for i in projects.items] == [("P-1 uusi", 1, False), ("P-1.1", 2, True)]
    assert projects.items[1].father_id == projects.items[0].netvisor_key
    visible = next(d for d in client.list_dimensions(show_hidden=False) if d.name == "Projekti")
    assert [i.name for i in visible.items] == ["P-1 uusi"]
    with pytest.raises(NetvisorInvalidDataError, match="Dimension name not found: Tuntematon"):
        client.add_dimension_item(DimensionItemInput(dimension_name="Tuntematon", item="X"))


def test_workday_import_replace_increment_and_locked_day(client, sim):
    day = date(2025, 2, 3)

    def hours(value: str, method: str = "replace") -> WorkdayInput:
        return WorkdayInput(
            date=day,
            employee_identifier="7",
            method=method,
            hours=(
                WorkdayHour(
                    hours=Decimal(value),
                    collector_ratio="11",
                    acceptance_status="confirmed",
                    description="Projektityö",
                    dimensions=(DimensionRef(name="Projekti", item="Uusi projekti"),),
                ),
            ),
        )

    client.import_workday(hours("7.5"))
    client.import_workday(hours("1.25", "increment"))
    [record] = sim.state.workdays
    assert (record.employee, record.day, record.hours) == ("7", day, Decimal("8.75"))
    assert sim.state.dimension("Projekti").item("Uusi projekti") is not None  # workday.nv creates items
    client.import_workday(hours("6"))
    assert [w.hours for w in sim.state.workdays] == [Decimal("6.00")]
    sim.lock_workday("7", day)
    with pytest.raises(NetvisorInvalidDataError) as caught:
        client.import_workday(hours("8"))
    assert caught.value.remote_text == (
        "INVALID_DATA :: Data form incorrect:. Working time data cannot be imported. "
        "Hours on this date have already been acknowledged or approved"
    )


def test_unknown_references_are_rejected(client, seeded):
    with pytest.raises(NetvisorInvalidDataError, match="Customer not found"):
        client.add_sales_invoice(invoice_input(424242))
    unknown_product = invoice_input(
        seeded["customer"],
        lines=(
            InvoiceProductLine(
                product_identifier="NOPE",
                name="x",
                unit_price=Decimal(1),
                vat_percentage=Decimal(0),
                quantity=Decimal(1),
            ),
        ),
    )
    with pytest.raises(NetvisorInvalidDataError, match="Product not found"):
        client.add_sales_invoice(unknown_product)
    unknown_dimension = invoice_input(
        seeded["customer"],
        lines=(
            InvoiceProductLine(
                product_identifier="W1",
                name="x",
                unit_price=Decimal(1),
                vat_percentage=Decimal(0),
                quantity=Decimal(1),
                dimensions=(DimensionRef(name="Osasto", item="A"),),
            ),
        ),
    )
    with pytest.raises(NetvisorInvalidDataError, match="Dimension name not found: Osasto"):
        client.add_sales_invoice(unknown_dimension)


def test_sent_bytes_are_what_the_builder_makes(client, sim, seeded):
    invoice = invoice_input(seeded["customer"])
    client.add_sales_invoice(invoice)
    logged = [e for e in sim.request_log.entries if e.resource == "salesinvoice.nv"][-1]
    assert logged.body == build_sales_invoice(invoice)
    assert logged.params == {"method": "add"}
