"""Billing units sharing one business ID (issue 12, item 12), through the customers transfer and both
simulators: Netvisor already has one unit, the other is created (told apart by its number), never
reported as a conflict or adopted onto the first; the business IDs are counted over every Severa account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.aws import LocalAws
from sandbox.netvisor.state import CustomerRecord
from sandbox.severa import build_state
from sandbox.severa.cases import HELSINKI_ID
from tests.integration.rig import World, world


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(1312, accounts=1, invoices=0, hour_entries=0, real_world=("shared_business_id",))
    with world(local_aws, severa_state=state) as running:
        yield running


def _units(w: World) -> dict[str, CustomerRecord]:
    return {c.code: c for c in w.netvisor.state.customers.values() if c.business_id == HELSINKI_ID}


def test_a_second_billing_unit_with_the_same_business_id_is_created_not_a_conflict(w: World) -> None:
    with w.netvisor.state.lock:  # the education unit was keyed into Netvisor by hand
        key = w.netvisor.state.new_key()
        fields = {"name": "Helsingin kaupunki, KASKO", "internalidentifier": "20006", "externalidentifier": HELSINKI_ID}
        w.netvisor.state.customers[key] = CustomerRecord(key, fields, [], w.netvisor.now())

    first = w.run_engine("customers")

    assert (first.created, first.adopted, first.failed) == (len(w.severa.state.accounts) - 1, 1, 0), first
    units = _units(w)
    assert sorted(units) == ["20006", "20007"]
    assert units["20006"].key == key, "the unit in Netvisor is kept, found by its number"
    assert units["20007"].name == "Helsingin kaupunki, Kaupunkiympäristön toimiala"

    # A later run with one unit changed: the business IDs are counted again over every account.
    env = next(a for a in w.severa.state.customers.values() if a["Number"] == 20007)
    env["Email"] = "kymp.laskut@hel.example.com"
    w.severa.state.touch(env)
    w.severa.calls.clear()
    later = w.run_engine("customers")
    assert (later.updated, later.failed) == (1, 0), later
    assert w.severa.calls["GetCustomersChangedSince"] == 2  # the changes, and every account once
    assert sorted(_units(w)) == ["20006", "20007"]
