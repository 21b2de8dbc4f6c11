"""Realistic Finnish Severa data, deterministic from a seed number, from a handful to tens of thousands.

Companies have valid business IDs (Y-tunnus) and OVT e-invoice addresses; invoices use the 2026
VAT rates 25.5 %, 13.5 %, 10 % and 0 % (domestic reverse charge of construction companies, with
``ReverseCharge`` on the account and ``IsTaxFree`` on the invoice), carry valid Finnish reference
numbers, several rows with projects (cases) and cost centres, and some are credit notes (negative
amounts) pointing at the invoice they credit. Hour entries are a mix of approved, unapproved and
not-yet-reviewed.

``real_world=True`` adds the hand-made cases of ``sandbox/severa/cases.py`` (buyers in other EU
countries and outside the EU, credit notes across the 1.1.2026 rate change, per-rate rounding, hour
entries moved, deleted and dated at Helsinki midnight, ...).

``build_state(seed=1, accounts=20, invoices=50, hour_entries=200)``; 10 000 invoices take seconds.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.severa.state import Record, SeveraState

CENT = Decimal("0.01")
#: Default "today" of the seeded world: after the 1.1.2026 change to 13.5 %.
ANCHOR = date(2026, 10, 30)

# Business-ID and reference-number check digits, written independently of severa_netvisor.finnish
# on purpose: seeded data must not share a bug with the validation it is used to test.
_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def _business_id_check(base: str) -> int | None:
    """Check digit of a 7-digit business ID base, or None when no valid check digit exists."""
    remainder = sum(int(d) * w for d, w in zip(base, _BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def _reference_number(base: str) -> str:
    """Finnish reference number: base digits + check digit (weights 7, 3, 1 from the right)."""
    weights = (7, 3, 1)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(base)))
    return base + str((10 - total % 10) % 10)


COMPANY_STEMS = (
    "Mäkelän",
    "Virtasen",
    "Järvisen",
    "Kuusiston",
    "Pohjolan",
    "Saimaan",
    "Lapin",
    "Hämeen",
    "Kärkkäisen",
    "Länsirannikon",
    "Savon",
    "Ålandsbankens",
    "Keski-Suomen",
    "Pirkanmaan",
    "Östermalmin",
    "Koskelan",
)
COMPANY_TRADES = (
    "Rakennus",
    "Konsultointi",
    "Ohjelmistot",
    "Logistiikka",
    "Sähkö",
    "Kiinteistöpalvelut",
    "Tilitoimisto",
    "Mainostoimisto",
    "Metsäpalvelu",
    "Putkityö",
    "Arkkitehdit",
    "Teknologia",
)
COMPANY_FORMS = ("Oy", "Oy", "Oy", "Oyj", "Ab", "Ky", "Tmi")
FIRST_NAMES = ("Aino", "Eino", "Jääkko", "Päivi", "Sööti", "Åsa", "Mikko", "Liisa", "Väinö", "Elina", "Jukka", "Ritva")
LAST_NAMES = ("Mäkinen", "Virtanen", "Järvinen", "Kärkkäinen", "Söderström", "Nieminen", "Hämäläinen", "Åberg")
STREETS = ("Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Yliopistonkatu", "Kauppakatu", "Työpajankatu")
CITIES = (
    ("00100", "Helsinki"),
    ("02150", "Espoo"),
    ("33100", "Tampere"),
    ("20100", "Turku"),
    ("90100", "Oulu"),
    ("40100", "Jyväskylä"),
    ("70100", "Kuopio"),
    ("15110", "Lahti"),
    ("65100", "Vaasa"),
    ("06100", "Porvoo"),
)
E_INVOICE_OPERATORS = ("003721291126", "E204503", "003703575029", "NDEAFIHH", "OKOYFIHH")
PROJECT_NAMES = (
    "Verkkokaupan uudistus",
    "ERP-käyttöönotto",
    "Tietoturva-auditointi",
    "Mobiilisovellus",
    "Pilvisiirto",
    "Käyttöliittymän suunnittelu",
    "Ylläpitosopimus 2026",
    "Raportoinnin kehitys",
)

#: (code, name, VAT %, unit price, unit) of seeded products.
PRODUCTS = (
    ("LIS-01", "Ohjelmistolisenssi", Decimal("25.5"), Decimal("490.00"), "kpl"),
    ("KOUL-01", "Koulutuspäivä", Decimal("25.5"), Decimal("1200.00"), "pv"),
    ("KIRJA-01", "Käsikirja (painettu)", Decimal("13.5"), Decimal("39.90"), "kpl"),
    ("LEHTI-01", "Ammattilehden vuositilaus", Decimal("10"), Decimal("129.00"), "kpl"),
    ("MATKA-01", "Matkakulut", Decimal("25.5"), Decimal("0.57"), "km"),
)
WORK_TYPES = (("SUUN", "Suunnittelu"), ("KONS", "Konsultointi"), ("PM", "Projektinhallinta"), ("TEST", "Testaus"))

#: (name, flags) of the invoice statuses; the names are what SetInvoiceStatus takes.
INVOICE_STATUSES = (
    ("Luonnos", {"IsDefault": True}),
    ("Valmis lähetettäväksi Netvisoriin", {"HasInvoiceNumber": True}),
    ("Lasku lähetetty Netvisoriin", {"HasInvoiceNumber": True, "IsSent": True, "IsWaitingPayment": True}),
    ("Maksettu", {"HasInvoiceNumber": True, "IsSent": True, "IsPaid": True, "IsReadOnly": True}),
)
READY_STATUS = INVOICE_STATUSES[1][0]
SENT_STATUS = INVOICE_STATUSES[2][0]
PAID_STATUS = INVOICE_STATUSES[3][0]

REVERSE_CHARGE_NOTE = "Käännetty verovelvollisuus (AVL 8 c §)"


@dataclass(frozen=True)
class _Company:
    account: Record
    business_id: str


class _Seeder:
    def __init__(self, seed: int, anchor: date):
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.now = datetime(anchor.year, anchor.month, anchor.day, 12, tzinfo=UTC)
        self.state = SeveraState()

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def past(self, max_days: int) -> datetime:
        return self.now - timedelta(days=self.rng.randrange(max_days), minutes=self.rng.randrange(1440))

    def business_id(self) -> str:
        while True:
            base = f"{self.rng.randrange(10**6, 10**7):07d}"
            check = _business_id_check(base)
            if check is not None:
                return f"{base}-{check}"

    # -- master data -------------------------------------------------------------------------
    def master_data(self) -> None:
        s = self.state
        for iso, symbol, rate in (("EUR", "€", "1"), ("SEK", "kr", "11.1"), ("USD", "$", "1.08")):
            guid = self.guid()
            s.currencies[guid] = {
                "GUID": guid,
                "IsActive": True,
                "IsoCode": iso,
                "Rate": Decimal(rate),
                "Symbol": symbol,
                "_changed": self.now,
            }
        self.eur = next(iter(s.currencies))
        parent = None
        for code, name in (("HQ", "Pääkonttori"), ("TRE", "Tampereen yksikkö")):
            guid = self.guid()
            s.business_units[guid] = {
                "Code": code,
                "CostCenterGUID": self.guid(),
                "CurrencyCode": "EUR",
                "CurrencyGUID": self.eur,
                "FormattingCulture": "fi-FI",
                "GUID": guid,
                "InsertTS": self.past(900),
                "IsActive": True,
                "LanguageCode": "fi",
                "Name": name,
                "NextInvoiceNumber": 1,
                "OverDueInterest": Decimal("8.0"),
                "ParentBusinessUnitGUID": parent,
                "PaymentTerm": 14,
                "VatNumber": "FI12345671",
                "_changed": self.past(400),
            }
            parent = parent or guid
        self.business_units = list(s.business_units)
        for index in range(6):
            guid = self.guid()
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            s.users[guid] = {
                "BusinessUnitGUID": self.rng.choice(self.business_units),
                "Code": f"U{index + 1:03d}",
                "Email": f"{first.lower()}.{last.lower()}@example.fi",
                "FirstName": first,
                "GUID": guid,
                "IsActive": index != 5,
                "LastName": last,
                "Title": "Konsultti",
                "_changed": self.past(300),
            }
        self.users = list(s.users)
        for code, name in WORK_TYPES:
            guid = self.guid()
            s.work_types[guid] = {
                "Code": code,
                "GUID": guid,
                "IsActive": True,
                "IsDefault": code == "KONS",
                "IsProductive": code != "PM",
                "Name": name,
                "_changed": self.past(300),
            }
        self.work_types = list(s.work_types)
        for code, name, vat, price, unit in PRODUCTS:
            guid = self.guid()
            s.products[guid] = {
                "Code": code,
                "Description": name,
                "GUID": guid,
                "IsActive": True,
                "MeasurementUnit": unit,
                "Name": name,
                "Type": "Product",
                "UnitCost": (price * Decimal("0.6")).quantize(CENT),
                "UnitPrice": price,
                "VAT": vat,
                "_changed": self.past(300),
            }
        for order, (name, flags) in enumerate(INVOICE_STATUSES):
            s.invoice_statuses[name] = {
                "Description": name,
                "HasInvoiceNumber": False,
                "IsActive": True,
                "IsDefault": False,
                "IsPaid": False,
                "IsReadOnly": False,
                "IsSent": False,
                "IsWaitingPayment": False,
                "Name": name,
                "SortOrder": order + 1,
                **flags,
            }

    # -- customers ---------------------------------------------------------------------------
    def company(self, number: int) -> _Company:
        s = self.state
        business_id = self.business_id()
        digits = business_id.replace("-", "")
        stem, trade, form = (
            self.rng.choice(COMPANY_STEMS),
            self.rng.choice(COMPANY_TRADES),
            self.rng.choice(COMPANY_FORMS),
        )
        account_guid, company_guid, address_guid = self.guid(), self.guid(), self.guid()
        inserted = self.past(900)
        changed = max(inserted, self.past(200))
        # Finnish buyers who pay the VAT themselves: construction companies (AVL 8 c §).
        reverse_charge = number % 9 == 0
        name = f"{stem} {'Rakennus' if reverse_charge else trade} {form}"
        postal, city = self.rng.choice(CITIES)
        street = f"{self.rng.choice(STREETS)} {self.rng.randrange(1, 80)}"
        common = {
            "AccountOwnerUserGUID": self.rng.choice(self.users),
            "CompanyGUID": company_guid,
            "CurrencyCode": "EUR",
            "CurrencyGUID": self.eur,
            "GUID": account_guid,
            "InsertTS": inserted,
            "InvoicingVat": Decimal("0") if reverse_charge else Decimal("25.5"),
            "IsActive": True,
            "IsInternal": False,
            "LanguageCode": "fi",
            "Name": name,
            "Number": 10000 + number,
            "OverdueInterest": Decimal("8.0"),
            "PaymentTerm": self.rng.choice((7, 14, 14, 30)),
            "ReverseCharge": reverse_charge,
            "UpdatedTS": changed,
            "eInvoiceAddress": "0037" + digits,
            "eInvoiceOperator": self.rng.choice(E_INVOICE_OPERATORS),
            "_changed": changed,
            "_business_id": business_id,
        }
        s.accounts[account_guid] = dict(common)
        s.customers[account_guid] = {
            **common,
            "Email": f"laskutus@{digits}.example.fi",
            "HeadOfficeAddressGUID": address_guid,
            "VatNumber": "FI" + digits,
            "Website": f"https://www.{digits}.example.fi",
        }
        s.addresses[address_guid] = {
            "Addressline": street,
            "City": city,
            "CompanyGUID": company_guid,
            "CountryCode": "FI",
            "CountryName": "Suomi",
            "GUID": address_guid,
            "IsBillingAddress": True,
            "IsPostalAddress": True,
            "IsVisitAddress": True,
            "Phone": f"+358 40 {self.rng.randrange(1000000, 9999999)}",
            "PostalCode": postal,
            "_changed": changed,
            "_account": account_guid,
        }
        for _ in range(self.rng.randrange(1, 3)):
            guid = self.guid()
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            s.contacts[guid] = {
                "AccountGUID": account_guid,
                "AddressGUID": address_guid,
                "CommunicationMethods": [
                    {
                        "IsForbiddenToUse": False,
                        "Name": "Sähköposti",
                        "Type": "EmailAddress",
                        "Value": f"{first.lower()}@{digits}.example.fi",
                    },
                    {
                        "IsForbiddenToUse": False,
                        "Name": "Matkapuhelin",
                        "Type": "MobilePhone",
                        "Value": f"+358 50 {self.rng.randrange(1000000, 9999999)}",
                    },
                ],
                "FirstName": first,
                "GUID": guid,
                "IsActive": True,
                "JobTitle": "Talousjohtaja",
                "Keywords": ["laskutus"],
                "LastName": last,
                "_changed": changed,
            }
        for _ in range(self.rng.randrange(1, 3)):
            guid = self.guid()
            unit = self.rng.choice(self.business_units)
            case_number = 5000 + len(s.cases)
            s.cases[guid] = {
                "AccountGUID": account_guid,
                "AccountName": name,
                "AccountNumber": 10000 + number,
                "BusinessUnitGUID": unit,
                "BusinessUnitName": s.business_units[unit]["Name"],
                "CaseNumber": case_number,
                "CaseOwnerUserGUID": self.rng.choice(self.users),
                "CostCenterGUID": self.guid(),
                "CostCenterNumber": str(100 + len(s.cases) % 7 * 10),
                "CurrencyGUID": self.eur,
                "CurrencyShortform": "EUR",
                "GUID": guid,
                "InsertTs": inserted,
                "IsClosed": False,
                "IsInternal": False,
                "Name": self.rng.choice(PROJECT_NAMES),
                "PaymentTerm": 14,
                "Priority": 1,
                "StartDate": inserted.replace(tzinfo=None, hour=0, minute=0),
                "UpdatedTs": changed,
                "_changed": changed,
            }
        return _Company(s.accounts[account_guid], business_id)

    # -- invoices ----------------------------------------------------------------------------
    def invoice(self, number: int, company: _Company, credited: Record | None = None) -> Record:
        s = self.state
        account = company.account
        cases = self._cases_by_account.get(account["GUID"], [])
        guid = self.guid()
        issued = self.anchor - timedelta(days=self.rng.randrange(0, 280))
        invoice_date = datetime(issued.year, issued.month, issued.day)  # a calendar date
        reverse_charge = bool(account["ReverseCharge"])
        rows = []
        row_count = len(credited["InvoiceRows"]) if credited else self.rng.choice((1, 1, 2, 3, 4, 6))
        for index in range(row_count):
            if credited is not None:
                source = credited["InvoiceRows"][index]
                code, name, vat = source["articleIdentifier"], source["articleName"], source["rowVatRatePercent"]
                unit = source["quantityUnitCode"]
                price, quantity = source["rowUnitPrice"], -source["deliveredQuantity"]
                case = s.cases.get(source["MainCaseGUID"]) if source["MainCaseGUID"] else None
            else:
                code, name, vat, price, unit = self.rng.choice(PRODUCTS)
                quantity = Decimal(self.rng.randrange(1, 40)) / (2 if code == "KOUL-01" else 1)
                case = self.rng.choice(cases) if cases else None
            if reverse_charge:
                vat = Decimal(0)
            excluded = (quantity * price).quantize(CENT, ROUND_HALF_UP)
            vat_amount = (excluded * vat / 100).quantize(CENT, ROUND_HALF_UP)
            rows.append(
                {
                    "CaseGUIDs": [case["GUID"]] if case else [],
                    "EventDate": invoice_date,
                    "GUID": self.guid(),
                    "MainCaseGUID": case["GUID"] if case else None,
                    "MainCaseName": case["Name"] if case else None,
                    "MainCaseNumber": case["CaseNumber"] if case else None,
                    "articleIdentifier": code,
                    "articleName": name,
                    "deliveredQuantity": quantity,
                    "quantityUnitCode": unit,
                    "rowAmount": excluded + vat_amount,
                    "rowAmountCurrencyIdentifier": "EUR",
                    "rowCostCenterGUID": case["CostCenterGUID"] if case else None,
                    "rowCostCenterNumber": case["CostCenterNumber"] if case else None,
                    "rowDeliveryDate": invoice_date,
                    "rowNumber": index + 1,
                    "rowSalesAccountNumber": "3000",
                    "rowUnitPrice": price,
                    "rowVatAmount": vat_amount,
                    "rowVatCode": "RAMY" if reverse_charge else "KOMY",
                    "rowVatExcludedAmount": excluded,
                    "rowVatRatePercent": vat,
                    "unitPriceAmount": price,
                    "unitPriceCurrencyIdentifier": "EUR",
                }
            )
        excluded_total = sum((r["rowVatExcludedAmount"] for r in rows), Decimal(0))
        vat_total = sum((r["rowVatAmount"] for r in rows), Decimal(0))
        reference = _reference_number(str(1000 + number))
        term = int(account["PaymentTerm"] or 14)
        customer = s.customers[account["GUID"]]
        address = s.addresses[customer["HeadOfficeAddressGUID"]]
        status = self.rng.choice((READY_STATUS, READY_STATUS, SENT_STATUS, PAID_STATUS, "Luonnos"))
        main_case = rows[0]["MainCaseGUID"]
        record: Record = {
            "AccountGUID": account["GUID"],
            "AccountName": account["Name"],
            "AccountNumber": account["Number"],
            "BusinessUnitCode": "HQ",
            "BusinessUnitGUID": self.business_units[0],
            "BusinessUnitName": "Pääkonttori",
            "BuyerOrganization": {
                "buyerElectronicInvoiceAddress": account["eInvoiceAddress"],
                "buyerElectronicInvoiceOperator": account["eInvoiceOperator"],
                "buyerOrganisationName": account["Name"],
                "buyerOrganisationTaxCode": company.business_id,
                "buyerPartyIdentifier": company.business_id,
                "buyerPostalAddressDetails": {
                    "country": "Suomi",
                    "countryCode": "FI",
                    "postCodeIdentifier": address["PostalCode"],
                    "streetName": address["Addressline"],
                    "townName": address["City"],
                },
            },
            "Culture": "fi-FI",
            "CurrencyGUID": self.eur,
            "CurrencyName": "Euro",
            "CurrencyRate": Decimal(1),
            "CurrencyShortform": "EUR",
            "Date": invoice_date,
            "DueDate": invoice_date + timedelta(days=term),
            "EntryDate": invoice_date,
            "GUID": guid,
            "InvoiceConfig": {
                "IsTaxFree": reverse_charge,
                "TaxFreeDescription": REVERSE_CHARGE_NOTE if reverse_charge else None,
            },
            "InvoiceDetails": {
                "invoiceDate": invoice_date,
                "invoiceDueDate": invoice_date + timedelta(days=term),
                "invoiceNumber": number,
                "invoiceTotalVatAmount": vat_total,
                "invoiceTotalVatExcludedAmount": excluded_total,
                "invoiceTotalVatIncludedAmount": excluded_total + vat_total,
                "invoiceTypeText": "HYVITYSLASKU" if credited else "LASKU",
                "paymentOverDueFinePercent": Decimal(8),
                "sellerReferenceIdentifier": reference,
                "vatRatePercent": 0 if reverse_charge else 25,
            },
            "InvoiceNumberingBusinessUnitGUID": self.business_units[0],
            "InvoiceRows": rows,
            "InvoiceStatus": status,
            "IsCreditNote": credited is not None,
            "IsReimbursed": False,
            "IsTaxFree": reverse_charge,
            "LanguageCode": "fi",
            "MainCaseGUID": main_case,
            "Number": number,
            "OurReference": "Myynti",
            "OverDueInterest": Decimal(8),
            "PaymentDate": None,
            "PaymentTerm": term,
            "ReceiverAddressline": address["Addressline"],
            "ReceiverCity": address["City"],
            "ReceiverCountry": "Suomi",
            "ReceiverCustomerName": account["Name"],
            "ReceiverPostalCode": address["PostalCode"],
            "ReceiverVatNumber": customer["VatNumber"],
            "ReferenceNumber": reference,
            "ReimburseInvoiceGUID": credited["GUID"] if credited else None,
            "SenderName": "Simuloitu Palveluyritys Oy",
            "SenderVatNumber": "FI12345671",
            "TaxFreeDescription": REVERSE_CHARGE_NOTE if reverse_charge else None,
            "Title": "Hyvityslasku" if credited else "Lasku",
            "YourReference": "Tilaus " + str(number),
            "_changed": datetime(issued.year, issued.month, issued.day, 15, tzinfo=UTC),
            "_pdf": _pdf_bytes(number, account["Name"]),
            "_attachments": [],
        }
        if number % 5 == 0:
            attachment = self.guid()
            s.attachments[attachment] = {
                "GUID": attachment,
                "MIMEtype": "application/pdf",
                "Name": f"tuntiraportti-{number}.pdf",
                "PrintOrder": 1,
                "_content": _pdf_bytes(number, "Tuntiraportti"),
            }
            record["_attachments"].append(attachment)
        return record

    # -- hours -------------------------------------------------------------------------------
    def hour_entry(self) -> Record:
        case = self.rng.choice(self._all_cases)
        event = self.anchor - timedelta(days=self.rng.randrange(0, 120))
        quantity = Decimal(self.rng.randrange(1, 17)) / 2
        approved = self.rng.choice((True, True, True, False, None))
        guid = self.guid()
        return {
            "AccountGUID": case["AccountGUID"],
            "CaseGUID": case["GUID"],
            "Description": "Työtä projektissa",
            "EventDate": datetime(event.year, event.month, event.day),  # a calendar date
            "GUID": guid,
            "IsApproved": approved,
            "IsBillable": self.rng.random() < 0.8,
            "IsProductive": True,
            "IsReadOnly": bool(approved),
            "Quantity": quantity,
            "UnitCost": Decimal("45.00"),
            "UnitPrice": Decimal("95.00"),
            "UnitPriceInBaseCurrency": Decimal("95.00"),
            "UserGUID": self.rng.choice(self.users),
            "WorkTypeGUID": self.rng.choice(self.work_types),
            "_changed": datetime(event.year, event.month, event.day, 17, tzinfo=UTC),
        }

    def build(self, accounts: int, invoices: int, hour_entries: int, credit_note_share: float) -> SeveraState:
        self.master_data()
        companies = [self.company(n + 1) for n in range(max(accounts, 1))]
        by_guid = {c.account["GUID"]: c for c in companies}
        self._cases_by_account: dict[str, list[Record]] = {}
        for case in self.state.cases.values():
            self._cases_by_account.setdefault(case["AccountGUID"], []).append(case)
        self._all_cases = list(self.state.cases.values())
        issued: list[Record] = []
        for number in range(1, invoices + 1):
            credited = (
                issued[self.rng.randrange(len(issued))] if issued and self.rng.random() < credit_note_share else None
            )
            company = by_guid[credited["AccountGUID"]] if credited else self.rng.choice(companies)
            record = self.invoice(number, company, credited)
            self.state.invoices[record["GUID"]] = record
            if credited is None:
                issued.append(record)
        for _ in range(hour_entries):
            record = self.hour_entry()
            self.state.hour_entries[record["GUID"]] = record
        return self.state


def _pdf_bytes(number: int, title: str) -> bytes:
    """A small, well-formed one-page PDF naming the invoice (enough for transfer tests)."""
    text = f"Lasku {number} {title}".encode("latin-1", errors="replace")
    stream = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{index} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def build_state(
    seed: int = 1,
    *,
    accounts: int = 12,
    invoices: int = 30,
    hour_entries: int = 120,
    credit_note_share: float = 0.08,
    anchor: date = ANCHOR,
    real_world: bool | Collection[str] = False,
) -> SeveraState:
    """A seeded organisation; the same arguments always give the same data (the real-world hour cases
    excepted: they are dated in the week before today, for the hours transfer's open payroll period).

    ``real_world``: True adds every case of ``sandbox.severa.cases`` (invoices and hour entries), a
    collection of case names only those.
    """
    state = _Seeder(seed, anchor).build(accounts, invoices, hour_entries, credit_note_share)
    if real_world:
        from sandbox.severa.cases import CASES, HOUR_CASES, add_cases  # noqa: PLC0415 - cases builds on this module

        add_cases(state, CASES + HOUR_CASES if real_world is True else tuple(real_world))
    return state


def business_id_of(account: Record) -> Any:
    """The seeded account's business ID (Y-tunnus); Severa's Account has no such member."""
    return account.get("_business_id")
