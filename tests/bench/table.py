"""The benchmarks' one table: figure, goal, measured, pass or fail (a verdict to read, never asserted)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    figure: str
    #: "<= 1.10", "<= 200 MB", "no growth", ... or "" (a figure without a goal).
    goal: str
    measured: float | None
    detail: str = ""
    fmt: str = "{:.3f}"
    #: The verdict when the goal is not a number to compare (set by the benchmark).
    passed: bool | None = None

    def verdict(self) -> str:
        if self.passed is not None:
            return "pass" if self.passed else "FAIL"
        bound = re.match(r"<=\s*([0-9.]+)", self.goal)
        if bound is None or self.measured is None:
            return "-" if self.measured is not None else "not measured"
        return "pass" if self.measured <= float(bound.group(1)) + 1e-9 else "FAIL"

    def shown(self) -> str:
        return "-" if self.measured is None else self.fmt.format(self.measured)


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.figure}: {row.shown()} ({row.verdict()}) {row.detail}", flush=True)

    def print(self) -> None:
        width = max((len(r.figure) for r in self.rows), default=10)
        print()
        print(f"{'figure':<{width}}  {'goal':<26}  {'measured':>12}  verdict")
        for row in self.rows:
            print(f"{row.figure:<{width}}  {row.goal:<26}  {row.shown():>12}  {row.verdict()}")
        print()
        for row in self.rows:
            if row.detail:
                print(f"- {row.figure}: {row.detail}")
