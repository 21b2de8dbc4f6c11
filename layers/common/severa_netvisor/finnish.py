"""Finnish rules an invoice must satisfy before it is sent: pure functions, no I/O.

Business IDs (Y-tunnus) and the VAT numbers and OVT codes made from them, reference numbers
(Finnish viitenumero and RF creditor references), VAT rates by supply date, Netvisor VAT codes and
cent rounding. Facts and worked examples: ``reference/finland.md`` (section numbers below refer to it).

Every check raises :class:`FinnishValidationError`, whose message names the field and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, NamedTuple

from severa_netvisor.errors import IntegrationError

__all__ = [
    "ALL_VAT_RATES",
    "BUYER_ID_CASES",
    "CENT",
    "CODE_CASES",
    "DEFAULT_VAT_CODES",
    "EU_COUNTRIES",
    "NETVISOR_LENGTH_LIMITS",
    "PURCHASE_VAT_CODES",
    "SALES_VAT_CODES",
    "VAT_CODE_MEANINGS",
    "VAT_PERIODS",
    "ZERO_RATED_CODES",
    "FinnishValidationError",
    "InvoiceTotals",
    "NetvisorVatCode",
    "RowAmounts",
    "VatCase",
    "VatPeriod",
    "build_finnish_reference",
    "build_rf_reference",
    "business_id_check_digit",
    "business_id_from_vat_number",
    "check_invoice_totals",
    "check_length",
    "check_row_matches",
    "exact_discount_percent",
    "finnish_reference_check_digit",
    "format_decimal_comma",
    "format_finnish_reference",
    "format_rf_reference",
    "is_eu_country",
    "is_valid_business_id",
    "is_valid_finnish_reference",
    "is_valid_rf_reference",
    "is_valid_vat_rate",
    "normalize_business_id",
    "ovt_from_business_id",
    "parse_decimal",
    "parse_netvisor_vat_code",
    "per_rate_vat",
    "reconcile_invoice_totals",
    "reference_kind",
    "rf_check_digits",
    "rf_from_finnish_reference",
    "round_cents",
    "row_amounts",
    "validate_credit_vat_rate",
    "validate_einvoice_address",
    "validate_einvoice_operator",
    "validate_eu_vat_number",
    "validate_finnish_reference",
    "validate_iban",
    "validate_ovt",
    "validate_reference",
    "validate_rf_reference",
    "validate_sales_vat_code",
    "validate_vat_rate",
    "vat_case_of",
    "vat_number_from_business_id",
    "vat_rates_on",
    "vat_rates_until",
]


class FinnishValidationError(IntegrationError, ValueError):
    """A value breaks a Finnish rule. The message names the field, what is wrong and how to fix it.

    A ``ValueError`` as well, so pydantic validators can call these checks directly.
    """

    system = "validation"
    retryable = False

    def __init__(self, field: str, problem: str, fix: str):
        super().__init__(f"{field}: {problem}. {fix}")
        self.field = field
        self.problem = problem
        self.fix = fix
        # args hold the constructor's arguments so the error survives pickling (e.g. across processes).
        self.args = (field, problem, fix)

    def __str__(self) -> str:
        return self.message


_WHITESPACE = re.compile(r"\s+")


def _compact(value: str) -> str:
    """Drop every kind of whitespace (spaces, tabs, no-break spaces) that grouping adds."""
    return _WHITESPACE.sub("", value)


# --------------------------------------------------------------------------------------------------
# §1 Business ID (Y-tunnus), §2 VAT number and OVT code
# --------------------------------------------------------------------------------------------------

_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_BUSINESS_ID_FORM = re.compile(r"(\d{6,7})-?(\d)")
_BUSINESS_ID_FIX = "Correct the business ID (Y-tunnus, NNNNNNN-C) on the Severa customer card; check it at ytj.fi"


def business_id_check_digit(digits: str, field: str = "business ID") -> int:
    """The check digit for the seven digits of a business ID (weights 7, 9, 10, 5, 8, 4, 2; mod 11).

    Raises when the remainder is 1: no check digit exists, so such a number is never issued.
    """
    if len(digits) != 7 or not digits.isascii() or not digits.isdigit():
        raise FinnishValidationError(field, f"'{digits}' is not seven digits", _BUSINESS_ID_FIX)
    remainder = sum(int(d) * w for d, w in zip(digits, _BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if remainder == 1:
        raise FinnishValidationError(field, f"'{digits}' has no valid check digit (sum mod 11 is 1)", _BUSINESS_ID_FIX)
    return 0 if remainder == 0 else 11 - remainder


def normalize_business_id(value: str, field: str = "business ID") -> str:
    """The canonical ``NNNNNNN-C`` form of a valid business ID, or an error.

    Accepts spaces, a missing hyphen, an old six-digit base (a leading zero is added) and the FI VAT
    number form (``FI15728600``), since Severa's ``VatNumber`` holds either (§1, §2).
    """
    text = _compact(value).upper()
    if text.startswith("FI"):
        text = text[2:]
    match = _BUSINESS_ID_FORM.fullmatch(text)
    if match is None:
        raise FinnishValidationError(
            field, f"'{value}' is not in the form NNNNNNN-C (or FI + eight digits)", _BUSINESS_ID_FIX
        )
    base, check = match.group(1).zfill(7), int(match.group(2))
    expected = business_id_check_digit(base, field)
    if check != expected:
        raise FinnishValidationError(
            field, f"'{value}' has a wrong check digit ({check}; these seven digits need {expected})", _BUSINESS_ID_FIX
        )
    return f"{base}-{check}"


def is_valid_business_id(value: str) -> bool:
    try:
        normalize_business_id(value)
    except FinnishValidationError:
        return False
    return True


def vat_number_from_business_id(value: str, field: str = "business ID") -> str:
    """``1572860-0`` → ``FI15728600``."""
    return "FI" + normalize_business_id(value, field).replace("-", "")


def business_id_from_vat_number(value: str, field: str = "VAT number") -> str:
    """``FI15728600`` → ``1572860-0``; only Finnish VAT numbers have a business ID inside."""
    text = _compact(value).upper()
    if not re.fullmatch(r"FI\d{8}", text):
        raise FinnishValidationError(
            field, f"'{value}' is not a Finnish VAT number (FI + eight digits)", "Correct the VAT number in Severa"
        )
    return normalize_business_id(text, field)


_OVT_SUFFIX = re.compile(r"[0-9A-Z]{0,5}")
_OVT_FIX = "Use 0037 + the eight digits of the business ID, optionally + up to five characters for the unit"


def ovt_from_business_id(value: str, suffix: str = "", field: str = "business ID") -> str:
    """``1572860-0`` → ``003715728600`` (plus an optional organisation-unit suffix, §2)."""
    if not _OVT_SUFFIX.fullmatch(suffix):
        raise FinnishValidationError("OVT suffix", f"'{suffix}' is not up to five letters or digits", _OVT_FIX)
    return "0037" + normalize_business_id(value, field).replace("-", "") + suffix


def validate_ovt(value: str, field: str = "OVT code") -> str:
    """A valid OVT code without whitespace: 0037, a valid business ID's eight digits, a suffix ≤ 5."""
    text = _compact(value).upper()
    if not (text.startswith("0037") and 12 <= len(text) <= 17 and text[4:12].isdigit()):
        raise FinnishValidationError(field, f"'{value}' is not an OVT code", _OVT_FIX)
    if not _OVT_SUFFIX.fullmatch(text[12:]):
        raise FinnishValidationError(field, f"'{value}' has a suffix that is not letters or digits", _OVT_FIX)
    try:
        normalize_business_id(text[4:12], field)
    except FinnishValidationError:
        raise FinnishValidationError(
            field, f"'{value}' does not contain a valid business ID (digits 5–12)", _OVT_FIX
        ) from None
    return text


