"""Invoices as a list answer gives them, kept small until they are needed.

A Severa invoice is about 10 KB of SOAP and its typed model several times that in memory, so a
backlog of tens of thousands cannot be held as models. An ``InvoiceStub`` keeps the few fields a
run sorts and filters by (GUID, entry date, status) and the item itself, serialised and compressed
(about a quarter of a kilobyte per KB of SOAP); ``invoice()`` types it when its page comes up, with
the same checks as an invoice read whole.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from pydantic import ValidationError

from severa_netvisor.answers import AnswerRefused
from severa_netvisor.severa.characters import restore
from severa_netvisor.severa.models import Invoice, InvoiceKey
from severa_netvisor.severa.reply import refused_answer, validated

#: The members of an item that a stub keeps apart (Severa's member names).
_KEY_MEMBERS = frozenset(field.alias or name for name, field in InvoiceKey.model_fields.items())
#: Fast, and about as small as the best level on this kind of XML.
_COMPRESSION = 1
# Our own serialisation of an element that passed the answer's checks (no DTD, entity or network).
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


@dataclass(frozen=True, slots=True)
class InvoiceStub:
    guid: str
    entry_date: datetime
    status: str | None
    #: The item's element, serialised and compressed.
    blob: bytes
    #: The Severa operation that listed it (named when its record turns out malformed).
    operation: str

    @classmethod
    def of(cls, element: etree._Element, operation: str) -> InvoiceStub:
        """A stub of a list item; its key members are checked now (a bad one refuses the answer)."""
        key = invoice_key(element, operation)
        blob = zlib.compress(etree.tostring(element), _COMPRESSION)
        return cls(key.guid or "", key.entry_date, key.invoice_status, blob, operation)

    def invoice(self) -> Invoice:
        return self.load(self.blob, self.operation)

    @staticmethod
    def load(blob: bytes, operation: str) -> Invoice:
        """The typed invoice of a stub's ``blob``."""
        return validated(Invoice, etree.fromstring(zlib.decompress(blob), _PARSER), operation)


_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def invoice_key(element: etree._Element, operation: str) -> InvoiceKey:
    """The key members of a listed invoice (a bad one refuses the answer, naming it)."""
    members: dict[str, str | None] = {}
    for child in element:
        tag: object = child.tag
        if isinstance(tag, str):
            name = tag.rpartition("}")[2]
            if name in _KEY_MEMBERS:
                members[name] = None if child.get(_NIL) == "true" else restore(child.text or "")
    try:
        return InvoiceKey.model_validate(members)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = f"Invoice.{where}: {first['msg'].lower()}"
        raise refused_answer(operation, AnswerRefused(f"holds a record of an unexpected shape ({problem})")) from None
