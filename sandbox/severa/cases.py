"""Hand-made Severa records for the situations real Finnish invoicing meets, added to a seeded state.

Each case is a named group of accounts and invoices (all invoices in the "ready to transfer"
status), written out by hand so a test can say exactly what Netvisor must end up with:

- ``construction``: a Finnish construction company that pays the VAT itself (domestic reverse
  charge, AVL 8 c §): 0 % rows, ``ReverseCharge`` on the customer, no tax-free text on the invoice.
- ``eu_services``: a Swedish buyer of consulting (reverse charge, its SE VAT number, Peppol address).
- ``eu_goods``: a German buyer of printed handbooks (goods) and a training day (a service).
- ``outside_eu``: a Norwegian buyer (no EU VAT number, no reverse-charge flag).
- ``rate_change``: an invoice whose rows were supplied before and after 1.1.2026 (14 % → 13.5 %),
  and two credit notes for it dated after the change, keeping the rates of the supplies they credit.
- ``per_rate_rounding``: three rows of 0,10 € at 25,5 % whose VAT Severa rounds once (0,08), not per
  row (0,09).
- ``large_discount``: a 98 765,43 € row less 12,34541 %.
- ``positive_credit_note``: a credit note Severa gives with positive amounts.
- ``shared_business_id``: two billing units of the City of Helsinki, one business ID, two numbers.
- ``same_number``: two business units that number invoices separately, each with invoice 90100.

Hour-entry cases (``HOUR_CASES``), dated in the days before the day the state is built, so the hours
transfer's open payroll period covers them; ``move_hour_entry`` and ``delete_hour_entry`` are what
happens in Severa after they were transferred:

- ``hours_moved``: user U001 has 3 h and 4 h on one day; the 3 h entry is the one to move to the next day.
- ``hours_deleted``: user U002 has 2 h and 5 h on one day and 6 h alone on the day before; the 2 h and
  the 6 h entries are the ones to delete (Severa's SOAP API lists no deleted hour entries).
- ``hours_local_midnight``: user U003 has two entries on one day, one dated at UTC midnight (Severa's
  calendar-date form) and one at Helsinki midnight (22:00 or 21:00 UTC the evening before), and
  one entry on the day after: each day must reach payroll whole.

Business IDs and reference numbers carry valid check digits (computed by the seed's own helpers).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.severa.seed import READY_STATUS, _business_id_check, _pdf_bytes, _reference_number
from sandbox.severa.state import Record, SeveraState

CENT = Decimal("0.01")
_NAMESPACE = uuid.UUID("6f1f3a52-6a3c-4a7e-9d7e-2f5c0d1e8b11")

HOUR_CASES = ("hours_moved", "hours_deleted", "hours_local_midnight")
CASES = (
    "construction",
    "eu_services",
    "eu_goods",
    "outside_eu",
    "rate_change",
    "per_rate_rounding",
    "large_discount",
    "positive_credit_note",
    "shared_business_id",
    "same_number",
)
#: The Severa product codes of the cases that are goods (the sandbox mapping lists them under vat.goods).
GOODS = ("KIRJA-01",)


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def business_id(base: str) -> str:
    """A valid business ID from seven digits (the next base up when the remainder is 1)."""
    number = int(base)
    while (check := _business_id_check(f"{number:07d}")) is None:
        number += 1
    return f"{number:07d}-{check}"


@dataclass(frozen=True)
class Buyer:
    key: str
    number: int
    name: str
    country: str
    country_name: str
    vat_number: str
    reverse_charge: bool
    street: str
    postal_code: str
    city: str
    e_invoice_address: str | None = None
    e_invoice_operator: str | None = None
    #: The Finnish business ID, for Finnish buyers.
    business_id: str | None = None


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    price: Decimal
    quantity: Decimal
    vat: Decimal
    supplied: date
    unit: str = "kpl"
    #: The row's net when it is not quantity x price (a discount).
    net: Decimal | None = None
    severa_vat_code: str = "KOMY"
    hours: bool = False


@dataclass(frozen=True)
class InvoiceCase:
    key: str
    number: int
    buyer: Buyer
    issued: date
    rows: tuple[Row, ...]
    tax_free: bool = False
    tax_free_text: str | None = None
    credit_note_of: str | None = None
    #: VAT total, when Severa rounds per VAT rate instead of per row.
    vat_total: Decimal | None = None
    #: Severa gives this credit note's amounts positive (its rows' quantities are written positive).
    positive: bool = False
    #: "TRE": numbered in the Tampere business unit's own series.
    unit: str = "HQ"
    extra: dict[str, Any] = field(default_factory=dict)


_FI = "Suomi"
HELSINKI_ID = business_id("0201256")


def _ovt(business_id: str, suffix: str = "") -> str:
    """The OVT code of a business ID, with an organisation-unit suffix for a billing unit."""
    return "0037" + business_id.replace("-", "") + suffix


def _buyers() -> dict[str, Buyer]:
    kivi = business_id("2617411")
    talli = business_id("3045512")
    buyers = [
        Buyer("kivi", 20001, "Kivirakenne Oy", "FI", _FI, "FI" + kivi.replace("-", ""), True, "Louhoskatu 4",
              "33720", "Tampere", _ovt(kivi), "003721291126", kivi),
        Buyer("nordic", 20002, "Nordic Analytics AB", "SE", "Ruotsi", "SE556677889901", True, "Drottninggatan 12",
              "11151", "Stockholm", "0007:5566778899", "PEPPOL"),
        Buyer("muller", 20003, "Müller Technik GmbH", "DE", "Saksa", "DE123456789", True, "Hauptstraße 5",
              "10115", "Berlin", None, None),
        Buyer("fjord", 20004, "Fjord Data AS", "NO", "Norja", "NO999999999MVA", False, "Karl Johans gate 7",
              "0154", "Oslo", None, None),
        Buyer("talli", 20005, "Tallinmäen Tilitoimisto Oy", "FI", _FI, "FI" + talli.replace("-", ""), False,
              "Kauppakatu 3", "15110", "Lahti", _ovt(talli), "E204503", talli),
        Buyer("hki_edu", 20006, "Helsingin kaupunki, Kasvatuksen ja koulutuksen toimiala", "FI", _FI,
              "FI" + HELSINKI_ID.replace("-", ""), False, "Töysänkatu 2 D", "00510", "Helsinki",
              _ovt(HELSINKI_ID, "01"), "003703575029", HELSINKI_ID),
        Buyer("hki_env", 20007, "Helsingin kaupunki, Kaupunkiympäristön toimiala", "FI", _FI,
              "FI" + HELSINKI_ID.replace("-", ""), False, "Työpajankatu 8", "00580", "Helsinki",
              _ovt(HELSINKI_ID, "02"), "003703575029", HELSINKI_ID),
    ]  # fmt: skip
    return {b.key: b for b in buyers}


def _d(text: str | int) -> Decimal:
    return Decimal(text)


def _invoices(b: dict[str, Buyer]) -> list[InvoiceCase]:
    dec18, jan2, jan5 = date(2025, 12, 18), date(2026, 1, 2), date(2026, 1, 5)
    sept = date(2026, 9, 15)
    consulting = ("KONS", "Konsultointi")
    return [
        InvoiceCase("construction", 90001, b["kivi"], sept, (
            Row(*consulting, _d("68.00"), _d("37.5"), _d(0), sept, "h", severa_vat_code="RAMY", hours=True),
            Row("MATKA-01", "Matkakulut", _d("0.57"), _d("120"), _d(0), sept, "km", severa_vat_code="RAMY"),
        ), tax_free=True),
        InvoiceCase("eu_services", 90002, b["nordic"], sept, (
            Row(*consulting, _d("120.00"), _d("16"), _d(0), sept, "h", severa_vat_code="EUPM312", hours=True),
        ), tax_free=True, tax_free_text="Reverse charge, Article 196 Council Directive 2006/112/EC"),
        InvoiceCase("eu_goods", 90003, b["muller"], sept, (
            Row("KIRJA-01", "Käsikirja (painettu)", _d("39.90"), _d("25"), _d(0), sept, severa_vat_code="EUMY"),
            Row("KOUL-01", "Koulutuspäivä", _d("1200.00"), _d("1"), _d(0), sept, "pv", severa_vat_code="EUPM312"),
        ), tax_free=True),
        InvoiceCase("outside_eu", 90004, b["fjord"], sept, (
            Row(*consulting, _d("110.00"), _d("12.5"), _d(0), sept, "h", severa_vat_code="EUUM", hours=True),
        )),
        InvoiceCase("rate_change", 90005, b["talli"], jan5, (
            Row("KIRJA-01", "Käsikirja (painettu)", _d("39.90"), _d("10"), _d(14), dec18),
            Row("KIRJA-01", "Käsikirja (painettu)", _d("39.90"), _d("6"), _d("13.5"), jan2),
            Row("LIS-01", "Ohjelmistolisenssi", _d("490.00"), _d("1"), _d("25.5"), jan2),
        )),
        # Two credit notes for invoice 90005, dated after 1.1.2026; the first credits books supplied in
        # December 2025 and keeps their 14 %.
        InvoiceCase("rate_change", 90006, b["talli"], date(2026, 1, 15), (
            Row("KIRJA-01", "Käsikirja (painettu)", _d("39.90"), _d("-2"), _d(14), date(2026, 1, 15)),
        ), credit_note_of="rate_change/90005"),
        InvoiceCase("rate_change", 90007, b["talli"], date(2026, 1, 20), (
            Row("KIRJA-01", "Käsikirja (painettu)", _d("39.90"), _d("-1"), _d("13.5"), jan2),
            Row("LIS-01", "Ohjelmistolisenssi", _d("490.00"), _d("-1"), _d("25.5"), jan2),
        ), credit_note_of="rate_change/90005"),
        InvoiceCase("per_rate_rounding", 90008, b["talli"], sept, tuple(
            Row("MATKA-01", "Pysäköinti", _d("0.10"), _d("1"), _d("25.5"), sept) for _ in range(3)
        ), vat_total=_d("0.08")),
        InvoiceCase("large_discount", 90009, b["talli"], sept, (
            Row("LIS-01", "Yrityslisenssi", _d("98765.43"), _d("1"), _d("25.5"), sept, net=_d("86572.43")),
        )),
        InvoiceCase("positive_credit_note", 90010, b["talli"], sept, (
            Row("KOUL-01", "Koulutuspäivä", _d("1200.00"), _d("1"), _d("25.5"), sept, "pv"),
        )),
        InvoiceCase("positive_credit_note", 90011, b["talli"], sept + timedelta(days=3), (
            Row("KOUL-01", "Koulutuspäivä", _d("1200.00"), _d("1"), _d("25.5"), sept, "pv"),
        ), credit_note_of="positive_credit_note/90010", positive=True),
        InvoiceCase("shared_business_id", 90012, b["hki_edu"], sept, (
            Row(*consulting, _d("95.00"), _d("8"), _d("25.5"), sept, "h", hours=True),
        )),
        InvoiceCase("shared_business_id", 90013, b["hki_env"], sept, (
            Row(*consulting, _d("95.00"), _d("4"), _d("25.5"), sept, "h", hours=True),
        )),
        InvoiceCase("same_number", 90100, b["talli"], sept, (
            Row("LIS-01", "Ohjelmistolisenssi", _d("490.00"), _d("2"), _d("25.5"), sept),
        )),
        InvoiceCase("same_number", 90100, b["hki_edu"], sept, (
            Row("KOUL-01", "Koulutuspäivä", _d("1200.00"), _d("2"), _d("25.5"), sept, "pv"),
        ), unit="TRE"),
    ]  # fmt: skip


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)  # a calendar date, as Severa keeps them


class _Builder:
    def __init__(self, state: SeveraState):
        self.state = state
        units = {u["Code"]: u for u in state.business_units.values()}
        self.units = units
        self.eur = next(g for g, c in state.currencies.items() if c["IsoCode"] == "EUR")
        self.work_types = {w["Code"]: w for w in state.work_types.values()}
        self.products = {p["Code"]: p for p in state.products.values()}

    def buyer(self, buyer: Buyer) -> None:
        s = self.state
        account_guid, company_guid, address_guid = (
            _guid(buyer.key, part) for part in ("account", "company", "address")
        )
        if account_guid in s.accounts:
            return
        changed = datetime(2025, 6, 2, 9, tzinfo=UTC)
        common: Record = {
            "CompanyGUID": company_guid, "CurrencyCode": "EUR", "CurrencyGUID": self.eur, "GUID": account_guid,
            "InsertTS": changed, "InvoicingVat": Decimal(0) if buyer.reverse_charge else Decimal("25.5"),
            "IsActive": True, "IsInternal": False, "LanguageCode": "fi" if buyer.country == "FI" else "en",
            "Name": buyer.name, "Number": buyer.number, "OverdueInterest": Decimal("8.0"), "PaymentTerm": 14,
            "ReverseCharge": buyer.reverse_charge, "UpdatedTS": changed, "eInvoiceAddress": buyer.e_invoice_address,
            "eInvoiceOperator": buyer.e_invoice_operator, "_changed": changed, "_business_id": buyer.business_id,
        }  # fmt: skip
        s.accounts[account_guid] = dict(common)
        s.customers[account_guid] = {
            **common, "Email": f"laskut@{buyer.key}.example.com", "HeadOfficeAddressGUID": address_guid,
            "VatNumber": buyer.vat_number,
        }  # fmt: skip
        s.addresses[address_guid] = {
            "Addressline": buyer.street, "City": buyer.city, "CompanyGUID": company_guid,
            "CountryCode": buyer.country, "CountryName": buyer.country_name, "GUID": address_guid,
            "IsBillingAddress": True, "IsPostalAddress": True, "IsVisitAddress": True,
            "PostalCode": buyer.postal_code, "_changed": changed, "_account": account_guid,
        }  # fmt: skip

    def row(self, case: InvoiceCase, index: int, row: Row) -> Record:
        net = row.net if row.net is not None else (row.quantity * row.price).quantize(CENT, ROUND_HALF_UP)
        vat = (net * row.vat / 100).quantize(CENT, ROUND_HALF_UP)
        source = self.work_types.get(row.code) if row.hours else self.products.get(row.code)
        guid = source["GUID"] if source else None
        day = _midnight(row.supplied)
        return {
            "EventDate": day, "GUID": _guid(case.key, case.number, case.unit, "row", index),
            "HourGUIDs": [_guid(case.key, case.number, "hours", index)] if row.hours else [],
            "ProductGUIDs": [guid] if guid and not row.hours else [],
            "articleIdentifier": row.code, "articleName": row.name, "deliveredQuantity": row.quantity,
            "quantityUnitCode": row.unit, "rowAmount": net + vat, "rowAmountCurrencyIdentifier": "EUR",
            "rowCostAmount": Decimal(0), "rowDeliveryDate": day, "rowNumber": index, "rowSalesAccountNumber": "3000",
            "rowUnitPrice": row.price, "rowVatAmount": vat, "rowVatCode": row.severa_vat_code,
            "rowVatExcludedAmount": net, "rowVatRatePercent": row.vat, "unitPriceAmount": row.price,
            "unitPriceCurrencyIdentifier": "EUR",
        }  # fmt: skip

    def invoice(self, case: InvoiceCase, credited: Record | None) -> Record:
        buyer, unit = case.buyer, self.units[case.unit]
        rows = [self.row(case, n, row) for n, row in enumerate(case.rows, start=1)]
        net = sum((r["rowVatExcludedAmount"] for r in rows), Decimal(0))
        vat = case.vat_total if case.vat_total is not None else sum((r["rowVatAmount"] for r in rows), Decimal(0))
        issued = _midnight(case.issued)
        reference = _reference_number(str(case.number))
        account_guid = _guid(buyer.key, "account")
        details: Record = {
            "invoiceDate": issued, "invoiceDueDate": issued + timedelta(days=14), "invoiceNumber": case.number,
            "invoiceTotalVatAmount": vat, "invoiceTotalVatExcludedAmount": net,
            "invoiceTotalVatIncludedAmount": net + vat, "invoiceTypeText": "HYVITYSLASKU" if credited else "LASKU",
            "paymentOverDueFinePercent": Decimal(8), "sellerReferenceIdentifier": reference,
            "vatBaseAmount": Decimal(0), "vatRateAmount": Decimal(0), "vatRatePercent": 0,
        }  # fmt: skip
        buyer_org: Record = {
            "buyerElectronicInvoiceAddress": buyer.e_invoice_address,
            "buyerElectronicInvoiceOperator": buyer.e_invoice_operator,
            "buyerEmailaddressIdentifier": f"ostolaskut@{buyer.key}.example.com",
            "buyerOrganisationName": buyer.name, "buyerOrganisationTaxCode": buyer.vat_number,
            "buyerPartyIdentifier": buyer.business_id,
            "buyerPostalAddressDetails": {
                "country": buyer.country_name, "countryCode": buyer.country, "postCodeIdentifier": buyer.postal_code,
                "streetName": buyer.street, "townName": buyer.city,
            },
        }  # fmt: skip
        return {
            "AccountGUID": account_guid, "AccountName": buyer.name, "AccountNumber": buyer.number,
            "BusinessUnitCode": case.unit, "BusinessUnitGUID": unit["GUID"], "BusinessUnitName": unit["Name"],
            "BuyerOrganization": buyer_org, "Culture": "fi-FI", "CurrencyGUID": self.eur, "CurrencyName": "Euro",
            "CurrencyRate": Decimal(1), "CurrencyShortform": "EUR", "Date": issued,
            "DueDate": issued + timedelta(days=14), "EntryDate": issued,
            "GUID": _guid(case.key, case.number, case.unit, "invoice"),
            "InvoiceConfig": {"IsTaxFree": case.tax_free, "TaxFreeDescription": case.tax_free_text},
            "InvoiceDetails": details, "InvoiceNumberingBusinessUnitGUID": unit["GUID"], "InvoiceRows": rows,
            "InvoiceStatus": READY_STATUS, "IsCreditNote": credited is not None, "IsReimbursed": False,
            "IsTaxFree": case.tax_free, "LanguageCode": "fi", "Number": case.number, "OurReference": "Myynti",
            "OverDueInterest": Decimal(8), "PaymentDate": None, "PaymentTerm": 14,
            "ReceiverAddressline": buyer.street, "ReceiverCity": buyer.city, "ReceiverCountry": buyer.country_name,
            "ReceiverCustomerName": buyer.name, "ReceiverPostalCode": buyer.postal_code,
            "ReceiverVatNumber": buyer.vat_number, "ReferenceNumber": reference,
            "ReimburseInvoiceGUID": credited["GUID"] if credited else None, "SenderName": "Simuloitu Palveluyritys Oy",
            "SenderVatNumber": "FI12345671", "TaxFreeDescription": case.tax_free_text,
            "Title": "Hyvityslasku" if credited else "Lasku", "YourReference": f"Tilaus {case.number}",
            "_changed": datetime(case.issued.year, case.issued.month, case.issued.day, 15, tzinfo=UTC),
            "_pdf": _pdf_bytes(case.number, buyer.name), "_attachments": [], "_case": case.key, **case.extra,
        }  # fmt: skip


def add_cases(
    state: SeveraState, names: Iterable[str] = CASES + HOUR_CASES, *, today: date | None = None
) -> list[Record]:
    """Add the named cases' accounts, invoices and hour entries to ``state``; returns the invoices added.
    Hour cases are dated in the week before ``today`` (default: the real today)."""
    wanted = set(names)
    unknown = wanted - set(CASES) - set(HOUR_CASES)
    if unknown:
        known = ", ".join(CASES + HOUR_CASES)
        raise ValueError(f"unknown real-world cases: {sorted(unknown)} (known: {known})")
    _add_hours(state, [name for name in HOUR_CASES if name in wanted], today or date.today())
    builder = _Builder(state)
    added: list[Record] = []
    by_key: dict[str, Record] = {}
    for case in _invoices(_buyers()):
        if case.key not in wanted:
            continue
        builder.buyer(case.buyer)
        record = builder.invoice(case, by_key.get(case.credit_note_of or ""))
        by_key[f"{case.key}/{case.number}"] = record
        state.invoices[record["GUID"]] = record
        added.append(record)
    return added


def invoices_of(state: SeveraState, case: str) -> list[Record]:
    """The invoices of one case, in number order."""
    return sorted((r for r in state.invoices.values() if r.get("_case") == case), key=lambda r: r["Number"])


# -- hour entries ------------------------------------------------------------------------------------

#: (case, user code, days before today, hours, key, event date form) of the hour cases' entries.
_HOUR_ENTRIES = (
    ("hours_moved", "U001", 5, "3", "moves", "utc"),
    ("hours_moved", "U001", 5, "4", "stays", "utc"),
    ("hours_deleted", "U002", 6, "2", "deleted", "utc"),
    ("hours_deleted", "U002", 6, "5", "stays", "utc"),
    ("hours_deleted", "U002", 7, "6", "deleted-alone", "utc"),
    ("hours_local_midnight", "U003", 3, "2", "utc-midnight", "utc"),
    ("hours_local_midnight", "U003", 3, "3.5", "helsinki-midnight", "helsinki"),
    ("hours_local_midnight", "U003", 2, "1", "next-day", "utc"),
)


def _event_date(day: date, form: str) -> datetime:
    """Severa's EventDate: a calendar date (no offset: read as UTC midnight), or Helsinki midnight as an
    instant (the evening before in UTC: 22:00 in winter, 21:00 in summer)."""
    if form == "utc":
        return datetime(day.year, day.month, day.day)
    from zoneinfo import ZoneInfo  # noqa: PLC0415 - only the hour cases need it

    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/Helsinki")).astimezone(UTC)


def _add_hours(state: SeveraState, cases: list[str], today: date) -> None:
    if not cases:
        return
    users = {u["Code"]: g for g, u in state.users.items()}
    work_type = next(g for g, w in state.work_types.items() if w["Code"] == "KONS")
    case = min(state.cases.values(), key=lambda c: c["CaseNumber"])
    for name, user_code, days_before, hours, key, form in _HOUR_ENTRIES:
        if name not in cases:
            continue
        day = today - timedelta(days=days_before)
        guid = _guid(name, key, "hour-entry")
        state.hour_entries[guid] = {
            "AccountGUID": case["AccountGUID"], "CaseGUID": case["GUID"], "Description": f"Työtä ({key})",
            "EventDate": _event_date(day, form), "GUID": guid, "IsApproved": True, "IsBillable": True,
            "IsProductive": True, "IsReadOnly": True, "Quantity": Decimal(hours), "UnitCost": Decimal("45.00"),
            "UnitPrice": Decimal("95.00"), "UnitPriceInBaseCurrency": Decimal("95.00"),
            "UserGUID": users[user_code], "WorkTypeGUID": work_type,
            "_changed": datetime.now(UTC) - timedelta(hours=1), "_case": name, "_key": key,
        }  # fmt: skip


def hour_entry(state: SeveraState, case: str, key: str) -> Record:
    """One hour entry of an hour case, by its key (``moves``, ``deleted``, ``utc-midnight``...)."""
    return next(r for r in state.hour_entries.values() if r.get("_case") == case and r.get("_key") == key)


def move_hour_entry(state: SeveraState, guid: str, *, days: int = 1, user_guid: str | None = None) -> None:
    """Someone moves an hour entry in Severa to another day (and/or user); Severa records the change."""
    record = state.hour_entries[guid]
    record["EventDate"] = record["EventDate"] + timedelta(days=days)
    if user_guid is not None:
        record["UserGUID"] = user_guid
    state.touch(record)


def delete_hour_entry(state: SeveraState, guid: str) -> Record:
    """Someone deletes an hour entry in Severa: it is simply gone (no read lists deleted entries)."""
    return state.hour_entries.pop(guid)
