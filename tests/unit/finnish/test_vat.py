"""VAT rates by supply date and Netvisor VAT codes (finland.md §5)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from severa_netvisor.finnish import (
    DEFAULT_VAT_CODES,
    NETVISOR_LENGTH_LIMITS,
    PURCHASE_VAT_CODES,
    SALES_VAT_CODES,
    VAT_CODE_MEANINGS,
    VAT_PERIODS,
    FinnishValidationError,
    NetvisorVatCode,
    check_length,
    is_valid_vat_rate,
    parse_decimal,
    parse_netvisor_vat_code,
    validate_sales_vat_code,
    validate_vat_rate,
    vat_rates_on,
)


def rates(*values: str) -> frozenset[Decimal]:
    return frozenset(Decimal(v) for v in values)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(1998, 1, 1), rates("22", "17", "8", "0")),
        (date(2009, 9, 30), rates("22", "17", "8", "0")),
        (date(2009, 10, 1), rates("22", "12", "8", "0")),
        (date(2010, 7, 1), rates("23", "13", "9", "0")),
        (date(2013, 1, 1), rates("24", "14", "10", "0")),
        (date(2024, 8, 31), rates("24", "14", "10", "0")),
        (date(2024, 9, 1), rates("25.5", "14", "10", "0")),
        (date(2025, 6, 1), rates("25.5", "14", "10", "0")),
        (date(2025, 12, 31), rates("25.5", "14", "10", "0")),
        (date(2026, 1, 1), rates("25.5", "13.5", "10", "0")),
        (date(2030, 1, 1), rates("25.5", "13.5", "10", "0")),
    ],
)
def test_rates_in_force(day, expected):
    assert vat_rates_on(day) == expected


def test_general_rate_change_on_2024_09_01():
    assert is_valid_vat_rate("24", date(2024, 8, 31))
    assert not is_valid_vat_rate("25.5", date(2024, 8, 31))
    assert is_valid_vat_rate("25,5", date(2024, 9, 1))
    assert is_valid_vat_rate(Decimal("25.50"), date(2024, 9, 1))
    assert not is_valid_vat_rate(24, date(2024, 9, 1))


def test_reduced_rate_change_on_2026_01_01():
    assert is_valid_vat_rate("14", date(2025, 12, 31))
    assert not is_valid_vat_rate("13.5", date(2025, 12, 31))
    assert is_valid_vat_rate("13.5", date(2026, 1, 1))
    assert not is_valid_vat_rate("14", date(2026, 1, 1))


def test_error_names_the_rates_of_that_day():
    with pytest.raises(FinnishValidationError) as caught:
        validate_vat_rate("24", date(2024, 10, 1), field="invoice 1001 row 2 VAT rate")
    message = str(caught.value)
    assert message.startswith("invoice 1001 row 2 VAT rate: 24 % was not a Finnish VAT rate on 2024-10-01")
    assert "25.5, 14, 10, 0 %" in message
    assert "supply (delivery) date" in message


def test_dates_before_the_table_are_refused():
    with pytest.raises(FinnishValidationError, match="table starts 1998-01-01"):
        vat_rates_on(date(1997, 12, 31))


def test_rates_are_decimals_not_floats():
    with pytest.raises(TypeError):
        validate_vat_rate(25.5, date(2025, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(FinnishValidationError, match="not a number"):
        parse_decimal("25.5 %", "VAT rate")


@given(st.dates(min_value=date(1998, 1, 1), max_value=date(2100, 12, 31)))
def test_zero_and_the_general_rate_are_always_valid(day):
    allowed = vat_rates_on(day)
    assert Decimal(0) in allowed
    period = [p for p in VAT_PERIODS if p.start <= day][-1]
    assert period.general in allowed
    assert max(allowed) == period.general
    # Every rate is valid through the day before the next change.
    assert vat_rates_on(day) == vat_rates_on(max(period.start, day - timedelta(days=1)))


def test_vat_codes_from_the_dtd():
    dtd_values = [
        "NONE",
        "KOOS",
        "EUOS",
        "EUUO",
        "EUPO",
        "100",
        "KOMY",
        "EUMY",
        "EUUM",
        "EUPM312",
        "EUPM309",
        "MUUL",
        "EVTO",
        "EVPO",
        "EVKV",
        "KAVE",
        "RAMY",
        "RAOS",
        "EVRO",
        "MAAL",
        "EVMA",
        "KOMY0",
    ]
    assert {c.value for c in NetvisorVatCode} == set(dtd_values)
    assert set(VAT_CODE_MEANINGS) == set(NetvisorVatCode)
    assert set(NetvisorVatCode) == SALES_VAT_CODES | PURCHASE_VAT_CODES
    assert not SALES_VAT_CODES & PURCHASE_VAT_CODES
    assert set(DEFAULT_VAT_CODES.values()) <= SALES_VAT_CODES
    assert DEFAULT_VAT_CODES["domestic"] is NetvisorVatCode.KOMY
    assert DEFAULT_VAT_CODES["reverse_charge_eu_services"] is NetvisorVatCode.EUPM312


@pytest.mark.parametrize(
    ("text", "code"),
    [("KOMY", "KOMY"), ("komy", "KOMY"), ("-", "NONE"), ("100%", "100"), ("KÄVE", "KAVE"), (" EUPM312 ", "EUPM312")],
)
def test_vat_code_spellings(text, code):
    assert parse_netvisor_vat_code(text) == NetvisorVatCode(code)


def test_sales_code_validation():
    assert validate_sales_vat_code("RAMY") is NetvisorVatCode.RAMY
    with pytest.raises(FinnishValidationError, match="purchase-side"):
        validate_sales_vat_code("KOOS", field="vat.reverse_charge_code")
    with pytest.raises(FinnishValidationError, match=r"not a Netvisor VAT code.*KOMY"):
        validate_sales_vat_code("ALV24")


def test_length_limits():
    limit = NETVISOR_LENGTH_LIMITS["dimension name"]
    assert limit == 50
    assert check_length("x" * limit, limit, "dimension name") == "x" * limit
    with pytest.raises(FinnishValidationError, match="dimension name: has 51 characters; Netvisor allows at most 50"):
        check_length("x" * 51, limit, "dimension name")


def test_a_credit_note_may_keep_any_earlier_rate_but_none_it_never_had():
    from severa_netvisor.finnish import validate_credit_vat_rate

    assert validate_credit_vat_rate("14", date(2026, 1, 15)) == Decimal(14)  # the 2025 rate
    assert validate_credit_vat_rate("24", date(2026, 1, 15)) == Decimal(24)  # before 1.9.2024
    with pytest.raises(FinnishValidationError, match=r"13\.5 % was never a Finnish VAT rate before 2025-12-31"):
        validate_credit_vat_rate("13.5", date(2025, 12, 31))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("SE 5566 7788 9901", "SE556677889901"), ("de123456789", "DE123456789"), ("EL-123456789", "EL123456789"),
     ("ATU12345678", "ATU12345678"), ("NL123456789B01", "NL123456789B01"), ("FR12345678901", "FR12345678901")],
)  # fmt: skip
def test_eu_vat_numbers_of_other_member_states(value, expected):
    from severa_netvisor.finnish import validate_eu_vat_number

    assert validate_eu_vat_number(value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [("FI15728600", "is a Finnish VAT number"), ("NO999999999MVA", "EU country's VAT prefix"),
     ("GR123456789", "EU country's VAT prefix"), ("DE12345678", "form of a DE VAT number")],
)  # fmt: skip
def test_an_eu_reverse_charge_needs_a_foreign_eu_vat_number(value, problem):
    from severa_netvisor.finnish import validate_eu_vat_number

    with pytest.raises(FinnishValidationError, match=problem):
        validate_eu_vat_number(value)


def test_zero_rated_codes_and_their_cases():
    from severa_netvisor.finnish import ZERO_RATED_CODES, VatCase, is_eu_country, vat_case_of

    assert vat_case_of(NetvisorVatCode.RAMY) is VatCase.DOMESTIC_REVERSE_CHARGE
    assert vat_case_of(NetvisorVatCode.EUPM312) is VatCase.EU_SERVICES
    assert vat_case_of(NetvisorVatCode.EUMY) is VatCase.EU_GOODS
    assert vat_case_of(NetvisorVatCode.EUUM) is VatCase.OUTSIDE_EU
    assert vat_case_of(NetvisorVatCode.KOMY) is VatCase.DOMESTIC
    assert NetvisorVatCode.KOMY not in ZERO_RATED_CODES
    assert (is_eu_country("se"), is_eu_country("NO"), is_eu_country(None)) == (True, False, False)
