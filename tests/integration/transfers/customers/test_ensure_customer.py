"""``CustomersTransfer.ensure_customer``, as the invoices transfer calls it: in-process, against the
simulators and moto, sharing the ledger with the customers function."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from severa_netvisor.mapping.customers import CustomerValidationError
from severa_netvisor.state import LedgerStatus
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.customers import CustomerNotFound, CustomersTransfer

from sandbox.aws import LocalAws
from tests.integration.transfers.customers.systems import Systems, new_state_table, start_systems, stop_systems


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[Systems]:
    running = start_systems(local_aws, accounts=3, seed=5)
    yield running
    stop_systems(running)


def _transfer(systems: Systems) -> CustomersTransfer:
    return CustomersTransfer(TransferContext.from_settings(systems.settings()), systems.store())


def test_a_new_account_is_created_and_recorded_and_transferred_accounts_come_from_the_ledger(systems: Systems) -> None:
    account = systems.accounts()[0]
    transfer = _transfer(systems)
    assert transfer.transferred_key(account["GUID"]) is None
    key = transfer.ensure_customer(account["GUID"], run_id="invoices-run-1")
    assert transfer.transferred_key(account["GUID"]) == key
    created = systems.netvisor_customer(str(account["Number"]))
    assert key == str(created.key)
    assert created.name == account["Name"]
    entry = systems.ledger(account["GUID"])
    assert entry is not None
    assert (entry.status, entry.target_key, entry.writeback_pending) == (LedgerStatus.DONE, key, False)

    systems.netvisor.request_log.clear()
    systems.severa.calls.clear()
    assert transfer.ensure_customer(account["GUID"], run_id="invoices-run-2") == key
    assert systems.netvisor.request_log.entries == []
    assert systems.severa_calls() == 0

    # A customers run afterwards treats it exactly as one it transferred itself.
    result = systems.run()
    assert (result["created"], result["skipped"], result["failed"]) == (2, 1, 0), result
    assert len(systems.netvisor_customers()) == 3

    # And an account that run transferred comes from the ledger: no Severa or Netvisor call.
    other = systems.accounts()[1]
    expected = str(systems.netvisor_customer(str(other["Number"])).key)
    systems.netvisor.request_log.clear()
    systems.severa.calls.clear()
    assert _transfer(systems).ensure_customer(other["GUID"], run_id="invoices-run-3") == expected
    assert systems.netvisor.request_log.entries == []
    assert systems.severa_calls() == 0


def test_an_existing_netvisor_customer_is_matched_not_created(systems: Systems) -> None:
    account = systems.accounts()[2]
    transfer = _transfer(systems)
    first = transfer.ensure_customer(account["GUID"], run_id="r1")
    # The ledger is lost (e.g. a new state table); the customer is found by its number instead.
    systems.table = new_state_table(systems.aws)
    systems.netvisor.request_log.clear()
    assert _transfer(systems).ensure_customer(account["GUID"], run_id="r2") == first
    assert len(systems.netvisor_customers()) == 1
    assert systems.netvisor.request_log.count("customerlist.nv") == 1
    assert systems.netvisor.request_log.count("customer.nv") == 1  # the edit that brings it in line
    assert systems.ledger(account["GUID"]).target_key == first  # type: ignore[union-attr]


def test_an_invalid_account_raises_and_records_the_error_a_run_would_record_and_sends_nothing(
    systems: Systems,
) -> None:
    account = systems.accounts()[0]
    account["VatNumber"] = "1234567-8"
    with pytest.raises(CustomerValidationError, match=r"business ID.*check digit") as raised:
        _transfer(systems).ensure_customer(account["GUID"], run_id="r")
    assert account["Name"] in str(raised.value)
    assert systems.netvisor.request_log.count("customer.nv") == 0
    # Recorded as a customers run would: the invoices transfer then reports the account's invoices once.
    entry = systems.ledger(account["GUID"])
    assert entry is not None
    assert entry.status is LedgerStatus.FAILED
    assert entry.last_error_retryable is False
    assert entry.target_key is None


def test_an_unknown_account_is_named(systems: Systems) -> None:
    with pytest.raises(CustomerNotFound, match="00000000-0000-0000-0000-000000000000"):
        _transfer(systems).ensure_customer("00000000-0000-0000-0000-000000000000", run_id="r")