def _letters_to_digits(text: str) -> str:
    """ISO 7064 style: A=10 … Z=35, digits unchanged (IBAN and RF use this)."""
    return "".join(str(int(ch, 36)) for ch in text)


def validate_iban(value: str, field: str = "IBAN") -> str:
    """A structurally valid IBAN (country, check digits mod 97 = 1), compacted to capitals."""
    text = _compact(value).upper()
    fix = "Correct the account number (IBAN, e.g. FI21 1234 5600 0007 85)"
    if not re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Z]{11,30}", text):
        raise FinnishValidationError(field, f"'{value}' is not in IBAN form", fix)
    if text.startswith("FI") and len(text) != 18:
        raise FinnishValidationError(field, f"'{value}' has {len(text)} characters; a Finnish IBAN has 18", fix)
    if int(_letters_to_digits(text[4:] + text[:4])) % 97 != 1:
        raise FinnishValidationError(field, f"'{value}' has wrong check digits", fix)
    return text


_PEPPOL_ID = re.compile(r"(\d{4}):([0-9A-Z][0-9A-Z.\-_]{0,49})")
_EINVOICE_ADDRESS_FIX = "Correct the e-invoice address on the Severa customer card"


def validate_einvoice_address(value: str, field: str = "e-invoice address") -> str:
    """An e-invoice address (§6): an OVT code, an IBAN, or a Peppol participant identifier
    ``ICD:identifier`` (``0216:003712345678`` for an OVT code, ``0037:12345678`` for a business ID,
    ``0007:…`` for a Swedish organisation number; ISO 6523 ICD scheme codes). Returned compacted.

    Netvisor does not check the address itself (customer.nv: "the correctness of the e-invoicing
    address is not checked"), so a malformed one would only fail later, at the operator.
    """
    text = _compact(value).upper()
    peppol = _PEPPOL_ID.fullmatch(text)
    if peppol is not None:
        scheme, identifier = peppol.groups()
        if scheme in ("0037", "0216") and identifier.startswith("0037"):
            validate_ovt(identifier, field)
        elif scheme == "0037":
            normalize_business_id(identifier, field)
        return text
    if text.startswith("0037"):
        return validate_ovt(value, field)
    if re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Z]+", text):
        return validate_iban(value, field)
    raise FinnishValidationError(
        field,
        f"'{value}' is neither an OVT code (0037…), an IBAN nor a Peppol address (e.g. 0216:003712345678)",
        _EINVOICE_ADDRESS_FIX,
    )


_BIC = re.compile(r"[A-Z]{6}[0-9A-Z]{2}([0-9A-Z]{3})?")
_OPERATOR_ID = re.compile(r"[0-9A-Z]{3,35}")


