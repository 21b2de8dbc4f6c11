"""Generate the Severa SOAP WSDL that ships with the client, from the operation catalogue.

Severa publishes no WSDL we may copy, so we rebuild one from the catalogue of operations and data
contracts (``../shared/reference/severa/severa-soap-catalog.json``), following WCF's conventions
(API.md §10): document/literal wrapped, one ``xs:schema`` per namespace, ``ArrayOf<T>``, nillable
reference and nullable members, one fault message per declared fault, SOAPAction
``http://soap.severa.com/<Interface>/<Operation>``. Only the interfaces the integration uses are
included (a smaller WSDL loads faster at a Lambda cold start), with the types they reach.

The output is deterministic: the same catalogue always gives the same bytes, and a test checks the
committed file against a fresh run.

    python scripts/generate_severa_wsdl.py [CATALOGUE_JSON] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOGUE = REPO_ROOT.parent / "shared" / "reference" / "severa" / "severa-soap-catalog.json"
DEFAULT_OUTPUT = REPO_ROOT / "layers" / "common" / "severa_netvisor" / "severa" / "wsdl" / "severa.wsdl"

#: The interfaces the transfers and the connection check use, in the order they appear in the WSDL.
INTERFACES = (
    "IAPI",
    "IAccount",
    "ICustomer",
    "IAddress",
    "IContact",
    "ICase",
    "IPhase",
    "IBusinessUnit",
    "IInvoice",
    "IInvoiceStatus",
    "IHourEntry",
    "IProduct",
    "IWorkType",
    "IUser",
    "ICurrency",
)

SERVICE_NS = "http://soap.severa.com/"
ENTITIES_NS = "http://schemas.datacontract.org/2004/07/Severa.Entities.API"
API_NS = "http://schemas.datacontract.org/2004/07/Severa.API"
ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
PRODUCTION_ADDRESS = "https://sync.severa.com/webservice/S3/API.svc"

#: Thrown by Severa but not declared in the WSDL (API.md §6); declared here so they can be emitted.
UNDECLARED_FAULTS = ("QuotaLimitExceededException", "TosNotApprovedException")

PRIMITIVES = {
    "string": "xs:string",
    "int": "xs:int",
    "long": "xs:long",
    "decimal": "xs:decimal",
    "bool": "xs:boolean",
    "DateTime": "xs:dateTime",
    "byte": "xs:unsignedByte",
    "byte[]": "xs:base64Binary",
}
REFERENCE_PRIMITIVES = {"string", "byte[]"}

#: Catalogue type names that are .NET class names rather than data-contract names (API.md §10.2).
TYPE_ALIASES = {"InvoiceOriginDetailsCaseDetails": "InvoiceOriginDetails.CaseDetails"}

#: Fixed prefixes, so the output does not depend on dictionary order.
PREFIXES = {
    SERVICE_NS: "tns",
    ENTITIES_NS: "q1",
    API_NS: "q2",
    "http://schemas.datacontract.org/2004/07/Severa.Entities": "q3",
    ARRAYS_NS: "q4",
}


class Catalogue:
    """Lookup helpers over the catalogue JSON (structure in API.md §10.2)."""

    def __init__(self, raw: dict[str, Any]):
        self.interfaces: dict[str, Any] = raw["interfaces"]
        self.types: dict[str, Any] = dict(raw["types"])
        self.enums: dict[str, Any] = raw["enums"]
        for fault in UNDECLARED_FAULTS:
            self.types.setdefault(fault, {"ns": API_NS, "base": "SeveraApiException", "members": []})

    def namespace_of(self, name: str) -> str:
        if name == "string":
            return ARRAYS_NS
        if name in self.types:
            return str(self.types[name]["ns"])
        if name in self.enums:
            return str(self.enums[name]["ns"])
        raise KeyError(f"unknown type {name!r} in the catalogue")


def _strip(type_name: str) -> tuple[str, bool, bool]:
    """(base name, is nullable value type, is array)."""
    nullable = type_name.endswith("?")
    name = type_name.rstrip("?")
    is_array = name.endswith("[]") and name != "byte[]"
    if is_array:
        name = name[:-2]
    return TYPE_ALIASES.get(name, name), nullable, is_array


def _qname(namespace: str, local: str) -> str:
    return f"{PREFIXES[namespace]}:{local}"


class WsdlBuilder:
    def __init__(self, catalogue: Catalogue, interfaces: Iterable[str]):
        self.cat = catalogue
        self.interfaces = list(interfaces)
        self.complex_types: set[str] = set()
        self.enum_types: set[str] = set()
        self.array_items: set[str] = set()

    # -- type closure ------------------------------------------------------------------------
    def _reach(self, type_name: str) -> None:
        if type_name == "void":
            return
        name, _nullable, is_array = _strip(type_name)
        if is_array:
            self.array_items.add(name)
        if name in PRIMITIVES:
            return
        if name in self.cat.enums:
            self.enum_types.add(name)
            return
        if name in self.complex_types:
            return
        self.complex_types.add(name)
        spec = self.cat.types[name]
        if spec["base"]:
            self._reach(spec["base"])
        for member in spec["members"]:
            self._reach(member["type"])

    def _operations(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for interface in self.interfaces:
            for op in self.cat.interfaces[interface]["ops"]:
                yield interface, op

    def collect(self) -> None:
        for _interface, op in self._operations():
            self._reach(op["returns"])
            for _name, type_name in op["params"]:
                self._reach(type_name)
        for name, spec in self.cat.types.items():
            if spec["ns"] == API_NS and spec["base"] in (None, "SeveraApiException"):
                self._reach(name)

    # -- XSD pieces --------------------------------------------------------------------------
    def _type_ref(self, type_name: str) -> tuple[str, bool]:
        """(XSD type QName, nillable) for a member or parameter type."""
        name, nullable, is_array = _strip(type_name)
        if is_array:
            return _qname(self.cat.namespace_of(name), "ArrayOf" + name), True
        if name in PRIMITIVES:
            return PRIMITIVES[name], nullable or name in REFERENCE_PRIMITIVES
        if name in self.cat.enums:
            return _qname(self.cat.namespace_of(name), name), nullable
        return _qname(self.cat.namespace_of(name), name), True

    def _element(self, parent: etree._Element, name: str, type_name: str) -> None:
        xsd_type, nillable = self._type_ref(type_name)
        attrs = {"minOccurs": "0", "name": name}
        if nillable:
            attrs["nillable"] = "true"
        attrs["type"] = xsd_type
        etree.SubElement(parent, f"{{{XS}}}element", attrs)

    def _referenced_namespaces(self, types: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for type_name in types:
            name, _nullable, is_array = _strip(type_name)
            if is_array or (name not in PRIMITIVES):
                found.add(self.cat.namespace_of(name))
        return found

    def _schema(self, types_el: etree._Element, namespace: str, refs: set[str]) -> etree._Element:
        schema = etree.SubElement(
            types_el,
            f"{{{XS}}}schema",
            {"elementFormDefault": "qualified", "targetNamespace": namespace},
        )
        for other in sorted(refs - {namespace}):
            etree.SubElement(schema, f"{{{XS}}}import", {"namespace": other})
        return schema

    def _service_schema(self, types_el: etree._Element) -> None:
        refs: set[str] = set()
        for _interface, op in self._operations():
            refs |= self._referenced_namespaces([t for _n, t in op["params"]])
            if op["returns"] != "void":
                refs |= self._referenced_namespaces([op["returns"]])
        schema = self._schema(types_el, SERVICE_NS, refs)
        for _interface, op in self._operations():
            request = etree.SubElement(schema, f"{{{XS}}}element", {"name": op["name"]})
            sequence = etree.SubElement(etree.SubElement(request, f"{{{XS}}}complexType"), f"{{{XS}}}sequence")
            for param_name, type_name in op["params"]:
                self._element(sequence, param_name, type_name)
            response = etree.SubElement(schema, f"{{{XS}}}element", {"name": op["name"] + "Response"})
            sequence = etree.SubElement(etree.SubElement(response, f"{{{XS}}}complexType"), f"{{{XS}}}sequence")
            if op["returns"] != "void":
                self._element(sequence, op["name"] + "Result", op["returns"])

    def _data_contract_schema(self, types_el: etree._Element, namespace: str) -> None:
        # Sorted by name so that the output does not depend on the catalogue's key order.
        complex_names = sorted(n for n in self.complex_types if self.cat.types[n]["ns"] == namespace)
        enum_names = sorted(n for n in self.enum_types if self.cat.enums[n]["ns"] == namespace)
        arrays = sorted(n for n in self.array_items if self.cat.namespace_of(n) == namespace)
        refs: set[str] = set()
        for name in complex_names:
            spec = self.cat.types[name]
            refs |= self._referenced_namespaces([m["type"] for m in spec["members"]])
            if spec["base"]:
                refs.add(self.cat.namespace_of(spec["base"]))
        for item in arrays:
            refs |= self._referenced_namespaces([item])
        schema = self._schema(types_el, namespace, refs)
        for name in complex_names:
            self._complex_type(schema, name)
        for item in arrays:
            self._array_type(schema, item)
        for name in enum_names:
            simple = etree.SubElement(schema, f"{{{XS}}}simpleType", {"name": name})
            restriction = etree.SubElement(simple, f"{{{XS}}}restriction", {"base": "xs:string"})
            for member, _value in self.cat.enums[name]["values"]:
                etree.SubElement(restriction, f"{{{XS}}}enumeration", {"value": member})
            etree.SubElement(
                schema,
                f"{{{XS}}}element",
                {"name": name, "nillable": "true", "type": _qname(namespace, name)},
            )

    def _complex_type(self, schema: etree._Element, name: str) -> None:
        spec = self.cat.types[name]
        namespace = spec["ns"]
        complex_type = etree.SubElement(schema, f"{{{XS}}}complexType", {"name": name})
        holder = complex_type
        if spec["base"]:
            content = etree.SubElement(complex_type, f"{{{XS}}}complexContent", {"mixed": "false"})
            holder = etree.SubElement(
                content,
                f"{{{XS}}}extension",
                {"base": _qname(self.cat.namespace_of(spec["base"]), spec["base"])},
            )
        sequence = etree.SubElement(holder, f"{{{XS}}}sequence")
        for member in spec["members"]:
            self._element(sequence, member["name"], member["type"])
        etree.SubElement(
            schema, f"{{{XS}}}element", {"name": name, "nillable": "true", "type": _qname(namespace, name)}
        )

    def _array_type(self, schema: etree._Element, item: str) -> None:
        namespace = self.cat.namespace_of(item)
        array_name = "ArrayOf" + item
        complex_type = etree.SubElement(schema, f"{{{XS}}}complexType", {"name": array_name})
        sequence = etree.SubElement(complex_type, f"{{{XS}}}sequence")
        item_type, _ = self._type_ref(item)
        attrs = {"minOccurs": "0", "maxOccurs": "unbounded", "name": item}
        if item not in self.cat.enums:  # value-type items are not nillable
            attrs["nillable"] = "true"
        attrs["type"] = item_type
        etree.SubElement(sequence, f"{{{XS}}}element", attrs)
        etree.SubElement(
            schema,
            f"{{{XS}}}element",
            {"name": array_name, "nillable": "true", "type": _qname(namespace, array_name)},
        )

    # -- WSDL --------------------------------------------------------------------------------
    def build(self) -> bytes:
        self.collect()
        nsmap = {"wsdl": WSDL, "soap": SOAP, "xs": XS, **{prefix: ns for ns, prefix in PREFIXES.items()}}
        root = etree.Element(f"{{{WSDL}}}definitions", {"name": "API", "targetNamespace": SERVICE_NS}, nsmap=nsmap)
        root.append(etree.Comment(" Generated by scripts/generate_severa_wsdl.py from the operation catalogue. "))
        types_el = etree.SubElement(root, f"{{{WSDL}}}types")
        self._service_schema(types_el)
        used = {self.cat.namespace_of(n) for n in self.complex_types | self.enum_types}
        used |= {self.cat.namespace_of(n) for n in self.array_items}
        for namespace in PREFIXES:
            if namespace != SERVICE_NS and namespace in used:
                self._data_contract_schema(types_el, namespace)
        self._messages(root)
        self._port_types(root)
        self._bindings(root)
        service = etree.SubElement(root, f"{{{WSDL}}}service", {"name": "API"})
        for interface in self.interfaces:
            port = etree.SubElement(
                service,
                f"{{{WSDL}}}port",
                {"name": "Severa.API." + interface, "binding": "tns:Severa.API." + interface},
            )
            etree.SubElement(port, f"{{{SOAP}}}address", {"location": PRODUCTION_ADDRESS})
        return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="utf-8")

    def _messages(self, root: etree._Element) -> None:
        for interface, op in self._operations():
            base = f"{interface}_{op['name']}"
            for suffix, element in (("InputMessage", op["name"]), ("OutputMessage", op["name"] + "Response")):
                message = etree.SubElement(root, f"{{{WSDL}}}message", {"name": f"{base}_{suffix}"})
                etree.SubElement(message, f"{{{WSDL}}}part", {"name": "parameters", "element": "tns:" + element})
            for fault in op["faults"]:
                message = etree.SubElement(root, f"{{{WSDL}}}message", {"name": f"{base}_{fault}Fault_FaultMessage"})
                etree.SubElement(message, f"{{{WSDL}}}part", {"name": "detail", "element": _qname(API_NS, fault)})

    def _port_types(self, root: etree._Element) -> None:
        for interface in self.interfaces:
            port_type = etree.SubElement(root, f"{{{WSDL}}}portType", {"name": interface})
            for op in self.cat.interfaces[interface]["ops"]:
                base = f"tns:{interface}_{op['name']}"
                operation = etree.SubElement(port_type, f"{{{WSDL}}}operation", {"name": op["name"]})
                etree.SubElement(operation, f"{{{WSDL}}}input", {"message": base + "_InputMessage"})
                etree.SubElement(operation, f"{{{WSDL}}}output", {"message": base + "_OutputMessage"})
                for fault in op["faults"]:
                    etree.SubElement(
                        operation,
                        f"{{{WSDL}}}fault",
                        {"name": fault + "Fault", "message": f"{base}_{fault}Fault_FaultMessage"},
                    )

    def _bindings(self, root: etree._Element) -> None:
        for interface in self.interfaces:
            binding = etree.SubElement(
                root, f"{{{WSDL}}}binding", {"name": "Severa.API." + interface, "type": "tns:" + interface}
            )
            etree.SubElement(binding, f"{{{SOAP}}}binding", {"transport": "http://schemas.xmlsoap.org/soap/http"})
            for op in self.cat.interfaces[interface]["ops"]:
                operation = etree.SubElement(binding, f"{{{WSDL}}}operation", {"name": op["name"]})
                action = f"{SERVICE_NS}{interface}/{op['name']}"
                etree.SubElement(operation, f"{{{SOAP}}}operation", {"soapAction": action, "style": "document"})
                for direction in ("input", "output"):
                    holder = etree.SubElement(operation, f"{{{WSDL}}}{direction}")
                    etree.SubElement(holder, f"{{{SOAP}}}body", {"use": "literal"})
                for fault in op["faults"]:
                    holder = etree.SubElement(operation, f"{{{WSDL}}}fault", {"name": fault + "Fault"})
                    etree.SubElement(holder, f"{{{SOAP}}}fault", {"name": fault + "Fault", "use": "literal"})


def build_wsdl(catalogue: dict[str, Any], interfaces: Iterable[str] = INTERFACES) -> bytes:
    """The WSDL document (UTF-8 bytes) for the given interfaces of the catalogue."""
    return WsdlBuilder(Catalogue(catalogue), interfaces).build()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogue", nargs="?", type=Path, default=DEFAULT_CATALOGUE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if not args.catalogue.is_file():
        print(f"catalogue not found: {args.catalogue}", file=sys.stderr)
        return 2
    document = build_wsdl(json.loads(args.catalogue.read_text(encoding="utf-8")))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(document)
    print(f"wrote {args.output} ({len(document)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
