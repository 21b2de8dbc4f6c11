"""netvisor-api-client's side of ``library_cpu``: run with the bench's own interpreter (.venv-bench).

Reads Severa invoices (JSON, Severa's member names) from the file named on the command line and
Netvisor's answer from stdin; prints {"seconds_per_invoice": ...}: a plain mapping to the library's
sales-invoice dict, its request body (marshmallow + xmltodict) and its reading of the answer.
Nothing of severa_netvisor is imported here.
"""

import json
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any

from netvisor_api_client.requestmodels.sales_invoice import CreateSalesInvoiceRequest
from netvisor_api_client.responsemodels.sales_invoices import CreateSalesInvoiceResponse


class _Answer:
    def __init__(self, text: str):
        self.text = text


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _line(row: dict[str, Any]) -> dict[str, Any]:
    dimensions: list[dict[str, str]] = []
    if row.get("MainCaseName"):
        dimensions.append(
            {"dimension_name": "Projekti", "dimension_item": f"{row['MainCaseNumber']} {row['MainCaseName']}"}
        )
    if row.get("rowCostCenterNumber"):
        dimensions.append({"dimension_name": "Kustannuspaikka", "dimension_item": row["rowCostCenterNumber"]})
    return {
        "identifier": {"identifier": row.get("articleIdentifier") or "TYO", "type": "customer"},
        "name": (row.get("articleName") or "")[:200],
        "unit_price": {"amount": Decimal(row["unitPriceAmount"]), "type": "net"},
        "vat_percentage": {"percentage": Decimal(row.get("rowVatRatePercent") or "0"), "code": "KOMY"},
        "quantity": Decimal(row["deliveredQuantity"]),
        "free_text": row.get("rowFreeText") or "",
        "dimension": dimensions,
    }


def _mapped(invoice: dict[str, Any]) -> dict[str, Any]:
    total = (invoice.get("InvoiceDetails") or {}).get("invoiceTotalVatIncludedAmount") or "0"
    return {
        "number": invoice["Number"],
        "date": _day(invoice["Date"]),
        "delivery_date": _day(invoice["Date"]),
        "due_date": _day(invoice["DueDate"]),
        "reference_number": invoice.get("ReferenceNumber") or "",
        "amount": Decimal(total),
        "currency": "EUR",
        "status": "unsent",
        "invoicing_customer_identifier": "101",
        "invoicing_customer_name": invoice.get("AccountName") or "",
        "invoicing_customer_address_line": invoice.get("ReceiverAddressline") or "",
        "invoicing_customer_post_number": invoice.get("ReceiverPostalCode") or "",
        "invoicing_customer_town": invoice.get("ReceiverCity") or "",
        "invoicing_customer_country_code": "FI",
        "payment_term_net_days": invoice.get("PaymentTerm") or 14,
        "invoice_lines": [_line(row) for row in invoice.get("InvoiceRows") or []],
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        invoices = json.load(handle)
    answer = sys.stdin.buffer.read().decode("utf-8")
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for invoice in invoices:
            CreateSalesInvoiceRequest(None, params={"method": "add"}, data=_mapped(invoice)).unparse()
            _ = CreateSalesInvoiceResponse(_Answer(answer)).data
        best = min(best, time.process_time() - started)
    print(json.dumps({"seconds_per_invoice": best / len(invoices)}))


if __name__ == "__main__":
    main()
