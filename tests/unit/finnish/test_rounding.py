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


def test_both_lawful_roundings_reconcile_and_the_difference_goes_onto_the_largest_row():
    from severa_netvisor.finnish import reconcile_invoice_totals

    rows = [(Decimal("25.5"), row_amounts("0.10", "1", "0", "25.5")) for _ in range(3)]
    rows.append((Decimal("14"), row_amounts("2.50", "1", "0", "14")))  # 0.35, no difference per rate
    per_row, sent = reconcile_invoice_totals(rows, total_gross="3.24", total_vat="0.44")
    assert (per_row.vat, [r.vat for r in sent]) == (Decimal("0.44"), [Decimal("0.03")] * 3 + [Decimal("0.35")])
    per_rate, sent = reconcile_invoice_totals(rows, total_gross="3.23", total_vat="0.43", total_net="2.80")
    assert per_rate == (Decimal("2.80"), Decimal("0.43"), Decimal("3.23"))
    assert [r.vat for r in sent] == [Decimal("0.02"), Decimal("0.03"), Decimal("0.03"), Decimal("0.35")]
    assert all(r.gross == r.net + r.vat for r in sent)
    with pytest.raises(FinnishValidationError, match=r"rounded once per VAT rate the VAT would be 0\.43"):
        reconcile_invoice_totals(rows, total_gross="3.25", total_vat="0.45")


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    st.integers(min_value=1, max_value=9999),
    st.decimals(min_value=Decimal("0.1"), max_value=Decimal(1000), places=1),
)
def test_the_exact_discount_always_reproduces_the_net(price, basis_points, quantity):
    from severa_netvisor.finnish import exact_discount_percent

    net = round_cents(price * quantity * (10000 - basis_points) / 10000)
    discount = exact_discount_percent(price, quantity, net)
    if discount is None:
        assert round_cents(price * quantity) == net
    else:
        assert row_amounts(price, quantity, discount, "25.5").net == net


def test_no_discount_reproduces_a_net_above_the_price():
    from severa_netvisor.finnish import exact_discount_percent

    with pytest.raises(FinnishValidationError, match="no discount of 0-100 %"):
        exact_discount_percent("100", "2", "250.00")
