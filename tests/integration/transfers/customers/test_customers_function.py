"""The customers function end to end: the real handler in a child process, as Lambda runs it, against
the Severa and Netvisor simulators over HTTP and moto (state table, failed-records queue, secrets, SSM)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from severa_netvisor.transfers.customers import account_ref

from sandbox.aws import LocalAws
from sandbox.netvisor.faults import Fault
from sandbox.netvisor.state import CustomerRecord
from tests.integration.rig import World, world

ACCOUNTS = 5


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[World]:
    with world(local_aws, accounts=ACCOUNTS) as running:
        yield running


def _customers(systems: World) -> list[CustomerRecord]:
    return sorted(systems.netvisor.state.customers.values(), key=lambda c: c.key)


def _accounts(systems: World) -> list[dict[str, Any]]:
    """The seeded Severa customer cards, by customer number."""
    return sorted(systems.severa.state.customers.values(), key=lambda c: int(c["Number"]))


def _ledger(systems: World, account_guid: str) -> Any:
    return systems.ledger(account_ref(account_guid))


def _by_code(systems: World) -> dict[str, CustomerRecord]:
    return {c.code: c for c in _customers(systems)}


def _touch(systems: World, account: dict[str, Any], **changes: Any) -> None:
    account.update(changes)
    systems.severa.state.touch(account, datetime.now(UTC))


def test_first_run_transfers_every_account_then_a_quiet_run_writes_nothing_then_a_change_is_updated(
    systems: World,
) -> None:
    accounts = _accounts(systems)
    first = systems.run("customers")
    assert (first["created"], first["failed"], first["stopped_early"]) == (ACCOUNTS, 0, None), first
    customers = _by_code(systems)
    assert sorted(customers) == sorted(str(a["Number"]) for a in accounts)
    account = accounts[0]
    sent = customers[str(account["Number"])]
    digits = account["VatNumber"][2:]
    assert sent.name == account["Name"]
    assert sent.business_id == f"{digits[:7]}-{digits[7]}"
    assert sent.fields["finvoiceaddress"] == account["eInvoiceAddress"]
    assert sent.fields["finvoiceroutercode"] == account["eInvoiceOperator"]
    assert "organizationunitnumber" not in sent.fields  # the e-invoice address never goes there (customer.nv)
    assert sent.fields["invoicinglanguage"] == "FI"
    address = systems.severa.state.addresses[account["HeadOfficeAddressGUID"]]
    assert (sent.fields["streetaddress"], sent.fields["city"], sent.fields["postnumber"]) == (
        address["Addressline"],
        address["City"],
        address["PostalCode"],
    )
    entry = _ledger(systems, account["GUID"])
    assert entry is not None
    assert entry.target_key == str(sent.key)

    # Nothing changed: no Netvisor request at all, and a bounded number of Severa calls.
    systems.netvisor.request_log.clear()
    systems.severa.calls.clear()
    quiet = systems.run("customers")
    assert (quiet["created"], quiet["updated"], quiet["failed"]) == (0, 0, 0), quiet
    assert systems.netvisor.request_log.entries == []
    assert systems.severa_calls() <= 3, systems.severa.calls

    # A renamed account and a moved billing address are carried over as edits of the same customers.
    renamed, moved = accounts[1], accounts[2]
    _touch(systems, renamed, Name="Uusi Nimi Oy")
    moved_address = systems.severa.state.addresses[moved["HeadOfficeAddressGUID"]]
    _touch(systems, moved_address, Addressline="Satamakatu 9", City="Kotka", PostalCode="48100")
    systems.netvisor.request_log.clear()
    third = systems.run("customers")
    assert (third["created"], third["updated"], third["failed"]) == (0, 2, 0), third
    assert systems.netvisor.request_log.count("customer.nv") == 2
    after = _by_code(systems)
    assert len(after) == ACCOUNTS
    assert after[str(renamed["Number"])].name == "Uusi Nimi Oy"
    assert after[str(renamed["Number"])].key == customers[str(renamed["Number"])].key
    assert after[str(moved["Number"])].fields["streetaddress"] == "Satamakatu 9"
    assert after[str(moved["Number"])].fields["city"] == "Kotka"


def _add_netvisor_customer(systems: World, **fields: str) -> CustomerRecord:
    state = systems.netvisor.state
    with state.lock:
        key = state.new_key()
        record = CustomerRecord(key, dict(fields), [], datetime(2026, 1, 1))
        state.customers[key] = record
    return record


def _business_id(account: dict[str, Any]) -> str:
    digits = str(account["VatNumber"])[2:]
    return f"{digits[:7]}-{digits[7]}"


def test_bad_accounts_go_to_the_queue_with_a_readable_reason_and_the_rest_transfer(systems: World) -> None:
    accounts = _accounts(systems)
    bad_id, bad_number = accounts[1], accounts[3]
    bad_id["VatNumber"] = "FI12345678"  # 1234567-8: the check digit should be 1
    bad_number["Number"] = 0
    result = systems.run("customers")
    assert (result["created"], result["failed"]) == (ACCOUNTS - 2, 2), result
    assert result["failures_by_reason"] == {"CustomerValidationError": 2}
    assert sorted(_by_code(systems)) == sorted(str(a["Number"]) for a in accounts if a not in (bad_id, bad_number))
    messages = {m["source"]["id"]: m for m in systems.messages()}
    assert set(messages) == {bad_id["GUID"], bad_number["GUID"]}
    id_message = messages[bad_id["GUID"]]
    assert (id_message["transfer"], id_message["step"], id_message["retryable"]) == ("customers", "prepare", False)
    assert bad_id["Name"] in id_message["message"]
    assert "business ID" in id_message["message"]
    assert "check digit" in id_message["message"]
    assert "Correct the business ID" in id_message["message"]
    assert id_message["record"]["customer"]["guid"] == bad_id["GUID"]  # enough to replay it
    number_message = messages[bad_number["GUID"]]["message"]
    assert "customer number: '0' starts with 0" in number_message
    assert bad_number["Name"] in number_message

    # Once corrected in Severa, the next run carries them over; the others are left alone.
    digits = "15728600"
    _touch(systems, bad_id, VatNumber="FI" + digits)
    _touch(systems, bad_number, Number=20001)
    systems.netvisor.request_log.clear()
    again = systems.run("customers")
    assert (again["created"], again["failed"]) == (2, 0), again
    assert systems.netvisor.request_log.count("customer.nv") == 2
    assert _by_code(systems)["20001"].name == bad_number["Name"]


def test_existing_netvisor_customers_are_matched_by_number_and_by_business_id(systems: World) -> None:
    accounts = _accounts(systems)
    by_number = _add_netvisor_customer(systems, name="Vanha nimi", internalidentifier=str(accounts[0]["Number"]))
    by_business_id = _add_netvisor_customer(systems, name="Toinen", externalidentifier=_business_id(accounts[1]))
    result = systems.run("customers")
    assert (result["adopted"], result["created"], result["failed"]) == (2, ACCOUNTS - 2, 0), result
    assert len(_customers(systems)) == ACCOUNTS  # nothing created twice
    assert _ledger(systems, accounts[0]["GUID"]).target_key == str(by_number.key)
    assert _ledger(systems, accounts[1]["GUID"]).target_key == str(by_business_id.key)
    # Adopted customers are brought in line with Severa (updates are allowed in the sandbox mapping).
    assert by_number.name == accounts[0]["Name"]
    assert by_business_id.code == str(accounts[1]["Number"])


def test_a_match_that_points_two_ways_is_a_failure_never_a_guess(systems: World) -> None:
    accounts = _accounts(systems)
    two_keys, two_customers = accounts[0], accounts[1]
    number_hit = _add_netvisor_customer(systems, name="Numero", internalidentifier=str(two_keys["Number"]))
    id_hit = _add_netvisor_customer(systems, name="Tunnus", externalidentifier=_business_id(two_keys))
    twin_a = _add_netvisor_customer(systems, name="Kaksonen A", externalidentifier=_business_id(two_customers))
    twin_b = _add_netvisor_customer(systems, name="Kaksonen B", externalidentifier=_business_id(two_customers))
    result = systems.run("customers")
    # The number and the business ID pointing at two customers is a conflict; a business ID two
    # Netvisor customers share (billing units of one organisation) says nothing, so the account whose
    # number is in neither is created as a customer of its own (issue 12, item 12).
    assert (result["created"], result["failed"]) == (ACCOUNTS - 1, 1), result
    assert result["failures_by_reason"] == {"CustomerMatchConflict": 1}
    messages = {m["source"]["id"]: m for m in systems.messages()}
    two_way = messages[two_keys["GUID"]]
    assert two_way["step"] == "lookup"
    assert f"customer number {two_keys['Number']} is Netvisor customer {number_hit.key}" in two_way["message"]
    assert f"business ID {_business_id(two_keys)} is Netvisor customer {id_hit.key}" in two_way["message"]
    assert two_customers["GUID"] not in messages
    created = [c for c in systems.netvisor.state.customers.values() if c.code == str(two_customers["Number"])]
    assert len(created) == 1
    assert created[0].key not in (twin_a.key, twin_b.key)
    # Nothing was written to any of the four.
    for record, name in ((number_hit, "Numero"), (id_hit, "Tunnus"), (twin_a, "Kaksonen A"), (twin_b, "Kaksonen B")):
        assert record.name == name
    assert systems.netvisor.request_log.count("customer.nv") == ACCOUNTS - 1


def test_two_overlapping_runs_do_one_runs_work(systems: World) -> None:
    # The first write hangs for 6 s, so whichever run takes the lease still holds it when the other,
    # started at the same moment, asks for it.
    systems.netvisor.faults.add(Fault(kind="latency", resource="customer.nv", nth=1, seconds=6))
    results: list[dict[str, Any]] = []

    def run() -> None:
        results.append(systems.run("customers"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    busy = [r for r in results if r["lease_busy"]]
    worked = [r for r in results if not r["lease_busy"]]
    assert (len(busy), len(worked)) == (1, 1), results
    assert (busy[0]["fetched"], busy[0]["created"]) == (0, 0)
    assert worked[0]["created"] == ACCOUNTS
    assert len(_customers(systems)) == ACCOUNTS
    assert systems.netvisor.request_log.count("customer.nv") == ACCOUNTS


def test_a_dry_run_plans_with_the_xml_and_writes_nothing(systems: World) -> None:
    accounts = _accounts(systems)
    accounts[2]["VatNumber"] = "FI12345678"
    result = systems.run("customers", {"dry_run": True})
    assert result["dry_run"] is True
    actions = sorted(item["action"] for item in result["plan"])
    assert actions == ["create"] * (ACCOUNTS - 1) + ["fail"]
    create = next(item for item in result["plan"] if item["action"] == "create")
    [request] = create["requests"]
    assert request["system"] == "netvisor"
    assert request["operation"].startswith("create customer")
    assert request["body"].startswith("<root><customer><customerbaseinformation><internalidentifier>")
    failed = next(item for item in result["plan"] if item["action"] == "fail")
    assert failed["source_id"] == accounts[2]["GUID"]
    assert "check digit" in failed["reason"]
    assert systems.netvisor.request_log.count("customer.nv") == 0
    assert _customers(systems) == []
    assert systems.messages() == []
    assert systems.cursor("customers") is None
    assert all(_ledger(systems, a["GUID"]) is None for a in accounts)


def test_a_run_out_of_time_checkpoints_and_the_next_run_finishes(local_aws: LocalAws) -> None:
    many = 30
    with world(local_aws, accounts=many, seed=11) as systems:
        # Slow Netvisor writes and a 10 s Lambda that stops taking records with 7 s left (and abandons
        # queued writes with 3.5 s left): the run cannot do 30 writes of 0.25 s in that window.
        slow = systems.netvisor.faults.add(Fault(kind="latency", resource="customer.nv", seconds=0.25))
        first = systems.run("customers", timeout=10, TIME_BUDGET_MARGIN_SECONDS="7")
        assert str(first["stopped_early"]).startswith("time budget"), first
        assert first["failed"] == 0
        assert first["created"] < many
        if first["created"]:
            assert systems.cursor("customers") is not None  # the work done is checkpointed
        systems.netvisor.faults.clear()
        assert slow.fired >= first["created"]

        second = systems.run("customers")
        assert (second["stopped_early"], second["failed"]) == (None, 0), second
        assert first["created"] + second["created"] + second["adopted"] == many
        codes = [c.code for c in _customers(systems)]
        assert sorted(codes) == sorted(str(a["Number"]) for a in _accounts(systems))  # each exactly once
        assert all(_ledger(systems, a["GUID"]) is not None for a in _accounts(systems))