def validate_einvoice_operator(
    value: str, allowed: Iterable[str] | None = None, field: str = "e-invoice operator"
) -> str:
    """An operator (intermediator) ID (§6): a bank's BIC (NDEAFIHH), an operator's OVT code
    (003721291126) or the operator's own code (E204503, PAGERO, INEXCHANGE).

    Netvisor accepts only operators from its own list (customer.nv: "the operator must be found in
    the system"); pass that list as ``allowed`` to check it before sending.
    """
    text = _compact(value).upper()
    if not _OPERATOR_ID.fullmatch(text):
        raise FinnishValidationError(
            field,
            f"'{value}' is not an operator ID (a bank BIC such as NDEAFIHH, an operator code such as "
            "003721291126 or E204503: 3-35 letters or digits)",
            "Correct the e-invoice operator on the Severa customer card",
        )
    if text.startswith("0037") and not _BIC.fullmatch(text):
        text = validate_ovt(text, field)
    if allowed is not None:
        permitted = {_compact(a).upper() for a in allowed}
        if text not in permitted:
            raise FinnishValidationError(
                field,
                f"'{value}' is not an operator Netvisor accepts here",
                "Use one of: " + ", ".join(sorted(permitted)),
            )
    return text


# EU member states and their VAT number prefixes (Greece: EL), with the form of each country's VAT
# number as the European Commission's VIES service describes it ("VIES: VAT number validation",
# ec.europa.eu/taxation_customs/vies, FAQ "structure of the VAT number"). XI: Northern Ireland (goods).
_EU_VAT_FORMS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "AT": ("AT", r"U\d{8}"), "BE": ("BE", r"[01]\d{9}"), "BG": ("BG", r"\d{9,10}"),
        "CY": ("CY", r"\d{8}[A-Z]"), "CZ": ("CZ", r"\d{8,10}"), "DE": ("DE", r"\d{9}"),
        "DK": ("DK", r"\d{8}"), "EE": ("EE", r"\d{9}"), "GR": ("EL", r"\d{9}"),
        "ES": ("ES", r"[0-9A-Z]\d{7}[0-9A-Z]"), "FI": ("FI", r"\d{8}"), "FR": ("FR", r"[0-9A-Z]{2}\d{9}"),
        "HR": ("HR", r"\d{11}"), "HU": ("HU", r"\d{8}"), "IE": ("IE", r"\d[0-9A-Z+*]\d{5}[A-Z]{1,2}"),
        "IT": ("IT", r"\d{11}"), "LT": ("LT", r"\d{9}|\d{12}"), "LU": ("LU", r"\d{8}"),
        "LV": ("LV", r"\d{11}"), "MT": ("MT", r"\d{8}"), "NL": ("NL", r"\d{9}B\d{2}"),
        "PL": ("PL", r"\d{10}"), "PT": ("PT", r"\d{9}"), "RO": ("RO", r"\d{2,10}"),
        "SE": ("SE", r"\d{12}"), "SI": ("SI", r"\d{8}"), "SK": ("SK", r"\d{10}"),
    }
)  # fmt: skip
#: ISO 3166 codes of the EU member states (VAT area; Finland included).
EU_COUNTRIES: frozenset[str] = frozenset(_EU_VAT_FORMS)
_VAT_PREFIXES = dict(_EU_VAT_FORMS.values()) | {"XI": r"\d{9}|\d{12}|(GD|HA)\d{3}"}


def is_eu_country(code: str | None) -> bool:
    """Whether an ISO 3166 alpha-2 code is an EU member state (Finland included)."""
    return bool(code) and (code or "").strip().upper() in EU_COUNTRIES


def validate_eu_vat_number(value: str, field: str = "buyer's VAT number") -> str:
    """The VAT number of a buyer registered in *another* EU country (an EU reverse-charge sale needs
    it on the invoice: Tax Administration, "Laskutusvaatimukset arvonlisäverotuksessa", 6.1.4), compacted.
    """
    text = re.sub(r"[\s.\-]", "", value).upper()
    fix = "Enter the buyer's VAT number (country prefix + number, e.g. SE556677889901) on the Severa customer card"
    prefix, body = text[:2], text[2:]
    if prefix == "FI":
        raise FinnishValidationError(
            field,
            f"'{value}' is a Finnish VAT number; an EU reverse-charge sale needs the buyer's VAT number "
            "from another EU country",
            fix + ", or invoice the Finnish buyer with Finnish VAT",
        )
    form = _VAT_PREFIXES.get(prefix)
    if form is None:
        raise FinnishValidationError(field, f"'{value}' does not start with an EU country's VAT prefix", fix)
    if not re.fullmatch(form, body):
        raise FinnishValidationError(field, f"'{value}' does not have the form of a {prefix} VAT number", fix)
    return text


# --------------------------------------------------------------------------------------------------
# §3 Finnish reference (viitenumero), §4 RF creditor reference
# --------------------------------------------------------------------------------------------------

_REFERENCE_WEIGHTS = (7, 3, 1)
_REFERENCE_FIX = "Correct the reference number on the Severa invoice (4–20 digits with a valid check digit, or RF…)"


