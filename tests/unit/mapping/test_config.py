"""The operator's mapping configuration: the example loads, every kind of mistake names its key."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.finnish import FinnishValidationError, NetvisorVatCode
from severa_netvisor.mapping import MappingConfig, parse_mapping

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "mapping.example.yaml"

MINIMAL = """
products:
  default_product_code: TYO
invoice_statuses:
  ready_to_transfer: Ready
  transferred: Transferred
  paid: Paid
"""


def problem(text: str, *, json_format: bool | None = None) -> str:
    with pytest.raises(ConfigurationError) as caught:
        parse_mapping(textwrap.dedent(text), source="test mapping", json_format=json_format)
    assert caught.value.retryable is False
    return str(caught.value)


def test_example_file_loads_with_finnish_defaults():
    config = parse_mapping(EXAMPLE.read_text(encoding="utf-8"), source="example")
    assert config.version == 1
    assert config.vat.rates[Decimal("25.5")] is NetvisorVatCode.KOMY
    assert config.vat.code_for(Decimal("13.5")) is NetvisorVatCode.KOMY
    assert config.vat.reverse_charge_code is NetvisorVatCode.RAMY
    assert config.vat.eu_services_code is NetvisorVatCode.EUPM312
    assert (config.vat.eu_goods_code, config.vat.outside_eu_code) == (NetvisorVatCode.EUMY, NetvisorVatCode.EUUM)
    assert "AVL 8 c" in config.vat.notes[NetvisorVatCode.RAMY]
    assert config.products.default_product_code == "TYO"
    assert config.dimensions.names() == {
        "project": "Projekti",
        "business_unit": "Liiketoimintayksikkö",
        "cost_centre": "Kustannuspaikka",
    }
    assert config.invoice_statuses.ready_to_transfer == "Siirretään Netvisoriin"
    assert config.invoices.home_currency == "EUR"
    assert config.customers.match_order == ["netvisor_key", "customer_number", "business_id"]
    assert config.allow_updates.invoices is False
    assert config.hours.employees["maija.meikalainen@example.fi"] == "1001"
    overtime_50 = "8d0c1f0e-5a61-4b8e-9a53-0f2c6a1d7e11"
    assert config.hours.record_types.for_entry(work_type="Konsultointi", overtime=overtime_50) == 12
    assert config.payments.record_partial_payments is True


def test_json_form_round_trips():
    config = parse_mapping(EXAMPLE.read_text(encoding="utf-8"))
    again = parse_mapping(json.dumps(config.model_dump(mode="json")), source="json")
    assert again == config


def test_minimal_file_gets_defaults():
    config = parse_mapping(MINIMAL)
    assert config.vat.code_for(Decimal("25.50")) is NetvisorVatCode.KOMY
    assert config.vat.default_code is None
    assert config.dimensions.names() == {"project": "Projekti"}
    assert config.invoices.attach_pdf is True
    assert config.invoices.sent_since is None
    assert config.hours.enabled is False
    assert config.payments.match_by == ["invoice_number", "reference"]


def test_unknown_keys_are_named():
    message = problem(MINIMAL + "vatt: {}\ninvoices:\n  attach_pfd: true\n")
    assert "vatt: is not a known setting" in message
    assert "invoices.attach_pfd: is not a known setting" in message
    assert "test mapping" in message


def test_purchase_side_and_unknown_vat_codes():
    message = problem(MINIMAL + "vat:\n  reverse_charge_code: KOOS\n  rates:\n    '25.5': ALV\n")
    assert "vat.reverse_charge_code: 'KOOS' is a purchase-side code" in message
    assert "vat.rates.'25.5': 'ALV' is not a Netvisor VAT code" in message


def test_rate_that_never_existed_names_the_key():
    message = problem(MINIMAL + "vat:\n  rates:\n    25: KOMY\n")
    assert "vat.rates[25] (the key): 25 has never been a Finnish VAT rate" in message


def test_yaml_number_codes_and_comma_rates():
    config = parse_mapping(MINIMAL + "vat:\n  rates:\n    '25,5': KOMY\n    13.5: KOMY\n    0: NONE\n")
    assert config.vat.code_for(Decimal("25.5")) is NetvisorVatCode.KOMY
    assert config.vat.code_for(Decimal("0")) is NetvisorVatCode.NONE


def test_missing_status_names_are_named():
    message = problem(
        """
        products: {default_product_code: TYO}
        invoice_statuses:
          ready_to_transfer: Ready
        """
    )
    assert "invoice_statuses.transferred: is required but missing" in message
    assert "invoice_statuses.paid: is required but missing" in message


def test_missing_sections_are_named():
    message = problem("version: 1\n")
    assert "products: is required but missing" in message
    assert "invoice_statuses: is required but missing" in message


def test_statuses_must_differ():
    message = problem(MINIMAL.replace("transferred: Transferred", "transferred: ready"))
    assert "invoice_statuses.transferred and invoice_statuses.ready_to_transfer are both 'ready'" in message


def test_duplicate_employee_number():
    message = problem(
        MINIMAL
        + """
hours:
  employees:
    anna@example.fi: 1001
    ben@example.fi: "1001"
