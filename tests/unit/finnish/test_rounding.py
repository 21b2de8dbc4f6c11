"""Cent rounding and row / total reconciliation (finland.md §7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from severa_netvisor.finnish import (
    CENT,
    FinnishValidationError,
    RowAmounts,
    check_invoice_totals,
    check_row_matches,
    format_decimal_comma,
    round_cents,
    row_amounts,
)

prices = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=4, allow_nan=False)
quantities = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=2, allow_nan=False)
discounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2, allow_nan=False)
vat_rates = st.sampled_from([Decimal(v) for v in ("0", "10", "13.5", "14", "24", "25.5")])


def test_half_up_not_half_even():
    assert round_cents("0.125") == Decimal("0.13")  # round() would give 0.12
    assert round_cents("0.0255") == Decimal("0.03")
    assert round_cents("-0.125") == Decimal("-0.13")  # credit notes mirror invoices
    assert round_cents(2) == Decimal("2.00")


def test_documented_examples():
    # 2 x 100,00 at 25,5 % = 251,00 (API.md §4.6 example invoice).
    assert row_amounts("100.00", "2", "0", "25.5") == RowAmounts(Decimal("200.00"), Decimal("51.00"), Decimal("251.00"))
    # GetSalesInvoice.xml: 2 x 6,90 at 22 % -> VAT 3,04, sum 16,84.
    assert row_amounts("6.90", 2, 0, 22) == RowAmounts(Decimal("13.80"), Decimal("3.04"), Decimal("16.84"))
    # Discount applies before VAT.
    assert row_amounts("100", "1", "10", "25,5") == RowAmounts(Decimal("90.00"), Decimal("22.95"), Decimal("112.95"))


def test_per_row_and_per_total_rounding_differ_by_a_cent():
    rows = [row_amounts("0.10", 1, 0, "25.5")] * 3
    assert check_invoice_totals(rows, total_gross="0.39", total_vat="0.09").vat == Decimal("0.09")
    # Severa rounding VAT on the total (0,30 x 25,5 % = 0,0765 -> 0,08) is flagged rather than sent.
    with pytest.raises(FinnishValidationError) as caught:
        check_invoice_totals(rows, total_gross="0.38", total_vat="0.08", field="invoice 1001 total")
    message = str(caught.value)
    assert message.startswith("invoice 1001 total: ")
    assert "gross 0.38 ≠ 0.39" in message
    assert "vat 0.08 ≠ 0.09" in message


def test_row_check_names_each_differing_sum():
    computed = row_amounts("6.90", 2, 0, 22)
    check_row_matches(computed, net="13.80", vat="3.04", gross="16.84")
    check_row_matches(computed, gross=Decimal("16.844"))  # below one cent: Severa kept more decimals
    with pytest.raises(FinnishValidationError, match=r"row 3: .*vat 3.05 ≠ 3.04") as caught:
        check_row_matches(computed, net="13.80", vat="3.05", field="row 3")
    assert "net" not in str(caught.value).split("(")[1]


def test_bad_discount_and_negative_rate():
    with pytest.raises(FinnishValidationError, match="discount percentage"):
        row_amounts("1", "1", "101", "24")
    with pytest.raises(FinnishValidationError, match="negative"):
        row_amounts("1", "1", "0", "-1")


def test_decimal_comma_format():
    assert format_decimal_comma(Decimal("251")) == "251,00"
    assert format_decimal_comma("6.9", places=4) == "6,9000"
    assert format_decimal_comma("-0.125") == "-0,13"


@given(prices, quantities, discounts, vat_rates)
def test_row_invariants(price, quantity, discount, rate):
    net, vat, gross = row_amounts(price, quantity, discount, rate)
    for amount in (net, vat, gross):
        assert amount == amount.quantize(CENT)
    assert gross == net + vat
    exact_net = price * quantity * (100 - discount) / 100
    assert abs(net - exact_net) <= Decimal("0.005")
    assert abs(vat - net * rate / 100) <= Decimal("0.005")


@given(prices, quantities, discounts, vat_rates)
def test_credit_note_mirrors_invoice(price, quantity, discount, rate):
    invoice = row_amounts(price, quantity, discount, rate)
    credit = row_amounts(price, -quantity, discount, rate)
    assert credit == RowAmounts(-invoice.net, -invoice.vat, -invoice.gross)


@given(st.lists(st.tuples(prices, quantities, discounts, vat_rates), min_size=1, max_size=20))
def test_totals_of_rounded_rows_always_reconcile(specs):
    rows = [row_amounts(*spec) for spec in specs]
    totals = check_invoice_totals(rows, total_gross=sum(r.gross for r in rows))
    assert totals.gross == totals.net + totals.vat
    with pytest.raises(FinnishValidationError):
        check_invoice_totals(rows, total_gross=totals.gross + CENT)
