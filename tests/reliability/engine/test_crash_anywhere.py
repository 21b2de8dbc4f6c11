"""Crash the run between every pair of steps, run again: every record reaches the target exactly once.

A step is any call to the state table, the failed-records queue, the target or the source's
write-back; the crash can come before the call or after it (the call took effect but its answer
is lost). The crash is a BaseException, so nothing in the engine can tidy up after it: the lease
stays held, markers stay pending, messages stay unsent, as after a real process death. After
the crash, every later step in any thread dies too. The re-run sees a later clock, so the crashed
run's lease has expired.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from severa_netvisor.failures import FailureQueue
from severa_netvisor.register import FailureRegister
from severa_netvisor.state import LedgerStatus

from sandbox.aws import LocalAws
from tests.integration.engine.doubles import Rig, clients, make_rig, seed, state_store
from tests.reliability.support import SOAK

MAX_STEPS = 400
#: Every ``STRIDE``-th step is a crash point (every step with ``RELIABILITY_SOAK=1``, ``make soak``).
STRIDE = 1 if SOAK else 2


class SimulatedCrash(BaseException):
    """The process died."""


class CrashPlan:
    def __init__(self, crash_at: int):
        self.crash_at = crash_at
        self.steps = 0
        self.crashed_at: str | None = None
        self._lock = threading.Lock()

    def step(self, label: str) -> None:
        with self._lock:
            if self.crashed_at is not None:
                raise SimulatedCrash(f"already dead ({self.crashed_at})")
            self.steps += 1
            if self.steps == self.crash_at:
                self.crashed_at = label
                raise SimulatedCrash(label)


class Crashing:
    """Wraps an object so every public method call is two steps: before it and after it."""

    def __init__(self, inner: Any, plan: CrashPlan, label: str):
        self._inner, self._plan, self._label = inner, plan, label

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._plan.step(f"before {self._label}.{name}")
            result = attribute(*args, **kwargs)
            self._plan.step(f"after {self._label}.{name}")
            return result

        return call


def _crash_then_rerun(aws: LocalAws, crash_at: int, setup: Callable[[Rig], list[str]], **options: Any) -> bool:
    """One crash at step ``crash_at`` then a clean re-run; False when the run had fewer steps."""
    rig = make_rig(aws, **options)
    rig.source.page_size = 2
    good = setup(rig)
    target, source = rig.transfer.target, rig.transfer.source
    plan = CrashPlan(crash_at)
    rig.transfer.target = Crashing(target, plan, "target")  # type: ignore[assignment]
    rig.transfer.source = Crashing(source, plan, "source")  # type: ignore[assignment]
    crashing = rig.engine(
        state=Crashing(rig.state, plan, "state"),
        failure_queue=Crashing(FailureQueue(rig.queue_url, client=clients(aws).sqs), plan, "queue"),
        register=Crashing(FailureRegister(rig.state.table_name, client=clients(aws).dynamodb), plan, "register"),
    )
    with contextlib.suppress(SimulatedCrash):  # the crash may also come after the last step
        rig.run(engine=crashing)
    if plan.crashed_at is None:
        return False
    rig.transfer.target, rig.transfer.source = target, source

    later = state_store(aws, clock=lambda: time.time() + 100_000)
    rerun = rig.run(engine=rig.engine(state=later))
    where = f"crash {plan.crashed_at} (step {crash_at})"
    assert rerun.stopped_early is None, where
    for record_id in good:
        number = f"N-{record_id}"
        created = target.creates[number]
        assert created == (0 if number in rig.target_preexisting else 1), f"{where}: {number} created {created}x"
    entries = rig.ledger(*good)
    assert all(entries[i].status is LedgerStatus.DONE for i in good), where
    if rig.transfer.writes_back:
        assert all(not entries[i].writeback_pending and source.writebacks[i] >= 1 for i in good), where
    reported = {message["source"]["id"] for message in rig.messages()}
    assert reported == {"r002"}, where  # the bad record: reported at least once, nothing else
    last = max(rig.source.records.values(), key=lambda r: (r["changed_at"], r["id"]))
    cursor = rig.cursor()
    assert cursor is not None, where
    assert cursor.record_id == last["id"], where
    # The bad record is in the register, once; a further run has nothing left to do.
    assert [f.ref.id for f in rig.open_failures()] == ["r002"], where
    quiet = rig.run(engine=rig.engine(state=later))
    assert quiet.created == quiet.updated == quiet.adopted == quiet.failed == 0, where
    return True


def _invoice_like(rig: Rig) -> list[str]:
    ids = seed(rig.source, 4)
    rig.source.change("r002", at=rig.source.records["r002"]["changed_at"], amount="not a number")
    return [i for i in ids if i != "r002"]


def _customer_like(rig: Rig) -> list[str]:
    ids = seed(rig.source, 3)
    rig.source.change("r002", at=rig.source.records["r002"]["changed_at"], amount="not a number")
    rig.target.records["500"] = {"number": "N-r001", "amount": 1, "name": "old"}
    rig.target_preexisting = {"N-r001"}
    return [i for i in ids if i != "r002"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setup", "options"),
    [
        pytest.param(_invoice_like, {"writes_back": True}, id="create-only-with-write-back"),
        pytest.param(_customer_like, {"allows_update": True, "matches_existing": True}, id="match-and-update"),
    ],
)
def test_a_crash_between_any_two_steps_then_a_rerun_gives_every_record_exactly_once(
    local_aws: LocalAws, setup: Callable[[Rig], list[str]], options: dict[str, Any]
) -> None:
    crashed: list[int] = []
    for crash_at in range(1, MAX_STEPS, STRIDE):
        if not _crash_then_rerun(local_aws, crash_at, setup, **options):
            break
        crashed.append(crash_at)
    else:
        pytest.fail(f"the run took more than {MAX_STEPS} steps")
    # The crash points spread over every call of a run (lease, cursor, ledger, target, write-back,
    # queue): every other one in ``make test``, every one in ``make soak``.
    assert crashed[-1] >= 20
    assert len(crashed) >= 20 // STRIDE