"""
    )
    assert "hours.employees: one Netvisor employee number is mapped from several Severa users" in message
    assert "1001 ← anna@example.fi, ben@example.fi" in message


def test_same_severa_user_twice_in_yaml():
    message = problem(
        MINIMAL
        + """
hours:
  employees:
    anna@example.fi: 1001
    anna@example.fi: 1002
"""
    )
    assert "'hours.employees.anna@example.fi' twice" in message
    assert "line 12" in message  # the second occurrence


def test_same_key_twice_in_json():
    message = problem('{"products": {"default_product_code": "A", "default_product_code": "B"}}')
    assert "'default_product_code' twice" in message


@pytest.mark.parametrize(
    ("section", "key"),
    [("invoices", "sent_since"), ("payments", "since")],
)
@pytest.mark.parametrize("bad", ["2026-13-01", "31.12.2025", "yesterday"])
def test_bad_dates_are_named(section, key, bad):
    message = problem(MINIMAL + f"{section}:\n  {key}: {bad}\n")
    assert f"{section}.{key}: Input should be a valid date" in message


def test_good_date_parses():
    config = parse_mapping(MINIMAL + "invoices:\n  sent_since: 2026-01-01\n")
    assert config.invoices.sent_since == date(2026, 1, 1)


def test_partial_payments_need_a_status():
    message = problem(MINIMAL + "payments:\n  record_partial_payments: true\n")
    assert "invoice_statuses.partially_paid is not set" in message


def test_dimension_mistakes():
    message = problem(MINIMAL + "dimensions:\n  project: Projekti\n  cost_centre: projekti\n")
    assert "dimensions.cost_centre and dimensions.project both use the Netvisor dimension" in message
    message = problem(MINIMAL + f"dimensions:\n  user: {'x' * 51}\n")
    assert "dimensions.user: String should have at most 50 characters" in message


def test_other_list_and_choice_mistakes():
    message = problem(
        MINIMAL
        + """
customers:
  match_order: [business_id, business_id, email]
invoices:
  home_currency: euro
  netvisor_status: paid
hours:
  enabled: true
"""
    )
    assert "customers.match_order[2]: Input should be" in message
    assert "invoices.home_currency: String should match pattern" in message
    assert "invoices.netvisor_status: Input should be 'unsent' or 'open'" in message
    assert "hours.employees maps no Severa user" in message


def test_repeated_match_order():
    message = problem(MINIMAL + "customers:\n  match_order: [business_id, business_id]\n")
    assert "customers.match_order: each way of matching may appear once" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty"),
        ("- a\n- b\n", "is a list"),
        ("products: [\n", "is not valid YAML"),
        ("{ not json", "is not valid JSON"),
    ],
)
def test_unreadable_text(text, expected):
    assert expected in problem(text)


def test_many_errors_are_capped():
    text = MINIMAL + "".join(f"unknown_{i}: 1\n" for i in range(25))
    message = problem(text)
    assert "and 5 more" in message


def test_vat_code_lookup_for_a_finnish_buyer():
    config = parse_mapping(MINIMAL + "vat:\n  rates: {'25.5': KOMY}\n  severa_codes: {ALV0: MUUL}\n")
    vat = config.vat
    # A reverse-charge (construction) customer buying a taxed service pays VAT as anyone does.
    assert vat.code_for(Decimal("25.5"), reverse_charge=True) is NetvisorVatCode.KOMY
    assert vat.code_for(Decimal("0"), reverse_charge=True) is NetvisorVatCode.RAMY
    assert vat.code_for(Decimal("0"), tax_free=True) is NetvisorVatCode.RAMY
    assert vat.code_for(Decimal("0"), severa_code="ALV0") is NetvisorVatCode.MUUL
    with pytest.raises(FinnishValidationError, match=r"25\.5 % with MUUL"):
        vat.code_for(Decimal("25.5"), severa_code="ALV0")
    with pytest.raises(FinnishValidationError, match="14 % has no Netvisor VAT code"):
        vat.code_for(Decimal("14"))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("reverse_charge_code", "EUPM312", "vat.reverse_charge_code is EUPM312, a code for EU services sales"),
        ("eu_goods_code", "EUPM312", "vat.eu_goods_code is EUPM312, a code for EU services sales"),
        ("outside_eu_code", "KOMY", "vat.outside_eu_code is KOMY, a code for domestic sales"),
        ("tax_free_code", "EUPM312", "vat.tax_free_code: is no longer used"),
    ],
)
def test_vat_codes_must_fit_their_cases(key: str, value: str, expected: str) -> None:
    assert expected in problem(MINIMAL + f"vat:\n  {key}: {value}\n")


def test_product_lookup():
    config = parse_mapping(
        MINIMAL.replace("default_product_code: TYO", "default_product_code: TYO\n  products: {Travel: MATKA}") + ""
    )
    products = config.products
    assert products.code_for_product(name="Travel", code="T1") == "MATKA"
    assert products.code_for_product(code="LIC") == "LIC"
    assert products.code_for_product(name="Other") == "TYO"
    assert products.code_for_work_type(name="Design") == "TYO"


def test_model_is_frozen():
    config = parse_mapping(MINIMAL)
    with pytest.raises(ValueError, match="frozen"):
        config.version = 1  # type: ignore[misc]
    assert isinstance(config, MappingConfig)
