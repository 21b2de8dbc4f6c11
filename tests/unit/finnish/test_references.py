"""Finnish reference numbers and RF creditor references (finland.md §3, §4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from severa_netvisor.finnish import (
    FinnishValidationError,
    build_finnish_reference,
    build_rf_reference,
    finnish_reference_check_digit,
    format_finnish_reference,
    format_rf_reference,
    is_valid_finnish_reference,
    is_valid_rf_reference,
    reference_kind,
    rf_check_digits,
    rf_from_finnish_reference,
    validate_finnish_reference,
    validate_reference,
    validate_rf_reference,
)

# All-zero references are refused (they identify nothing), so a base has a non-zero digit.
bases = st.text(alphabet="0123456789", min_size=3, max_size=19).filter(lambda b: b.strip("0") != "")
rf_bodies = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21)


@pytest.mark.parametrize(
    ("base", "reference"),
    [("123456", "1234561"), ("1234567", "12345672"), ("107", "1070"), ("100", "1009")],
)
def test_finnish_reference_examples(base, reference):
    assert build_finnish_reference(base) == reference
    assert validate_finnish_reference(reference) == reference


def test_build_accepts_an_int_base_and_refuses_bad_lengths():
    assert build_finnish_reference(107) == "1070"
    with pytest.raises(FinnishValidationError, match="3–19 digits"):
        build_finnish_reference("12")
    with pytest.raises(FinnishValidationError, match="3–19 digits"):
        build_finnish_reference("1" * 20)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1071", "wrong check digit"),
        ("107", "3 digits"),
        ("1" * 21, "21 digits"),
        ("12A4561", "other than digits"),
        ("0000", "all zeros"),
    ],
)
def test_invalid_finnish_references(value, problem):
    with pytest.raises(FinnishValidationError, match=problem) as caught:
        validate_finnish_reference(value, field="invoice 1001 reference number")
    assert str(caught.value).startswith("invoice 1001 reference number: ")


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ("1234561", "RF341234561"),
        ("12345672", "RF8512345672"),
        ("5000056789012345", "RF485000056789012345"),
        ("539007547034", "RF18539007547034"),
        ("13", "RF4113"),
    ],
)
def test_rf_examples(body, reference):
    assert build_rf_reference(body) == reference
    assert validate_rf_reference(reference) == reference


def test_rf_from_finnish_reference_drops_leading_zeros():
    assert rf_from_finnish_reference("1234561") == "RF341234561"
    assert rf_from_finnish_reference("001234561") == "RF341234561"
    with pytest.raises(FinnishValidationError):
        rf_from_finnish_reference("1234562")


def test_printed_forms():
    assert format_finnish_reference("12345672") == "123 45672"
    assert format_finnish_reference("0001234561") == "12 34561"
    assert format_rf_reference("RF341234561") == "RF34 1234 561"


def test_validate_reference_only_strips_whitespace():
    assert validate_reference("123 45672") == "12345672"
    assert validate_reference("RF34 1234 561") == "RF341234561"
    assert validate_reference("\t1070\u00a0") == "1070"
    # Leading zeros are part of a valid reference and are passed through as written.
    assert validate_reference("0001070") == "0001070"
    assert reference_kind("RF341234561") == "rf"
    assert reference_kind("1070") == "finnish"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is empty"),
        ("RF35 1234 561", "wrong check digits"),
        ("rf341234561", "not an RF reference"),  # refused rather than upper-cased: sent as written
        ("RF34", "not an RF reference"),
        ("RF34" + "1" * 22, "not an RF reference"),
        ("1234 5673", "wrong check digit"),
    ],
)
def test_validate_reference_errors(value, problem):
    with pytest.raises(FinnishValidationError, match=problem):
        validate_reference(value)


@given(bases)
def test_any_base_gets_a_valid_check_digit(base):
    reference = build_finnish_reference(base)
    assert reference[:-1] == base
    assert is_valid_finnish_reference(reference)
    assert validate_reference(reference) == reference


@given(bases, st.data())
def test_single_digit_change_in_finnish_reference_is_detected(base, data):
    reference = build_finnish_reference(base)
    position = data.draw(st.integers(min_value=0, max_value=len(reference) - 1))
    delta = data.draw(st.integers(min_value=1, max_value=9))
    changed = reference[:position] + str((int(reference[position]) + delta) % 10) + reference[position + 1 :]
    assert not is_valid_finnish_reference(changed)


@given(rf_bodies)
def test_rf_round_trip(body):
    reference = build_rf_reference(body)
    assert reference == "RF" + rf_check_digits(body) + body
    assert validate_rf_reference(reference) == reference
    assert validate_reference(format_rf_reference(reference)) == reference


@given(rf_bodies, st.data())
def test_single_character_change_in_rf_is_detected(body, data):
    reference = build_rf_reference(body)
    position = data.draw(st.integers(min_value=2, max_value=len(reference) - 1))
    # Mod 97 catches every digit-for-digit and letter-for-letter substitution; a letter for a digit
    # changes the length of the number and can collide (about 1 in 97), so stay within the class.
    alphabet = "0123456789" if reference[position].isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != reference[position]))
    changed = reference[:position] + replacement + reference[position + 1 :]
    assert not is_valid_rf_reference(changed)


@given(bases)
def test_rf_from_finnish_reference_carries_the_digits(base):
    finnish = build_finnish_reference(base)
    rf = rf_from_finnish_reference(finnish)
    assert rf[4:] == finnish.lstrip("0")
    assert is_valid_rf_reference(rf)
    assert finnish_reference_check_digit(finnish[:-1]) == int(finnish[-1])
