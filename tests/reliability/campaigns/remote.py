"""Faults from both simulators at random rates over several runs, then clean runs without ``full_resync``.

Netvisor answers 5xx, drops the connection after applying the request (a write that arrived, its
answer lost; a read that must be asked again), answers malformed bodies and goes into maintenance;
Severa answers 500, drops connections before a call and after a write took effect, answers malformed
envelopes, runs out of its daily quota in the middle of a run; and both rotate their keys between two
runs (the secret is updated; the warm container still holds the old key). Then the faults stop: the
replay function takes the failed-records queue as its SQS trigger would, and the transfer runs as
scheduled. The final state must equal a fault-free run's.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from severa_netvisor.errors import IntegrationError
from severa_netvisor.replay import make_replay_handler

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.faults import Injection
from tests.integration.engine.doubles import FakeContext
from tests.integration.rig import World
from tests.reliability.campaigns.scenarios import Scenario, scenario_world
from tests.reliability.campaigns.tally import Tally, reference, settle, timed
from tests.reliability.support import Warm, quick_retries

#: Severa's write operations: a dropped answer to one of these took effect.
SEVERA_WRITES = ("SetInvoiceStatus", "SetInvoicePaymentDate", "AddNewInvoiceLogEntry")


@dataclass
class RandomNetvisorFault(Fault):
    """A Netvisor fault that fires on a random share of the requests (any resource, or one)."""

    rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def matches(self, resource: str) -> bool:  # called under the fault set's lock
        if self.resource is not None and self.resource.lower() != resource:
            return False
        self.seen += 1
        if self.rng.random() >= self.rate:
            return False
        self.fired += 1
        return True


@dataclass
class RandomSeveraFault(Injection):
    """A Severa fault that fires on a random share of the calls (of any operation, or those named)."""

    rate: float = 0.0
    operations: tuple[str, ...] = ()
    rng: random.Random = field(default_factory=random.Random)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def matches(self, operation: str) -> bool:
        if self.operations and operation not in self.operations:
            return False
        with self.lock:
            self.seen += 1
            if self.rng.random() >= self.rate:
                return False
            self.fired += 1
            return True


@dataclass
class Rates:
    """How often each fault fires (a share of the requests), and how many runs have faults."""

    netvisor_5xx: float = 0.03
    netvisor_drop: float = 0.03
    netvisor_malformed: float = 0.01
    netvisor_maintenance: float = 0.005
    severa_500: float = 0.02
    severa_drop: float = 0.02
    severa_drop_after_write: float = 0.05
    severa_malformed: float = 0.01
    runs: int = 4


@dataclass
class Injected:
    netvisor: list[RandomNetvisorFault] = field(default_factory=list)
    severa: list[RandomSeveraFault] = field(default_factory=list)
    events: int = 0

    @property
    def fired(self) -> int:
        return sum(f.fired for f in self.netvisor) + sum(f.fired for f in self.severa) + self.events


def inject(w: World, rates: Rates, rng: random.Random, injected: Injected) -> None:
    """This run's random faults in both simulators."""
    for kind, rate in (
        ("http_5xx", rates.netvisor_5xx),
        ("drop", rates.netvisor_drop),
        ("malformed", rates.netvisor_malformed),
        ("maintenance", rates.netvisor_maintenance),
    ):
        fault = RandomNetvisorFault(kind=kind, rate=rate, rng=random.Random(rng.random()))  # type: ignore[arg-type]
        injected.netvisor.append(w.netvisor.faults.add(fault))  # type: ignore[arg-type]
    for kind, rate, operations in (
        ("http500", rates.severa_500, ()),
        ("drop", rates.severa_drop, ()),
        ("drop_after", rates.severa_drop_after_write, SEVERA_WRITES),
        ("malformed", rates.severa_malformed, ()),
    ):
        rule = RandomSeveraFault(kind, times=None, rate=rate, operations=operations, rng=random.Random(rng.random()))  # type: ignore[arg-type]
        injected.severa.append(w.severa.injections.add(rule))  # type: ignore[arg-type]


