"""Crash every transfer's run at every step, crash again during the recovery, then run on: the final
state equals a fault-free run's, nothing lost, nothing duplicated.

Short here (the first occurrence of every write step, a second crash in every third recovery, a
small data set); ``make soak`` crashes at every occurrence of every step of larger data. The step
names are stable: each test names the steps its transfer must pass, so a renamed or skipped call
shows up here. In process, against both simulators and moto (``campaigns.crash``).
"""

from __future__ import annotations

import pytest

from sandbox.aws import LocalAws
from tests.reliability.campaigns.crash import crash_campaign, is_write
from tests.reliability.campaigns.scenarios import (
    CUSTOMER_ADDRESSES,
    CUSTOMERS,
    DIMENSIONS,
    HOURS,
    INVOICES,
    INVOICES_ERROR_STATUS,
    INVOICES_SENT_SINCE,
    PAYMENTS,
    PRODUCTS,
    Scenario,
)

#: What every run passes: its leases, the cursor, the ledger, the register.
ENGINE_STEPS = {
    "state.acquire_lease",
    "state.release_lease",
    "state.read_cursor",
    "state.write_cursor",
    "state.get_ledger",
    "state.mark_pending",
    "state.mark_done",
    "register.get_many",
    "register.failures",
}
#: A failure recorded, announced and marked announced.
FAILURE_STEPS = {"register.record", "queue.send", "register.mark_notified"}

CASES = [
    pytest.param(CUSTOMERS, 8, {"severa.customers_changed_since", "netvisor.list_customers", "netvisor.add_customer",
                                *FAILURE_STEPS}, id="customers"),
    pytest.param(PRODUCTS, 12, {"severa.products_changed_since", "severa.work_types_changed_since",
                                "netvisor.list_products", "netvisor.add_product", *FAILURE_STEPS}, id="products"),
    pytest.param(DIMENSIONS, 6, {"severa.cases_changed_since", "severa.business_units_changed_since",
                                 "netvisor.list_dimensions", "netvisor.add_dimension_item", *FAILURE_STEPS},
                 id="dimensions"),
    pytest.param(INVOICES, 10, {"severa.iter_invoice_stubs_by_status", "severa.invoice_pdf", "severa.customer",
                                "netvisor.add_customer", "netvisor.add_sales_invoice", "severa.set_invoice_status",
                                "severa.add_invoice_log_entry", "state.mark_written_back", *FAILURE_STEPS},
                 id="invoices"),
    pytest.param(PAYMENTS, 10, {"netvisor.list_sales_payments", "netvisor.iter_sales_invoices",
                                "severa.iter_invoice_keys_by_status", "severa.add_invoice_log_entry",
                                "severa.set_invoice_payment_date", "severa.set_invoice_status", *FAILURE_STEPS},
                 id="payments"),
    pytest.param(HOURS, 12, {"severa.hour_entries_changed_since", "severa.hour_entries_by_date",
                             "netvisor.import_workday", "state.put_side", *FAILURE_STEPS}, id="hours"),
]  # fmt: skip

VARIANTS = [
    pytest.param(CUSTOMER_ADDRESSES, 8, {"netvisor.edit_customer"}, id="customers-address-edits"),
    pytest.param(INVOICES_ERROR_STATUS, 10, {"severa.set_invoice_status", "netvisor.add_sales_invoice"},
                 id="invoices-error-status"),
    pytest.param(INVOICES_SENT_SINCE, 10, {"severa.iter_invoice_stubs_by_date", "netvisor.add_sales_invoice"},
                 id="invoices-sent-since"),
]  # fmt: skip


def _names(labels: set[str]) -> set[str]:
    return {label.split(" ", 1)[1] for label in labels}


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "size", "steps"), CASES)
def test_a_crash_at_every_step_loses_and_duplicates_nothing(
    local_aws: LocalAws, scenario: Scenario, size: int, steps: set[str]
) -> None:
    report = crash_campaign(local_aws, scenario, size, seed=3, second_crash_every=3)

    assert report.tally.clean, report.tally.explain()
    assert ENGINE_STEPS | steps <= _names(report.steps), sorted(ENGINE_STEPS | steps - _names(report.steps))
    writes = {label for label in report.steps if is_write(label)}
    assert writes <= {label for label, _ in report.crashed}, "every write was a crash point, before and after"
    assert report.crashed_again, "some recovery runs crashed too"


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "size", "steps"), VARIANTS)
def test_configuration_variants_survive_crashes_at_their_own_steps(
    local_aws: LocalAws, scenario: Scenario, size: int, steps: set[str]
) -> None:
    report = crash_campaign(local_aws, scenario, size, seed=3, second_crash_every=3)

    assert report.tally.clean, report.tally.explain()
    assert steps <= _names(report.steps)
    crashed = _names({label for label, _ in report.crashed})
    assert steps <= crashed, sorted(steps - crashed)
