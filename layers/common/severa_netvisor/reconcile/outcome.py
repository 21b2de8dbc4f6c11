"""Collects the difference tables and the findings in words while the checks run."""

from __future__ import annotations

from decimal import Decimal

from severa_netvisor.reconcile.formats import ZERO, Cell
from severa_netvisor.reconcile.report import Finding, Table
from severa_netvisor.reconcile.sections import difference_tables


class Outcome:
    def __init__(self) -> None:
        self.tables: dict[str, Table] = {t.key: t for t in difference_tables()}
        self.findings: list[Finding] = []

    def row(self, section: str, *cells: Cell) -> None:
        """A table row that is not a difference of its own (a detail of one already counted)."""
        self.tables[section].add(*cells)

    def finding(self, section: str, *, subject: str, text: str, action: str, weight: Decimal = ZERO) -> None:
        self.findings.append(Finding(section, subject, text, action, weight))

    def add(
        self, section: str, cells: tuple[Cell, ...], *, subject: str, text: str, action: str, weight: Decimal = ZERO
    ) -> None:
        """One row that is one difference."""
        self.tables[section].add(*cells)
        self.finding(section, subject=subject, text=text, action=action, weight=weight)

    def sections(self) -> list[Table]:
        return list(self.tables.values())
