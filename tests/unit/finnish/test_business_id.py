"""Business ID (Y-tunnus), VAT number, OVT code and e-invoice addressing (finland.md §1, §2, §6)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from severa_netvisor.errors import IntegrationError
from severa_netvisor.finnish import (
    FinnishValidationError,
    business_id_check_digit,
    business_id_from_vat_number,
    is_valid_business_id,
    normalize_business_id,
    ovt_from_business_id,
    validate_einvoice_address,
    validate_einvoice_operator,
    validate_iban,
    validate_ovt,
    vat_number_from_business_id,
)

seven_digits = st.text(alphabet="0123456789", min_size=7, max_size=7)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1572860-0", "1572860-0"),  # fi-business-id README, remainder 0
        ("1967543-8", "1967543-8"),  # Netvisor fixtures' organisation, 11 - 3
        (" 1572860 - 0 ", "1572860-0"),
        ("15728600", "1572860-0"),
        ("FI15728600", "1572860-0"),
        ("fi 1572 8600", "1572860-0"),
        ("112038-9", "0112038-9"),  # old six-digit base gets its leading zero
    ],
)
def test_valid_business_ids_normalise(value, expected):
    assert normalize_business_id(value) == expected
    assert is_valid_business_id(value)


def test_wrong_check_digit_names_field_and_expected_digit():
    # The business ID in Netvisor's GetCustomer.xml fixture is invalid: the check digit would be 1.
    with pytest.raises(FinnishValidationError) as caught:
        normalize_business_id("1234567-8", field="customer 42 business ID")
    message = str(caught.value)
    assert message.startswith("customer 42 business ID: ")
    assert "need 1" in message
    assert "Severa customer card" in message
    assert caught.value.field == "customer 42 business ID"


def test_remainder_one_has_no_check_digit():
    with pytest.raises(FinnishValidationError, match="no valid check digit"):
        business_id_check_digit("1234568")
    assert not is_valid_business_id("1234568-0")


@pytest.mark.parametrize("value", ["", "abc", "1572860-", "1572860-00", "12345-6", "SE15728600", "1572860_0"])
def test_malformed_business_ids(value):
    assert not is_valid_business_id(value)


def test_error_is_integration_error_and_value_error():
    with pytest.raises(FinnishValidationError) as caught:
        normalize_business_id("x")
    assert isinstance(caught.value, IntegrationError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.retryable is False
    assert caught.value.error_class == "FinnishValidationError"
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301  (our own bytes)
    assert str(copy) == str(caught.value) == caught.value.message
    assert copy.field == "business ID"


def test_vat_number_and_ovt_examples():
    assert vat_number_from_business_id("1572860-0") == "FI15728600"
    assert business_id_from_vat_number("FI15728600") == "1572860-0"
    assert ovt_from_business_id("1572860-0") == "003715728600"
    assert ovt_from_business_id("1572860-0", suffix="100") == "003715728600100"
    with pytest.raises(FinnishValidationError):
        ovt_from_business_id("1572860-0", suffix="123456")
    with pytest.raises(FinnishValidationError, match="Finnish VAT number"):
        business_id_from_vat_number("SE556677889901")


@pytest.mark.parametrize("value", ["003715728600", "0037 1572 8600", "00371572860012345", "003721291126"])
def test_valid_ovt(value):
    assert validate_ovt(value) == value.replace(" ", "")


@pytest.mark.parametrize(
    "value",
    ["003715728601", "0038157286000", "0037157286", "003715728600123456", "00371572860-0"],
)
def test_invalid_ovt(value):
    with pytest.raises(FinnishValidationError, match="OVT"):
        validate_ovt(value)


def test_einvoice_address_is_ovt_iban_or_peppol():
    assert validate_einvoice_address("003715728600") == "003715728600"
    assert validate_einvoice_address("FI21 1234 5600 0007 85") == "FI2112345600000785"
    # Peppol participant identifiers: ICD 0216 (OVT code), 0037 (business ID), 0007 (Swedish org. number).
    assert validate_einvoice_address("0216:003715728600") == "0216:003715728600"
    assert validate_einvoice_address("0037:15728600") == "0037:15728600"
    assert validate_einvoice_address("0007:5567321707") == "0007:5567321707"
    with pytest.raises(FinnishValidationError, match="e-invoice address"):
        validate_einvoice_address("FI21 1234 5600 0007 86")
    with pytest.raises(FinnishValidationError, match="does not contain a valid business ID"):
        validate_einvoice_address("0216:003715728601")  # the business ID inside has a wrong check digit
    with pytest.raises(FinnishValidationError, match="check digit"):
        validate_einvoice_address("0037:15728601")
    with pytest.raises(FinnishValidationError, match="neither an OVT code"):
        validate_einvoice_address("invoices@example.fi")


def test_iban_rules():
    assert validate_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(FinnishValidationError, match="18"):
        validate_iban("FI21 1234 5600 0007 8")


def test_einvoice_operator_bic_ovt_or_operator_code_and_allowed_list():
    assert validate_einvoice_operator("NDEAFIHH") == "NDEAFIHH"
    assert validate_einvoice_operator("003721291126") == "003721291126"
    # Real operator codes that are neither a BIC nor an OVT code.
    assert [validate_einvoice_operator(v) for v in ("E204503", "pagero", "INEXCHANGE")] == [
        "E204503",
        "PAGERO",
        "INEXCHANGE",
    ]
    assert validate_einvoice_operator("dabafihh", allowed=["DABAFIHH", "003721291126"]) == "DABAFIHH"
    with pytest.raises(FinnishValidationError, match="Use one of: 003721291126, DABAFIHH"):
        validate_einvoice_operator("PSPBFIHH", allowed=["DABAFIHH", "003721291126"])
    for bad in ("Maventa/Visma", "AB", "003721291127"):
        with pytest.raises(FinnishValidationError, match="e-invoice operator"):
            validate_einvoice_operator(bad)


@given(seven_digits)
def test_any_base_with_a_check_digit_validates(digits):
    try:
        check = business_id_check_digit(digits)
    except FinnishValidationError:
        return  # remainder 1: no ID with this base exists
    assert normalize_business_id(f"{digits}-{check}") == f"{digits}-{check}"
    # Every other check digit is refused.
    for other in set(range(10)) - {check}:
        assert not is_valid_business_id(f"{digits}-{other}")


@given(seven_digits, st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=9))
def test_single_digit_change_is_detected(digits, position, delta):
    try:
        check = business_id_check_digit(digits)
    except FinnishValidationError:
        return
    changed = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1 :]
    assert not is_valid_business_id(f"{changed}-{check}")
