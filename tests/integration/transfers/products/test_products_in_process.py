"""The products transfer driven in-process (the engine, real simulators, moto): a run that runs out of
time (the Lambda context's remaining time is scripted), and updates switched off.

Severa gives products no change time, so the transfer places a read's records inside the window it
asked for and moves the cursor past the window only with the watermark at the end: a run stopped
early loses nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.engine import Engine, EngineOptions, RunRequest, RunSummary
from severa_netvisor.failures import FailureQueue
from severa_netvisor.settings import Settings
from severa_netvisor.transfers.products import WATERMARK_REF, build_transfer

from sandbox.aws import LocalAws
from tests.integration.transfers.products.harness import Systems, running_systems

MARGIN_SECONDS = 60.0


@dataclass
class ScriptedContext:
    """Plenty of time until Netvisor has taken ``writes_allowed`` products, then just under the margin
    (above half of it, so writes already queued are finished rather than abandoned)."""

    systems: Systems
    writes_allowed: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        written = self.systems.netvisor.request_log.count("product.nv")
        return 600_000 if written < self.writes_allowed else int((MARGIN_SECONDS - 15) * 1000)


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[Systems]:
    with running_systems(local_aws, "products") as running:
        yield running


def _run(systems: Systems, context: Any | None = None) -> RunSummary:
    env = systems.env()
    settings = Settings(
        state_table_name=env["STATE_TABLE_NAME"],
        failed_records_queue_url=env["FAILED_RECORDS_QUEUE_URL"],
        severa_secret_name=env["SEVERA_SECRET_NAME"],
        netvisor_secret_name=env["NETVISOR_SECRET_NAME"],
        mapping_parameter_name=env["MAPPING_PARAMETER_NAME"],
    )
    engine = Engine(
        build_transfer(settings),
        state=systems.store(),
        failure_queue=FailureQueue(systems.queue_url),
        margin_seconds=MARGIN_SECONDS,
        # One waiting record: the reading keeps pace with the writing, so the stop lands mid-read.
        options=EngineOptions(queue_size=1),
    )
    return engine.run(RunRequest(run_id=str(uuid.uuid4())), context)


def test_a_run_out_of_time_checkpoints_inside_the_window_and_the_next_run_finishes(systems: Systems) -> None:
    first = _run(systems, ScriptedContext(systems, writes_allowed=3))
    assert first.stopped_early is not None
    assert "time budget" in first.stopped_early
    assert 3 <= first.created < 9
    cursor = systems.cursor()
    assert cursor is None or cursor.record_id != WATERMARK_REF.id, "the watermark must not pass unsettled records"

    second = _run(systems, None)
    assert second.stopped_early is None
    assert (second.failed, second.adopted) == (0, 0)
    assert first.created + second.created == 9
    codes = [product.code for product in systems.netvisor.state.products.values()]
    assert len(codes) == len(set(codes)) == 9, "every product exactly once"
    after = systems.cursor()
    assert after is not None
    assert after.record_id == WATERMARK_REF.id

    posts = systems.netvisor_posts()
    third = _run(systems, None)
    assert (third.fetched, third.created, third.updated) == (0, 0, 0)
    assert systems.netvisor_posts() == posts


def test_without_updates_allowed_a_change_is_reported_as_drift(systems: Systems) -> None:
    systems.set_mapping(lambda mapping: mapping["allow_updates"].update(products=False))
    assert _run(systems).created == 9
    [product] = [p for p in systems.severa.state.products.values() if p["Code"] == "MATKA-01"]
    product["UnitPrice"] = Decimal("0.59")
    systems.severa.state.touch(product)
    result = _run(systems)
    assert (result.updated, result.failed) == (0, 1)
    [in_netvisor] = [p for p in systems.netvisor.state.products.values() if p.code == "MATKA-01"]
    assert in_netvisor.fields["unitprice"] == "0,57"
    [message] = systems.messages()
    assert message["step"] == "drift"
    assert "unit_price: 0.57 -> 0.59" in message["message"]
