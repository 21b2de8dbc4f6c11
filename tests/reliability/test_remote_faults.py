"""Faults from both simulators at random rates over several runs of every transfer, then clean runs
without ``full_resync`` (and the replay function on the failed-records queue): the final state equals
a fault-free run's. Every run is the transfer's real handler in one warm container; an outage stops a
run with a one-line reason. ``make soak`` runs the same on thousands of records.

Faults: Netvisor 5xx, dropped connections after the request was applied (every write and read),
malformed bodies, maintenance; Severa 500s, connections dropped before a call and after a write
took effect (every write-back), malformed envelopes, the daily quota running out mid-run; both
systems' keys rotated between two runs (the warm container still holds the old ones).
"""

from __future__ import annotations

import pytest

from sandbox.aws import LocalAws
from tests.reliability.campaigns.remote import Rates, remote_fault_campaign
from tests.reliability.campaigns.scenarios import ALL, Scenario

#: Higher rates than a soak's: a short campaign should still meet every kind of fault.
SHORT = Rates(
    netvisor_5xx=0.06,
    netvisor_drop=0.06,
    netvisor_malformed=0.02,
    netvisor_maintenance=0.01,
    severa_500=0.04,
    severa_drop=0.04,
    severa_drop_after_write=0.1,
    severa_malformed=0.02,
    runs=4,
)
SIZES = {"customers": 14, "products": 16, "dimensions": 10, "invoices": 14, "payments": 12, "hours": 30}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ALL, ids=lambda s: s.name)
def test_random_remote_faults_then_clean_runs_end_as_a_fault_free_run(local_aws: LocalAws, scenario: Scenario) -> None:
    tally, outcomes = remote_fault_campaign(local_aws, scenario, SIZES[scenario.name], seed=11, rates=SHORT)

    assert tally.clean, tally.explain()
    assert tally.faults > 0, "faults were injected"
    assert outcomes.ok + len(outcomes.stopped) == SHORT.runs
