"""A control character in one Severa record fails that record alone, named with its field and the fix,
through both simulators: the Severa simulator writes the character as Severa does (``&#x1;``), the
client reads it leniently, each transfer's ``prepare`` refuses the record, the rest go through. A name
longer than Netvisor takes is named the same way, before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from tests.integration.rig import World, world


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(1301, accounts=4, invoices=0, hour_entries=0)
    with world(local_aws, severa_state=state) as running:
        yield running


def test_a_customer_name_with_a_control_character_fails_alone(systems: World) -> None:
    accounts = sorted(systems.severa.state.customers.values(), key=lambda a: int(a["Number"]))
    broken = accounts[1]
    clean_name = broken["Name"]
    broken["Name"] = clean_name.replace(" ", "\x01 ", 1)
    systems.severa.state.accounts[broken["GUID"]]["Name"] = broken["Name"]

    summary = systems.run_engine("customers")

    assert (summary.created, summary.failed) == (len(accounts) - 1, 1), summary
    assert str(broken["Number"]) not in {c.code for c in systems.netvisor.state.customers.values()}
    [failure] = systems.open_failures("customers")
    shown = clean_name.replace(" ", "\ufffd ", 1)
    assert failure.reason == (
        f"customer {shown} (customer number {broken['Number']}): field Name holds a control character "
        "(U+0001); remove it in Severa."
    )
    assert failure.retryable is False
    assert "\x01" not in failure.reason

    # Fixed in Severa: the next run sends it and closes the failure.
    broken["Name"] = clean_name
    systems.severa.state.touch(broken)
    again = systems.run_engine("customers")
    assert (again.created, again.failed, again.failures_closed) == (1, 0, 1), again
    assert systems.open_failures("customers") == []


def test_a_customer_name_longer_than_netvisor_takes_is_named_before_sending(systems: World) -> None:
    # customer.nv (77000554181): the name takes at most 250 characters; the simulator refuses more.
    accounts = sorted(systems.severa.state.customers.values(), key=lambda a: int(a["Number"]))
    long = accounts[2]
    clean_name = long["Name"]
    long["Name"] = clean_name + " Laskutusyksikkö" * 16  # over 250 characters
    systems.severa.state.accounts[long["GUID"]]["Name"] = long["Name"]

    summary = systems.run_engine("customers")

    assert (summary.created, summary.failed) == (len(accounts) - 1, 1), summary
    assert systems.netvisor.request_log.count("customer.nv", outcome="OK") == len(accounts) - 1
    assert systems.netvisor.request_log.count("customer.nv") == len(accounts) - 1, "never sent to be refused"
    [failure] = systems.open_failures("customers")
    assert f"(number {long['Number']}" in failure.reason
    assert f"customer name: '{clean_name}" in failure.reason
    assert f"has {len(long['Name'])} characters; Netvisor allows at most 250" in failure.reason
    assert "Shorten it in Severa" in failure.reason