def finnish_reference_check_digit(base: str, field: str = "reference number") -> int:
    """Weights 7, 3, 1, 7, … from the right; C = (10 − sum mod 10) mod 10."""
    if not base or not base.isascii() or not base.isdigit():
        raise FinnishValidationError(field, f"base '{base}' is not digits", _REFERENCE_FIX)
    total = sum(int(d) * _REFERENCE_WEIGHTS[i % 3] for i, d in enumerate(reversed(base)))
    return (10 - total % 10) % 10


def build_finnish_reference(base: str | int, field: str = "reference number") -> str:
    """Base (3–19 digits, e.g. an invoice number) + check digit: ``123456`` → ``1234561``."""
    text = _compact(str(base))
    if not (text.isascii() and text.isdigit() and 3 <= len(text) <= 19):
        raise FinnishValidationError(field, f"base '{base}' is not 3–19 digits", _REFERENCE_FIX)
    return text + str(finnish_reference_check_digit(text, field))


def validate_finnish_reference(value: str, field: str = "reference number") -> str:
    """The reference without whitespace, if it is 4–20 digits with the right check digit."""
    text = _compact(value)
    if not (text.isascii() and text.isdigit()):
        raise FinnishValidationError(field, f"'{value}' contains characters other than digits", _REFERENCE_FIX)
    if not 4 <= len(text) <= 20:
        raise FinnishValidationError(field, f"'{value}' has {len(text)} digits; 4–20 are allowed", _REFERENCE_FIX)
    if not text.strip("0"):
        raise FinnishValidationError(field, f"'{value}' is all zeros", _REFERENCE_FIX)
    expected = finnish_reference_check_digit(text[:-1], field)
    if int(text[-1]) != expected:
        raise FinnishValidationError(
            field,
            f"'{value}' has a wrong check digit ({text[-1]}; the digits before it need {expected})",
            _REFERENCE_FIX,
        )
    return text


def is_valid_finnish_reference(value: str) -> bool:
    try:
        validate_finnish_reference(value)
    except FinnishValidationError:
        return False
    return True


def format_finnish_reference(value: str) -> str:
    """Printed form: groups of five from the right, leading zeros dropped (``123 45672``)."""
    digits = validate_finnish_reference(value).lstrip("0")
    groups = []
    while digits:
        groups.append(digits[-5:])
        digits = digits[:-5]
    return " ".join(reversed(groups))


_RF_BODY = re.compile(r"[0-9A-Z]{1,21}")


def rf_check_digits(body: str, field: str = "reference number") -> str:
    """Two check digits for an RF reference body: 98 − (body + ``RF00`` as a number mod 97)."""
    if not _RF_BODY.fullmatch(body):
        raise FinnishValidationError(field, f"RF body '{body}' is not 1–21 capital letters or digits", _REFERENCE_FIX)
    return f"{98 - int(_letters_to_digits(body + 'RF00')) % 97:02d}"


def build_rf_reference(body: str, field: str = "reference number") -> str:
    """``539007547034`` → ``RF18539007547034`` (ISO 11649)."""
    text = _compact(body)
    return "RF" + rf_check_digits(text, field) + text


def rf_from_finnish_reference(value: str, field: str = "reference number") -> str:
    """``1234561`` → ``RF341234561``: validate the Finnish reference, drop leading zeros, add RF digits."""
    return build_rf_reference(validate_finnish_reference(value, field).lstrip("0"), field)


def validate_rf_reference(value: str, field: str = "reference number") -> str:
    """The RF reference without whitespace, if its check digits are right (mod 97 = 1).

    Lower-case letters are refused rather than changed: the reference must reach Netvisor as written
    so that payments match.
    """
    text = _compact(value)
    if not re.fullmatch(r"RF\d{2}[0-9A-Z]{1,21}", text):
        raise FinnishValidationError(
            field,
            f"'{value}' is not an RF reference (RF, two check digits, 1–21 capital letters or digits)",
            _REFERENCE_FIX,
        )
    if int(_letters_to_digits(text[4:] + text[:4])) % 97 != 1:
        raise FinnishValidationError(
            field,
            f"'{value}' has wrong check digits (should be RF{rf_check_digits(text[4:], field)})",
            _REFERENCE_FIX,
        )
    return text


def is_valid_rf_reference(value: str) -> bool:
    try:
        validate_rf_reference(value)
    except FinnishValidationError:
        return False
    return True


def format_rf_reference(value: str) -> str:
    """Printed form: groups of four from the left (``RF34 1234 561``)."""
    text = validate_rf_reference(value)
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def reference_kind(value: str) -> Literal["finnish", "rf"]:
    """Which scheme a reference claims to be (Finvoice writes SPY for Finnish, ISO for RF)."""
    return "rf" if _compact(value).upper().startswith("RF") else "finnish"


def validate_reference(value: str, field: str = "reference number") -> str:
    """A Finnish or RF reference, validated, with whitespace removed and nothing else changed."""
    if not _compact(value):
        raise FinnishValidationError(field, "is empty", _REFERENCE_FIX)
    if reference_kind(value) == "rf":
        return validate_rf_reference(value, field)
    return validate_finnish_reference(value, field)


# --------------------------------------------------------------------------------------------------
# §5.1 VAT rates by supply date
# --------------------------------------------------------------------------------------------------

Number = Decimal | int | str


