"""The operations the simulator answers from its state, with Severa's semantics where known.

Each handler takes the state and the request's parameters (by Severa's parameter names) and returns
the result value (records as dicts, lists for ``ArrayOf<T>``) or raises ``SoapFault``. ``…ChangedSince``
compares to the minute (API.md §3); an empty ``businessUnitGUID`` means every business unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sandbox.severa.state import InvoiceLogEntry, Record, SeveraState


class SoapFault(Exception):
    """A Severa fault: ``fault_type`` is the detail element (e.g. ``NotFoundException``)."""

    def __init__(self, fault_type: str, description: str, faultstring: str | None = None):
        super().__init__(description)
        self.fault_type = fault_type
        self.description = description
        self.faultstring = faultstring or description


Handler = Callable[[SeveraState, dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _changed_since(records: Iterable[Record], since: datetime | None) -> list[Record]:
    if since is None:
        return list(records)
    start = _minute(since)
    return [r for r in records if r.get("_changed") is None or r["_changed"] >= start]


def _active(records: list[Record], options: int | None, flag: int = 2) -> list[Record]:
    if options and options & flag:
        return records
    return [r for r in records if r.get("IsActive", True)]


def _in_unit(records: list[Record], unit: str | None, key: str = "BusinessUnitGUID") -> list[Record]:
    return records if not unit else [r for r in records if r.get(key) == unit]


def _get(table: dict[str, Record], guid: str | None, what: str) -> Record:
    record = table.get(guid or "")
    if record is None:
        raise SoapFault("NotFoundException", f"{what} not found")
    return record


# -- API ---------------------------------------------------------------------------------------
@handles("GetVersion")
def _version(state: SeveraState, _p: dict[str, Any]) -> Any:
    return state.version


@handles("GetEntitySchemaVersion")
def _schema_version(state: SeveraState, _p: dict[str, Any]) -> Any:
    return state.entity_schema_version


# -- customers ---------------------------------------------------------------------------------
@handles("GetAccountsChangedSince")
def _accounts_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    return _accounts_or_customers(state, state.accounts, p)


#: AccountGetOptions flags (API.md §4.1): also count address / contact changes as account changes.
CHECK_ADDRESS_CHANGES = 64
CHECK_CONTACT_CHANGES = 128


def _accounts_or_customers(state: SeveraState, table: dict[str, Record], p: dict[str, Any]) -> list[Record]:
    since, options = p["startDateTime"], p["options"] or 0
    changed = {r["GUID"] for r in _changed_since(table.values(), since)}
    if options & CHECK_ADDRESS_CHANGES:
        companies = {r.get("CompanyGUID") for r in _changed_since(state.addresses.values(), since)}
        changed |= {guid for guid, r in table.items() if r.get("CompanyGUID") in companies}
    if options & CHECK_CONTACT_CHANGES:
        changed |= {r["AccountGUID"] for r in _changed_since(state.contacts.values(), since)}
    return _active([r for guid, r in table.items() if guid in changed], options)


@handles("GetAccountByGUID")
def _account(state: SeveraState, p: dict[str, Any]) -> Any:
    return _get(state.accounts, p["accountGuid"], "Account")


@handles("GetCustomersChangedSince")
def _customers_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    return _accounts_or_customers(state, state.customers, p)


@handles("GetCustomerByGUID")
def _customer(state: SeveraState, p: dict[str, Any]) -> Any:
    return _get(state.customers, p["accountGuid"], "Customer")


@handles("GetAddressesChangedSince")
def _addresses_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    records = list(state.addresses.values())
    if p["accountGUID"]:
        account = _get(state.accounts, p["accountGUID"], "Account")
        records = [r for r in records if r.get("CompanyGUID") == account.get("CompanyGUID")]
    return _changed_since(records, p["startDateTime"])


@handles("GetAddressByGUID")
def _address(state: SeveraState, p: dict[str, Any]) -> Any:
    return _get(state.addresses, p["addressGUID"], "Address")


@handles("GetContactsChangedSince")
def _contacts_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    records = [r for r in state.contacts.values() if not p["accountGUID"] or r["AccountGUID"] == p["accountGUID"]]
    return _active(_changed_since(records, p["startDateTime"]), p["options"])


@handles("GetContactsByAccountGUID")
def _contacts_of(state: SeveraState, p: dict[str, Any]) -> Any:
    _get(state.accounts, p["accountGUID"], "Account")
    return [r for r in state.contacts.values() if r["AccountGUID"] == p["accountGUID"]]


# -- dimensions, products, users -----------------------------------------------------------------
@handles("GetCasesChangedSince")
def _cases_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    return _in_unit(_changed_since(state.cases.values(), p["startDateTime"]), p["businessUnitGUID"])


@handles("GetCaseByGUID")
def _case(state: SeveraState, p: dict[str, Any]) -> Any:
    return _get(state.cases, p["caseGuid"], "Case")


@handles("GetBusinessUnitsChangedSince")
def _units_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    records = _changed_since(state.business_units.values(), p["startDateTime"])
    root = p["businessUnitGUID"]
    if root:
        records = [r for r in records if root in (r["GUID"], r.get("ParentBusinessUnitGUID"))]
    return records


@handles("GetProductsChangedSince")
def _products_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    return _active(_changed_since(state.products.values(), p["startDateTime"]), p["options"])


@handles("GetWorkTypesChangedSince")
def _work_types_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    return _active(_changed_since(state.work_types.values(), p["startDateTime"]), p["options"])


@handles("GetAllWorkTypes")
def _work_types(state: SeveraState, _p: dict[str, Any]) -> Any:
    return list(state.work_types.values())


@handles("GetUsersChangedSince")
def _users_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    records = _changed_since(state.users.values(), p["startDateTime"])
    return _active(_in_unit(records, p["businessUnitGUID"]), p["options"])


@handles("GetCurrencies")
def _currencies(state: SeveraState, _p: dict[str, Any]) -> Any:
    return list(state.currencies.values())


# -- invoices ----------------------------------------------------------------------------------
@handles("GetAllInvoiceStatuses")
def _statuses(state: SeveraState, _p: dict[str, Any]) -> Any:
    return sorted(state.invoice_statuses.values(), key=lambda r: r["SortOrder"])


def _invoices_in_unit(state: SeveraState, unit: str | None) -> list[Record]:
    return _in_unit(list(state.invoices.values()), unit)


@handles("GetInvoicesByStatus")
def _invoices_by_status(state: SeveraState, p: dict[str, Any]) -> Any:
    if p["status"] not in state.invoice_statuses:
        raise SoapFault("NotFoundException", "Invoice status not found")
    records = [r for r in _invoices_in_unit(state, p["businessUnitGUID"]) if r["InvoiceStatus"] == p["status"]]
    records.sort(key=lambda r: (r["Date"], r.get("Number") or 0))
    if p["maxInvoices"]:
        records = records[: p["maxInvoices"]]
    return records


@handles("GetInvoicesByDate")
def _invoices_by_date(state: SeveraState, p: dict[str, Any]) -> Any:
    start, end = p["startDate"], p["endDate"]
    records = []
    for record in _invoices_in_unit(state, p["businessUnitGUID"]):
        moment = record["Date"]
        if start.date() <= moment.date() <= end.date():
            records.append(record)
    return sorted(records, key=lambda r: (r["Date"], r.get("Number") or 0))


@handles("GetInvoiceByGUID")
def _invoice(state: SeveraState, p: dict[str, Any]) -> Any:
    return _get(state.invoices, p["invoiceGUID"], "Invoice")


@handles("GetInvoicePdfByInvoiceGUID")
def _invoice_pdf(state: SeveraState, p: dict[str, Any]) -> Any:
    invoice = _get(state.invoices, p["invoiceGuid"], "Invoice")
    if p["getAttachmentOnly"] == "AttachmentOnly":
        files = [state.attachments[guid]["_content"] for guid in invoice["_attachments"]]
        return files[0] if files else None
    return invoice.get("_pdf")


@handles("GetInvoiceAttachmentFileGUIDs")
def _attachment_list(state: SeveraState, p: dict[str, Any]) -> Any:
    invoice = _get(state.invoices, p["invoiceGuid"], "Invoice")
    return [state.attachments[guid] for guid in invoice["_attachments"]]


@handles("GetInvoiceAttachmentFile")
def _attachment(state: SeveraState, p: dict[str, Any]) -> Any:
    return _get(state.attachments, p["attachmentGuid"], "Attachment")["_content"]


@handles("SetInvoiceStatus")
def _set_status(state: SeveraState, p: dict[str, Any]) -> Any:
    invoice = _get(state.invoices, p["invoiceGUID"], "Invoice")
    if p["status"] not in state.invoice_statuses:
        raise SoapFault("NotFoundException", "Invoice status not found")
    invoice["InvoiceStatus"] = p["status"]
    state.touch(invoice)
    return None


@handles("SetInvoicePaymentDate")
def _set_payment_date(state: SeveraState, p: dict[str, Any]) -> Any:
    invoice = _get(state.invoices, p["invoiceGUID"], "Invoice")
    invoice["PaymentDate"] = p["paymentDate"]
    state.touch(invoice)
    return None


@handles("AddNewInvoiceLogEntry")
def _log_entry(state: SeveraState, p: dict[str, Any]) -> Any:
    _get(state.invoices, p["invoiceGuid"], "Invoice")
    entry = InvoiceLogEntry(p["invoiceGuid"], p["context"], p["text"], p["source"], p["eventTimeUtc"])
    if p["ignoreDuplicates"] and any(
        (e.context, e.text, e.source) == (entry.context, entry.text, entry.source)
        for e in state.log_of(entry.invoice_guid)
    ):
        return None
    state.invoice_log.append(entry)
    return None


# -- hours -------------------------------------------------------------------------------------
@handles("GetHourEntriesChangedSince")
def _hours_changed(state: SeveraState, p: dict[str, Any]) -> Any:
    return _changed_since(state.hour_entries.values(), p["startDate"])


@handles("GetHourEntriesByDate")
def _hours_by_date(state: SeveraState, p: dict[str, Any]) -> Any:
    start, end, unit = p["startdate"], p["enddate"], p["businessUnitGUID"]
    users_in_unit = {g for g, u in state.users.items() if not unit or u.get("BusinessUnitGUID") == unit}
    records = []
    for record in state.hour_entries.values():
        day = record["EventDate"].date()
        if start is not None and day < start.date():
            continue
        if end is not None and day > end.date():
            continue
        if record.get("UserGUID") in users_in_unit:
            records.append(record)
    return records