def rotate_keys(w: World) -> None:
    """Both systems' keys change and the secrets are updated; warm containers still hold the old ones."""
    w.severa.api_key = f"rotated-severa-{secrets.token_hex(8)}"
    w.aws.put_secret(w.names["severa"], severa_secret(w.severa))
    w.netvisor.company.customer_key = secrets.token_hex(16)
    w.aws.put_secret(w.names["netvisor"], netvisor_secret(w.netvisor))


def replay_from_queue(w: World, handler: Callable[[Any, Any], Any]) -> int:
    """The failed-records queue handed to the replay function as its SQS trigger does (each message as
    received again, so retryable failures are tried now); returns how many messages it took."""
    sqs = w.aws.client("sqs")
    taken = 0
    while True:
        batch = sqs.receive_message(
            QueueUrl=w.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600, AttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return taken
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {**m["Attributes"], "ApproximateReceiveCount": "2"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:failed",
                "awsRegion": "eu-north-1",
            }
            for m in batch
        ]
        handler({"Records": records}, FakeContext(function_name="replay"))
        for m in batch:
            sqs.delete_message(QueueUrl=w.queue_url, ReceiptHandle=m["ReceiptHandle"])
        taken += len(batch)


@dataclass
class RunOutcomes:
    ok: int = 0
    stopped: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)


def run_through(warm: Warm, outcomes: RunOutcomes) -> dict[str, Any] | None:
    """One scheduled run; an outage that stops it fails the invocation with a one-line reason."""
    try:
        result = warm()
    except IntegrationError as error:
        text = str(error)
        outcomes.stopped.append(text)
        if "\n" in text:
            outcomes.crashed.append(f"a stop whose reason is not one line: {text!r}")
        return None
    except Exception as error:  # anything else is a defect: the campaign reports it
        outcomes.crashed.append(f"{type(error).__name__}: {error}")
        return None
    outcomes.ok += 1
    return result


def remote_fault_campaign(
    aws: LocalAws,
    scenario: Scenario,
    size: int,
    seed: int,
    *,
    rates: Rates | None = None,
    on_world: Callable[[World], None] = lambda w: None,
) -> tuple[Tally, RunOutcomes]:
    rates = rates or Rates()
    expected, records = reference(aws, scenario, size, seed)
    tally = Tally(f"remote faults: {scenario.name}", records=records)
    outcomes = RunOutcomes()
    rng = random.Random(seed * 7919 + size)
    with timed(tally), quick_retries(), scenario_world(aws, scenario, size, seed) as w:
        on_world(w)
        warm = Warm(w, scenario.transfer)
        injected = Injected()
        quota_run, rotation_run = rng.randrange(rates.runs), rng.randrange(1, max(2, rates.runs))
        for index in range(rates.runs):
            if index:
                scenario.between(w)
            if index == rotation_run:
                rotate_keys(w)
                injected.events += 1
            inject(w, rates, rng, injected)
            if index == quota_run:
                w.severa.exhaust_quota_after(rng.randrange(3, 40))  # runs out in the middle of the run
                injected.events += 1
            run_through(warm, outcomes)
            w.netvisor.faults.clear()
            w.severa.clear_faults()
            w.severa.quota = 10**9
        tally.faults = injected.fired
        replay_from_queue(w, make_replay_handler(w.settings()))
        settle(w, scenario, warm)
        replay_from_queue(w, make_replay_handler(w.settings()))
        settle(w, scenario, warm)
        tally.add(scenario, scenario.final(w), expected, f"after {rates.runs} runs with faults")
        tally.differences += outcomes.crashed
    return tally, outcomes


def messages_of(bodies: list[str]) -> list[dict[str, Any]]:
    return [json.loads(b) for b in bodies]
