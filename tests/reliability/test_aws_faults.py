"""AWS faults over several runs of every transfer: DynamoDB throttling, conditional-check conflicts,
500s and lost answers; SQS refusing the failed-record messages. Nothing is lost, no lease is left
held after any run, and after clean runs (and the replay function) the final state equals a
fault-free run's. Through the real handler in one warm container (``campaigns.aws_campaign``)."""

from __future__ import annotations

import pytest

from sandbox.aws import LocalAws
from tests.reliability.campaigns.aws_campaign import AwsRates, aws_fault_campaign
from tests.reliability.campaigns.scenarios import ALL, Scenario

SHORT = AwsRates(dynamodb=0.06, sqs=0.4, runs=4)
SIZES = {"customers": 14, "products": 16, "dimensions": 10, "invoices": 14, "payments": 12, "hours": 30}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ALL, ids=lambda s: s.name)
def test_aws_faults_lose_nothing_and_leave_no_lease_held(local_aws: LocalAws, scenario: Scenario) -> None:
    tally, outcomes = aws_fault_campaign(local_aws, scenario, SIZES[scenario.name], seed=13, rates=SHORT)

    assert tally.clean, tally.explain()
    assert tally.faults > 0, "faults were injected"
    assert outcomes.ok + len(outcomes.stopped) == SHORT.runs
