"""AWS faults over several runs of a transfer, then clean runs: nothing lost, leases always given back.

DynamoDB throttles, refuses conditional writes as conflicts, answers 500 and loses the answers of
writes that took effect; SQS refuses the failed-record messages (``aws_faults``). Each run goes
through the transfer's real handler in one warm container. After every run no lease may be left
held (a held lease keeps the next runs out for its lifetime). Then the replay function takes the
queue and the transfer runs as scheduled, without faults: the final state must equal a fault-free
run's.
"""

from __future__ import annotations

from dataclasses import dataclass

from severa_netvisor.replay import make_replay_handler

from sandbox.aws import LocalAws
from tests.integration.rig import World
from tests.reliability.campaigns.aws_faults import FaultPlan, faults
from tests.reliability.campaigns.remote import RunOutcomes, replay_from_queue, run_through
from tests.reliability.campaigns.scenarios import Scenario, scenario_world
from tests.reliability.campaigns.tally import Tally, reference, settle, timed
from tests.reliability.support import Warm, quick_retries


@dataclass(frozen=True)
class AwsRates:
    dynamodb: float = 0.05
    sqs: float = 0.3
    runs: int = 4


def leases_held(w: World) -> list[str]:
    return [item["pk"]["S"] for item in w.table_items() if item["pk"]["S"].startswith("lease#")]


def aws_fault_campaign(
    aws: LocalAws, scenario: Scenario, size: int, seed: int, *, rates: AwsRates | None = None
) -> tuple[Tally, RunOutcomes]:
    rates = rates or AwsRates()
    expected, records = reference(aws, scenario, size, seed)
    tally = Tally(f"AWS faults: {scenario.name}", records=records)
    outcomes = RunOutcomes()
    with timed(tally), quick_retries(), scenario_world(aws, scenario, size, seed) as w:
        warm = Warm(w, scenario.transfer)
        for index in range(rates.runs):
            if index:
                scenario.between(w)
            plan = FaultPlan(w.table, w.queue_url, seed=seed * 31 + index, dynamodb_rate=rates.dynamodb,
                             sqs_rate=rates.sqs)  # fmt: skip
            with faults(plan):
                run_through(warm, outcomes)
            tally.faults += plan.total
            held = leases_held(w)
            if held:
                tally.differences.append(f"run {index + 1}: leases left held: {held} after {dict(plan.injected)}")
                for item in held:  # what time would do, so the campaign goes on
                    w.aws.client("dynamodb").delete_item(
                        TableName=w.table, Key={"pk": {"S": item}, "sk": {"S": "lease"}}
                    )
        replay_from_queue(w, make_replay_handler(w.settings()))
        settle(w, scenario, warm)
        replay_from_queue(w, make_replay_handler(w.settings()))
        settle(w, scenario, warm)
        tally.add(scenario, scenario.final(w), expected, f"after {rates.runs} runs with AWS faults")
        tally.differences += outcomes.crashed
    return tally, outcomes
