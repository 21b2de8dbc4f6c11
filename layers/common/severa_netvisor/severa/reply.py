"""Reading Severa's answers: quota headers, faults, and the ``<Op>Result`` as plain data.

zeep builds and sends the requests; the answers are read here with lxml instead of zeep's
deserialiser, which is about ten times slower on large lists (a few thousand invoices took
twenty seconds). The result element becomes dicts, lists and strings that the pydantic models
then type: WCF writes every member, ``i:nil`` is None, and arrays are recognised by the models'
list fields (see ``models._unwrap_array``).

Two ways in, with the same limits (``answers.py``):

- ``read_reply``: a whole answer already read (single records, files, faults), as one tree;
- ``ItemReader``: a list answer as it streams in, one item at a time; only the item at hand is in
  memory, so a list is bounded per item (bytes, nesting), not by its size.

Both parse leniently what XML 1.0 forbids (``characters.py``: the record holding it is refused
later, alone), resolve no entity, load no DTD and reach no network.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from lxml import etree
from pydantic import BaseModel, ValidationError

from severa_netvisor.answers import (
    MAX_RECORD_BYTES,
    MEGABYTE,
    AnswerRefused,
    check_depth,
    check_no_dtd,
    parser,
)
from severa_netvisor.severa.characters import ForbiddenCharacterMarker, mark_forbidden, restore
from severa_netvisor.severa.errors import (
    FAULT_CLASSES,
    SeveraAnswerRefusedError,
    SeveraError,
    SeveraGeneralFailureError,
    SeveraQuotaExceededError,
    SeveraTransportError,
)
from severa_netvisor.severa.models import QuotaStatus

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://soap.severa.com/"
_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_HEADER = f"{{{SOAP_ENV}}}Header"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_PARSER = parser()
# PDFs arrive as one large base64 text node: only file answers may use the huge-tree parser.
_FILE_PARSER = parser(huge_text=True)

ModelT = TypeVar("ModelT", bound=BaseModel)


# libxml2 messages for answers that break its own limits: deterministic, so refused, not retried.
_LIMIT_MESSAGES = (
    "Excessive depth",
    "Resource limit exceeded",
    "Huge input lookup",
    "entity reference loop",
    "amplification factor",
)


def _breaks_limits(error: etree.XMLSyntaxError) -> bool:
    return any(text in (error.msg or "") for text in _LIMIT_MESSAGES)


@dataclass(frozen=True)
class Reply:
    """One answer: the result element (None when missing or nil), the quota headers, or a fault."""

    result: etree._Element | None
    quota: QuotaStatus | None
    error: SeveraError | None = None


def read_reply(operation: str, status: int, content: bytes, *, huge_text: bool = False) -> Reply:
    envelope = _envelope(operation, status, content, huge_text)
    if isinstance(envelope, SeveraError):
        return Reply(None, None, envelope)
    quota = _quota(envelope.find(_HEADER))
    fault = envelope.find(f"{{{SOAP_ENV}}}Body/{_FAULT}")
    if fault is not None:
        return Reply(None, quota, _fault_error(operation, fault, quota))
    if status != 200:
        return Reply(None, quota, _transport(operation, status, content, "without a SOAP fault"))
    result = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SERVICE_NS}}}{operation}Response/{{{SERVICE_NS}}}{operation}Result")
    if result is None or result.get(_NIL) == "true":
        return Reply(None, quota)
    try:
        check_depth(result)
    except AnswerRefused as refused:
        return Reply(None, quota, refused_answer(operation, refused))
    return Reply(result, quota)


def _envelope(operation: str, status: int, content: bytes, huge_text: bool) -> etree._Element | SeveraError:
    """The parsed SOAP envelope, or the error that says why there is none."""
    try:
        envelope = etree.fromstring(mark_forbidden(content), _FILE_PARSER if huge_text else _PARSER)
    except etree.XMLSyntaxError as error:
        if _breaks_limits(error):
            return refused_answer(operation, AnswerRefused(f"breaks the parser's limits ({error.msg})"))
        envelope = None
    if envelope is None or envelope.tag != _ENVELOPE:
        kind = "without a SOAP answer" if status != 200 else "with an unreadable SOAP answer"
        return _transport(operation, status, content, kind)
    try:
        check_no_dtd(envelope)
    except AnswerRefused as refused:
        return refused_answer(operation, refused)
    return envelope


def refused_answer(operation: str, refused: AnswerRefused) -> SeveraAnswerRefusedError:
    return SeveraAnswerRefusedError(
        f"Severa {operation}: the answer {refused.reason}; it was refused", operation=operation
    )


def _transport(operation: str, status: int, content: bytes, kind: str) -> SeveraTransportError:
    return SeveraTransportError(
        f"Severa {operation}: HTTP {status} {kind}",
        operation=operation,
        remote_text=content[:500].decode("utf-8", errors="replace") if content else None,
        status_code=status,
    )


def _quota(header: etree._Element | None) -> QuotaStatus | None:
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
    faultstring = restore(fault.findtext("faultstring") or "")
    fault_type, description = None, None
    detail = fault.find("detail")
    if detail is not None:
        for child in detail.iterchildren("{*}*"):
            qname = etree.QName(child)
            fault_type = qname.localname
            description = child.findtext(f"{{{qname.namespace}}}Description") if qname.namespace else None
            break
    remote_text = restore(description) if description else faultstring
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


# -- list answers, item by item ------------------------------------------------------------------
@dataclass
class _Stream:
    saw_envelope: bool = False
    result: etree._Element | None = None
    result_done: bool = False
    #: Bytes read since the last item was taken: bounds one item, or whatever precedes the first.
    pending_bytes: int = 0


class ItemReader(Generic[ModelT]):
    """One list answer (``<Op>Result`` holding an ``ArrayOf<T>``) read as its bytes arrive.

    ``items(chunks)`` yields each item's model once the item is complete, then drops its element,
    so memory holds one item whatever the length of the list. Python sees only a few events (the
    envelope, header, fault and result elements), not one per element, so reading stays as fast as
    parsing the answer whole. Limits: ``answers.MAX_RECORD_BYTES`` per item (and before the first),
    libxml2's 256 levels of nesting and 10 MB per text. The quota header goes to ``on_quota``; a
    fault raises its ``SeveraError``; a body that is not a SOAP answer raises
    ``SeveraTransportError``; a broken limit raises ``SeveraAnswerRefusedError`` (chunk sources may
    raise ``AnswerRefused`` for their own limits).
    """

    def __init__(self, operation: str, model: type[ModelT], on_quota: Callable[[QuotaStatus], None] = lambda _q: None):
        self.operation = operation
        self.model = model
        self.on_quota = on_quota
        self.quota: QuotaStatus | None = None
        self._result_tag = f"{{{SERVICE_NS}}}{operation}Result"

    def items(self, chunks: Iterable[bytes]) -> Iterator[ModelT]:
        for element in self.elements(chunks):
            yield validated(self.model, element, self.operation)

    def elements(self, chunks: Iterable[bytes]) -> Iterator[etree._Element]:
        """Each item's element, complete; it is dropped when the next one is asked for, so a caller
        keeps what it needs of it (``items`` validates it, ``stubs.InvoiceStub`` compresses it)."""
        pull = etree.XMLPullParser(
            events=("start", "end"),
            tag=(_ENVELOPE, _HEADER, _FAULT, self._result_tag),
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
        )
        marker = ForbiddenCharacterMarker()
        stream = _Stream()
        try:
            for chunk in chunks:
                pull.feed(marker.feed(chunk))
                stream.pending_bytes += len(chunk)
                yield from self._read(pull, stream)
            pull.feed(marker.close())
            pull.close()
            stream.result_done = True
            yield from self._read(pull, stream)
        except AnswerRefused as refused:
            raise refused_answer(self.operation, refused) from None
        except etree.XMLSyntaxError as error:
            raise self._unreadable(error) from None
        if not stream.saw_envelope:
            raise self._unreadable(None)

    def _read(self, pull: etree.XMLPullParser, stream: _Stream) -> Iterator[etree._Element]:
        for event, item in pull.read_events():
            element = cast(etree._Element, item)  # start and end events carry elements
            if event == "start" and element.tag == _ENVELOPE:
                check_no_dtd(element)
                stream.saw_envelope = True
            elif event == "start" and element.tag == self._result_tag:
                stream.result = element
            elif event == "end" and element.tag == self._result_tag:
                stream.result_done = True
            elif event == "end" and element.tag == _HEADER:
                self.quota = _quota(element)
                if self.quota is not None:
                    self.on_quota(self.quota)
            elif event == "end" and element.tag == _FAULT:
                raise _fault_error(self.operation, element, self.quota)
        yield from self._completed(stream)
        if stream.pending_bytes > MAX_RECORD_BYTES:
            raise AnswerRefused(f"holds an item (or a preamble) larger than {MAX_RECORD_BYTES // MEGABYTE} MB")

    def _completed(self, stream: _Stream) -> Iterator[etree._Element]:
        """Every item known to be complete: all but the last until the result element has closed."""
        result = stream.result
        if result is None:
            return
        keep = 0 if stream.result_done else 1
        while len(result) > keep:
            element = result[0]
            if element.get(_NIL) != "true":
                yield element
            # Emptied first: lxml then unlinks a bare element instead of walking its whole subtree.
            element.clear()
            del result[0]
            stream.pending_bytes = 0

    def _unreadable(self, error: etree.XMLSyntaxError | None) -> SeveraError:
        detail = f" ({error.msg})" if error is not None else ""
        if error is not None and _breaks_limits(error):
            return refused_answer(self.operation, AnswerRefused(f"breaks the parser's limits{detail}"))
        return SeveraTransportError(
            f"Severa {self.operation}: HTTP 200 with an unreadable SOAP answer{detail}",
            operation=self.operation,
            status_code=200,
        )


# -- result element -> data ----------------------------------------------------------------------
class _Repeated(list[Any]):
    """A list built from repeated child elements (an ``ArrayOf<T>``), as opposed to a value."""


def element_data(element: etree._Element) -> Any:
    """None for nil, text for a leaf (``""`` when empty), else a dict of members; repeated
    children (array items) become a list under their shared name. Only elements count as members
    (an entity reference left unresolved is not one)."""
    if element.get(_NIL) == "true":
        return None
    data: dict[str, Any] = {}
    for child in element:
        tag: object = child.tag  # a function, not a str, for an entity reference (lxml-stubs say str)
        if not isinstance(tag, str):
            continue
        name = tag.rpartition("}")[2]
        value = element_data(child)
        if name not in data:
            data[name] = value
        elif isinstance(data[name], _Repeated):
            data[name].append(value)
        else:
            data[name] = _Repeated([data[name], value])
    if not data:
        return restore(element.text or "")
    return data


def validated(model: type[ModelT], element: etree._Element, operation: str) -> ModelT:
    """``element`` as a ``model``; an element of another shape refuses the answer, in words."""
    try:
        return model.model_validate(element_data(element))
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = f"{model.__name__}.{where}: {first['msg'].lower()}" if where else first["msg"].lower()
        raise refused_answer(operation, AnswerRefused(f"holds a record of an unexpected shape ({problem})")) from None


def as_one(model: type[ModelT], result: etree._Element | None) -> ModelT | None:
    if result is None:
        return None
    return validated(model, result, etree.QName(result).localname.removesuffix("Result"))


def as_text(result: etree._Element | None) -> str:
    return "" if result is None else result.text or ""


def as_bytes(result: etree._Element | None, operation: str) -> bytes | None:
    if result is None or not (result.text or "").strip():
        return None
    try:
        return base64.b64decode(result.text or "", validate=False)
    except binascii.Error:
        raise SeveraTransportError(f"Severa {operation}: the file is not valid base64", operation=operation) from None
