"""Simulator behaviour not reached through the client: salespayment.nv, the CLI, the inspection API."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from severa_netvisor.credentials import NetvisorCredentials
from severa_netvisor.netvisor import NetvisorClient
from severa_netvisor.netvisor.models import InvoiceProductLine, SalesInvoiceInput

from sandbox.netvisor import NetvisorSimulator
from sandbox.netvisor.state import finnish_reference
from tests.integration.netvisor.conftest import raw_request

REPO = Path(__file__).resolve().parents[3]


def _payment(target: str, amount: str, kind: str = "invoicenumber", currency: str = "EUR") -> bytes:
    return (
        f'<root><salespayment><sum currency="{currency}">{amount}</sum><paymentdate>2025-03-03</paymentdate>'
        f'<targetidentifier type="{kind}" targettype="invoice">{target}</targetidentifier>'
        f'<sourcename>Asiakas Oy</sourcename><paymentmethod type="alternative">pankki</paymentmethod>'
        f"</salespayment></root>"
    ).encode()


@pytest.fixture
def invoice_key(client: NetvisorClient, seeded: dict[str, int]) -> int:
    return client.add_sales_invoice(
        SalesInvoiceInput(
            invoice_date=date(2025, 2, 28),
            amount=Decimal("100.00"),
            customer_identifier=str(seeded["customer"]),
            number="42",
            status="open",
            payment_term_net_days=14,
            lines=(
                InvoiceProductLine(
                    product_identifier="W1",
                    name="Työ",
                    unit_price=Decimal("100"),
                    vat_percentage=Decimal("0"),
                    vat_code="EUPM312",
                    quantity=Decimal(1),
                ),
            ),
        )
    )


def test_sales_payment_resource(sim: NetvisorSimulator, credentials: NetvisorCredentials, invoice_key: int):
    partial = raw_request(sim, credentials, "POST", "salespayment.nv", _payment("42", "40,00"))
    assert b"<InsertedDataIdentifier>" in partial.content
    assert sim.state.invoices[invoice_key].open_sum == Decimal("60.00")
    by_reference = sim.state.invoices[invoice_key].reference_number
    full = raw_request(sim, credentials, "POST", "salespayment.nv", _payment(by_reference, "60.00", "reference"))
    assert full.status_code == 200
    assert sim.state.invoices[invoice_key].status == "paid"
    again = raw_request(sim, credentials, "POST", "salespayment.nv", _payment("42", "1,00"))
    assert b"INVALID_DATA :: Data form incorrect:. Sales invoice 42 is already paid" in again.content
    usd = raw_request(sim, credentials, "POST", "salespayment.nv", _payment("42", "1,00", currency="USD"))
    assert b"Unknown currency: USD" in usd.content


def test_inspection_api(sim: NetvisorSimulator, client: NetvisorClient, invoice_key: int):
    assert sim.request_log.counts() == {"customer.nv": 1, "product.nv": 1, "salesinvoice.nv": 1}
    assert sim.request_log.count("salesinvoice.nv", method="POST", outcome="OK") == 1
    assert sim.state.invoices[invoice_key].lines[0].vat_code == "EUPM312"
    assert sim.state.invoices[invoice_key].reference_number == finnish_reference(42)
    sim.request_log.clear()
    assert sim.request_log.counts() == {}


def test_finnish_reference_check_digit():
    # 1234567 -> 12345672 (reference finland.md).
    assert finnish_reference(1234567) == "12345672"


def test_the_response_format_is_netvisors(sim: NetvisorSimulator, credentials: NetvisorCredentials, invoice_key: int):
    response = raw_request(sim, credentials, "GET", "salesinvoicelist.nv")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Root>')
    assert b"\r\n" in response.content
    assert b'<Invoicedate format="ansi">2025-02-28</Invoicedate>' in response.content
    assert b"<InvoiceSum>100,00</InvoiceSum>" in response.content
    assert b"<TimeStamp>3.3.2025 9:00:00</TimeStamp>" in response.content


def test_command_line_runs_a_simulator_until_stopped():
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "sandbox.netvisor"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": f"{REPO}:{REPO / 'layers/common'}", "PATH": ""},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("Netvisor simulator on http://127.0.0.1:")
        secret = json.loads("".join(process.stdout.readline() for _ in range(10)))
        client = NetvisorClient(NetvisorCredentials.model_validate(secret))
        assert client.list_customers() == []
    finally:
        process.terminate()
        process.wait(timeout=10)
