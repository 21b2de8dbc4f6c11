"""Stop every transfer's run when its time budget runs out after 1, 3 and 7 writes, then run twice more:
every record is transferred, nothing is lost and nothing doubled (``make soak``: after every number of
writes a run makes, on more data).

Issue 13, items 1 and 2: hours gave every employee-day of a run the read time as its position, and
customers so placed an account whose only change was its address; a run that stopped early then
checkpointed past the days and accounts it had not sent, and later runs never read them again
(stopping after 1, 3, 7 writes of 30 days lost 29, 27, 23). The address-edit variant is item 2's case.
"""

from __future__ import annotations

import pytest

from sandbox.aws import LocalAws
from tests.reliability.campaigns.scenarios import (
    CUSTOMER_ADDRESSES,
    CUSTOMERS,
    DIMENSIONS,
    HOURS,
    INVOICES,
    PAYMENTS,
    PRODUCTS,
    Scenario,
)
from tests.reliability.campaigns.stops import stop_campaign

STOPS = (1, 3, 7)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "size"),
    [
        pytest.param(HOURS, 40, id="hours"),
        pytest.param(CUSTOMER_ADDRESSES, 14, id="customers-address-edits"),
        pytest.param(CUSTOMERS, 12, id="customers"),
        pytest.param(PRODUCTS, 14, id="products"),
        pytest.param(DIMENSIONS, 10, id="dimensions"),
        pytest.param(INVOICES, 14, id="invoices"),
        pytest.param(PAYMENTS, 8, id="payments"),
    ],
)
def test_a_run_stopped_by_its_time_budget_loses_nothing_on_the_next_runs(
    local_aws: LocalAws, scenario: Scenario, size: int
) -> None:
    tally, made = stop_campaign(local_aws, scenario, size, seed=4, stops=STOPS)

    assert tally.clean, tally.explain()
    assert len(made) == len(STOPS), f"every stop happened mid-run (writes made: {made})"
    assert all(count >= stop for count, stop in zip(made, STOPS, strict=True)), made
