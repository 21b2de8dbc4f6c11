"""Hostile answers, shaped like each service's real ones so that the parsers get as far as they can."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SEVERA_NS = "http://soap.severa.com/"
ENTITIES = "http://schemas.datacontract.org/2004/07/Severa.Entities.API"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MEGABYTE = 1024 * 1024

Chunks = Callable[[], Iterable[bytes]]


def severa(operation: str, result_content: str, doctype: str = "") -> bytes:
    """A Severa answer to ``operation`` whose result element holds ``result_content``."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}'
        f'<s:Envelope xmlns:s="{SOAP}"><s:Header><Quota xmlns="{SEVERA_NS}">100000</Quota>'
        f'<UsedQuota xmlns="{SEVERA_NS}">7</UsedQuota></s:Header><s:Body>'
        f'<{operation}Response xmlns="{SEVERA_NS}"><{operation}Result xmlns:a="{ENTITIES}" xmlns:i="{XSI}">'
        f"{result_content}</{operation}Result></{operation}Response></s:Body></s:Envelope>"
    ).encode()


def netvisor(content: str, doctype: str = "") -> bytes:
    """A Netvisor answer: OK status, then ``content``."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}<Root><ResponseStatus><Status>OK</Status>'
        f"<TimeStamp>3.3.2025 9:00:00</TimeStamp></ResponseStatus>{content}</Root>"
    ).encode()


def billion_laughs() -> str:
    """Ten levels of ten: a billion "lol"s (about 3 GB) if an entity-expanding parser reads ``&lol9;``."""
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)]
    return f"<!DOCTYPE Envelope [{''.join(levels)}]>"


def external_entity(url: str) -> str:
    return f'<!DOCTYPE Envelope [<!ENTITY leak SYSTEM "{url}">]>'


def external_dtd(url: str) -> str:
    return f'<!DOCTYPE Envelope SYSTEM "{url}">'


def nested(levels: int, tag: str = "a:Nest") -> str:
    return f"<{tag}>" * levels + "x" + f"</{tag}>" * levels


def account(text: str) -> str:
    """One Severa account whose name is ``text`` (raw XML: entity references stay references)."""
    return (
        f"<a:Account><a:GUID>0d5f9a1e-0000-4000-8000-000000000001</a:GUID>"
        f"<a:InsertTS>2026-01-02T10:00:00</a:InsertTS><a:IsActive>true</a:IsActive>"
        f"<a:Name>{text}</a:Name></a:Account>"
    )


def padded(head: bytes, tail: bytes, megabytes: int) -> Chunks:
    """``head``, ``megabytes`` MB of small elements, then ``tail``: a huge answer in constant memory
    (elements rather than one text, which libxml2 alone would refuse beyond 10 MB)."""
    pad = (b"<Pad>" + b"x" * 1013 + b"</Pad>") * 1024

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(megabytes):
            yield pad
        yield tail

    return chunks


def unclosed_statuses(count: int) -> bytes:
    """A malformed Netvisor error body (a raw ``&``) whose text holds ``count`` unclosed ``<status>``
    tags inside CDATA: flat for the parser, but what a lazy ``<status>(.*?)</status>`` rescans from each."""
    return (
        b"<Root><ResponseStatus><Status>FAILED</Status><Status>INVALID_DATA :: R&D refused</Status>"
        b"</ResponseStatus><![CDATA[" + b"<status>x" * count + b"]]></Root>"
    )
