"""The bytes on the wire: request envelopes, WCF answers, faults, quota headers, non-ASCII text."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from lxml import etree
from severa_netvisor.severa.client import SeveraClient

from sandbox.severa import SeveraSimulator
from sandbox.severa.seed import READY_STATUS, SENT_STATUS

from .conftest import API_KEY

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SEVERA = "http://soap.severa.com/"
ENTITIES = "http://schemas.datacontract.org/2004/07/Severa.Entities.API"
API = "http://schemas.datacontract.org/2004/07/Severa.API"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SINCE = datetime(2000, 1, 1, tzinfo=UTC)

#: Every client method the transfers use -> (interface, operation) it must call.
CALLS: list[tuple[str, str, Callable[[SeveraClient, dict[str, str]], Any]]] = [
    ("IAPI", "GetVersion", lambda c, g: c.get_version()),
    ("IAPI", "GetEntitySchemaVersion", lambda c, g: c.get_entity_schema_version()),
    ("IAccount", "GetAccountsChangedSince", lambda c, g: c.accounts_changed_since(SINCE)),
    ("IAccount", "GetAccountByGUID", lambda c, g: c.account(g["account"])),
    ("ICustomer", "GetCustomersChangedSince", lambda c, g: c.customers_changed_since(SINCE)),
    ("ICustomer", "GetCustomerByGUID", lambda c, g: c.customer(g["account"])),
    ("IAddress", "GetAddressesChangedSince", lambda c, g: c.addresses_changed_since(SINCE)),
    ("IAddress", "GetAddressByGUID", lambda c, g: c.address(g["address"])),
    ("IContact", "GetContactsChangedSince", lambda c, g: c.contacts_changed_since(SINCE)),
    ("IContact", "GetContactsByAccountGUID", lambda c, g: c.contacts_of_account(g["account"])),
    ("ICase", "GetCasesChangedSince", lambda c, g: c.cases_changed_since(SINCE)),
    ("ICase", "GetCaseByGUID", lambda c, g: c.case(g["case"])),
    ("IBusinessUnit", "GetBusinessUnitsChangedSince", lambda c, g: c.business_units_changed_since(SINCE)),
    ("IProduct", "GetProductsChangedSince", lambda c, g: c.products_changed_since(SINCE)),
    ("IWorkType", "GetWorkTypesChangedSince", lambda c, g: c.work_types_changed_since(SINCE)),
    ("IWorkType", "GetAllWorkTypes", lambda c, g: c.all_work_types()),
    ("IUser", "GetUsersChangedSince", lambda c, g: c.users_changed_since(SINCE)),
    ("ICurrency", "GetCurrencies", lambda c, g: c.currencies()),
    ("IInvoiceStatus", "GetAllInvoiceStatuses", lambda c, g: c.invoice_statuses()),
    ("IInvoice", "GetInvoicesByStatus", lambda c, g: c.invoices_by_status(READY_STATUS)),
    ("IInvoice", "GetInvoicesByDate", lambda c, g: c.invoices_by_date(SINCE, SINCE + timedelta(days=1))),
    ("IInvoice", "GetInvoiceByGUID", lambda c, g: c.invoice(g["invoice"])),
    ("IInvoice", "GetInvoicePdfByInvoiceGUID", lambda c, g: c.invoice_pdf(g["invoice"])),
    ("IInvoice", "GetInvoiceAttachmentFileGUIDs", lambda c, g: c.invoice_attachments(g["invoice"])),
    ("IInvoice", "GetInvoiceAttachmentFile", lambda c, g: c.invoice_attachment_file(g["attachment"])),
    ("IInvoice", "SetInvoiceStatus", lambda c, g: c.set_invoice_status(g["invoice"], SENT_STATUS)),
    ("IInvoice", "SetInvoicePaymentDate", lambda c, g: c.set_invoice_payment_date(g["invoice"], date(2026, 5, 4))),
    ("IInvoice", "AddNewInvoiceLogEntry", lambda c, g: c.add_invoice_log_entry(g["invoice"], "x")),
    ("IHourEntry", "GetHourEntriesChangedSince", lambda c, g: c.hour_entries_changed_since(SINCE)),
    ("IHourEntry", "GetHourEntriesByDate", lambda c, g: c.hour_entries_by_date(SINCE, None)),
]


def _guids(sim: SeveraSimulator) -> dict[str, str]:
    return {
        "account": next(iter(sim.state.accounts)),
        "address": next(iter(sim.state.addresses)),
        "case": next(iter(sim.state.cases)),
        "invoice": next(iter(sim.state.invoices)),
        "attachment": next(iter(sim.state.attachments)),
    }


@pytest.mark.parametrize(("interface", "operation", "call"), CALLS, ids=[c[1] for c in CALLS])
def test_request_envelope_has_action_namespaces_and_password(
    client: SeveraClient, sim: SeveraSimulator, interface: str, operation: str, call: Callable[..., Any]
) -> None:
    call(client, _guids(sim))
    request = sim.requests[-1]
    assert request.headers["SOAPAction"].strip('"') == f"http://soap.severa.com/{interface}/{operation}"
    assert request.headers["Content-Type"].startswith("text/xml")
    envelope = etree.fromstring(request.body)
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope"  # SOAP 1.1
    assert envelope.findtext(f"{{{SOAP_ENV}}}Header/{{{SEVERA}}}WebServicePassword") == API_KEY
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None
    assert [child.tag for child in body] == [f"{{{SEVERA}}}{operation}"]
    assert all(etree.QName(param).namespace == SEVERA for param in body[0])
    assert sim.calls[operation] == 1


def test_parameters_go_in_declared_order_and_absent_nullables_are_omitted(
    client: SeveraClient, sim: SeveraSimulator
) -> None:
    client.invoices_by_status(READY_STATUS)
    body = etree.fromstring(sim.requests[-1].body).find(f"{{{SOAP_ENV}}}Body/{{{SEVERA}}}GetInvoicesByStatus")
    assert body is not None
    assert [etree.QName(p).localname for p in body] == ["businessUnitGUID", "status", "options"]
    assert body.findtext(f"{{{SEVERA}}}status") == READY_STATUS
    client.invoice_pdf(next(iter(sim.state.invoices)), attachment_only=True)
    body = etree.fromstring(sim.requests[-1].body)
    assert body.findtext(f".//{{{SEVERA}}}getAttachmentOnly") == "AttachmentOnly"  # enums go by name


def test_non_ascii_text_round_trips(client: SeveraClient, sim: SeveraSimulator) -> None:
    account = next(iter(sim.state.accounts.values()))
    name = "Äänekosken Öljy & Åland-kauppa € <Oy>"
    account["Name"] = name
    fetched = client.account(account["GUID"])
    assert fetched is not None
    assert fetched.name == name
    invoice_guid = next(iter(sim.state.invoices))
    text = "Siirretty Netvisoriin: ä ö å Ä Ö Å € – \u201clainausmerkit\u201d"
    client.add_invoice_log_entry(invoice_guid, text, context="Netvisor-tila ä", source="severa-netvisor ö")
    (entry,) = sim.state.log_of(invoice_guid)
    assert (entry.text, entry.context, entry.source) == (text, "Netvisor-tila ä", "severa-netvisor ö")
    client.set_invoice_status(invoice_guid, READY_STATUS)  # a status name with ä
    assert sim.state.invoices[invoice_guid]["InvoiceStatus"] == READY_STATUS


def _post(sim: SeveraSimulator, action: str, body: str, password: str | None = API_KEY) -> requests.Response:
    header = f'<s:Header><WebServicePassword xmlns="{SEVERA}">{password}</WebServicePassword></s:Header>'
    envelope = f'<s:Envelope xmlns:s="{SOAP_ENV}">{header if password else ""}<s:Body>{body}</s:Body></s:Envelope>'
    return requests.post(
        sim.url,
        data=envelope.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SEVERA}{action}"'},
        timeout=5,
    )


def _fault_detail(response: requests.Response) -> etree._Element:
    assert response.status_code == 500
    envelope = etree.fromstring(response.content)
    fault = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    return fault


def test_missing_password_gives_the_access_denied_fault(sim: SeveraSimulator) -> None:
    fault = _fault_detail(_post(sim, "IAPI/GetVersion", f'<GetVersion xmlns="{SEVERA}"/>', password=None))
    assert fault.findtext("faultcode") == "s:Client"
    detail = fault.find(f"detail/{{{API}}}AuthenticationFailureException")
    assert detail is not None
    assert detail.findtext(f"{{{API}}}Description") == "Access denied"
    source = detail.find(f"{{{API}}}Source")
    assert source is not None
    assert source.get(f"{{{XSI}}}nil") == "true"


def test_quota_fault_has_the_documented_shape_and_headers(sim: SeveraSimulator) -> None:
    sim.exhaust_quota_after(0)
    response = _post(sim, "IAPI/GetVersion", f'<GetVersion xmlns="{SEVERA}"/>')
    fault = _fault_detail(response)
    assert fault.findtext("faultstring") == "Quota limit reached"
    detail = fault.find(f"detail/{{{API}}}QuotaLimitExceededException")
    assert detail is not None
    assert detail.findtext(f"{{{API}}}Description") == "Quota limit"
    header = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Header")
    assert header is not None
    assert header.findtext(f"{{{SEVERA}}}Quota") == str(sim.quota)
    assert header.findtext(f"{{{SEVERA}}}UsedQuota") == str(sim.used_quota)


def test_request_that_breaks_the_schema_is_rejected(sim: SeveraSimulator) -> None:
    body = (
        f'<GetInvoicesByStatus xmlns="{SEVERA}"><status>Sent</status><businessUnitGUID/>'
        "<options>many</options></GetInvoicesByStatus>"
    )
    fault = _fault_detail(_post(sim, "IInvoice/GetInvoicesByStatus", body))
    assert fault.findtext("faultcode") == "a:DeserializationFailed"
    assert "deserialize" in (fault.findtext("faultstring") or "")


def test_unknown_action_is_a_contract_filter_mismatch(sim: SeveraSimulator) -> None:
    fault = _fault_detail(_post(sim, "IInvoice/DeleteEverything", f'<DeleteEverything xmlns="{SEVERA}"/>'))
    assert fault.findtext("faultcode") == "a:ActionNotSupported"


def test_results_use_wcf_namespaces_and_nil(sim: SeveraSimulator) -> None:
    account = next(iter(sim.state.accounts.values()))
    account["Notes"] = None
    body = f'<GetAccountByGUID xmlns="{SEVERA}"><accountGuid>{account["GUID"]}</accountGuid></GetAccountByGUID>'
    response = _post(sim, "IAccount/GetAccountByGUID", body)
    assert response.status_code == 200
    envelope = etree.fromstring(response.content)
    result = envelope.find(
        f"{{{SOAP_ENV}}}Body/{{{SEVERA}}}GetAccountByGUIDResponse/{{{SEVERA}}}GetAccountByGUIDResult"
    )
    assert result is not None
    notes = result.find(f"{{{ENTITIES}}}Notes")
    assert notes is not None
    assert notes.get(f"{{{XSI}}}nil") == "true"
    assert result.findtext(f"{{{ENTITIES}}}Name") == account["Name"]
    members = [etree.QName(child).localname for child in result]
    assert members[0] == "AccountGroupGUIDs"
    assert members[-1] == "eInvoiceOperator"


@pytest.mark.parametrize("style", ["empty", "nil", "omit"])
def test_every_empty_result_style_reads_as_an_empty_list(
    client: SeveraClient, sim: SeveraSimulator, style: str
) -> None:
    sim.empty_results = style  # type: ignore[assignment]
    assert client.invoices_by_date(SINCE, SINCE) == []
    assert client.hour_entries_changed_since(datetime(2099, 1, 1, tzinfo=UTC)) == []
    result = etree.fromstring(sim_last_answer(sim, "GetHourEntriesChangedSince")).find(
        f".//{{{SEVERA}}}GetHourEntriesChangedSinceResult"
    )
    if style == "omit":
        assert result is None
    else:
        assert result is not None
        assert (result.get(f"{{{XSI}}}nil") == "true") == (style == "nil")


def sim_last_answer(sim: SeveraSimulator, operation: str) -> bytes:
    """Replay the latest request of an operation and return the simulator's answer body."""
    request = next(r for r in reversed(sim.requests) if r.operation == operation)
    return sim.answer(request.soap_action, request.headers, request.body).body


def test_wsdl_is_served_with_the_simulator_address(sim: SeveraSimulator) -> None:
    response = requests.get(sim.url + "?wsdl", timeout=5)
    assert response.status_code == 200
    document = etree.fromstring(response.content)
    locations = {a.get("location") for a in document.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")}
    assert locations == {sim.url}


def test_quota_resets_when_the_utc_day_changes(sim: SeveraSimulator, client: SeveraClient) -> None:
    today = datetime(2026, 10, 30, 23, 59, tzinfo=UTC)
    sim.clock = lambda: today
    client.get_version()
    sim.exhaust_quota_after(0)
    used = sim.used_quota
    sim.clock = lambda: today + timedelta(minutes=2)
    client.get_version()
    assert sim.used_quota == 1
    assert used >= 1
    assert client.quota.used == 1


def test_api_key_never_reaches_the_logs_even_at_debug(
    client: SeveraClient, sim: SeveraSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client.get_version()
        sim.inject_drop("GetCurrencies")
        client.currencies()  # a retried transport failure logs a warning
    assert caplog.records, "something was logged"
    assert API_KEY not in caplog.text
