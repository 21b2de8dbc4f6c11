"""One integration-test rig for every transfer: both simulators, moto, and the real code between them.

A ``World`` has AWS resources of its own (state table, failed-records queue, secret names, mapping
parameter: the session's moto is shared by every test), a seeded Severa simulator and a Netvisor
company. A test runs a transfer either as Lambda would (``invoke``/``run``: the real
``functions/<name>/app.py`` in a child process, through the template's environment) or in this
process (``engine``/``run_engine``: the same engine and transfers, with clients on the simulators,
so a test can inject crashes, clocks and budgets). Then it looks at what each system holds.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from severa_netvisor.credentials import NetvisorCredentials, SeveraCredentials
from severa_netvisor.digest import DigestTopic
from severa_netvisor.dryrun import WritePlanner
from severa_netvisor.engine import Engine, EngineOptions, RunContext, RunRequest, RunSummary
from severa_netvisor.engine.ledger import EngineLedger
from severa_netvisor.failures import FailureQueue
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.loader import parse_mapping
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.observability import metrics
from severa_netvisor.register import Failure, FailureRegister
from severa_netvisor.runs import LastRun, RunLog
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.state import Cursor, LedgerEntry, SourceRef, StateStore
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.registry import build_named

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES, SANDBOX_RECORD_TYPES
from sandbox.invoke import InvokeResult, function_spec, run_function
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.state import SeveraState

SANDBOX_MAPPING = Path(__file__).resolve().parents[2] / "sandbox" / "mapping.yaml"


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in, dictionaries key by key (a None value removes the key)."""
    result = dict(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def mapping_text(**changes: Any) -> str:
    """The sandbox mapping with sections changed (merged key by key)."""
    document = merged(yaml.safe_load(SANDBOX_MAPPING.read_text("utf-8")), changes)
    return yaml.safe_dump(document, allow_unicode=True)


def mapping(**changes: Any) -> MappingConfig:
    return parse_mapping(mapping_text(**changes), source="test mapping")


@dataclass
class World:
    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator
    table: str
    queue_url: str
    names: dict[str, str]
    #: The world's alarm topic (run digests) and a queue subscribed to it, to read what was sent.
    topic_arn: str = ""
    digest_queue_url: str = ""
    mapping_yaml: str = ""
    #: Engine options for in-process runs (a shared lease of the world's own: runs of other tests
    #: and crashed runs never make this world's runs idle).
    options: EngineOptions = field(
        default_factory=lambda: EngineOptions(shared_lease=f"netvisor-company-{uuid.uuid4().hex[:8]}")
    )

    # -- configuration ----------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            "STATE_TABLE_NAME": self.table,
            "FAILED_RECORDS_QUEUE_URL": self.queue_url,
            "SEVERA_SECRET_NAME": self.names["severa"],
            "NETVISOR_SECRET_NAME": self.names["netvisor"],
            "MAPPING_PARAMETER_NAME": self.names["mapping"],
            # Every invocation reads the mapping afresh, as a cold start does.
            "MAPPING_MAX_AGE_SECONDS": "0",
            "ALARM_TOPIC_ARN": self.topic_arn,
            "STACK_NAME": "test-stack",
        }

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "state_table_name": self.table,
            "failed_records_queue_url": self.queue_url,
            "severa_secret_name": self.names["severa"],
            "netvisor_secret_name": self.names["netvisor"],
            "mapping_parameter_name": self.names["mapping"],
            "alarm_topic_arn": self.topic_arn,
            "stack_name": "test-stack",
            "severa_operation_timeout_seconds": 10.0,
            "netvisor_read_timeout_seconds": 10.0,
            **overrides,
        }
        return Settings(**values)

    def set_mapping(self, text: str | None = None, **changes: Any) -> None:
        """The mapping the functions read: ``text``, or the sandbox mapping with ``changes`` merged in."""
        self.mapping_yaml = text if text is not None else mapping_text(**changes)
        self.aws.put_parameter(self.names["mapping"], self.mapping_yaml)

    @property
    def mapping(self) -> MappingConfig:
        return parse_mapping(self.mapping_yaml, source="test mapping")

    # -- running as Lambda does -------------------------------------------------------------------
    def invoke(
        self, function: str, event: dict[str, Any] | None = None, *, timeout: float | None = None, **extra_env: str
    ) -> InvokeResult:
        assert self.aws.resolver is not None
        spec = function_spec(function, self.aws.resolver)
        if timeout is not None:
            spec = dataclasses.replace(spec, timeout=timeout)
        return run_function(spec, event or {}, aws_env=self.aws.env(), extra_env={**self.env(), **extra_env})

    def run(self, function: str, event: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        outcome = self.invoke(function, event, **kwargs)
        assert outcome.ok, f"{outcome.error}\n{outcome.output[-4000:]}"
        result: dict[str, Any] = outcome.result
        return result

    # -- running in this process ------------------------------------------------------------------
    def clients(self, *, retries: bool = False) -> tuple[SeveraClient, NetvisorClient]:
        settings = self.settings()
        severa = SeveraClient(
            SeveraCredentials.model_validate(severa_secret(self.severa)),
            settings,
            retry_delays=(0.0,) if retries else (),
        )
        netvisor = NetvisorClient(
            NetvisorCredentials.model_validate(netvisor_secret(self.netvisor)),
            settings,
            backoff_seconds=0.0,
            max_attempts=2 if retries else 1,
        )
        return severa, netvisor

    def context(self, mapping: MappingConfig | None = None) -> TransferContext:
        severa, netvisor = self.clients()
        return TransferContext.fixed(self.settings(), mapping or self.mapping, severa=severa, netvisor=netvisor)

    def engine(
        self,
        transfer: str,
        *,
        context: TransferContext | None = None,
        margin_seconds: float = 0.0,
        state: StateStore | None = None,
        failure_queue: FailureQueue | None = None,
        register: FailureRegister | None = None,
        options: EngineOptions | None = None,
    ) -> Engine:
        context = context or self.context()
        built = build_named(transfer, context)
        state = state or self.store()
        return Engine(
            built,
            state=state,
            register=register or self.register(),
            failure_queue=failure_queue or FailureQueue(self.queue_url, client=self.aws.client("sqs")),
            margin_seconds=margin_seconds,
            options=options or self.options,
            dependencies={name: build_named(name, context) for name in getattr(built, "needs", ())},
            observers=[
                RunLog(state.table_name, state.client),
                DigestTopic(self.topic_arn, stack="test-stack", client=self.aws.client("sns")),
            ],
        )

    def start(self, transfer: str, *, mapping: MappingConfig | None = None, dry_run: bool = False) -> Any:
        """One run of a transfer, started by hand (a test drives its fetch and prepare directly)."""
        run_id = str(uuid.uuid4())
        planner = WritePlanner() if dry_run else None
        ctx = RunContext(
            run_id=run_id,
            transfer=transfer,
            dry_run=dry_run,
            full_resync=False,
            ledger=EngineLedger(self.store(), run_id=run_id, planner=planner),
            now=lambda: datetime.now(UTC),
            planner=planner,
        )
        return build_named(transfer, self.context(mapping)).start(ctx)

    def run_engine(
        self, transfer: str, *, engine: Engine | None = None, context_: Any = None, **request: Any
    ) -> RunSummary:
        metrics.clear_metrics()  # the handler flushes after each run; tests call the engine directly
        run = RunRequest(run_id=str(uuid.uuid4()), **request)
        return (engine or self.engine(transfer)).run(run, context_)

    # -- what the systems hold --------------------------------------------------------------------
    def store(self) -> StateStore:
        return StateStore(self.table, client=self.aws.client("dynamodb"))

    def register(self) -> FailureRegister:
        return FailureRegister(self.table, client=self.aws.client("dynamodb"))

    def open_failures(self, transfer: str) -> list[Failure]:
        return self.register().failures(transfer)

    def ledger(self, ref: SourceRef) -> LedgerEntry | None:
        return self.store().get_ledger([ref]).get(ref)

    def cursor(self, transfer: str) -> Cursor | None:
        return self.store().read_cursor(transfer).cursor

    def messages(self) -> list[dict[str, Any]]:
        """Failed-record messages that arrived since the last call (they stay invisible afterwards)."""
        sqs = self.aws.client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600)
            if not batch.get("Messages"):
                return found
            found.extend(json.loads(message["Body"]) for message in batch["Messages"])

    def digests(self) -> list[dict[str, str]]:
        """The run digests sent to the world's alarm topic so far (subject and message), oldest first."""
        sqs = self.aws.client("sqs")
        found: list[dict[str, str]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.digest_queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                note = json.loads(message["Body"])
                found.append({"subject": note.get("Subject", ""), "message": note["Message"]})
                sqs.delete_message(QueueUrl=self.digest_queue_url, ReceiptHandle=message["ReceiptHandle"])

    def last_run(self, transfer: str) -> LastRun | None:
        store = self.store()
        return RunLog(store.table_name, store.client).last(transfer)

    def severa_calls(self) -> int:
        return sum(self.severa.calls.values())

    def netvisor_posts(self, resource: str | None = None) -> int:
        if resource is None:
            return self.netvisor.request_log.count(method="POST")
        return self.netvisor.request_log.count(resource)

    def table_items(self) -> list[dict[str, Any]]:
        """Every item of the world's state table (for "nothing was written" checks)."""
        return table_items(self.aws, self.table)


def table_items(aws: LocalAws, table: str) -> list[dict[str, Any]]:
    """Every item of a state table, in key order."""
    client = aws.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def new_state_table(aws: LocalAws, name: str) -> str:
    """An empty table shaped like the template's state table."""
    aws.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    return name


def new_topic(aws: LocalAws, suffix: str) -> tuple[str, str]:
    """An alarm topic and a queue subscribed to it (the e-mail subscriber's stand-in)."""
    topic_arn = aws.client("sns").create_topic(Name=f"alarms-{suffix}")["TopicArn"]
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"digests-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, queue_url


@contextmanager
def world(
    aws: LocalAws,
    *,
    severa_state: SeveraState | None = None,
    accounts: int = 6,
    invoices: int = 0,
    hour_entries: int = 0,
    seed: int = 7,
    dimension_names: tuple[str, ...] = SANDBOX_DIMENSION_NAMES,
    mapping_changes: Mapping[str, Any] | None = None,
    severa_quota: int | None = None,
) -> Iterator[World]:
    """A world of its own for one test: simulators running, secrets and mapping in place."""
    suffix = uuid.uuid4().hex[:10]
    state = severa_state or build_state(seed, accounts=accounts, invoices=invoices, hour_entries=hour_entries)
    company = Company(dimension_names=dimension_names)
    with (
        SeveraSimulator(state=state, quota=severa_quota or 100_000) as severa,
        NetvisorSimulator([company]) as netvisor,
    ):
        netvisor.company.state.collector_ratios |= SANDBOX_RECORD_TYPES
        names = {
            "severa": f"test-{suffix}/severa",
            "netvisor": f"test-{suffix}/netvisor",
            "mapping": f"/test-{suffix}/mapping",
        }
        queue_url = aws.client("sqs").create_queue(QueueName=f"failed-{suffix}")["QueueUrl"]
        topic_arn, digest_queue_url = new_topic(aws, suffix)
        table = new_state_table(aws, f"state-{suffix}")
        built = World(aws, severa, netvisor, table, queue_url, names, topic_arn, digest_queue_url)
        aws.put_secret(names["severa"], severa_secret(severa))
        aws.put_secret(names["netvisor"], netvisor_secret(netvisor))
        built.set_mapping(**dict(mapping_changes or {}))
        yield built
