"""Crash a transfer's run at a named step, run again (crashing once more during the recovery), settle.

A step is a call to Severa, Netvisor, the state table, the register of open failures or the
failed-records queue, made by the engine, the transfer or a transfer it brings records over with; it
is named ``before <system>.<call>`` or ``after <system>.<call>`` (the call took effect, its answer is
lost). Steps are counted by name, so "the 2nd ``after netvisor.add_sales_invoice``" is the same point
whatever the threads interleave. The crash is a BaseException nothing can tidy up after; every later
step in any thread dies too (the process is gone). The crashed run's leases then expire, and a new
process (a new, warm handler) takes over.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from severa_netvisor.engine import Engine, EngineOptions
from severa_netvisor.failures import FailureQueue
from severa_netvisor.register import FailureRegister
from severa_netvisor.transfers.context import TransferContext

from sandbox.aws import LocalAws
from tests.integration.rig import World
from tests.reliability.campaigns.scenarios import Scenario, expire_leases, reset, scenario_world
from tests.reliability.campaigns.tally import Tally, reference, settle, timed
from tests.reliability.support import Warm

Point = tuple[str, int]  # (step name, which occurrence of it)


class SimulatedCrash(BaseException):
    """The process died."""


@dataclass
class StepCrash:
    """Counts steps by name and dies at ``at`` (or never, to learn a run's steps)."""

    at: Point | None = None
    seen: Counter[str] = field(default_factory=Counter)
    crashed_at: Point | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, label: str) -> None:
        with self._lock:
            if self.crashed_at is not None:
                raise SimulatedCrash(f"already dead ({self.crashed_at})")
            self.seen[label] += 1
            if self.at == (label, self.seen[label]):
                self.crashed_at = self.at
                raise SimulatedCrash(f"{label} #{self.seen[label]}")


class Stepping:
    """Wraps an object so every public call is two named steps: before it and after it."""

    def __init__(self, inner: Any, plan: StepCrash, system: str):
        self._inner, self._plan, self._system = inner, plan, system

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._plan.step(f"before {self._system}.{name}")
            result = attribute(*args, **kwargs)
            self._plan.step(f"after {self._system}.{name}")
            return result

        return call


#: Small queues and pools: more interleavings per record (and the crash points stay few).
OPTIONS = EngineOptions(queue_size=2, bookkeeping_workers=2)


def stepping_engine(w: World, transfer: str, plan: StepCrash, clean: TransferContext) -> Engine:
    context = TransferContext.fixed(
        clean.settings,
        w.mapping,
        severa=Stepping(clean.severa, plan, "severa"),  # type: ignore[arg-type]
        netvisor=Stepping(clean.netvisor, plan, "netvisor"),  # type: ignore[arg-type]
    )
    dynamodb, sqs = w.aws.client("dynamodb"), w.aws.client("sqs")
    return w.engine(
        transfer,
        context=context,
        state=Stepping(w.store(), plan, "state"),  # type: ignore[arg-type]
        register=Stepping(FailureRegister(w.table, client=dynamodb), plan, "register"),  # type: ignore[arg-type]
        failure_queue=Stepping(FailureQueue(w.queue_url, client=sqs), plan, "queue"),  # type: ignore[arg-type]
        options=OPTIONS,
    )


def run_crashing(w: World, transfer: str, at: Point | None, clean: TransferContext | None = None) -> StepCrash:
    plan = StepCrash(at)
    with contextlib.suppress(SimulatedCrash):
        w.run_engine(transfer, engine=stepping_engine(w, transfer, plan, clean or w.context()))
    return plan


@dataclass
class CrashReport:
    tally: Tally
    #: Every step name the first runs passed (what the crash points were chosen from).
    steps: set[str]
    #: The points a first crash hit, and those a second crash (in the recovery run) hit.
    crashed: list[Point]
    crashed_again: list[Point]


#: Calls that change something somewhere (a crash beside a read is the crash beside the step before it).
WRITES = ("add_", "edit_", "import_", "set_", "mark_", "write_", "put_", "acquire_", "release_", "record", "send")


def is_write(label: str) -> bool:
    return label.split(".", 1)[1].startswith(WRITES)


def points_of(steps: Counter[str], *, every_step: bool, focus: tuple[str, ...] = ()) -> list[Point]:
    """Every occurrence of every step, or (short) the first occurrence of every write (of the focus's
    steps only, when a variant has one) and of the first read."""
    if every_step:
        return sorted((label, n) for label, count in steps.items() for n in range(1, count + 1))
    if focus:
        return sorted((label, 1) for label in steps if any(part in label for part in focus))
    writes = sorted((label, 1) for label in steps if is_write(label))
    return writes + sorted((label, 1) for label in steps if not is_write(label))[:1]


def crash_campaign(
    aws: LocalAws,
    scenario: Scenario,
    size: int,
    seed: int,
    *,
    every_step: bool = False,
    second_crash_every: int = 2,
    progress: Callable[[str], None] = lambda line: None,
) -> CrashReport:
    """Crash at each point, recover (crashing again at every ``second_crash_every``-th), settle, compare."""
    expected, records = reference(aws, scenario, size, seed)
    tally = Tally(f"crash at every step: {scenario.name}", records=records)
    crashed: list[Point] = []
    crashed_again: list[Point] = []
    with timed(tally), scenario_world(aws, scenario, size, seed) as w:
        clean = w.context()
        warm = Warm(w, scenario.transfer)  # the processes after the crash: one warm container
        learned = run_crashing(w, scenario.transfer, None, clean)
        points = points_of(learned.seen, every_step=every_step, focus=scenario.focus)
        for index, point in enumerate(points):
            reset(w, scenario, size, seed)
            first = run_crashing(w, scenario.transfer, point, clean)
            if first.crashed_at is None:
                continue  # this run took another path (the threads interleaved otherwise)
            crashed.append(point)
            tally.faults += 1
            expire_leases(w)
            if second_crash_every and index % second_crash_every == 0:
                # The recovery run dies too, where the first one did (at that step's first occurrence in
                # the recovery, which is usually another record's).
                again = (point[0], 1)
                second = run_crashing(w, scenario.transfer, again, clean)
                if second.crashed_at is not None:
                    crashed_again.append(again)
                    tally.faults += 1
                    expire_leases(w)
            settle(w, scenario, warm)
            where = f"crash {point[0]} #{point[1]}"
            tally.add(scenario, scenario.final(w), expected, where)
            progress(f"{where}: {'ok' if tally.clean else 'NOT OK'}")
    return CrashReport(tally, set(learned.seen), crashed, crashed_again)
