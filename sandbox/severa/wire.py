"""Severa's wire format, read from the WSDL the client ships: types, operations, (de)serialisation.

The simulator knows the data contracts only through that WSDL (the catalogue it was generated from
stays outside the repository), so the member order, namespaces and nillability it writes are the
ones the client expects, and request bodies are validated against the same schemas with lxml.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://soap.severa.com/"
ENTITIES_NS = "http://schemas.datacontract.org/2004/07/Severa.Entities.API"
API_NS = "http://schemas.datacontract.org/2004/07/Severa.API"
ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"

#: Prefixes WCF uses on a result element (a: entities, i: instance, b: arrays).
RESULT_NSMAP = {"a": ENTITIES_NS, "i": XSI, "b": ARRAYS_NS, "c": API_NS}
_NIL = f"{{{XSI}}}nil"


def wsdl_path() -> Path:
    return Path(str(resources.files("severa_netvisor.severa") / "wsdl" / "severa.wsdl"))


@dataclass(frozen=True)
class Member:
    name: str
    namespace: str  # of the element itself
    type_ns: str
    type_name: str
    nillable: bool


@dataclass
class ComplexType:
    namespace: str
    name: str
    members: list[Member] = field(default_factory=list)
    #: For ArrayOf<T>: the item element (repeated).
    item: Member | None = None


@dataclass(frozen=True)
class Operation:
    interface: str
    name: str
    action: str
    params: tuple[Member, ...]
    result: Member | None


class Contract:
    """Everything the simulator needs from the WSDL."""

    def __init__(self, document: etree._ElementTree):
        self.document = document
        self.types: dict[tuple[str, str], ComplexType] = {}
        self.simple_types: set[tuple[str, str]] = set()
        self._elements: dict[str, etree._Element] = {}
        schemas = document.getroot().findall(f"{{{WSDL_NS}}}types/{{{XS}}}schema")
        self.schemas = schemas
        for schema in schemas:
            namespace = schema.get("targetNamespace", "")
            for node in schema.findall(f"{{{XS}}}simpleType"):
                self.simple_types.add((namespace, node.get("name", "")))
            for node in schema.findall(f"{{{XS}}}complexType"):
                self.types[(namespace, node.get("name", ""))] = ComplexType(namespace, node.get("name", ""))
            if namespace == SERVICE_NS:
                for node in schema.findall(f"{{{XS}}}element"):
                    self._elements[node.get("name", "")] = node
        for schema in schemas:
            namespace = schema.get("targetNamespace", "")
            for node in schema.findall(f"{{{XS}}}complexType"):
                self._fill(self.types[(namespace, node.get("name", ""))], node)
        self.operations = self._read_operations()
        self.by_name = {op.name: op for op in self.operations.values()}

    def _resolve(self, node: etree._Element, qname: str) -> tuple[str, str]:
        prefix, _, local = qname.rpartition(":")
        return node.nsmap.get(prefix or None, "") or "", local

    def _members(self, namespace: str, sequence: etree._Element | None) -> list[Member]:
        if sequence is None:
            return []
        members = []
        for element in sequence.findall(f"{{{XS}}}element"):
            type_ns, type_name = self._resolve(element, element.get("type", ""))
            members.append(
                Member(element.get("name", ""), namespace, type_ns, type_name, element.get("nillable") == "true")
            )
        return members

    def _fill(self, target: ComplexType, node: etree._Element) -> None:
        extension = node.find(f"{{{XS}}}complexContent/{{{XS}}}extension")
        if extension is not None:
            base_ns, base_name = self._resolve(extension, extension.get("base", ""))
            base_node = self._complex_node(base_ns, base_name)
            base = ComplexType(base_ns, base_name)
            self._fill(base, base_node)
            target.members = base.members + self._members(target.namespace, extension.find(f"{{{XS}}}sequence"))
            return
        members = self._members(target.namespace, node.find(f"{{{XS}}}sequence"))
        items = node.findall(f"{{{XS}}}sequence/{{{XS}}}element[@maxOccurs='unbounded']")
        if target.name.startswith("ArrayOf") and len(items) == 1 and len(members) == 1:
            target.item = members[0]
        else:
            target.members = members

    def _complex_node(self, namespace: str, name: str) -> etree._Element:
        for schema in self.schemas:
            if schema.get("targetNamespace") == namespace:
                found = schema.find(f"{{{XS}}}complexType[@name='{name}']")
                if found is not None:
                    return found
        raise KeyError(f"{{{namespace}}}{name}")

    def _read_operations(self) -> dict[str, Operation]:
        operations: dict[str, Operation] = {}
        root = self.document.getroot()
        for binding in root.findall(f"{{{WSDL_NS}}}binding"):
            interface = binding.get("name", "").rsplit(".", 1)[-1]
            for op_node in binding.findall(f"{{{WSDL_NS}}}operation"):
                name = op_node.get("name", "")
                soap_op = op_node.find(f"{{{SOAP_BINDING_NS}}}operation")
                action = soap_op.get("soapAction", "") if soap_op is not None else ""
                request = self._elements[name]
                response = self._elements[name + "Response"]
                params = self._members(SERVICE_NS, request.find(f"{{{XS}}}complexType/{{{XS}}}sequence"))
                results = self._members(SERVICE_NS, response.find(f"{{{XS}}}complexType/{{{XS}}}sequence"))
                operations[action] = Operation(interface, name, action, tuple(params), results[0] if results else None)
        return operations

    # -- validation --------------------------------------------------------------------------
    def validator(self) -> etree.XMLSchema:
        """One XMLSchema over all the WSDL's embedded schemas (written to a temporary folder so
        that lxml can follow the cross-namespace imports; lxml reads them all while compiling)."""
        with tempfile.TemporaryDirectory(prefix="severa-sim-xsd-") as temporary:
            return self._compile(Path(temporary))

    def _compile(self, folder: Path) -> etree.XMLSchema:
        files = {schema.get("targetNamespace", ""): f"schema{index}.xsd" for index, schema in enumerate(self.schemas)}
        for schema in self.schemas:
            copy = etree.fromstring(etree.tostring(schema))
            for imported in copy.findall(f"{{{XS}}}import"):
                imported.set("schemaLocation", files[imported.get("namespace", "")])
            (folder / files[copy.get("targetNamespace", "")]).write_bytes(etree.tostring(copy))
        master = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS}, targetNamespace="urn:severa-simulator")
        for namespace, name in files.items():
            etree.SubElement(master, f"{{{XS}}}import", namespace=namespace, schemaLocation=name)
        (folder / "all.xsd").write_bytes(etree.tostring(master))
        return etree.XMLSchema(etree.parse(str(folder / "all.xsd")))

    # -- reading request parameters ----------------------------------------------------------
    def read_params(self, operation: Operation, body: etree._Element) -> dict[str, Any]:
        values: dict[str, Any] = {}
        children = {etree.QName(child).localname: child for child in body if isinstance(child.tag, str)}
        for param in operation.params:
            node = children.get(param.name)
            values[param.name] = None if node is None else self._read_value(param, node)
        return values

    def _read_value(self, member: Member, node: etree._Element) -> Any:
        if node.get(_NIL) == "true":
            return None
        complex_type = self.types.get((member.type_ns, member.type_name))
        if complex_type is not None:
            if complex_type.item is not None:
                return [self._read_value(complex_type.item, child) for child in node if isinstance(child.tag, str)]
            return node  # complex parameters (writes of whole entities) are not simulated
        return parse_simple(member.type_name if member.type_ns == XS else "string", node.text or "")

    # -- writing results ---------------------------------------------------------------------
    def write(self, parent: etree._Element, member: Member, value: Any) -> None:
        element = etree.SubElement(parent, f"{{{member.namespace}}}{member.name}")
        self.write_content(element, member, value)

    def write_content(self, element: etree._Element, member: Member, value: Any) -> None:
        complex_type = self.types.get((member.type_ns, member.type_name))
        if value is None:
            if member.nillable or complex_type is not None:
                element.set(_NIL, "true")
            else:
                element.text = format_simple(member.type_name, None)
            return
        if complex_type is None:
            element.text = format_simple(member.type_name if member.type_ns == XS else "string", value)
        elif complex_type.item is not None:
            for item in value:
                self.write(element, complex_type.item, item)
        else:
            record: Mapping[str, Any] = value
            for child in complex_type.members:
                self.write(element, child, record.get(child.name))


_DEFAULTS = {
    "boolean": "false",
    "int": "0",
    "long": "0",
    "unsignedByte": "0",
    "decimal": "0",
    "dateTime": "0001-01-01T00:00:00",
}


def format_simple(xs_type: str, value: Any) -> str:
    if value is None:
        return _DEFAULTS.get(xs_type, "")
    if xs_type == "boolean":
        return "true" if value else "false"
    if xs_type == "dateTime":
        return format_datetime(value)
    if xs_type == "base64Binary":
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return format(value, "f")
    return shield(str(value))


# Severa stores whatever its users type, control characters included, and its .NET service writes them
# as character references (``&#x1;``), which XML 1.0 forbids: the official WCF stack does not check
# characters on output ("Full framework Web Service allows weird control characters etc. in the xml
# output", https://github.com/DigDes/SoapCore/pull/766), and a name with ``&#x1;`` is what stopped a
# whole transfer in issue 13 (defect 6). lxml refuses such text, so it is written as a private-use
# stand-in first and turned into the reference in the serialised answer (``unshield``).
_SHIELD_BASE = 0xF0000  # Supplementary Private Use Area-A: no seeded or typed text uses it
_FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: U+F0000..U+F001F in UTF-8: F3 B0 80, then 80..9F for 0..1F.
_SHIELDED = re.compile(rb"\xf3\xb0\x80([\x80-\x9f])")


def shield(text: str) -> str:
    if not _FORBIDDEN_TEXT.search(text):
        return text
    return _FORBIDDEN_TEXT.sub(lambda m: chr(_SHIELD_BASE + ord(m.group(0))), text)


def unshield(body: bytes) -> bytes:
    """The serialised answer with each stand-in written as Severa writes the character: ``&#xN;``."""
    if b"\xf3\xb0\x80" not in body:
        return body
    return _SHIELDED.sub(lambda m: b"&#x%X;" % (m.group(1)[0] - 0x80), body)


def format_datetime(value: datetime | date) -> str:
    """WCF style: UTC instants end in Z; calendar dates and naive times have no offset."""
    if not isinstance(value, datetime):
        return f"{value.isoformat()}T00:00:00"
    if value.tzinfo is None:
        return value.isoformat()
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_datetime(text: str) -> datetime:
    """An xs:dateTime as an aware UTC datetime (no offset = UTC, as Severa documents)."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_simple(xs_type: str, text: str) -> Any:
    if xs_type in ("int", "long", "unsignedByte"):
        return int(text)
    if xs_type == "boolean":
        return text.strip() in ("true", "1")
    if xs_type == "decimal":
        return Decimal(text)
    if xs_type == "dateTime":
        return parse_datetime(text)
    if xs_type == "base64Binary":
        return base64.b64decode(text)
    return text


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    return Contract(etree.parse(str(wsdl_path())))


@lru_cache(maxsize=1)
def load_validator() -> etree.XMLSchema:
    return load_contract().validator()
