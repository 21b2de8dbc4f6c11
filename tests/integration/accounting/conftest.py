"""The accounting cases of issue 12 through the product as it runs: Severa read over SOAP, the
customers and invoices transfers on the engine, Netvisor's simulator checking what arrives.

Built on the one integration rig (``tests/integration/rig.py``): the transfers hand the mapping what
they read (the customer's reverse-charge flag, the credited supplies' dates), so these tests prove
the wiring as well as the mapping.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.aws import LocalAws
from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa import build_state
from sandbox.severa.cases import invoices_of
from sandbox.severa.seed import SENT_STATUS
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks

#: Every real-world case this suite covers (``same_number`` is the invoices transfer's own test).
CASES = (
    "construction", "eu_services", "eu_goods", "outside_eu", "rate_change", "per_rate_rounding",
    "large_discount", "positive_credit_note", "shared_business_id",
)  # fmt: skip


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(1201, accounts=2, invoices=0, hour_entries=0, real_world=CASES)
    with world(local_aws, severa_state=state) as running:
        # Products and dimension items are the products and dimensions transfers' work, not tested here.
        checks.seed_netvisor(state, running.netvisor.state, customers=False)
        checks.seed_work_types(running.netvisor.state)
        yield running


def sent(w: World, *cases: str) -> list[InvoiceRecord]:
    """Run the invoices transfer with only these cases' invoices ready; Netvisor's copies in number order."""
    records = [record for case in cases for record in invoices_of(w.severa.state, case)]
    for record in w.severa.state.invoices.values():
        if record.get("_case") not in cases:
            record["InvoiceStatus"] = SENT_STATUS
    summary = w.run_engine("invoices")
    assert (summary.created, summary.failed) == (len(records), 0), summary
    by_number = {i.number: i for i in w.netvisor.state.invoices.values()}
    return [by_number[str(record["Number"])] for record in records]


def note(invoice: InvoiceRecord) -> str:
    return invoice.fields.get("salesinvoicefreetextafterlines", "")
