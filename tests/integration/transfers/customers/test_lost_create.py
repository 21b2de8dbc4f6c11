"""Issue 13, defect 4: a customer with neither number nor business ID was created twice after a lost
create answer (Netvisor applied the create, the answer never came, and nothing could find it again).
Now every customer the integration creates carries a code Netvisor stores and searches (its number,
or ``SEV-…`` made from the Severa GUID), and with those codes switched off a create whose outcome is
unknown is never sent again blindly. Through both simulators: Netvisor applies the create and drops
the connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from severa_netvisor.mapping.customers import severa_code

from sandbox.aws import LocalAws
from sandbox.netvisor.faults import Fault
from sandbox.severa import build_state
from sandbox.severa.state import SeveraState
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks


def _anonymous(state: SeveraState) -> dict[str, Any]:
    """The one account, without a customer number or business ID (a private person, say)."""
    [account] = state.customers.values()
    for record in (account, state.accounts[account["GUID"]]):
        record.update(Number=None, VatNumber=None)
    for invoice in state.invoices.values():
        invoice["AccountNumber"] = None
        invoice["BuyerOrganization"].update(buyerPartyIdentifier=None, buyerOrganisationTaxCode=None)
        invoice["ReceiverVatNumber"] = None
    return account


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(1304, accounts=1, invoices=3, hour_entries=0, credit_note_share=0.0)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state, customers=False)
        yield running


def _drop_the_next_customer_create(w: World) -> None:
    w.netvisor.faults.add(Fault("drop", resource="customer.nv", times=1))


@pytest.mark.parametrize("next_run", ["scheduled", "full resync", "an invoice needs it"])
def test_a_customer_without_number_or_business_id_is_created_once_after_a_lost_answer(
    w: World, next_run: str
) -> None:
    account = _anonymous(w.severa.state)
    transfer = "invoices" if next_run == "an invoice needs it" else "customers"
    ready = len(checks.ready_invoices(w.severa.state))
    _drop_the_next_customer_create(w)

    first = w.run_engine(transfer)
    assert first.created == 0, first
    assert len(w.netvisor.state.customers) == 1, "Netvisor applied the create; its answer was lost"

    second = w.run_engine(transfer, full_resync=next_run == "full resync")

    [customer] = w.netvisor.state.customers.values()
    assert customer.code == severa_code(account["GUID"])
    # One create (answered or not) and one edit of the customer found: never a second create.
    assert w.netvisor_posts("customer.nv") == 2
    if transfer == "invoices":
        assert (second.created, second.dependencies, second.failed) == (ready, 1, 0), second
        assert {i.customer_key for i in w.netvisor.state.invoices.values()} == {customer.key}
    else:
        assert (second.created, second.adopted, second.failed) == (0, 1, 0), second


def test_without_codes_a_create_whose_answer_was_lost_waits_for_a_person(w: World) -> None:
    account = _anonymous(w.severa.state)
    w.set_mapping(customers={"code_without_number": "none"})
    _drop_the_next_customer_create(w)
    w.run_engine("customers")
    assert len(w.netvisor.state.customers) == 1

    refused = w.run_engine("customers")

    assert (refused.created, refused.failed) == (0, 1), refused
    assert len(w.netvisor.state.customers) == 1, "not created again blindly"
    [failure] = w.open_failures("customers")
    assert failure.error_class == "CustomerNotIdentifiable"
    assert "an earlier create in Netvisor got no answer" in failure.reason
    assert "Give the account a customer number in Severa" in failure.action

    # The person gives both the same number: the customer is found, not created again.
    [customer] = w.netvisor.state.customers.values()
    customer.fields["internalidentifier"] = "30001"
    for record in (account, w.severa.state.accounts[account["GUID"]]):
        record["Number"] = 30001
    w.severa.state.touch(account)
    fixed = w.run_engine("customers")
    assert (fixed.created, fixed.adopted, fixed.failures_closed) == (0, 1, 1), fixed
    assert len(w.netvisor.state.customers) == 1
