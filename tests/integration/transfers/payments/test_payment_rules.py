"""What Netvisor's payment list holds besides payments, and the order payments count in (issue 12,
items 8 and 9), through the payments transfer and both simulators: a credit-loss write-off is not a
payment, a payment Netvisor did not target to an invoice and one the bank reported failed are open
failures naming the payment (never partial payments), the paid date is the day the invoice was paid in
full whatever order the payments were booked in, and a refund on a credit note settles it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from sandbox.aws import LocalAws
from sandbox.severa.seed import SENT_STATUS
from tests.integration.rig import World, world
from tests.integration.transfers.payments.test_payments_transfer import (
    MAPPING,
    PAID,
    PARTIAL,
    PAY_DAY,
    log_texts,
    netvisor_invoice,
    paid_on,
    prepare_severa,
    severa_state,
    transferred,
)


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[tuple[World, list[str]]]:
    state = severa_state(4)
    guids = prepare_severa(state, [4001, 4002, 4003, 4004])
    with world(local_aws, severa_state=state, mapping_changes=MAPPING) as running:
        yield running, guids


def test_a_credit_loss_write_off_is_not_a_payment(systems: tuple[World, list[str]]) -> None:
    w, (guid, *_) = systems
    key = netvisor_invoice(w.netvisor, "4001", "300.00")
    transferred(w, guid, key)
    paid = w.netvisor.add_payment(key, "100.00", PAY_DAY)
    write_off = w.netvisor.add_write_off(key, PAY_DAY)  # the other 200,00 written off as a credit loss
    _severa, netvisor = w.clients()
    assert [p.netvisor_key for p in netvisor.list_sales_payments(limit_by_type="onlycreditloss")] == [write_off.key]

    w.run_engine("payments")

    assert w.severa.state.invoices[guid]["InvoiceStatus"] != PAID
    assert paid_on(w.severa.state, guid) is None
    failures = {(f.ref.type, f.ref.id): f for f in w.open_failures("payments")}
    # The credit loss is reported once, as the invoice's; the write-off is never taken for a payment.
    assert set(failures) == {("creditloss", str(key)), ("payment", str(paid.key))}
    assert "recorded as a credit loss" in failures[("creditloss", str(key))].reason


def test_a_payment_netvisor_did_not_target_is_reported_then_written_back_once_targeted(
    systems: tuple[World, list[str]],
) -> None:
    w, (guid, *_) = systems
    key = netvisor_invoice(w.netvisor, "4001", "120.00")
    transferred(w, guid, key)
    stray = w.netvisor.add_unlinked_payment("120.00", "RF18 5390 0754 7034", name="Matti Meikäläinen",
                                            payment_date=PAY_DAY)  # fmt: skip

    first = w.run_engine("payments")

    assert (first.created, first.failed) == (0, 1), first
    assert w.severa.state.invoices[guid]["InvoiceStatus"] == SENT_STATUS
    [failure] = w.open_failures("payments")
    assert failure.reason.startswith(
        f"Netvisor payment {stray.key} of 120,00 EUR from Matti Meikäläinen on "
        f"{PAY_DAY.day}.{PAY_DAY.month}.{PAY_DAY.year} to reference RF18 5390 0754 7034: not targeted to any "
        "invoice in Netvisor"
    )

    w.netvisor.target_payment(stray, key)  # the accountant targets it
    second = w.run_engine("payments")

    assert (second.created, second.failures_closed) == (1, 1), second
    assert w.severa.state.invoices[guid]["InvoiceStatus"] == PAID
    assert w.open_failures("payments") == []


def test_a_payment_the_bank_reported_failed_is_reported_not_applied(systems: tuple[World, list[str]]) -> None:
    w, (guid, *_) = systems
    key = netvisor_invoice(w.netvisor, "4001", "75.00")
    transferred(w, guid, key)
    failed = w.netvisor.add_failed_payment(key, "75.00", "ERROR_IN_DUE_DATE", "Eräpäivä virheellinen", PAY_DAY)

    summary = w.run_engine("payments")

    assert (summary.created, summary.failed) == (0, 1), summary
    assert w.severa.state.invoices[guid]["InvoiceStatus"] == SENT_STATUS
    [failure] = w.open_failures("payments")
    assert failure.ref.id == str(failed.key)
    assert "the bank reported it failed (ERROR_IN_DUE_DATE Eräpäivä virheellinen)" in failure.reason


def test_the_paid_date_is_the_day_the_last_payment_was_made_whatever_order_they_were_booked(
    systems: tuple[World, list[str]],
) -> None:
    w, (first_guid, second_guid, *_) = systems
    # In one read: the later payment booked first, the earlier one booked after it.
    one = netvisor_invoice(w.netvisor, "4001", "200.00")
    transferred(w, first_guid, one)
    w.netvisor.add_payment(one, "150.00", PAY_DAY)
    w.netvisor.add_payment(one, "50.00", PAY_DAY - timedelta(days=2))
    # Across two runs: the later payment written back first (partial), the earlier one then completes it.
    two = netvisor_invoice(w.netvisor, "4002", "90.00")
    transferred(w, second_guid, two)
    w.netvisor.add_payment(two, "60.00", PAY_DAY)

    w.run_engine("payments")

    severa = w.severa.state
    assert severa.invoices[first_guid]["InvoiceStatus"] == PAID
    assert paid_on(severa, first_guid) == PAY_DAY
    assert severa.invoices[second_guid]["InvoiceStatus"] == PARTIAL

    w.netvisor.add_payment(two, "30.00", PAY_DAY - timedelta(days=5))
    w.run_engine("payments")

    assert severa.invoices[second_guid]["InvoiceStatus"] == PAID
    assert paid_on(severa, second_guid) == PAY_DAY, "paid in full on the day of its last payment"
    assert any("paid in full on" in text for text in log_texts(severa, second_guid))


def test_a_refund_on_a_credit_note_settles_it_and_is_no_reversed_payment(systems: tuple[World, list[str]]) -> None:
    w, (*_, credit_guid) = systems
    w.severa.state.invoices[credit_guid]["IsCreditNote"] = True
    credit = netvisor_invoice(w.netvisor, "4004", "-80.00")
    transferred(w, credit_guid, credit)
    w.netvisor.add_payment(credit, "-80.00", PAY_DAY, name="Asiakas Oy")

    summary = w.run_engine("payments")

    assert (summary.created, summary.failed) == (1, 0), summary
    severa = w.severa.state
    assert severa.invoices[credit_guid]["InvoiceStatus"] == PAID
    assert paid_on(severa, credit_guid) == PAY_DAY
    assert any(t.startswith("Refund 80,00 EUR to Asiakas Oy") for t in log_texts(severa, credit_guid))
    assert w.open_failures("payments") == []
