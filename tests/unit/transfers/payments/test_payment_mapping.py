"""Netvisor payment -> Severa write-back decisions (pure functions of mapping/payments.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from severa_netvisor.mapping.config import InvoiceStatuses, PaymentOptions
from severa_netvisor.mapping.payments import (
    NetvisorInvoiceFacts,
    PaymentFacts,
    PaymentNotApplicable,
    PaymentUnmatched,
    credit_loss_report,
    money,
    normalize_reference,
    open_sums_after,
    payment_content_hash,
    plan_write_back,
)

STATUSES = InvoiceStatuses(ready_to_transfer="Valmis", transferred="Lähetetty", paid="Maksettu", partially_paid="Osin")
INVOICE = NetvisorInvoiceFacts(
    netvisor_key=9001, number="1001", reference="10016", status="open", invoice_sum=Decimal("200.00"),
    open_sum=Decimal("150.00"),
)  # fmt: skip
FACTS = PaymentFacts(
    payment_key=501,
    payment_date=date(2026, 11, 20),
    amount=Decimal("50.00"),
    invoice_number="1001",
    reference="10016",
    payer="Asiakas Oy",
    invoice=INVOICE,
    open_after=Decimal("150.00"),
    severa_invoice_guid="guid-1",
)


def test_money_is_written_the_finnish_way() -> None:
    assert money(Decimal("1234.5")) == "1 234,50"
    assert money(Decimal("-0.1")) == "-0,10"
    assert money(None) == "?"


def test_references_compare_without_grouping_case_or_leading_zeros() -> None:
    assert normalize_reference("00 12345 67890") == normalize_reference("1234567890")
    assert normalize_reference("rf18 5390 0754 7034") == "RF18539007547034"
    assert normalize_reference(None) == ""


def test_open_sum_after_each_payment_is_rebuilt_from_the_open_sum_now() -> None:
    after = open_sums_after([(1, Decimal("50")), (2, Decimal("150"))], Decimal("0"))
    assert after == {1: Decimal("150"), 2: Decimal("0")}
    reversed_ = open_sums_after([(1, Decimal("60")), (2, Decimal("-60"))], Decimal("100"))
    assert reversed_ == {1: Decimal("40"), 2: Decimal("100")}
    assert open_sums_after([(1, Decimal("5"))], None) == {1: None}


def test_full_payment_sets_date_and_paid_status() -> None:
    plan = plan_write_back(replace(FACTS, open_after=Decimal("0.00")), STATUSES, PaymentOptions())
    assert plan.kind == "paid"
    assert plan.payment_date == date(2026, 11, 20)
    assert plan.status == "Maksettu"
    assert "paid in full" in plan.log_text
    assert "Netvisor invoice 1001 (key 9001), payment 501" in plan.log_text


def test_overpayment_is_paid_and_says_by_how_much() -> None:
    plan = plan_write_back(replace(FACTS, open_after=Decimal("-5.00")), STATUSES, PaymentOptions())
    assert plan.kind == "paid"
    assert "overpaid by 5,00 EUR" in plan.log_text


def test_partial_payment_is_logged_with_what_stays_open() -> None:
    plan = plan_write_back(FACTS, STATUSES, PaymentOptions())
    assert plan.kind == "partial"
    assert plan.payment_date is None
    assert plan.status is None, "no partially-paid status unless record_partial_payments is on"
    assert "Partial payment 50,00 EUR from Asiakas Oy on 20.11.2026; open 150,00 EUR of 200,00 EUR" in plan.log_text


def test_partial_payment_status_when_configured() -> None:
    plan = plan_write_back(FACTS, STATUSES, PaymentOptions(record_partial_payments=True))
    assert plan.status == "Osin"


@pytest.mark.parametrize(
    ("facts", "error", "words"),
    [
        (replace(FACTS, amount=Decimal("-50.00")), PaymentNotApplicable, "reversed"),
        (replace(FACTS, amount=Decimal("0")), PaymentNotApplicable, "zero"),
        (replace(FACTS, invoice=None), PaymentUnmatched, "no sales invoice"),
        (replace(FACTS, invoice=replace(INVOICE, status="creditloss")), PaymentNotApplicable, "credit loss"),
        (replace(FACTS, open_after=None), PaymentNotApplicable, "no open sum"),
        (
            replace(FACTS, linked=False, invoice=None, invoice_number=""),
            PaymentUnmatched,
            "not targeted to any invoice",
        ),
        (
            replace(FACTS, bank_status="FAILED", bank_error="ERROR_IN_DUE_DATE Eräpäivä virheellinen"),
            PaymentNotApplicable,
            "the bank reported it failed (ERROR_IN_DUE_DATE Eräpäivä virheellinen)",
        ),
        (
            replace(FACTS, invoice=replace(INVOICE, invoice_sum=Decimal("-200.00"), open_sum=Decimal("-200.00"))),
            PaymentNotApplicable,
            "a payment received for credit note 1001",
        ),
    ],
)
def test_what_is_not_guessed_is_reported(facts: PaymentFacts, error: type[Exception], words: str) -> None:
    with pytest.raises(error) as raised:
        plan_write_back(facts, STATUSES, PaymentOptions())
    assert words in str(raised.value)
    assert "Netvisor payment 501" in str(raised.value)


def test_credit_loss_report_names_the_invoice_and_the_sums() -> None:
    report = credit_loss_report(INVOICE)
    assert "Netvisor invoice 1001 (key 9001)" in report.message
    assert "open 150,00 EUR of 200,00 EUR" in report.message
    assert report.retryable is False


def test_content_hash_is_the_payment_itself_not_what_is_open_now() -> None:
    base = payment_content_hash(FACTS)
    assert payment_content_hash(replace(FACTS, open_after=Decimal("0"), severa_invoice_guid=None)) == base
    assert payment_content_hash(replace(FACTS, amount=Decimal("51.00"))) != base
    assert payment_content_hash(replace(FACTS, payment_date=date(2026, 11, 21))) != base


def test_a_partial_payment_of_an_invoice_paid_in_full_by_now_does_not_set_partially_paid() -> None:
    """Written back after the payment that completed it (the engine takes payments in change order), it
    must not leave the invoice "partially paid"."""
    paid_now = replace(FACTS, invoice=replace(INVOICE, open_sum=Decimal(0)))
    plan = plan_write_back(paid_now, STATUSES, PaymentOptions(record_partial_payments=True))
    assert (plan.kind, plan.status) == ("partial", None)


def test_the_paid_date_is_the_day_the_invoice_was_paid_in_full() -> None:
    last = replace(FACTS, open_after=Decimal(0), payment_date=date(2026, 11, 18), paid_on=date(2026, 11, 20))
    plan = plan_write_back(last, STATUSES, PaymentOptions())
    assert plan.payment_date == date(2026, 11, 20)
    assert "paid in full (paid in full on 20.11.2026)" in plan.log_text


def test_a_refund_of_a_credit_note_settles_it_and_is_not_a_reversal() -> None:
    credit = replace(INVOICE, number="1002", invoice_sum=Decimal("-80.00"), open_sum=Decimal(0))
    refund = replace(FACTS, amount=Decimal("-80.00"), invoice=credit, invoice_number="1002", open_after=Decimal(0))
    plan = plan_write_back(refund, STATUSES, PaymentOptions())
    assert (plan.kind, plan.status, plan.payment_date) == ("paid", "Maksettu", date(2026, 11, 20))
    assert plan.log_text.startswith("Refund 80,00 EUR to Asiakas Oy on 20.11.2026: the credit note is settled.")
    part = plan_write_back(replace(refund, amount=Decimal("-30.00"), open_after=Decimal("-50.00")), STATUSES,
                           PaymentOptions())  # fmt: skip
    assert (part.kind, part.status) == ("partial", None)
    assert "50,00 EUR still to refund" in part.log_text
