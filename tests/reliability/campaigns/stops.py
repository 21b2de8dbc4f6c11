"""Stop a run at every point of its time budget, then run twice more: everything arrives, nothing twice.

The run is the transfer's real handler in a warm container (``Warm``). Its Lambda context says there
is plenty of time until the target has taken ``k`` writes, then that only 10 s are left: below the
time-budget margin (60 s, the default) the run takes no new record, and below half of it the writer
abandons what is queued. Issue 13 found hours and customers losing every record such a run left
behind (their positions were the read time, so the cursor passed them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sandbox.aws import LocalAws
from tests.integration.rig import World
from tests.reliability.campaigns.scenarios import Scenario, reset, scenario_world
from tests.reliability.campaigns.tally import Tally, reference, timed
from tests.reliability.support import Warm

PLENTY, NEARLY_NONE = 600.0, 10.0


def out_of_time_after(w: World, scenario: Scenario, writes: int) -> Callable[[], float]:
    """A Lambda's remaining time that runs out once the target has taken ``writes`` more writes."""
    start = scenario.writes(w)
    return lambda: PLENTY if scenario.writes(w) - start < writes else NEARLY_NONE


def stop_campaign(
    aws: LocalAws,
    scenario: Scenario,
    size: int,
    seed: int,
    *,
    stops: Sequence[int] | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> tuple[Tally, list[int]]:
    """Stop after each of ``stops`` writes (None: after every number of writes a full run makes).

    Returns the tally and the writes each stopped run had made (the stops that really happened)."""
    expected, records = reference(aws, scenario, size, seed)
    tally = Tally(f"time budget runs out: {scenario.name}", records=records)
    made: list[int] = []
    with timed(tally), scenario_world(aws, scenario, size, seed) as w:
        warm = Warm(w, scenario.transfer)
        if stops is None:
            before = scenario.writes(w)
            warm()
            stops = range(scenario.writes(w) - before)
        for count in stops:
            reset(w, scenario, size, seed)
            before = scenario.writes(w)
            first = warm(remaining=out_of_time_after(w, scenario, count))
            stopped = str(first["stopped_early"] or "")
            if not stopped.startswith("time budget"):
                continue  # the run needed fewer writes than that: nothing to stop
            made.append(scenario.writes(w) - before)
            tally.faults += 1
            # Two more runs (and what happens between runs outside the integration).
            warm()
            scenario.between(w)
            warm()
            tally.add(scenario, scenario.final(w), expected, f"stopped after {count} writes")
            progress(f"stopped after {count} writes: {'ok' if tally.clean else 'NOT OK'}")
    return tally, made
