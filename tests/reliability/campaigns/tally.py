"""What a campaign found, and the fault-free run it is compared with."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sandbox.aws import LocalAws
from tests.integration.rig import World
from tests.reliability.campaigns.scenarios import Final, Scenario, scenario_world
from tests.reliability.support import Warm


@dataclass
class Tally:
    """One row of the soak table."""

    campaign: str
    records: int = 0
    faults: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    #: Open failures the fault-free run does not have (held in the register: not lost, but reported).
    held: list[str] = field(default_factory=list)
    #: Differences from the fault-free run's final state, in words (empty: equal).
    differences: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, scenario: Scenario, final: Final, reference: Final, where: str) -> None:
        lost, duplicated = final.lost_against(reference), final.duplicated()
        self.lost += [f"{where}: {key}" for key in lost]
        self.duplicated += [f"{where}: {key}" for key in duplicated]
        self.held += [f"{where}: {ref}" for ref in final.held_against(reference)]
        if final.content != reference.content and not (lost or duplicated):
            self.differences.append(f"{where}: {scenario.name}: the final state differs from a fault-free run's")

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.held or self.differences)

    def explain(self) -> str:
        parts = [f"{self.campaign}: {self.faults} faults over {self.records} records"]
        for name in ("lost", "duplicated", "held", "differences"):
            found = getattr(self, name)
            if found:
                parts.append(f"{name} ({len(found)}): " + "; ".join(found[:8]))
        return "\n".join(parts)

    def row(self) -> tuple[str, int, int, int, int, str]:
        return (self.campaign, self.records, self.faults, len(self.lost), len(self.duplicated), f"{self.seconds:.0f} s")


@contextmanager
def timed(tally: Tally) -> Iterator[Tally]:
    started = time.monotonic()
    try:
        yield tally
    finally:
        tally.seconds += time.monotonic() - started


def settle(w: World, scenario: Scenario, run: Callable[[], Any]) -> None:
    """The runs every campaign ends with: no faults, no ``full_resync``, what happens outside the
    integration between them (an accountant sends the invoices, so credit notes can be matched)."""
    for index in range(scenario.settling_runs):
        if index:
            scenario.between(w)
        run()


_REFERENCES: dict[tuple[str, int, int], tuple[Final, int]] = {}


def reference(aws: LocalAws, scenario: Scenario, size: int, seed: int) -> tuple[Final, int]:
    """The fault-free outcome of the scenario's data (and how many records it moved), once per session."""
    key = (scenario.name, size, seed)
    if key not in _REFERENCES:
        with scenario_world(aws, scenario, size, seed) as w:
            records = scenario.records(w)
            settle(w, scenario, Warm(w, scenario.transfer))
            _REFERENCES[key] = (scenario.final(w), records)
    return _REFERENCES[key]
