"""What the invoices tests share besides the rig (``tests.integration.rig``): the Netvisor company the
Severa invoices refer to, and comparing the two sides to the cent.

The Netvisor simulator refuses unknown customers, products and dimension items. The company is
seeded with the products and dimension items the Severa invoices refer to (the products and
dimensions transfers' job) and, optionally, the customers (otherwise the engine brings each customer
over with the customers transfer before its first invoice).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sandbox.netvisor.state import CompanyState, CustomerRecord, ProductRecord
from sandbox.severa.seed import PRODUCTS, READY_STATUS, SENT_STATUS, WORK_TYPES, business_id_of
from sandbox.severa.state import Record, SeveraState
from tests.integration.rig import mapping, mapping_text

__all__ = [
    "STATUSES",
    "cents",
    "compare_invoice",
    "mapping",
    "mapping_text",
    "numbers_in_netvisor",
    "ready_invoices",
    "seed_netvisor",
    "seed_work_types",
]


def ready_invoices(state: SeveraState) -> list[Record]:
    return [r for r in state.invoices.values() if r["InvoiceStatus"] == READY_STATUS]


def seed_work_types(netvisor: CompanyState) -> None:
    """Severa's work types as Netvisor products (hour rows on invoices name them)."""
    now = datetime.now(UTC)
    with netvisor.lock:
        for code, name in WORK_TYPES:
            key = netvisor.new_key()
            netvisor.products[key] = ProductRecord(key, {"productcode": code, "name": name}, "net", now)


def seed_netvisor(severa: SeveraState, netvisor: CompanyState, *, customers: bool = True) -> None:
    """Products and dimension items the Severa invoices refer to, and (optionally) the customers;
    without them the customers transfer creates each customer when its first invoice is sent."""
    now = datetime.now(UTC)
    with netvisor.lock:
        for account in severa.accounts.values() if customers else ():
            key = netvisor.new_key()
            netvisor.customers[key] = CustomerRecord(
                key,
                {
                    "name": account["Name"],
                    "internalidentifier": str(account["Number"]),
                    "externalidentifier": str(business_id_of(account) or ""),
                },
                [],
                now,
            )
        for code, name, *_ in (*PRODUCTS, ("TYO", "Työ")):
            key = netvisor.new_key()
            netvisor.products[key] = ProductRecord(key, {"productcode": code, "name": name}, "net", now)
    for case in severa.cases.values():
        netvisor.add_dimension_item("Projekti", f"{case['CaseNumber']} {case['Name']}")
        netvisor.add_dimension_item("Kustannuspaikka", str(case["CostCenterNumber"]))
    for unit in severa.business_units.values():
        netvisor.add_dimension_item("Liiketoimintayksikkö", unit["Name"])


# -- comparing the two sides ------------------------------------------------------------------


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def compare_invoice(severa: Record, netvisor: CompanyState, severa_state: SeveraState) -> list[str]:
    """Differences between a Severa invoice and its Netvisor copy, row by row, to the cent."""
    found = netvisor.invoice_by_number(str(severa["Number"]))
    if found is None:
        return [f"invoice {severa['Number']} is not in Netvisor"]
    problems = []
    details = severa["InvoiceDetails"]
    if cents(found.amount) != cents(details["invoiceTotalVatIncludedAmount"]):
        problems.append(f"total {found.amount} != {details['invoiceTotalVatIncludedAmount']}")
    if found.reference_number != severa["ReferenceNumber"]:
        problems.append(f"reference {found.reference_number} != {severa['ReferenceNumber']}")
    customer = netvisor.customers[found.customer_key]
    if customer.code != str(severa["AccountNumber"]):
        problems.append(f"customer {customer.code} != {severa['AccountNumber']}")
    if found.invoice_date.isoformat() != severa["Date"].date().isoformat():
        problems.append(f"date {found.invoice_date} != {severa['Date']}")
    rows = sorted(severa["InvoiceRows"], key=lambda r: r["rowNumber"])
    if len(rows) != len(found.lines):
        return [*problems, f"{len(found.lines)} lines != {len(rows)} rows"]
    for row, line in zip(rows, found.lines, strict=True):
        where = f"row {row['rowNumber']}"
        expected = {
            "product": (line.product_code, row["articleIdentifier"]),
            "quantity": (line.quantity, row["deliveredQuantity"]),
            "unit price": (line.unit_price, row["rowUnitPrice"]),
            "VAT %": (line.vat_percentage, row["rowVatRatePercent"]),
            "VAT code": (line.vat_code, row["rowVatCode"]),
            "VAT sum": (cents(line.vat_sum), cents(row["rowVatAmount"])),
            "line sum": (cents(line.line_sum), cents(row["rowAmount"])),
        }
        problems += [
            f"{where} {name}: {ours} != {theirs}" for name, (ours, theirs) in expected.items() if ours != theirs
        ]
        if row.get("MainCaseGUID"):
            case = severa_state.cases[row["MainCaseGUID"]]
            dims = dict(line.dimensions)
            if dims.get("Projekti") != f"{case['CaseNumber']} {case['Name']}":
                problems.append(f"{where} project dimension {dims.get('Projekti')}")
            if dims.get("Kustannuspaikka") != str(case["CostCenterNumber"]):
                problems.append(f"{where} cost centre dimension {dims.get('Kustannuspaikka')}")
    return problems


def numbers_in_netvisor(netvisor: CompanyState) -> Counter[str]:
    return Counter(i.number for i in netvisor.invoices.values())


@dataclass(frozen=True)
class Statuses:
    ready: str = READY_STATUS
    sent: str = SENT_STATUS


STATUSES = Statuses()
