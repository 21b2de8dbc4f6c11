"""Concurrency: the same transfer twice at once, different transfers at once, a dry run of each and the
connection check beside them, all against one Netvisor company. No duplicates, no request refused as
overlapping another (the simulator refuses them as Netvisor does), no failed invocation (no false
alarm), and nothing left behind once each transfer has run alone. (Issue 13, item 8's own tests:
``test_netvisor_turns.py``.)"""

from __future__ import annotations

import pytest

from sandbox.aws import LocalAws
from tests.reliability.campaigns.concurrency import TRANSFERS, concurrency_campaign


@pytest.mark.slow
def test_runs_side_by_side_never_overlap_at_netvisor_nor_double_anything(local_aws: LocalAws) -> None:
    tally, rounds = concurrency_campaign(local_aws, size=6, seed=17, rounds=1)

    assert tally.clean, tally.explain()
    first = rounds[0]
    busy = [r for results in first.results.values() for r in results if r["lease_busy"]]
    assert busy, "runs really met: some found the leases taken"
    assert all(
        r["stopped_early"]
        in ("another run of this transfer is still going", "another transfer is using Netvisor right now")
        for r in busy
    )
    assert set(first.results) == set(TRANSFERS)
    assert first.checks
    assert all(check.ok for check in first.checks)
