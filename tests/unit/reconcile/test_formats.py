"""Amounts and dates as a Finnish accountant reads them; exact values for programs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from severa_netvisor.reconcile.formats import amount, machine, percent, show, spreadsheet_amount


def test_amounts_have_a_space_between_thousands_and_a_decimal_comma() -> None:
    assert amount(Decimal("1234.56")) == "1 234,56"
    assert amount(Decimal("-1234567.5")) == "-1 234 567,50"
    assert amount(Decimal("0.005")) == "0,01"  # half up, as in Finnish invoicing
    assert amount(Decimal("12")) == "12,00"


def test_a_spreadsheet_gets_numbers_it_can_read() -> None:
    assert spreadsheet_amount(Decimal("1234.56")) == "1234,56"
    assert show(Decimal("-3.1"), spreadsheet=True) == "-3,10"


def test_dates_are_dates_and_rates_lose_trailing_zeros() -> None:
    assert show(date(2026, 11, 5)) == "5.11.2026"
    assert percent(Decimal("25.50")) == "25,5"
    assert percent(Decimal("14.0")) == "14"
    assert show(None) == ""


def test_programs_get_exact_decimals_and_iso_dates() -> None:
    assert machine(Decimal("1234.5")) == "1234.50"
    assert machine(date(2026, 11, 5)) == "2026-11-05"
    assert machine(3) == 3
