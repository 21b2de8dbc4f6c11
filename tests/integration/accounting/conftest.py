"""The accounting cases of issue 12 through both simulators: Severa read over SOAP, mapped by the
product's mapping, written to the Netvisor simulator over HTTP, checked on Netvisor's side.

The transfers' engine is left out on purpose (it is being rewritten): these tests pin what the
mapping sends and what Netvisor's rules (as the simulator states them) accept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from severa_netvisor.credentials import NetvisorCredentials, SeveraCredentials
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.customers import (
    NetvisorCustomerRef,
    comparable_business_id,
    find_existing_customer,
    map_customer,
)
from severa_netvisor.mapping.invoices import MappedInvoice, local_date, map_invoice
from severa_netvisor.mapping.loader import parse_mapping
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import EPOCH, SeveraClient
from severa_netvisor.severa.models import Account, Invoice

from sandbox.environment import SANDBOX_DIMENSION_NAMES
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.netvisor.state import CompanyState, ProductRecord
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.seed import PRODUCTS, READY_STATUS, WORK_TYPES
from sandbox.severa.state import SeveraState

SANDBOX_MAPPING = Path(__file__).resolve().parents[3] / "sandbox" / "mapping.yaml"
#: Every real-world case this stream's items cover (``same_number`` is the invoices transfer's).
CASES = (
    "construction", "eu_services", "eu_goods", "outside_eu", "rate_change", "per_rate_rounding",
    "large_discount", "positive_credit_note", "shared_business_id",
)  # fmt: skip


@dataclass
class World:
    severa_sim: SeveraSimulator
    netvisor_sim: NetvisorSimulator
    severa: SeveraClient
    netvisor: NetvisorClient
    config: MappingConfig
    customer_keys: dict[str, int] = field(default_factory=dict)

    @property
    def severa_state(self) -> SeveraState:
        return self.severa_sim.state

    @property
    def netvisor_state(self) -> CompanyState:
        return self.netvisor_sim.state

    def transfer_customers(self) -> Counter[str]:
        """Every Severa account to Netvisor: matched by number / business ID, else created."""
        details = self.severa.customers_with_details_changed_since(EPOCH)
        ids = Counter(comparable_business_id(d.customer.vat_number) for d in details if d.customer.vat_number)
        shared = {business_id for business_id, count in ids.items() if count > 1}
        outcome: Counter[str] = Counter()
        for detail in details:
            mapped = map_customer(detail, options=self.config.customers)
            listing = [
                NetvisorCustomerRef.of(c.netvisor_key, c.name, c.code, c.business_id)
                for c in self.netvisor.list_customers()
            ]
            key = find_existing_customer(mapped, listing, self.config.customers.match_order, shared_business_ids=shared)
            if key is None:
                key = self.netvisor.add_customer(mapped.customer)
                outcome["created"] += 1
            else:
                self.netvisor.edit_customer(key, mapped.customer)
                outcome["updated"] += 1
            self.customer_keys[detail.customer.guid or ""] = key
        return outcome

    def ready_invoices(self) -> list[Invoice]:
        return sorted(self.severa.invoices_by_status(READY_STATUS), key=lambda i: (i.number or 0, i.guid or ""))

    def map(self, invoice: Invoice) -> MappedInvoice:
        """What the invoices transfer is to hand the mapping: the customer's reverse-charge flag and,
        for a credit note, the supply date of the invoice it credits."""
        account: Account | None = self.severa.account(invoice.account_guid or "")
        original = self.severa.invoice(invoice.reimburse_invoice_guid) if invoice.reimburse_invoice_guid else None
        return map_invoice(
            invoice,
            self.config,
            customer_key=str(self.customer_keys[invoice.account_guid or ""]),
            reverse_charge=bool(account and account.reverse_charge),
            original_supply_dates=[local_date(r.row_delivery_date) for r in original.invoice_rows] if original else (),
        )

    def send(self, invoice: Invoice) -> int:
        return self.netvisor.add_sales_invoice(self.map(invoice).invoice)


def _seed_netvisor(severa: SeveraState, netvisor: CompanyState) -> None:
    """The products and dimension items the invoices name (the products and dimensions transfers'
    work, not under test here)."""
    now = datetime.now(UTC)
    with netvisor.lock:
        for code, name in [(c, n) for c, n, *_ in PRODUCTS] + list(WORK_TYPES) + [("TYO", "Työ")]:
            key = netvisor.new_key()
            netvisor.products[key] = ProductRecord(key, {"productcode": code, "name": name}, "net", now)
    for case in severa.cases.values():
        netvisor.add_dimension_item("Projekti", f"{case['CaseNumber']} {case['Name']}")
        netvisor.add_dimension_item("Kustannuspaikka", str(case["CostCenterNumber"]))
    for unit in severa.business_units.values():
        netvisor.add_dimension_item("Liiketoimintayksikkö", unit["Name"])


@pytest.fixture
def world() -> Iterator[World]:
    state = build_state(1201, accounts=2, invoices=0, hour_entries=0, real_world=CASES)
    config = parse_mapping(SANDBOX_MAPPING.read_text("utf-8"), source="sandbox mapping")
    settings = Settings(severa_operation_timeout_seconds=10.0, netvisor_read_timeout_seconds=10.0)
    with (
        SeveraSimulator(state=state) as severa_sim,
        NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]) as netvisor_sim,
    ):
        _seed_netvisor(state, netvisor_sim.state)
        severa = SeveraClient(
            SeveraCredentials.model_validate(severa_secret(severa_sim)), settings, retry_delays=(0.0,)
        )
        netvisor = NetvisorClient(
            NetvisorCredentials.model_validate(netvisor_secret(netvisor_sim)), settings, backoff_seconds=0.0
        )
        yield World(severa_sim, netvisor_sim, severa, netvisor, config)
        severa.close()


__all__ = ["CASES", "World", "date"]