def parse_decimal(value: Number, field: str = "amount") -> Decimal:
    """A Decimal from a Decimal, an int or a string with a dot or a decimal comma; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        # Floats cannot hold 0.1 exactly; amounts must arrive as Decimal or text.
        raise TypeError(f"{field}: expected Decimal, int or str, got {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(_compact(str(value)).replace(",", "."))
        except InvalidOperation:
            raise FinnishValidationError(field, f"'{value}' is not a number", "Write it like 25.5 or 25,5") from None
    if not result.is_finite():
        raise FinnishValidationError(field, f"'{value}' is not a finite number", "Write it like 25.5 or 25,5")
    return result


@dataclass(frozen=True, slots=True)
class VatPeriod:
    """The VAT rates (percent) in force from ``start`` until the next period begins."""

    start: date
    general: Decimal
    reduced: tuple[Decimal, ...]
    note: str = ""

    @property
    def rates(self) -> frozenset[Decimal]:
        return frozenset((self.general, *self.reduced, Decimal(0)))


def _period(start: str, general: str, *reduced: str, note: str = "") -> VatPeriod:
    return VatPeriod(date.fromisoformat(start), Decimal(general), tuple(Decimal(r) for r in reduced), note)


#: §5.1, oldest first. A row takes the rates in force on its supply (delivery) date.
VAT_PERIODS: tuple[VatPeriod, ...] = (
    _period("1998-01-01", "22", "17", "8"),
    _period("2009-10-01", "22", "12", "8", note="food 17 → 12"),
    _period("2010-07-01", "23", "13", "9"),
    _period("2013-01-01", "24", "14", "10"),
    _period("2024-09-01", "25.5", "14", "10", note="general rate 24 → 25.5"),
    _period("2025-01-01", "25.5", "14", "10", note="books, medicines, transport, accommodation 10 → 14"),
    _period("2026-01-01", "25.5", "13.5", "10", note="reduced rate 14 → 13.5"),
)

#: Every rate that has been in force at some time in the table (for checking configuration).
ALL_VAT_RATES: frozenset[Decimal] = frozenset().union(*(p.rates for p in VAT_PERIODS))


def _period_on(day: date, field: str) -> VatPeriod:
    current = None
    for period in VAT_PERIODS:
        if period.start <= day:
            current = period
    if current is None:
        raise FinnishValidationError(
            field,
            f"no VAT rates are known for {day.isoformat()} (the table starts {VAT_PERIODS[0].start.isoformat()})",
            "Check the row's delivery date",
        )
    return current


def vat_rates_on(day: date) -> frozenset[Decimal]:
    """The rates (percent, including 0) a domestic row may carry when supplied on ``day``."""
    return _period_on(day, "supply date").rates


def _format_rates(rates: Iterable[Decimal]) -> str:
    return ", ".join(f"{r.normalize():f}" for r in sorted(rates, reverse=True))


def validate_vat_rate(rate: Number, day: date, field: str = "VAT rate") -> Decimal:
    """The rate as a Decimal if it was in force on ``day``; otherwise an error naming the valid rates."""
    value = parse_decimal(rate, field)
    allowed = _period_on(day, field).rates
    if value not in allowed:
        raise FinnishValidationError(
            field,
            f"{value.normalize():f} % was not a Finnish VAT rate on {day.isoformat()} "
            f"(rates then: {_format_rates(allowed)} %)",
            "Use the rate in force on the row's supply (delivery) date",
        )
    return value


def vat_rates_until(day: date) -> frozenset[Decimal]:
    """Every rate in force on ``day`` or at any time before it (what a credit note may carry when the
    supply it credits is not known: it keeps the rate of the original supply)."""
    return frozenset().union(*(p.rates for p in VAT_PERIODS if p.start <= day))


def validate_credit_vat_rate(rate: Number, day: date, field: str = "VAT rate") -> Decimal:
    """A credit note's row keeps the rate of the supply it credits (the Tax Administration's rule for
    corrections after a rate change); without the original's date, any rate in force on or before
    the credit note's own date is accepted."""
    value = parse_decimal(rate, field)
    allowed = vat_rates_until(day)
    if value not in allowed:
        raise FinnishValidationError(
            field,
            f"{value.normalize():f} % was never a Finnish VAT rate before {day.isoformat()} "
            f"(rates until then: {_format_rates(allowed)} %)",
            "Use the rate of the supply the credit note corrects",
        )
    return value


def is_valid_vat_rate(rate: Number, day: date) -> bool:
    try:
        validate_vat_rate(rate, day)
    except FinnishValidationError:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# §5.2, §5.3 Netvisor VAT codes
# --------------------------------------------------------------------------------------------------


class NetvisorVatCode(StrEnum):
    """The ``vatcode`` values of ``salesinvoice.dtd``, spelled as the DTD spells them."""

    NONE = "NONE"
    KOOS = "KOOS"
    EUOS = "EUOS"
    EUUO = "EUUO"
    EUPO = "EUPO"
    DEDUCTIBLE_100 = "100"
    KOMY = "KOMY"
    EUMY = "EUMY"
    EUUM = "EUUM"
    EUPM312 = "EUPM312"
    EUPM309 = "EUPM309"
    MUUL = "MUUL"
    EVTO = "EVTO"
    EVPO = "EVPO"
    EVKV = "EVKV"
    KAVE = "KAVE"
    RAMY = "RAMY"
    RAOS = "RAOS"
    EVRO = "EVRO"
    MAAL = "MAAL"
    EVMA = "EVMA"
    KOMY0 = "KOMY0"


