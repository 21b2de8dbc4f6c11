"""Seeded Severa data: valid Finnish identifiers, VAT rates, credit notes, hours; deterministic."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandbox.severa.seed import REVERSE_CHARGE_NOTE, _business_id_check, _reference_number, build_state
from sandbox.severa.state import SeveraState


def _business_id_is_valid(value: str) -> bool:
    """Independent check: weights 7,9,10,5,8,4,2; remainder 0 -> 0, 1 -> invalid, else 11 - r."""
    if not re.fullmatch(r"\d{7}-\d", value):
        return False
    remainder = sum(int(d) * w for d, w in zip(value[:7], (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return remainder != 1 and int(value[-1]) == (0 if remainder == 0 else 11 - remainder)


def _reference_is_valid(value: str) -> bool:
    """Independent check: weights 7,3,1 from the right over the base; check = (10 - sum % 10) % 10."""
    if not re.fullmatch(r"\d{4,20}", value):
        return False
    base, check = value[:-1], int(value[-1])
    total = sum(int(d) * (7, 3, 1)[i % 3] for i, d in enumerate(reversed(base)))
    return check == (10 - total % 10) % 10


@pytest.fixture(scope="module")
def state() -> SeveraState:
    return build_state(11, accounts=40, invoices=300, hour_entries=400)


def test_known_check_digits() -> None:
    assert _business_id_check("1572860") == 0  # 1572860-0 (Finnish tax administration example)
    assert _business_id_check("0112038") == 9  # 0112038-9 (Nokia Oyj)
    assert _business_id_check("1234568") is None  # remainder 1: no valid business ID has this base
    assert _reference_number("123") == "1232"
    assert _reference_number("1000") == "10003"


def test_companies_have_valid_business_ids_and_ovt_addresses(state: SeveraState) -> None:
    for account in state.accounts.values():
        business_id = account["_business_id"]
        assert _business_id_is_valid(business_id), business_id
        assert account["eInvoiceAddress"] == "0037" + business_id.replace("-", "")
        customer = state.customers[account["GUID"]]
        assert customer["VatNumber"] == "FI" + business_id.replace("-", "")
        assert not str(account["Number"]).startswith("0")


def test_invoices_have_valid_reference_numbers_and_all_rates(state: SeveraState) -> None:
    rates = set()
    for invoice in state.invoices.values():
        assert _reference_is_valid(invoice["ReferenceNumber"]), invoice["ReferenceNumber"]
        rates |= {row["rowVatRatePercent"] for row in invoice["InvoiceRows"]}
    assert rates == {Decimal("25.5"), Decimal("13.5"), Decimal("10"), Decimal("0")}


def test_rows_reconcile_with_totals(state: SeveraState) -> None:
    for invoice in state.invoices.values():
        details = invoice["InvoiceDetails"]
        rows = invoice["InvoiceRows"]
        assert details["invoiceTotalVatExcludedAmount"] == sum(r["rowVatExcludedAmount"] for r in rows)
        assert details["invoiceTotalVatIncludedAmount"] == sum(r["rowAmount"] for r in rows)
        for row in rows:
            exact = row["rowVatExcludedAmount"] * row["rowVatRatePercent"] / 100
            assert row["rowVatAmount"] == exact.quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_reverse_charge_invoices_are_zero_rated_and_say_so(state: SeveraState) -> None:
    reverse = [i for i in state.invoices.values() if state.accounts[i["AccountGUID"]]["ReverseCharge"]]
    assert reverse
    for invoice in reverse:
        assert invoice["IsTaxFree"] is True
        assert invoice["TaxFreeDescription"] == REVERSE_CHARGE_NOTE
        assert {row["rowVatRatePercent"] for row in invoice["InvoiceRows"]} == {Decimal(0)}


def test_credit_notes_are_negative_and_point_at_the_credited_invoice(state: SeveraState) -> None:
    notes = [i for i in state.invoices.values() if i["IsCreditNote"]]
    assert notes
    for note in notes:
        original = state.invoices[note["ReimburseInvoiceGUID"]]
        assert not original["IsCreditNote"]
        assert note["AccountGUID"] == original["AccountGUID"]
        assert (
            note["InvoiceDetails"]["invoiceTotalVatIncludedAmount"]
            == -original["InvoiceDetails"]["invoiceTotalVatIncludedAmount"]
        )


def test_multi_row_invoices_with_projects_and_cost_centres(state: SeveraState) -> None:
    multi = [i for i in state.invoices.values() if len(i["InvoiceRows"]) > 1]
    assert multi
    for invoice in multi:
        for row in invoice["InvoiceRows"]:
            case = state.cases[row["MainCaseGUID"]]
            assert case["AccountGUID"] == invoice["AccountGUID"]
            assert row["rowCostCenterNumber"] == case["CostCenterNumber"]


def test_hours_mix_approval_states(state: SeveraState) -> None:
    approvals = {h["IsApproved"] for h in state.hour_entries.values()}
    assert approvals == {True, False, None}
    assert all(Decimal(0) < h["Quantity"] <= 8 for h in state.hour_entries.values())


def test_same_seed_same_data_other_seed_other_data() -> None:
    first = build_state(5, accounts=5, invoices=10, hour_entries=10)
    again = build_state(5, accounts=5, invoices=10, hour_entries=10)
    other = build_state(6, accounts=5, invoices=10, hour_entries=10)
    assert first.invoices == again.invoices
    assert first.accounts == again.accounts
    assert set(first.invoices) != set(other.invoices)


def test_sizes_from_a_handful_to_thousands() -> None:
    tiny = build_state(1, accounts=1, invoices=1, hour_entries=1)
    assert (len(tiny.accounts), len(tiny.invoices), len(tiny.hour_entries)) == (1, 1, 1)
    large = build_state(2, accounts=200, invoices=3000, hour_entries=100)
    assert len(large.invoices) == 3000
    assert len({i["Number"] for i in large.invoices.values()}) == 3000
