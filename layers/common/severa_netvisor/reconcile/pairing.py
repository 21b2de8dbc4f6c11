"""Which Netvisor invoice is which Severa invoice: the ledger first, then the invoice number.

- A Severa invoice the ledger records as transferred is paired with the Netvisor invoice under the
  recorded key, read by key when it is not among the period's (its date was changed in Netvisor), or
  reported missing when Netvisor no longer has it.
- Otherwise a Netvisor invoice of the period with the same number is its pair (sent by hand, or a
  transfer whose outcome is not confirmed yet).
- A Netvisor invoice left over is looked up in the ledger backwards: its Severa invoice may be dated
  outside the period now (read by GUID), or be gone from Severa; else it did not come from Severa.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from severa_netvisor.reconcile.facts import LedgerFacts, NetvisorInvoice, SeveraInvoice, Stage
from severa_netvisor.state import LedgerStatus


@dataclass(frozen=True)
class Outside:
    """A Severa invoice read by GUID: ``invoice`` None and ``read`` True means Severa no longer has it."""

    invoice: SeveraInvoice | None
    read: bool = True


class Lookups(Protocol):
    """The reads pairing may need beyond the period (each one costs a request)."""

    def netvisor_by_keys(self, keys: Sequence[int]) -> dict[int, NetvisorInvoice]: ...

    def severa_guid_of(self, netvisor_key: int) -> str | None: ...

    def severa_outside(self, guid: str) -> Outside: ...

    def ledger_outside(self, guid: str) -> LedgerFacts | None: ...


@dataclass(frozen=True)
class Pair:
    severa: SeveraInvoice
    netvisor: NetvisorInvoice
    ledger: LedgerFacts | None
    #: The Severa invoice is dated outside the period (found through the ledger).
    severa_outside: bool = False
    #: The Netvisor invoice is dated outside the period (found by its recorded key).
    netvisor_outside: bool = False


@dataclass
class Pairing:
    pairs: list[Pair] = field(default_factory=list)
    #: Sent in Severa, not in Netvisor, with what the ledger says.
    missing: list[tuple[SeveraInvoice, LedgerFacts | None, str]] = field(default_factory=list)
    waiting: list[tuple[SeveraInvoice, LedgerFacts | None]] = field(default_factory=list)
    netvisor_only: list[tuple[NetvisorInvoice, str]] = field(default_factory=list)
    #: The Severa side of the totals: invoices that belong in the books.
    severa_in_books: list[SeveraInvoice] = field(default_factory=list)


def _done_key(ledger: LedgerFacts | None) -> int | None:
    if ledger is None or ledger.status != LedgerStatus.DONE.value or not ledger.target_key:
        return None
    return int(ledger.target_key) if ledger.target_key.isdigit() else None


class _Pairer:
    def __init__(
        self,
        severa: dict[str, SeveraInvoice],
        netvisor: dict[int, NetvisorInvoice],
        ledger: dict[str, LedgerFacts],
        lookups: Lookups,
    ):
        self.severa, self.ledger, self.lookups = severa, ledger, lookups
        self.unpaired = dict(netvisor)
        self.by_number: dict[str, list[int]] = defaultdict(list)
        for key in sorted(netvisor):
            self.by_number[netvisor[key].number].append(key)
        self.result = Pairing()
        self.outside: list[tuple[SeveraInvoice, int]] = []

    def _take(self, key: int) -> NetvisorInvoice | None:
        invoice = self.unpaired.pop(key, None)
        if invoice is not None:
            self.by_number[invoice.number].remove(key)
        return invoice

    def _by_number(self, number: str) -> NetvisorInvoice | None:
        keys = self.by_number.get(number) if number else None
        return self._take(keys[0]) if keys else None

    def severa_side(self) -> None:
        for invoice in sorted(self.severa.values(), key=lambda i: (i.invoice_date, i.number, i.guid)):
            ledger = self.ledger.get(invoice.guid)
            key = _done_key(ledger)
            if invoice.stage is Stage.OTHER and key is None:
                continue  # a draft: not an invoice yet
            self.result.severa_in_books.append(invoice)
            if key is not None:
                found = self._take(key)
                if found is None:
                    self.outside.append((invoice, key))
                else:
                    self.result.pairs.append(Pair(invoice, found, ledger))
                continue
            found = self._by_number(invoice.number)
            if found is not None:
                self.result.pairs.append(Pair(invoice, found, ledger))
            elif invoice.stage is Stage.BOOKED:
                self.result.missing.append((invoice, ledger, "no record of a transfer by the integration"))
            else:
                self.result.waiting.append((invoice, ledger))

    def recorded_keys_outside(self) -> None:
        if not self.outside:
            return
        found = self.lookups.netvisor_by_keys([key for _, key in self.outside])
        for invoice, key in self.outside:
            netvisor = found.get(key)
            ledger = self.ledger.get(invoice.guid)
            if netvisor is None:
                note = f"transferred as Netvisor key {key}, which Netvisor no longer has"
                self.result.missing.append((invoice, ledger, note))
            else:
                self.result.pairs.append(Pair(invoice, netvisor, ledger, netvisor_outside=True))

    def netvisor_side(self) -> None:
        for key in sorted(self.unpaired):
            netvisor = self.unpaired[key]
            guid = self.lookups.severa_guid_of(key)
            if guid is None:
                self.result.netvisor_only.append((netvisor, "no Severa invoice"))
            elif guid in self.severa:
                self.result.netvisor_only.append(
                    (netvisor, f"a second Netvisor invoice for Severa invoice {self.severa[guid].number}")
                )
            else:
                self._outside_severa(netvisor, guid)

    def _outside_severa(self, netvisor: NetvisorInvoice, guid: str) -> None:
        found = self.lookups.severa_outside(guid)
        if not found.read:
            why = f"its Severa invoice ({guid}) is dated outside the period and was not read (lookup limit)"
            self.result.netvisor_only.append((netvisor, why))
        elif found.invoice is None:
            self.result.netvisor_only.append((netvisor, f"its Severa invoice ({guid}) no longer exists in Severa"))
        else:
            ledger = self.lookups.ledger_outside(guid)
            self.result.pairs.append(Pair(found.invoice, netvisor, ledger, severa_outside=True))


def pair_invoices(
    severa: dict[str, SeveraInvoice],
    netvisor: dict[int, NetvisorInvoice],
    ledger: dict[str, LedgerFacts],
    lookups: Lookups,
) -> Pairing:
    pairer = _Pairer(severa, netvisor, ledger, lookups)
    pairer.severa_side()
    pairer.recorded_keys_outside()
    pairer.netvisor_side()
    return pairer.result