_C = NetvisorVatCode

VAT_CODE_MEANINGS: Mapping[NetvisorVatCode, str] = MappingProxyType(
    {
        _C.KOMY: "domestic sales (kotimaan myynti)",
        _C.EUMY: "EU sales of goods to a VAT-registered buyer, 0 %",
        _C.EUPM312: "EU sales of services, reverse charge (VAT return field 312), 0 %",
        _C.EUPM309: "EU service sales reported in VAT return field 309, 0 %",
        _C.EUUM: "sales outside the EU, 0 %",
        _C.MUUL: "other VAT-free turnover",
        _C.RAMY: "construction services sold under domestic reverse charge, 0 %",
        _C.KAVE: "reverse charge",
        _C.NONE: "no VAT handling",
        _C.KOMY0: "listed in the DTD, undocumented (presumably domestic 0 % sales)",
        _C.KOOS: "domestic purchase",
        _C.EUOS: "EU goods purchase",
        _C.EUUO: "purchase from outside the EU",
        _C.EUPO: "EU service purchase",
        _C.DEDUCTIBLE_100: "100 % deductible tax",
        _C.EVTO: "non-deductible EU goods purchase",
        _C.EVPO: "non-deductible EU service purchase",
        _C.EVKV: "non-deductible reverse-charge purchase",
        _C.RAOS: "construction-service purchase",
        _C.EVRO: "non-deductible construction-service purchase",
        _C.MAAL: "import VAT from outside the EU",
        _C.EVMA: "non-deductible import VAT",
    }
)

SALES_VAT_CODES: frozenset[NetvisorVatCode] = frozenset(
    {_C.KOMY, _C.EUMY, _C.EUPM312, _C.EUPM309, _C.EUUM, _C.MUUL, _C.RAMY, _C.KAVE, _C.NONE, _C.KOMY0}
)
PURCHASE_VAT_CODES: frozenset[NetvisorVatCode] = frozenset(NetvisorVatCode) - SALES_VAT_CODES

#: Defaults for the operator's mapping (§5.2, §5.3); an accountant should confirm them per company.
DEFAULT_VAT_CODES: Mapping[str, NetvisorVatCode] = MappingProxyType(
    {
        "domestic": _C.KOMY,
        "reverse_charge_eu_services": _C.EUPM312,
        "reverse_charge_eu_goods": _C.EUMY,
        "reverse_charge_construction": _C.RAMY,
        "outside_eu": _C.EUUM,
        "exempt": _C.MUUL,
        "no_vat": _C.NONE,
    }
)

# Spellings seen in responses and other clients (§5.2): '-' for NONE, '100%', 'KÄVE'.
_VAT_CODE_ALIASES = {"-": _C.NONE, "100%": _C.DEDUCTIBLE_100, "KÄVE": _C.KAVE}


def parse_netvisor_vat_code(text: str, field: str = "VAT code") -> NetvisorVatCode:
    """A VAT code from a response or a configuration file, tolerating the known variant spellings."""
    key = _compact(text).upper()
    if key in _VAT_CODE_ALIASES:
        return _VAT_CODE_ALIASES[key]
    try:
        return NetvisorVatCode(key)
    except ValueError:
        raise FinnishValidationError(
            field,
            f"'{text}' is not a Netvisor VAT code",
            "Use one of: " + ", ".join(sorted(SALES_VAT_CODES)),
        ) from None


def validate_sales_vat_code(text: str, field: str = "VAT code") -> NetvisorVatCode:
    """A VAT code that may appear on a sales invoice; purchase-side codes are refused."""
    code = parse_netvisor_vat_code(text, field)
    if code in PURCHASE_VAT_CODES:
        raise FinnishValidationError(
            field,
            f"'{text}' is a purchase-side code ({VAT_CODE_MEANINGS[code]}), not for sales invoices",
            "Use one of: " + ", ".join(sorted(SALES_VAT_CODES)),
        )
    return code


class VatCase(StrEnum):
    """What a sale is for the VAT return, which decides its Netvisor code (§5.3)."""

    DOMESTIC = "domestic"
    #: A Finnish buyer pays the VAT (construction services, AVL 8 c §): RAMY.
    DOMESTIC_REVERSE_CHARGE = "domestic reverse charge"
    #: Services to a VAT-registered buyer in another EU country (reverse charge, AVL 65 §): EUPM312.
    EU_SERVICES = "EU services"
    #: Goods to a VAT-registered buyer in another EU country (intra-Community supply, AVL 72 a §): EUMY.
    EU_GOODS = "EU goods"
    #: Sales to a buyer outside the EU (AVL 65 §, 70 §): EUUM.
    OUTSIDE_EU = "outside the EU"
    EXEMPT = "VAT-exempt"


