"""Reading Severa's answers: quota headers, faults, and the ``<Op>Result`` as plain data.

zeep builds and sends the requests; the answers are read here with lxml instead of zeep's
deserialiser, which is about ten times slower on large lists (a few thousand invoices took
twenty seconds). The result element becomes dicts, lists and strings that the pydantic models
then type: WCF writes every member, ``i:nil`` is None, and arrays are recognised by the models'
list fields (see ``models._unwrap_array``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, TypeVar

from lxml import etree
from pydantic import BaseModel

from severa_netvisor.severa.errors import (
    FAULT_CLASSES,
    SeveraError,
    SeveraGeneralFailureError,
    SeveraQuotaExceededError,
    SeveraTransportError,
)
from severa_netvisor.severa.models import QuotaStatus

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://soap.severa.com/"
_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# No DTDs, no entities, no network; huge_tree for PDFs that arrive as one large base64 text node.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Reply:
    """One answer: the result element (None when missing or nil), the quota headers, or a fault."""

    result: etree._Element | None
    quota: QuotaStatus | None
    error: SeveraError | None = None


def read_reply(operation: str, status: int, content: bytes) -> Reply:
    try:
        envelope = etree.fromstring(content, _PARSER) if content else None
    except etree.XMLSyntaxError:
        envelope = None
    if envelope is None or envelope.tag != f"{{{SOAP_ENV}}}Envelope":
        kind = "without a SOAP answer" if status != 200 else "with an unreadable SOAP answer"
        return Reply(None, None, _transport(operation, status, content, kind))
    quota = _quota(envelope)
    fault = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    if fault is not None:
        return Reply(None, quota, _fault_error(operation, fault, quota))
    if status != 200:
        return Reply(None, quota, _transport(operation, status, content, "without a SOAP fault"))
    result = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SERVICE_NS}}}{operation}Response/{{{SERVICE_NS}}}{operation}Result")
    if result is not None and result.get(_NIL) == "true":
        result = None
    return Reply(result, quota)


def _transport(operation: str, status: int, content: bytes, kind: str) -> SeveraTransportError:
    return SeveraTransportError(
        f"Severa {operation}: HTTP {status} {kind}",
        operation=operation,
        remote_text=content[:500].decode("utf-8", errors="replace") if content else None,
        status_code=status,
    )


def _quota(envelope: etree._Element) -> QuotaStatus | None:
    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    if header is None:
        return None
    quota = _int_or_none(header.findtext(f"{{{SERVICE_NS}}}Quota"))
    used = _int_or_none(header.findtext(f"{{{SERVICE_NS}}}UsedQuota"))
    return None if quota is None and used is None else QuotaStatus(quota=quota, used=used)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _fault_error(operation: str, fault: etree._Element, quota: QuotaStatus | None) -> SeveraError:
    faultstring = fault.findtext("faultstring") or ""
    fault_type, description = None, None
    detail = fault.find("detail")
    if detail is not None:
        for child in detail.iterchildren("{*}*"):
            qname = etree.QName(child)
            fault_type = qname.localname
            description = child.findtext(f"{{{qname.namespace}}}Description") if qname.namespace else None
            break
    remote_text = description or faultstring
    if fault_type is None or fault_type not in FAULT_CLASSES:
        # Undeclared faults may arrive without a typed detail: recognise them by their text.
        lowered = faultstring.lower()
        if "access denied" in lowered:
            fault_type = "AuthenticationFailureException"
        elif "quota limit" in lowered:
            fault_type = "QuotaLimitExceededException"
    if fault_type == "QuotaLimitExceededException":
        status = quota or QuotaStatus()
        return SeveraQuotaExceededError(
            f"Severa's daily API quota is used up ({status.used}/{status.quota} calls) at {operation}: "
            "stopping the run; it resumes after the next UTC midnight.",
            quota=status.quota,
            used_quota=status.used,
            operation=operation,
            remote_text=remote_text,
        )
    cls = FAULT_CLASSES.get(fault_type or "", SeveraGeneralFailureError)
    label = fault_type or fault.findtext("faultcode") or "SOAP fault"
    return cls(f"Severa {operation} failed: {label}: {remote_text}", operation=operation, remote_text=remote_text)


# -- result element -> data ----------------------------------------------------------------------
class _Repeated(list[Any]):
    """A list built from repeated child elements (an ``ArrayOf<T>``), as opposed to a value."""


def element_data(element: etree._Element) -> Any:
    """None for nil, text for a leaf (``""`` when empty), else a dict of members; repeated
    children (array items) become a list under their shared name."""
    if element.get(_NIL) == "true":
        return None
    if len(element) == 0:
        return element.text or ""
    data: dict[str, Any] = {}
    for child in element:
        name = etree.QName(child).localname
        value = element_data(child)
        if name not in data:
            data[name] = value
        elif isinstance(data[name], _Repeated):
            data[name].append(value)
        else:
            data[name] = _Repeated([data[name], value])
    return data


def as_list(model: type[ModelT], result: etree._Element | None) -> list[ModelT]:
    """An ``ArrayOf<T>`` result: one model per item; nil, missing or empty is an empty list."""
    if result is None:
        return []
    return [model.model_validate(element_data(item)) for item in result if item.get(_NIL) != "true"]


def as_one(model: type[ModelT], result: etree._Element | None) -> ModelT | None:
    return None if result is None else model.model_validate(element_data(result))


def as_text(result: etree._Element | None) -> str:
    return "" if result is None else result.text or ""


def as_bytes(result: etree._Element | None, operation: str) -> bytes | None:
    if result is None or not (result.text or "").strip():
        return None
    try:
        return base64.b64decode(result.text or "", validate=False)
    except binascii.Error:
        raise SeveraTransportError(f"Severa {operation}: the file is not valid base64", operation=operation) from None
