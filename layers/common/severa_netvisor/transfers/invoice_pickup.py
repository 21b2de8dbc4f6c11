"""Which Severa invoices the invoices transfer takes: the operator's "ready to transfer" status (per
configured business unit), and, with ``invoices.sent_since``, invoices in a sent status since a date.

The status is the work queue: every run reads the whole ready list (one call per business unit) and
the ledger skips what is done. The names in the mapping are checked against Severa first: Severa
answers a read for an unknown status name with nothing at all, so a misspelt name would otherwise
transfer nothing, silently, forever.

A backlog can be tens of thousands of invoices (a backfill), about 10 KB of SOAP each: the lists are
read as they stream in, each invoice compressed into a temporary file (``InvoiceSpool``, a few KB on
disk per invoice; Lambda's /tmp) with only its sort key in memory (under 100 bytes). Pages are typed
from the file one at a time, oldest entry first, so memory holds a page whatever the backlog, and a
run that its time budget stops never types the invoices it will not reach.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from severa_netvisor.errors import ConfigurationError
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.severa.client import EPOCH, SeveraClient
from severa_netvisor.severa.models import Invoice, InvoiceStatus
from severa_netvisor.severa.stubs import InvoiceStub


@dataclass(frozen=True)
class Pickup:
    """Severa's statuses as checked at the start of a run, and the business units to read."""

    statuses: list[InvoiceStatus]
    unit_guids: list[str]

    @property
    def sent_names(self) -> set[str]:
        return {s.name for s in self.statuses if s.is_sent and s.name}


#: The mapping's statuses (fields of ``invoice_statuses``) the invoices transfer reads and sets.
PICKUP_STATUSES = ("ready_to_transfer", "transferred", "error")


def check_pickup(severa: SeveraClient, mapping: MappingConfig) -> Pickup:
    return Pickup(checked_statuses(severa, mapping), unit_guids(severa, mapping))


def unit_guids(severa: SeveraClient, mapping: MappingConfig) -> list[str]:
    """The configured business units' GUIDs ([""]: all of them)."""
    wanted = mapping.invoices.business_units
    if not wanted:
        return [""]
    units = {u.name: u.guid for u in severa.business_units_changed_since(EPOCH) if u.name and u.guid}
    missing = [name for name in wanted if name not in units]
    if missing:
        raise ConfigurationError(
            "invoices.business_units names units Severa does not have: "
            + ", ".join(missing)
            + ". Correct the mapping (names as spelled in Severa)."
        )
    return [units[name] for name in wanted]


def checked_statuses(
    severa: SeveraClient, mapping: MappingConfig, fields: tuple[str, ...] = PICKUP_STATUSES
) -> list[InvoiceStatus]:
    """Severa's invoice statuses, once each status the mapping names in ``fields`` is among them."""
    statuses = severa.invoice_statuses()
    known = {s.name for s in statuses if s.name}
    configured = mapping.invoice_statuses
    named = {f"invoice_statuses.{field}": getattr(configured, field) for field in fields}
    missing = [f"{key} '{name}'" for key, name in named.items() if name and name not in known]
    if missing:
        raise ConfigurationError(
            "The mapping names invoice statuses Severa does not have: "
            + ", ".join(missing)
            + ". Severa's statuses: "
            + ", ".join(f"'{name}'" for name in sorted(known))
            + ". Correct the names in the mapping (spelled exactly as in Severa)."
        )
    return statuses


def spool_invoices(severa: SeveraClient, mapping: MappingConfig, pickup: Pickup, now: datetime) -> InvoiceSpool:
    """Every invoice to look at this run (the ready ones, then sent ones since the date), spooled."""
    spool = InvoiceSpool()
    try:
        ready = mapping.invoice_statuses.ready_to_transfer
        for unit in pickup.unit_guids:
            for stub in severa.iter_invoice_stubs_by_status(ready, unit):
                spool.add(stub)
        since = mapping.invoices.sent_since
        if since is not None:
            sent = pickup.sent_names
            start = datetime(since.year, since.month, since.day, tzinfo=UTC)
            for unit in pickup.unit_guids:
                for stub in severa.iter_invoice_stubs_by_date(start, now, unit):
                    if stub.status in sent:
                        spool.add(stub)
    except BaseException:
        spool.close()
        raise
    return spool


#: Sort key layout: entry time (microseconds, offset to stay positive), GUID, a NUL, then where the
#: invoice sits in the spool and which operation listed it.
_TIME = struct.Struct(">Q")
_PLACE = struct.Struct(">QIB")
_EPOCH_SHIFT = 2**62
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_OPERATIONS = ("GetInvoicesByStatus", "GetInvoicesByDate")


class InvoiceSpool:
    """Invoices listed this run: compressed in a temporary file, their sort keys in memory."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="severa-invoices-")  # noqa: SIM115 - closed by close()
        self._end = 0
        self._keys: list[bytes] = []

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, stub: InvoiceStub) -> None:
        if not stub.guid:
            return
        self._file.write(stub.blob)
        micros = (stub.entry_date - _UNIX) // _MICROSECOND + _EPOCH_SHIFT
        place = _PLACE.pack(self._end, len(stub.blob), _OPERATIONS.index(stub.operation))
        self._keys.append(_TIME.pack(micros) + stub.guid.encode() + b"\0" + place)
        self._end += len(stub.blob)

    def pages(self, size: int, *, first: int | None = None) -> Generator[list[Invoice], None, None]:
        """The invoices in (entry date, GUID) order, ``size`` at a time (``first`` in the first page),
        each once; then closes."""
        try:
            self._file.flush()
            self._keys.sort()
            page: list[Invoice] = []
            wanted = first or size
            previous = b""
            for key in self._keys:
                identity = key[: key.index(b"\0", _TIME.size)]
                if identity == previous:
                    continue  # listed twice (several business units, or ready and sent)
                previous = identity
                page.append(self._invoice(key))
                if len(page) == wanted:
                    yield page
                    page, wanted = [], size
            if page:
                yield page
        finally:
            self.close()

    def _invoice(self, key: bytes) -> Invoice:
        offset, length, operation = _PLACE.unpack(key[-_PLACE.size :])
        self._file.seek(offset)
        blob = self._file.read(length)
        return InvoiceStub.load(blob, _OPERATIONS[operation])

    def close(self) -> None:
        self._keys = []
        self._file.close()
