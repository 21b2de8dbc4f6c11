"""Netvisor's response format: PascalCase with its casing quirks, decimal comma, Finnish dates,
``standalone="yes"``, CRLF line endings and the double ``<Status>`` failure envelope."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from lxml import etree

DECLARATION = b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n'


def fi_datetime(moment: datetime) -> str:
    return f"{moment.day}.{moment.month}.{moment.year} {moment.hour}:{moment.minute:02d}:{moment.second:02d}"


def fi_date(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def comma(value: Decimal, places: int = 2) -> str:
    quantum = Decimal(1).scaleb(-places)
    return format(value.quantize(quantum, rounding=ROUND_HALF_UP), "f").replace(".", ",")


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    for name, value in attrs.items():
        element.set(name.replace("_", "-"), value)
    if text is not None and text != "":
        element.text = text
    return element


def _serialise(root: etree._Element) -> bytes:
    body = etree.tostring(root, pretty_print=True, encoding="utf-8", xml_declaration=False)
    return DECLARATION + body.replace(b"\n", b"\r\n")


def _status(root: etree._Element, now: datetime, *statuses: str) -> None:
    response_status = sub(root, "ResponseStatus")
    for status in statuses:
        sub(response_status, "Status", status)
    sub(response_status, "TimeStamp", fi_datetime(now))


def ok_document(now: datetime, *payload: etree._Element, inserted_key: int | None = None) -> bytes:
    root = etree.Element("Root")
    _status(root, now, "OK")
    if inserted_key is not None:
        replies = sub(root, "Replies")
        sub(replies, "InsertedDataIdentifier", str(inserted_key))
    for element in payload:
        root.append(element)
    return _serialise(root)


def failed_document(now: datetime, code: str, text: str) -> bytes:
    root = etree.Element("Root")
    _status(root, now, "FAILED", f"{code} :: {text}")
    return _serialise(root)


def malformed_document(now: datetime, code: str, text: str) -> bytes:
    """A FAILED body written as Netvisor sometimes does: the text not escaped, so not well-formed."""
    lines = [
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
        "<Root>",
        "  <ResponseStatus>",
        "    <Status>FAILED</Status>",
        f"    <Status>{code} :: {text}</Status>",
        f"    <TimeStamp>{escape(fi_datetime(now))}</TimeStamp>",
        "  </ResponseStatus>",
        "</Root>",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")
