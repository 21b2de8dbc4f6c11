"""What the simulated Severa organisation holds.

Records are plain dicts keyed by Severa's member names (the wire layer writes them in WSDL order,
so a missing key goes out as ``i:nil``). Keys starting with ``_`` are the simulator's own
bookkeeping and never go on the wire: ``_changed`` (when the record last changed, aware UTC) on
every record, ``_pdf`` and ``_attachments`` on invoices, ``_content`` on attachment files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class InvoiceLogEntry:
    invoice_guid: str
    context: str | None
    text: str | None
    source: str | None
    event_time: datetime | None


@dataclass
class SeveraState:
    version: str = "S3 2.27.0 (simulator)"
    entity_schema_version: str = "2021.1"
    currencies: dict[str, Record] = field(default_factory=dict)
    business_units: dict[str, Record] = field(default_factory=dict)
    users: dict[str, Record] = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)
    customers: dict[str, Record] = field(default_factory=dict)
    addresses: dict[str, Record] = field(default_factory=dict)
    contacts: dict[str, Record] = field(default_factory=dict)
    cases: dict[str, Record] = field(default_factory=dict)
    products: dict[str, Record] = field(default_factory=dict)
    work_types: dict[str, Record] = field(default_factory=dict)
    #: Keyed by status *name*, the key SetInvoiceStatus uses.
    invoice_statuses: dict[str, Record] = field(default_factory=dict)
    invoices: dict[str, Record] = field(default_factory=dict)
    attachments: dict[str, Record] = field(default_factory=dict)
    hour_entries: dict[str, Record] = field(default_factory=dict)
    invoice_log: list[InvoiceLogEntry] = field(default_factory=list)

    def log_of(self, invoice_guid: str) -> list[InvoiceLogEntry]:
        return [entry for entry in self.invoice_log if entry.invoice_guid == invoice_guid]

    def touch(self, record: Record, when: datetime | None = None) -> None:
        """Mark a record changed (what the ``…ChangedSince`` reads filter on)."""
        moment = when or datetime.now(UTC)
        record["_changed"] = moment
        if "UpdatedTS" in record or "InsertTS" in record:
            record["UpdatedTS"] = moment
        if "UpdatedTs" in record or "InsertTs" in record:
            record["UpdatedTs"] = moment

    def counts(self) -> dict[str, int]:
        return {
            name: len(value)
            for name, value in vars(self).items()
            if isinstance(value, dict | list) and not name.startswith("_")
        }