#: The case each zero-rated code reports (a code not listed is a domestic sale).
CODE_CASES: Mapping[NetvisorVatCode, VatCase] = MappingProxyType(
    {
        _C.RAMY: VatCase.DOMESTIC_REVERSE_CHARGE,
        _C.EUPM312: VatCase.EU_SERVICES,
        _C.EUPM309: VatCase.EU_SERVICES,
        _C.EUMY: VatCase.EU_GOODS,
        _C.EUUM: VatCase.OUTSIDE_EU,
        _C.MUUL: VatCase.EXEMPT,
        _C.KOMY0: VatCase.EXEMPT,
    }
)
#: Codes of sales on which the seller charges no VAT: the row's rate must be 0 % (a reverse-charge
#: invoice shows no VAT rate or amount: "Laskutusvaatimukset arvonlisäverotuksessa", 6.1.12).
ZERO_RATED_CODES: frozenset[NetvisorVatCode] = frozenset(CODE_CASES)
#: Cases where the buyer pays the VAT (reverse charge) or the sale is an intra-Community supply: the
#: invoice must carry the buyer's VAT identifier ("Laskutusvaatimukset …", 6.1.4).
BUYER_ID_CASES = frozenset({VatCase.DOMESTIC_REVERSE_CHARGE, VatCase.EU_SERVICES, VatCase.EU_GOODS})


def vat_case_of(code: NetvisorVatCode) -> VatCase:
    return CODE_CASES.get(code, VatCase.DOMESTIC)


# --------------------------------------------------------------------------------------------------
# §7 Rounding
# --------------------------------------------------------------------------------------------------

CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def round_cents(value: Number) -> Decimal:
    """Half-up to two decimals (Python's ``round`` rounds half to even; Netvisor rounds commercially).

    Halves round away from zero, so a credit note mirrors its invoice to the cent.
    """
    return parse_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_decimal_comma(value: Number, places: int = 2) -> str:
    """Netvisor's request format: ``Decimal('251')`` → ``'251,00'`` (half-up to ``places``)."""
    quantum = Decimal(1).scaleb(-places)
    return f"{parse_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):f}".replace(".", ",")


class RowAmounts(NamedTuple):
    """One invoice row in cents: ``gross == net + vat`` always holds."""

    net: Decimal
    vat: Decimal
    gross: Decimal


def row_amounts(unit_price: Number, quantity: Number, discount_percent: Number, vat_percent: Number) -> RowAmounts:
    """Net, VAT and gross of a row as Netvisor stores them.

    net = round(quantity × unit price × (1 − discount/100)); VAT = round(net × rate/100);
    gross = net + VAT. Sending both VAT and gross line sums keeps Netvisor from recomputing (§7).
    """
    discount = parse_decimal(discount_percent, "discount percentage")
    if not 0 <= discount <= _HUNDRED:
        raise FinnishValidationError(
            "discount percentage", f"{discount} is outside 0–100", "Correct the row's discount in Severa"
        )
    rate = parse_decimal(vat_percent, "VAT rate")
    if rate < 0:
        raise FinnishValidationError("VAT rate", f"{rate} is negative", "Correct the row's VAT rate in Severa")
    exact_net = parse_decimal(quantity, "quantity") * parse_decimal(unit_price, "unit price")
    net = round_cents(exact_net * (_HUNDRED - discount) / _HUNDRED)
    vat = round_cents(net * rate / _HUNDRED)
    return RowAmounts(net, vat, net + vat)


def _differences(computed: RowAmounts, given: Mapping[str, Number | None], tolerance: Decimal) -> list[str]:
    found = []
    for name, value in given.items():
        if value is None:
            continue
        theirs = parse_decimal(value, name)
        ours: Decimal = getattr(computed, name)
        if abs(theirs - ours) >= tolerance:
            found.append(f"{name} {theirs} ≠ {ours}")
    return found


def check_row_matches(
    computed: RowAmounts,
    *,
    net: Number | None = None,
    vat: Number | None = None,
    gross: Number | None = None,
    field: str = "row",
    tolerance: Decimal = CENT,
) -> None:
    """Severa's row sums must equal ours after cent rounding; a difference of ``tolerance`` is flagged."""
    found = _differences(computed, {"net": net, "vat": vat, "gross": gross}, tolerance)
    if found:
        raise FinnishValidationError(
            field,
            "Severa's sums differ from the cent-rounded row (Severa ≠ computed: " + "; ".join(found) + ")",
            "Correct the row's price, quantity, discount or VAT in Severa so the rounded sums agree",
        )


class InvoiceTotals(NamedTuple):
    net: Decimal
    vat: Decimal
    gross: Decimal


def check_invoice_totals(
    rows: Iterable[RowAmounts],
    *,
    total_gross: Number,
    total_vat: Number | None = None,
    total_net: Number | None = None,
    field: str = "invoice total",
    tolerance: Decimal = CENT,
) -> InvoiceTotals:
    """Sum the rounded rows and compare with the invoice's totals; return the sums to send.

    Netvisor stores ``salesinvoiceamount`` as given, so a total that disagrees with its rows would be
    kept wrong; any difference of ``tolerance`` (one cent) or more is flagged instead (§7).
    """
    items = list(rows)
    totals = InvoiceTotals(
        sum((r.net for r in items), Decimal(0)),
        sum((r.vat for r in items), Decimal(0)),
        sum((r.gross for r in items), Decimal(0)),
    )
    found = _differences(RowAmounts(*totals), {"gross": total_gross, "vat": total_vat, "net": total_net}, tolerance)
    if found:
        raise FinnishValidationError(
            field,
            "the invoice totals do not equal the sum of its cent-rounded rows (invoice ≠ rows: "
            + "; ".join(found)
            + ")",
            "Correct the invoice in Severa; per-row and per-total VAT rounding can differ by a cent",
        )
    return totals


