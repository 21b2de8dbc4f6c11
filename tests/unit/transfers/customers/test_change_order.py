"""Where an account sits in the customers transfer's change order (what the cursor moves along)."""

from __future__ import annotations

from datetime import UTC, datetime

from severa_netvisor.severa.models import Customer
from severa_netvisor.state import Cursor
from severa_netvisor.transfers.customers import account_ref, change_time

INSERTED = datetime(2026, 1, 1, tzinfo=UTC)
UPDATED = datetime(2026, 3, 1, tzinfo=UTC)
READ_AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def customer(updated: datetime | None = UPDATED) -> Customer:
    return Customer.model_validate({"GUID": "g", "InsertTS": INSERTED, "UpdatedTS": updated, "IsActive": True})


def test_an_account_is_ordered_by_its_own_change_time() -> None:
    assert change_time(customer(), None, READ_AT) == UPDATED
    assert change_time(customer(), Cursor(datetime(2026, 2, 1, tzinfo=UTC)), READ_AT) == UPDATED


def test_a_never_updated_account_is_ordered_by_its_insert_time() -> None:
    assert change_time(customer(updated=None), None, READ_AT) == INSERTED


def test_an_account_returned_for_an_address_or_contact_change_sits_at_the_read() -> None:
    since = Cursor(datetime(2026, 5, 1, tzinfo=UTC))
    assert change_time(customer(), since, READ_AT) == READ_AT


def test_accounts_have_their_own_ledger_type() -> None:
    assert str(account_ref("abc")) == "severa/account/abc"
