"""Which Severa invoices the invoices transfer takes: the operator's "ready to transfer" status (per
configured business unit), and, with ``invoices.sent_since``, invoices in a sent status since a date.

The status is the work queue: every run reads the whole ready list (one call per business unit) and
the ledger skips what is done. The names in the mapping are checked against Severa first: Severa
answers a read for an unknown status name with nothing at all, so a misspelt name would otherwise
transfer nothing, silently, forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from severa_netvisor.errors import ConfigurationError
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.severa.client import EPOCH, SeveraClient
from severa_netvisor.severa.models import Invoice, InvoiceStatus


@dataclass(frozen=True)
class Pickup:
    """Severa's statuses as checked at the start of a run, and the business units to read."""

    statuses: list[InvoiceStatus]
    unit_guids: list[str]

    @property
    def sent_names(self) -> set[str]:
        return {s.name for s in self.statuses if s.is_sent and s.name}


def check_pickup(severa: SeveraClient, mapping: MappingConfig) -> Pickup:
    return Pickup(_checked_statuses(severa, mapping), _unit_guids(severa, mapping))


def _unit_guids(severa: SeveraClient, mapping: MappingConfig) -> list[str]:
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


def _checked_statuses(severa: SeveraClient, mapping: MappingConfig) -> list[InvoiceStatus]:
    statuses = severa.invoice_statuses()
    known = {s.name for s in statuses if s.name}
    configured = mapping.invoice_statuses
    named = {
        "invoice_statuses.ready_to_transfer": configured.ready_to_transfer,
        "invoice_statuses.transferred": configured.transferred,
        "invoice_statuses.error": configured.error,
    }
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


def read_invoices(severa: SeveraClient, mapping: MappingConfig, pickup: Pickup, now: datetime) -> Iterator[Invoice]:
    """Every invoice to look at this run, each once (ready ones first, then sent ones since the date)."""
    seen: set[str] = set()
    ready = mapping.invoice_statuses.ready_to_transfer
    for unit in pickup.unit_guids:
        for invoice in severa.invoices_by_status(ready, unit):
            if invoice.guid and invoice.guid not in seen:
                seen.add(invoice.guid)
                yield invoice
    since = mapping.invoices.sent_since
    if since is None:
        return
    sent = pickup.sent_names
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    for unit in pickup.unit_guids:
        for invoice in severa.invoices_by_date(start, now, unit):
            if invoice.guid and invoice.guid not in seen and invoice.invoice_status in sent:
                seen.add(invoice.guid)
                yield invoice
