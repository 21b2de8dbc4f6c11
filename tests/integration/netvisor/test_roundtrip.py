"""Property: any text the client sends comes back from the simulator unchanged (ä ö å € & < > quotes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from severa_netvisor.netvisor import NetvisorClient
from severa_netvisor.netvisor.models import (
    CustomerInput,
    InvoiceCommentLine,
    InvoiceProductLine,
    ProductInput,
    SalesInvoiceInput,
)

from sandbox.netvisor import NetvisorSimulator

# Every character XML 1.0 can carry (control characters other than tab/newline/CR cannot be sent at
# all and are dropped by the builder), with the troublemakers over-represented.
XML_CHARS = st.characters(
    codec="utf-8",  # no surrogates
    exclude_characters=[*(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"), "\ufffe", "\uffff"],
)
TROUBLE = st.sampled_from([*"äöåÄÖÅ€&<>\"'’; ", "]]>", "&amp;", "<![CDATA[", "\r\n"])
TEXT = st.lists(st.one_of(TROUBLE, XML_CHARS), min_size=1, max_size=30).map("".join)
NON_BLANK = TEXT.filter(lambda s: s.strip() != "")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.fixed_dictionaries(
        {
            "name": NON_BLANK,
            "comment": TEXT,
            "product_name": NON_BLANK,
            "free_text": TEXT,
            "line_text": TEXT,
            "comment_line": NON_BLANK,
        }
    )
)
def test_texts_round_trip(client: NetvisorClient, sim: NetvisorSimulator, texts: dict[str, str]) -> None:
    name, comment, product_name = texts["name"], texts["comment"], texts["product_name"]
    free_text, line_text, comment_line = texts["free_text"], texts["line_text"], texts["comment_line"]
    customer_key = client.add_customer(CustomerInput(name=name, comment=comment))
    customer = client.get_customer(customer_key)
    assert (customer.name, customer.comment) == (name, comment)
    product_key = client.add_product(ProductInput(name=product_name, group="Palvelut", unit_price=Decimal("1.5")))
    product = client.get_product(product_key)
    assert product is not None
    assert product.name == product_name
    invoice_key = client.add_sales_invoice(
        SalesInvoiceInput(
            invoice_date=date(2025, 1, 31),
            amount=Decimal("1.88"),
            customer_identifier=str(customer_key),
            payment_term_net_days=7,
            free_text_before_lines=free_text,
            lines=(
                InvoiceProductLine(
                    product_identifier=str(product_key),
                    product_identifier_type="netvisor",
                    name=product_name,
                    unit_price=Decimal("1.5"),
                    vat_percentage=Decimal("25.5"),
                    quantity=Decimal(1),
                    free_text=line_text,
                ),
                InvoiceCommentLine(comment=comment_line),
            ),
        )
    )
    invoice = client.get_sales_invoice(invoice_key)
    assert invoice is not None
    assert invoice.free_text_before_lines == free_text
    assert invoice.customer_name == name
    assert (invoice.lines[0].name, invoice.lines[0].free_text) == (product_name, line_text)
    assert invoice.comment_lines == (comment_line,)
    assert [c.netvisor_key for c in client.list_customers(keyword=name) if c.netvisor_key == customer_key] == [
        customer_key
    ]
