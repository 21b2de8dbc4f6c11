"""Which Netvisor VAT code an invoice row gets, and what a zero-rated invoice must say. Pure: no I/O.

The code of a row decides which field of the VAT return and whether the EC sales list carries the
sale, so it follows the facts of the sale, not one setting (finland.md §5.3):

- the operator's entry for Severa's row VAT code (``vat.severa_codes``) wins;
- a taxed row (rate > 0) is a domestic sale (``vat.rates``); an invoice marked tax-free in Severa
  with a taxed row is refused;
- a 0 % row: buyer outside the EU → ``outside_eu_code`` (EUUM); buyer in another EU country who pays
  the VAT (Severa's ReverseCharge on the customer, or IsTaxFree on the invoice) → ``eu_goods_code``
  (EUMY) for goods, ``eu_services_code`` (EUPM312) for services; a Finnish buyer who pays the VAT →
  ``reverse_charge_code`` (RAMY, construction services, AVL 8 c §); otherwise ``vat.rates`` for 0 %.

Invoice requirements (Tax Administration, "Laskutusvaatimukset arvonlisäverotuksessa",
VH/3634/00.01.00/2023, https://www.vero.fi/syventavat-vero-ohjeet/ohje-hakusivu/48090/): a
reverse-charge or intra-Community invoice names the buyer's VAT identifier (6.1.4) and says why no
VAT is charged (6.1.11, 6.1.12).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from severa_netvisor.finnish import (
    BUYER_ID_CASES,
    FinnishValidationError,
    NetvisorVatCode,
    VatCase,
    is_eu_country,
    normalize_business_id,
    validate_eu_vat_number,
    vat_case_of,
)
from severa_netvisor.mapping.config import VatMapping

__all__ = ["Buyer", "RowVat", "buyer_id_problem", "buyer_id_text", "missing_notes", "row_vat_code", "vat_notes"]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class Buyer:
    """What the VAT treatment of an invoice depends on, about its buyer."""

    #: ISO 3166 alpha-2 code of the billing address; None when unknown (treated as Finland).
    country: str | None = "FI"
    #: Severa's ReverseCharge on the customer: the buyer pays the VAT.
    reverse_charge: bool = False
    #: Severa's IsTaxFree on the invoice (Severa documents it as the reverse-charge flag).
    tax_free: bool = False
    #: The buyer's VAT number or business ID as the invoice carries it.
    vat_number: str | None = None

    @property
    def pays_the_vat(self) -> bool:
        return self.reverse_charge or self.tax_free

    @property
    def finnish(self) -> bool:
        return self.country in (None, "FI")


@dataclass(frozen=True)
class RowVat:
    code: NetvisorVatCode
    case: VatCase


def _problem(field: str, problem: str, fix: str) -> FinnishValidationError:
    return FinnishValidationError(field, problem, fix)


def _zero_rated(config: VatMapping, buyer: Buyer, *, goods: bool, field: str) -> NetvisorVatCode | None:
    """The code of a 0 % row decided by the buyer, or None when the domestic rate table decides."""
    if not buyer.finnish and not is_eu_country(buyer.country):
        return config.outside_eu_code
    if not buyer.finnish:
        if not buyer.pays_the_vat:
            raise _problem(
                field,
                f"0 % for a buyer in {buyer.country} who is neither marked reverse charge (customer) nor "
                "tax-free (invoice) in Severa",
                "Mark the customer's reverse charge in Severa, or map this row's Severa VAT code under "
                "vat.severa_codes in the mapping",
            )
        return config.eu_goods_code if goods else config.eu_services_code
    return config.reverse_charge_code if buyer.pays_the_vat else None


def _check_fits(code: NetvisorVatCode, rate: Decimal, buyer: Buyer, field: str) -> None:
    """A code from the operator's table must still fit the rate and the buyer's country."""
    case = vat_case_of(code)
    if case is VatCase.DOMESTIC:
        return
    if rate != _ZERO:
        raise _problem(
            field,
            f"{rate.normalize():f} % with {code.value} ({case.value}), which carries no VAT",
            "Set the row's VAT to 0 % in Severa, or correct vat.severa_codes in the mapping",
        )
    eu_case = case in (VatCase.EU_SERVICES, VatCase.EU_GOODS)
    wrong = (
        (eu_case and (buyer.finnish or not is_eu_country(buyer.country)))
        or (case is VatCase.OUTSIDE_EU and (buyer.finnish or is_eu_country(buyer.country)))
        or (case is VatCase.DOMESTIC_REVERSE_CHARGE and not buyer.finnish)
    )
    if wrong:
        raise _problem(
            field,
            f"{code.value} ({case.value}) for a buyer in {buyer.country or 'Finland'}",
            "Check the billing address country in Severa and the row's VAT code (vat.severa_codes)",
        )


def row_vat_code(
    config: VatMapping, rate: Decimal, *, buyer: Buyer, severa_code: str | None = None, goods: bool = False
) -> RowVat:
    """The Netvisor code for one row; raises ``FinnishValidationError`` naming the problem and the fix."""
    key = (severa_code or "").strip()
    if key and key in config.severa_codes:
        code = config.severa_codes[key]
        _check_fits(code, rate, buyer, "VAT code")
        return RowVat(code, vat_case_of(code))
    if rate != _ZERO:
        if buyer.tax_free:
            raise _problem(
                "VAT rate",
                f"{rate.normalize():f} % on an invoice marked tax-free (reverse charge) in Severa",
                "Set the row's VAT to 0 % or clear the invoice's tax-free flag in Severa",
            )
    else:
        zero = _zero_rated(config, buyer, goods=goods, field="VAT code")
        if zero is not None:
            return RowVat(zero, vat_case_of(zero))
    domestic = config.rates.get(rate, config.default_code)
    if domestic is None:
        raise _problem(
            "VAT rate",
            f"{rate.normalize():f} % has no Netvisor VAT code in the mapping",
            "Add it under vat.rates in the mapping configuration",
        )
    _check_fits(domestic, rate, buyer, "VAT code")
    return RowVat(domestic, vat_case_of(domestic))


def buyer_id_problem(cases: Iterable[VatCase], buyer: Buyer) -> FinnishValidationError | None:
    """Whether the invoice lacks the buyer identifier its cases need (6.1.4), or has a wrong one."""
    wanted = set(cases) & BUYER_ID_CASES
    if not wanted:
        return None
    field = "buyer VAT number"
    if not (buyer.vat_number or "").strip():
        return _problem(
            field,
            f"is empty on a {', '.join(sorted(c.value for c in wanted))} invoice",
            "Add the customer's VAT number in Severa; the invoice must show it",
        )
    try:
        if VatCase.EU_SERVICES in wanted or VatCase.EU_GOODS in wanted:
            validate_eu_vat_number(buyer.vat_number or "", field)
        if VatCase.DOMESTIC_REVERSE_CHARGE in wanted:
            normalize_business_id(buyer.vat_number or "", field)
    except FinnishValidationError as error:
        return error
    return None


def buyer_id_text(cases: Iterable[VatCase], buyer: Buyer) -> str | None:
    """The line naming the buyer's identifier on the invoice, in the form the sale needs."""
    wanted = set(cases) & BUYER_ID_CASES
    if not wanted or not buyer.vat_number:
        return None
    if VatCase.DOMESTIC_REVERSE_CHARGE in wanted:
        return f"Ostajan Y-tunnus / Buyer's business ID: {normalize_business_id(buyer.vat_number)}"
    return f"Ostajan ALV-tunniste / Buyer's VAT number: {validate_eu_vat_number(buyer.vat_number)}"


def vat_notes(codes: Iterable[NetvisorVatCode], config: VatMapping, severa_note: str | None) -> list[str]:
    """The notes the invoice's VAT codes need: Severa's own text when given, else one per code."""
    needed = [code for code in dict.fromkeys(codes) if vat_case_of(code) is not VatCase.DOMESTIC]
    if not needed:
        return []
    if severa_note:
        return [severa_note]
    return [config.notes[code] for code in needed if code in config.notes]


def missing_notes(codes: Iterable[NetvisorVatCode], config: VatMapping, severa_note: str | None) -> list[str]:
    """Codes that need a note (reverse charge, intra-Community, export) and have none."""
    if severa_note:
        return []
    wanted = [c for c in dict.fromkeys(codes) if vat_case_of(c) not in (VatCase.DOMESTIC, VatCase.EXEMPT)]
    return [code.value for code in wanted if code not in config.notes]
