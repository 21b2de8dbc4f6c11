"""The shipped WSDL: regenerated from the catalogue it is byte-identical, and it follows WCF's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from severa_netvisor.severa.client import WSDL_PATH, load_wsdl_document

from scripts.generate_severa_wsdl import INTERFACES, build_wsdl, main

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"


@pytest.fixture(scope="module")
def catalogue(shared_reference: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_reference / "severa" / "severa-soap-catalog.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def shipped() -> etree._Element:
    return etree.parse(str(WSDL_PATH)).getroot()


@pytest.mark.shared
def test_committed_wsdl_equals_a_fresh_generation(catalogue: dict[str, Any]) -> None:
    assert build_wsdl(catalogue) == WSDL_PATH.read_bytes(), "run: python scripts/generate_severa_wsdl.py"


@pytest.mark.shared
def test_generation_is_deterministic_and_the_cli_writes_it(catalogue: dict[str, Any], tmp_path: Path) -> None:
    source = tmp_path / "catalogue.json"
    # Reordering the JSON's keys must not change the output bytes that matter (interfaces are fixed).
    source.write_text(json.dumps(catalogue, sort_keys=True), "utf-8")
    target = tmp_path / "out" / "severa.wsdl"
    assert main([str(source), "--output", str(target)]) == 0
    assert target.read_bytes() == build_wsdl(catalogue)
    assert main([str(tmp_path / "missing.json"), "--output", str(target)]) == 2


@pytest.mark.shared
def test_every_catalogue_operation_of_the_interfaces_is_bound_with_its_action(
    catalogue: dict[str, Any], shipped: etree._Element
) -> None:
    for interface in INTERFACES:
        binding = shipped.find(f"{{{WSDL}}}binding[@name='Severa.API.{interface}']")
        assert binding is not None, interface
        bound = {
            op.get("name"): op.find(f"{{{SOAP}}}operation").get("soapAction")  # type: ignore[union-attr]
            for op in binding.findall(f"{{{WSDL}}}operation")
        }
        expected = {op["name"]: op["action"] for op in catalogue["interfaces"][interface]["ops"]}
        assert bound == expected
        for op in catalogue["interfaces"][interface]["ops"]:
            faults = {f.get("name") for f in binding.find(f"{{{WSDL}}}operation[@name='{op['name']}']")}  # type: ignore[union-attr]
            assert {f + "Fault" for f in op["faults"]} <= faults


def _schema(root: etree._Element, namespace: str) -> etree._Element:
    found = root.find(f"{{{WSDL}}}types/{{{XS}}}schema[@targetNamespace='{namespace}']")
    assert found is not None, namespace
    return found


def _member(schema: etree._Element, type_name: str, member: str) -> etree._Element:
    found = schema.find(f"{{{XS}}}complexType[@name='{type_name}']//{{{XS}}}element[@name='{member}']")
    assert found is not None, (type_name, member)
    return found


def test_wcf_conventions(shipped: etree._Element) -> None:
    entities = _schema(shipped, "http://schemas.datacontract.org/2004/07/Severa.Entities.API")
    assert entities.get("elementFormDefault") == "qualified"
    # Reference and nullable members are nillable, value types are not; every member is optional.
    assert _member(entities, "Invoice", "ReferenceNumber").get("nillable") == "true"
    assert _member(entities, "Invoice", "PaymentDate").get("nillable") == "true"
    assert _member(entities, "Invoice", "IsCreditNote").get("nillable") is None
    assert _member(entities, "Invoice", "IsCreditNote").get("minOccurs") == "0"
    assert _member(entities, "Invoice", "InvoiceRows").get("type") == "q1:ArrayOfInvoiceRow"
    assert _member(entities, "Account", "AccountGroupGUIDs").get("type") == "q4:ArrayOfstring"
    assert _member(entities, "Invoice", "CurrencyRate").get("type") == "xs:decimal"
    names = [e.get("name") for e in entities.find(f"{{{XS}}}complexType[@name='Invoice']/{{{XS}}}sequence")]  # type: ignore[union-attr]
    assert names[-2:] == ["NotesAfterInvoiceRows", "NotesBeforeInvoiceRows"]  # Order=63/64 last
    array = entities.find(f"{{{XS}}}complexType[@name='ArrayOfInvoiceRow']//{{{XS}}}element")
    assert array is not None
    assert array.get("maxOccurs") == "unbounded"
    assert array.get("nillable") == "true"
    assert entities.find(f"{{{XS}}}complexType[@name='ArrayOfInvoiceOriginDetails.CaseDetails']") is not None
    product = entities.find(f"{{{XS}}}complexType[@name='Product']/{{{XS}}}complexContent/{{{XS}}}extension")
    assert product is not None
    assert product.get("base") == "q1:ProductBase"
    api = _schema(shipped, "http://schemas.datacontract.org/2004/07/Severa.API")
    for fault in ("QuotaLimitExceededException", "TosNotApprovedException", "NotFoundException"):
        assert api.find(f"{{{XS}}}element[@name='{fault}']") is not None
    options = [
        e.get("value") for e in api.iterfind(f"{{{XS}}}simpleType[@name='InvoicePdfGetOptions']//{{{XS}}}enumeration")
    ]
    assert options == ["All", "AttachmentOnly"]
    service = _schema(shipped, "http://soap.severa.com/")
    wrapper = service.find(f"{{{XS}}}element[@name='GetInvoicesByStatus']//{{{XS}}}sequence")
    assert wrapper is not None
    assert [(e.get("name"), e.get("nillable")) for e in wrapper] == [
        ("businessUnitGUID", "true"),
        ("status", "true"),
        ("options", None),
        ("maxInvoices", "true"),
    ]
    void = service.find(f"{{{XS}}}element[@name='SetInvoiceStatusResponse']//{{{XS}}}sequence")
    assert void is not None
    assert len(void) == 0
    ports = shipped.findall(f"{{{WSDL}}}service/{{{WSDL}}}port")
    assert sorted(str(p.get("name")) for p in ports) == sorted(f"Severa.API.{i}" for i in INTERFACES)


def test_zeep_loads_the_shipped_wsdl_with_every_binding() -> None:
    load_wsdl_document.cache_clear()  # load time is measured by tests/bench/bench_severa_wsdl_load.py
    document = load_wsdl_document()
    bindings = {str(name) for name in document.bindings}
    assert {f"{{http://soap.severa.com/}}Severa.API.{i}" for i in INTERFACES} <= bindings
    operation = document.bindings["{http://soap.severa.com/}Severa.API.IInvoice"].get("GetInvoicesByStatus")  # type: ignore[no-untyped-call]
    assert operation.soapaction == "http://soap.severa.com/IInvoice/GetInvoicesByStatus"