def per_rate_vat(rows: Iterable[tuple[Decimal, RowAmounts]]) -> dict[Decimal, Decimal]:
    """VAT rounded once per rate on the sum of that rate's net amounts (the other lawful rounding)."""
    nets: dict[Decimal, Decimal] = {}
    for rate, amounts in rows:
        nets[rate] = nets.get(rate, Decimal(0)) + amounts.net
    return {rate: round_cents(net * rate / _HUNDRED) for rate, net in nets.items()}


def _rounded_per_rate(rows: list[tuple[Decimal, RowAmounts]]) -> list[RowAmounts]:
    """The rows with each rate's rounding difference put on its largest row, so that the rows' VAT
    sums add up to the VAT rounded per rate (the rows are then what Netvisor stores as sent)."""
    adjusted = [amounts for _, amounts in rows]
    for rate, vat in per_rate_vat(rows).items():
        members = [i for i, (r, _) in enumerate(rows) if r == rate]
        difference = vat - sum((adjusted[i].vat for i in members), Decimal(0))
        if difference:
            largest = max(members, key=lambda i: (abs(adjusted[i].net), -i))
            row = adjusted[largest]
            adjusted[largest] = RowAmounts(row.net, row.vat + difference, row.gross + difference)
    return adjusted


def reconcile_invoice_totals(
    rows: Iterable[tuple[Decimal, RowAmounts]],
    *,
    total_gross: Number,
    total_vat: Number | None = None,
    total_net: Number | None = None,
    field: str = "invoice total",
) -> tuple[InvoiceTotals, list[RowAmounts]]:
    """The totals and rows to send when the invoice's totals agree with either lawful rounding:
    VAT rounded per row, or once per VAT rate (§7: 3 × 0,10 at 25,5 % is 0,09 per row, 0,08 per rate).

    With per-rate rounding, each rate's difference goes onto its largest row so the rows still add up
    to the total Netvisor stores as given. Anything else is an error naming both computations.
    """
    items = list(rows)
    per_row = [amounts for _, amounts in items]
    try:
        return check_invoice_totals(per_row, total_gross=total_gross, total_vat=total_vat, total_net=total_net), per_row
    except FinnishValidationError as per_row_error:
        per_rate = _rounded_per_rate(items)
        try:
            totals = check_invoice_totals(per_rate, total_gross=total_gross, total_vat=total_vat, total_net=total_net)
        except FinnishValidationError:
            vat = sum(per_rate_vat(items).values(), Decimal(0))
            raise FinnishValidationError(
                field,
                f"{per_row_error.problem}; rounded once per VAT rate the VAT would be {vat}",
                "Correct the invoice in Severa so its totals equal its rows",
            ) from None
        return totals, per_rate


def exact_discount_percent(unit_price: Number, quantity: Number, net: Number, *, places: int = 10) -> Decimal | None:
    """The discount percentage that turns quantity × unit price into ``net`` after cent rounding,
    with as few decimals as reproduce it exactly (a 4-decimal percentage is a cent off above about
    10 000 €), or None when there is no discount. Raises when no discount of 0-100 % gives ``net``.
    """
    before = parse_decimal(quantity, "quantity") * parse_decimal(unit_price, "unit price")
    target = parse_decimal(net, "row net")
    if before == 0 or round_cents(before) == target:
        return None
    exact = (1 - target / before) * _HUNDRED
    for decimals in range(0, places + 1):
        candidate = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if 0 < candidate <= _HUNDRED and round_cents(before * (_HUNDRED - candidate) / _HUNDRED) == target:
            return candidate
    raise FinnishValidationError(
        "discount",
        f"no discount of 0-100 % turns {before.normalize():f} into the row's net {target}",
        "Correct the row's price, quantity or sum in Severa",
    )


# --------------------------------------------------------------------------------------------------
# Field lengths (netvisor/API.md §4.10, §4.12; finland.md §8)
# --------------------------------------------------------------------------------------------------

#: The limits Netvisor documents: dimensions (77000466868), attachments (salesinvoicebatch.nv,
#: 77000554289), the customer card (customer.nv 77000554181, "String, max …"), product code (product
#: data import, 77000498445). Other fields have no documented limit (docs/assumptions.md).
NETVISOR_LENGTH_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "dimension name": 50,
        "dimension item": 200,
        "attachment file name": 255,
        "attachment description": 100,
        "attachment mime type": 50,
        "customer number": 50,
        "organisation unit number": 17,
        "customer name": 250,
        "name extension": 250,
        "street address": 80,
        "additional address line": 80,
        "city": 80,
        "post code": 50,
        "product code": 50,
    }
)


def check_length(value: str, limit: int, field: str) -> str:
    """``value`` unchanged if it has at most ``limit`` characters; Netvisor would refuse a longer one."""
    if len(value) > limit:
        raise FinnishValidationError(
            field,
            f"has {len(value)} characters; Netvisor allows at most {limit}",
            "Shorten it in Severa",
        )
    return value
