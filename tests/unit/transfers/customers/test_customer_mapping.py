"""Severa account -> Netvisor customer: the pure mapping, its checks and the natural-key matching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from severa_netvisor.finnish import FinnishValidationError
from severa_netvisor.mapping.customers import (
    CustomerMatchConflict,
    CustomerValidationError,
    MappedCustomer,
    NetvisorCustomerRef,
    business_id_of,
    find_existing_customer,
    invoicing_language,
    map_customer,
    validate_customer_number,
)
from severa_netvisor.severa.models import CustomerDetails

ORDER = ("netvisor_key", "customer_number", "business_id")


def details(
    *, addresses: list[dict[str, Any]] | None = None, contacts: list[dict[str, Any]] | None = None, **fields: Any
) -> CustomerDetails:
    customer = {
        "GUID": "acc-1",
        "CompanyGUID": "co-1",
        "Name": "Mäkelän Rakennus Oy",
        "Number": 10001,
        "VatNumber": "FI15728600",
        "InsertTS": datetime(2026, 1, 1, tzinfo=UTC),
        "UpdatedTS": datetime(2026, 2, 1, tzinfo=UTC),
        "IsActive": True,
        "LanguageCode": "fi",
        "PaymentTerm": 14,
        "Email": "laskutus@example.fi",
        "Website": "https://example.fi",
        "eInvoiceAddress": "003715728600",
        "eInvoiceOperator": "003721291126",
        "HeadOfficeAddressGUID": "addr-1",
        **fields,
    }
    default_address = {
        "GUID": "addr-1",
        "CompanyGUID": "co-1",
        "Addressline": "Hämeenkatu 5",
        "City": "Tampere",
        "PostalCode": "33100",
        "CountryCode": "fi",
        "Phone": "+358 40 1234567",
        "IsBillingAddress": True,
        "IsPostalAddress": True,
        "IsVisitAddress": False,
    }
    return CustomerDetails.model_validate(
        {
            "customer": customer,
            "addresses": [default_address] if addresses is None else addresses,
            "contacts": contacts or [],
        }
    )


def contact(first: str, last: str, *, active: bool = True, email: str = "", phone: str = "") -> dict[str, Any]:
    methods = []
    if email:
        methods.append({"IsForbiddenToUse": False, "Type": "EmailAddress", "Value": email})
    if phone:
        methods.append({"IsForbiddenToUse": False, "Type": "MobilePhone", "Value": phone})
    return {
        "GUID": f"c-{first}",
        "FirstName": first,
        "LastName": last,
        "IsActive": active,
        "CommunicationMethods": methods,
    }


# -- customer number ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(10001, "10001"), ("42", "42"), (" 7 ", "7"), (None, None), ("", None)]
)
def test_customer_numbers_that_netvisor_accepts(value: int | str | None, expected: str | None) -> None:
    assert validate_customer_number(value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [("01234", "starts with 0"), (0, "starts with 0"), ("12A", "is not numeric"), (-5, "is not numeric")],
)
def test_customer_numbers_that_are_refused_say_why_and_how_to_fix(value: int | str, problem: str) -> None:
    with pytest.raises(FinnishValidationError) as raised:
        validate_customer_number(value)
    assert raised.value.field == "customer number"
    assert problem in raised.value.message
    assert "does not start with 0" in raised.value.fix


# -- business ID, language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vat_number", "expected"),
    [
        ("FI15728600", "1572860-0"),
        ("1572860-0", "1572860-0"),
        ("fi 1572 8600", "1572860-0"),
        ("SE556677889901", "SE556677889901"),
        (None, None),
        ("  ", None),
    ],
)
def test_the_business_id_comes_from_the_vat_number_field(vat_number: str | None, expected: str | None) -> None:
    assert business_id_of(vat_number) == expected


def test_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(FinnishValidationError, match="wrong check digit"):
        business_id_of("FI12345678")


@pytest.mark.parametrize(
    ("code", "expected"), [("fi", "FI"), ("sv-FI", "SE"), ("EN", "EN"), ("en_GB", "EN"), (None, None)]
)
def test_languages_map_to_netvisor_invoicing_languages(code: str | None, expected: str | None) -> None:
    assert invoicing_language(code) == expected


def test_a_language_netvisor_does_not_invoice_in_is_refused() -> None:
    with pytest.raises(FinnishValidationError, match=r"'de'.*Finnish, Swedish or English"):
        invoicing_language("de")


# -- the whole account ---------------------------------------------------------------------------------


def test_an_account_maps_to_a_full_netvisor_customer() -> None:
    contacts = [
        contact("Väinö", "Virtanen", email="vaino@example.fi", phone="+358 50 1"),
        contact("Aino", "Aalto", active=False, email="aino@example.fi"),
    ]
    mapped = map_customer(details(contacts=contacts))
    c = mapped.customer
    assert (mapped.account_guid, mapped.number, mapped.business_id, mapped.payment_term_days) == (
        "acc-1",
        "10001",
        "1572860-0",
        14,
    )
    assert (c.name, c.code, c.business_id) == ("Mäkelän Rakennus Oy", "10001", "1572860-0")
    assert (c.street_address, c.city, c.post_number, c.country, c.phone_number) == (
        "Hämeenkatu 5",
        "Tampere",
        "33100",
        "FI",
        "+358 40 1234567",
    )
    # The e-invoice address goes to Netvisor's e-invoicing fields, never to the organisation unit number.
    assert (c.finvoice_address, c.finvoice_router_code, c.organization_unit_number) == (
        "003715728600",
        "003721291126",
        None,
    )
    assert c.cleared == ("email_invoicing_address",)
    assert c.email_invoicing_address is None  # e-invoices go to the e-invoice address
    assert (c.contact_person, c.contact_person_email, c.contact_person_phone) == (
        "Väinö Virtanen",
        "vaino@example.fi",
        "+358 50 1",
    )
    assert (c.invoicing_language, c.is_active, c.home_page_uri) == ("FI", True, "https://example.fi")
    assert mapped.summary()["business_id"] == "1572860-0"
    assert mapped.label == "Severa account 'Mäkelän Rakennus Oy' (number 10001, GUID acc-1)"


def test_without_an_e_invoice_address_the_email_becomes_the_invoicing_address() -> None:
    c = map_customer(details(eInvoiceAddress=None, eInvoiceOperator=None)).customer
    assert (c.finvoice_address, c.email_invoicing_address) == (None, "laskutus@example.fi")


def test_the_preview_is_the_customer_xml_and_changes_with_the_content() -> None:
    mapped = map_customer(details())
    assert mapped.preview().startswith("<root><customer><customerbaseinformation><internalidentifier>10001<")
    assert "<externalidentifier>1572860-0</externalidentifier>" in mapped.preview()
    assert map_customer(details()).preview() == mapped.preview()
    assert map_customer(details(Name="Toinen Oy")).preview() != mapped.preview()


def test_every_problem_of_an_account_is_named_at_once() -> None:
    with pytest.raises(CustomerValidationError) as raised:
        map_customer(
            details(
                Name=" ", Number="0123", VatNumber="1234567-8", LanguageCode="de", eInvoiceOperator=None, PaymentTerm=-1
            )
        )
    error = raised.value
    assert error.message.startswith("Severa account '(no name)' (number 123, GUID acc-1): ")
    fields = [problem.split(":")[0] for problem in error.problems]
    assert fields == ["name", "business ID (Severa VAT number field)", "language", "payment term", "e-invoice operator"]
    assert error.retryable is False


def test_an_operator_without_an_address_is_refused() -> None:
    with pytest.raises(CustomerValidationError, match="e-invoice address: missing while the e-invoice operator"):
        map_customer(details(eInvoiceAddress=None))


def test_an_e_invoice_address_that_is_neither_ovt_nor_iban_is_refused() -> None:
    with pytest.raises(CustomerValidationError, match=r"e-invoice address.*neither an OVT code"):
        map_customer(details(eInvoiceAddress="laskut@example.fi"))


# -- matching ----------------------------------------------------------------------------------------


def mapped(number: str | None = "10001", business_id: str | None = "1572860-0") -> MappedCustomer:
    return map_customer(details(Number=number, VatNumber=business_id))


def nv(key: int, code: str = "", business_id: str = "", name: str = "Asiakas") -> NetvisorCustomerRef:
    return NetvisorCustomerRef.of(key, name, code, business_id)


def test_no_match_means_create() -> None:
    assert find_existing_customer(mapped(), [nv(1, "20000", "1967543-8")], ORDER) is None


def test_the_customer_number_matches_first() -> None:
    assert find_existing_customer(mapped(), [nv(1, "999"), nv(2, "10001", "1572860-0")], ORDER) == 2


def test_the_business_id_matches_in_either_form() -> None:
    assert find_existing_customer(mapped(), [nv(3, "", "FI15728600")], ORDER) == 3


def test_number_and_business_id_pointing_at_different_customers_is_a_conflict() -> None:
    with pytest.raises(CustomerMatchConflict) as raised:
        find_existing_customer(mapped(), [nv(1, "10001"), nv(2, "", "1572860-0")], ORDER)
    assert "customer number 10001 is Netvisor customer 1" in raised.value.message
    assert "but business ID 1572860-0 is Netvisor customer 2" in raised.value.message
    assert raised.value.retryable is False


def test_two_customers_with_the_business_id_is_a_conflict_unless_the_number_decides() -> None:
    twins = [nv(1, "", "1572860-0"), nv(2, "", "1572860-0")]
    with pytest.raises(CustomerMatchConflict, match=r"business ID 1572860-0 is shared .*no customer number"):
        find_existing_customer(mapped(number=None), twins, ORDER)
    with_number = [nv(1, "10001", "1572860-0"), nv(2, "", "1572860-0")]
    assert find_existing_customer(mapped(), with_number, ORDER) == 1


def test_billing_units_sharing_a_business_id_are_matched_by_number_alone() -> None:
    # A city: one business ID, many billing units, each its own customer number on both sides.
    city = [nv(1, "10001", "1572860-0"), nv(2, "10002", "1572860-0"), nv(3, "10003", "1572860-0")]
    assert find_existing_customer(mapped(), city, ORDER) == 1
    # A new billing unit (number 10004): created, not a conflict and not an adoption of unit 1.
    assert find_existing_customer(mapped(number="10004"), city, ORDER) is None
    # The business ID shared among Severa accounts is not used even when Netvisor has only one unit yet;
    # without knowing it is shared, the other number is a conflict, never an adoption.
    first_unit_only = [nv(1, "10001", "1572860-0")]
    with pytest.raises(CustomerMatchConflict, match="whose customer number is not 10002"):
        find_existing_customer(mapped(number="10002"), first_unit_only, ORDER)
    assert (
        find_existing_customer(mapped(number="10002"), first_unit_only, ORDER, shared_business_ids={"FI15728600"})
        is None
    )
    # A code-less Netvisor customer is not adopted on a shared business ID.
    codeless = [nv(7, "", "1572860-0")]
    assert find_existing_customer(mapped(), codeless, ORDER, shared_business_ids={"1572860-0"}) is None
    assert find_existing_customer(mapped(), codeless, ORDER) == 7  # unique on both sides: the same company


def test_a_business_id_match_with_another_customer_number_is_a_conflict() -> None:
    with pytest.raises(CustomerMatchConflict, match="whose customer number is not 10001") as raised:
        find_existing_customer(mapped(), [nv(4, "555", "1572860-0")], ORDER)
    assert "remove business_id from customers.match_order" in raised.value.message
    # Without number matching, the operator has chosen the business ID alone.
    assert find_existing_customer(mapped(), [nv(4, "555", "1572860-0")], ("business_id",)) == 4


def test_the_match_order_is_the_operators() -> None:
    customers = [nv(1, "10001")]
    assert find_existing_customer(mapped(), customers, ("netvisor_key", "business_id")) is None
    assert find_existing_customer(mapped(), customers, ("customer_number",)) == 1


# -- e-invoicing fields (item 11), clearing, lengths, invoicing e-mail -------------------------------


@pytest.mark.parametrize(
    ("address", "operator"),
    [("0216:003715728600", "PEPPOL"), ("003715728600", "E204503"), ("003715728600", "PAGERO"),
     ("FI2112345600000785", "NDEAFIHH"), ("0037:15728600", "INEXCHANGE")],
)  # fmt: skip
def test_real_e_invoice_addresses_and_operators_go_to_the_e_invoicing_fields(address: str, operator: str) -> None:
    c = map_customer(details(eInvoiceAddress=address, eInvoiceOperator=operator.lower())).customer
    assert (c.finvoice_address, c.finvoice_router_code, c.organization_unit_number) == (address, operator, None)
    body = map_customer(details(eInvoiceAddress=address, eInvoiceOperator=operator)).preview()
    assert f"<customerfinvoicedetails><finvoiceaddress>{address}</finvoiceaddress>" in body
    assert "<organizationunitnumber>" not in body


def test_only_the_operators_netvisor_accepts_when_the_mapping_lists_them() -> None:
    from severa_netvisor.mapping.config import CustomerMatching

    options = CustomerMatching(einvoice_operators=["003721291126", "NDEAFIHH"])
    assert map_customer(details(), options=options).customer.finvoice_router_code == "003721291126"
    with pytest.raises(CustomerValidationError, match="'E204503' is not an operator Netvisor accepts here"):
        map_customer(details(eInvoiceOperator="E204503"), options=options)


def test_a_removed_e_invoice_address_is_blanked_in_netvisor() -> None:
    c = map_customer(details(eInvoiceAddress=None, eInvoiceOperator=None)).customer
    assert c.cleared == ("finvoice_address", "finvoice_router_code")
    body = map_customer(details(eInvoiceAddress=None, eInvoiceOperator=None)).preview()
    assert "<customerfinvoicedetails><finvoiceaddress/><finvoiceroutercode/></customerfinvoicedetails>" in body
    assert "<emailinvoicingaddress>laskutus@example.fi</emailinvoicingaddress>" in body


def test_a_unit_number_an_earlier_version_wrote_is_blanked_only_when_asked() -> None:
    from severa_netvisor.mapping.config import CustomerMatching

    assert "<organizationunitnumber" not in map_customer(details()).preview()
    asked = map_customer(details(), options=CustomerMatching(clear_organization_unit_number=True))
    assert "<organizationunitnumber/>" in asked.preview()


def test_netvisors_documented_lengths_are_checked_naming_the_field() -> None:
    with pytest.raises(CustomerValidationError) as raised:
        map_customer(details(Name="N" * 251))
    assert "customer name: 'NNNN" in raised.value.message
    assert "has 251 characters; Netvisor allows at most 250" in raised.value.message


def test_the_invoices_buyer_email_is_the_email_invoicing_address() -> None:
    c = map_customer(details(eInvoiceAddress=None, eInvoiceOperator=None), invoicing_email="ostot@example.fi").customer
    assert (c.email, c.email_invoicing_address) == ("laskutus@example.fi", "ostot@example.fi")
    with pytest.raises(CustomerValidationError, match="invoicing e-mail: 'ostot' is not an e-mail address"):
        map_customer(details(eInvoiceAddress=None, eInvoiceOperator=None), invoicing_email="ostot")
