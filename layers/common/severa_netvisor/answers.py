"""Reading a remote answer within limits, for both clients.

An HTTP timeout bounds how long a remote may stay silent, not how much it may send: a 300 MB answer
once took 1.28 GB of memory in a 1 024 MB function. Both clients therefore ask for the answer
unread (``stream=True``) and read it here, up to a byte limit; parsed answers are further bounded by
nesting depth (libxml2 refuses beyond 256 levels, or 2 048 with ``huge_tree``; Python code walking a
tree recursively must stop far earlier) and, when streamed record by record, by bytes per record.

The parsers never resolve entities, never load a DTD and never touch the network, so entity
expansion, external entities and external DTDs in an answer come to nothing; and since neither
Severa nor Netvisor ever sends a document type declaration, an answer carrying one is refused
outright (``check_no_dtd``) rather than read with its entity references left in.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests
from lxml import etree

#: How deep an answer may nest below its root before it is refused (real answers stay under 15).
MAX_DEPTH = 64
MEGABYTE = 1024 * 1024
#: What one streamed record (an invoice with its rows) may take (a real invoice: about 10 KB).
MAX_RECORD_BYTES = 16 * MEGABYTE
CHUNK_BYTES = 64 * 1024


class AnswerRefused(Exception):
    """The answer breaks a limit; ``reason`` completes "the answer ..." for a person."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parser(*, huge_text: bool = False) -> etree.XMLParser:
    """A parser that resolves no entity, loads no DTD and reaches no network. ``huge_text`` admits
    text nodes above 10 MB (a PDF as one base64 text) and depths up to 2 048; use it only for files."""
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=huge_text,
        remove_comments=True,
        remove_pis=True,
    )


def declared_too_large(response: requests.Response, limit: int) -> bool:
    declared = response.headers.get("Content-Length", "")
    return declared.isdigit() and int(declared) > limit


def iter_body(response: requests.Response, limit: int | None) -> Iterator[bytes]:
    """The answer's bytes chunk by chunk (decompressed), refusing it once more than ``limit`` arrived.

    ``limit`` None: no total limit (the caller bounds what it keeps). Closes the response at the end
    or on refusal, so the connection goes back to the pool only when it was read to the end.
    """
    try:
        if limit is not None and declared_too_large(response, limit):
            announced = int(response.headers["Content-Length"])
            raise AnswerRefused(f"is larger than {_megabytes(limit)} ({_megabytes(announced)} announced)")
        received = 0
        for chunk in response.iter_content(CHUNK_BYTES):
            received += len(chunk)
            if limit is not None and received > limit:
                raise AnswerRefused(f"is larger than {_megabytes(limit)}")
            yield chunk
    finally:
        response.close()


def read_body(response: requests.Response, limit: int) -> bytes:
    """The whole answer, at most ``limit`` bytes (else ``AnswerRefused``)."""
    return b"".join(iter_body(response, limit))


def _megabytes(limit: int) -> str:
    return f"{limit / MEGABYTE:.3g} MB" if limit >= MEGABYTE else f"{limit} bytes"


def check_depth(element: etree._Element, limit: int = MAX_DEPTH) -> None:
    """Refuse a tree that nests deeper than ``limit`` below ``element`` (one pass, no recursion)."""
    depth = 0
    for event, _ in etree.iterwalk(element, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limit:
            raise AnswerRefused(f"nests deeper than {limit} levels")


def check_no_dtd(element: etree._Element) -> None:
    """Refuse a document that carries a document type declaration (internal or external)."""
    if element.getroottree().docinfo.doctype:  # type: ignore[attr-defined]  # lxml-stubs lag lxml
        raise AnswerRefused("carries a document type declaration (DTD), which the service never sends")
