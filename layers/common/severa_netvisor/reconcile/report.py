"""The reconciliation's result: a totals table, one table per kind of difference, and each difference
in words with what to do. Renderers (``render``) turn it into the summary, CSV files and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from severa_netvisor.reconcile.formats import ZERO, Cell
from severa_netvisor.reconcile.period import Period

SCHEMA = "severa-netvisor/reconciliation/v1"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str


@dataclass(frozen=True)
class Finding:
    """One difference as a person reads it. Invoices and customers are named by number only (the
    summary goes to the alarm topic); names and remote texts stay in the section tables."""

    section: str
    subject: str
    text: str
    action: str
    #: The money at stake, to put the largest differences first.
    weight: Decimal = ZERO


@dataclass
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    #: A short sentence on what a row means and what to do about it in general.
    explanation: str = ""

    def add(self, *cells: Cell) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.key}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)


def table(key: str, title: str, columns: list[tuple[str, str]], explanation: str = "") -> Table:
    return Table(key, title, tuple(Column(k, h) for k, h in columns), explanation=explanation)


@dataclass
class Usage:
    """What the run cost: Severa calls count against the organisation's daily quota."""

    severa_calls: int = 0
    severa_quota: int | None = None
    severa_quota_used: int | None = None
    netvisor_requests: int = 0
    severa_invoices: int = 0
    netvisor_invoices: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Overview:
    """One line of the summary's totals: a document type's count and total with VAT on both sides."""

    document: str
    severa_count: int
    severa_gross: Decimal
    netvisor_count: int
    netvisor_gross: Decimal


@dataclass
class Report:
    period: Period
    generated_at: datetime
    totals: Table
    sections: list[Table]
    findings: list[Finding]
    usage: Usage
    overview: list[Overview] = field(default_factory=list)
    #: Where the stored copy is (s3://bucket/prefix/), once stored.
    location: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Severa documents paired with a Netvisor one, and how many of those pairs are alike.
    in_both: int = 0
    alike: int = 0

    @property
    def agree(self) -> bool:
        return not self.findings

    @property
    def verdict(self) -> str:
        return "agree" if self.agree else "differ"

    def section(self, key: str) -> Table:
        return next(t for t in self.sections if t.key == key)

    def counts(self) -> dict[str, int]:
        return {t.key: len(t.rows) for t in self.sections}

    def top_findings(self, limit: int) -> list[Finding]:
        """The differences to show first: taken in turn from each section (in the sections' order of
        importance), the largest amount first within a section, so one screen shows every kind."""
        queues: list[list[Finding]] = []
        for section in self.sections:
            mine = [f for f in self.findings if f.section == section.key]
            if mine:
                queues.append(sorted(mine, key=lambda f: (-abs(f.weight), f.subject)))
        chosen: list[Finding] = []
        while len(chosen) < limit and any(queues):
            for queue in queues:
                if queue and len(chosen) < limit:
                    chosen.append(queue.pop(0))
        return chosen
