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
from severa_netvisor.engine import EngineOptions, RunSummary

from sandbox.aws import LocalAws
from tests.integration.rig import World, world

Systems = World
#: The watermark's id (``engine.contract.watermark``): the cursor reaches it only past the whole read.
WATERMARK_ID = "!"

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
    with world(local_aws, accounts=3, seed=5) as running:
        yield running


def _run(systems: Systems, context: Any | None = None) -> RunSummary:
    engine = systems.engine(
        "products",
        margin_seconds=MARGIN_SECONDS,
        # One waiting record: the reading keeps pace with the writing, so the stop lands mid-read.
        options=EngineOptions(queue_size=1, shared_lease=systems.options.shared_lease),
    )
    return systems.run_engine("products", engine=engine, context_=context)


def test_a_run_out_of_time_checkpoints_inside_the_window_and_the_next_run_finishes(systems: Systems) -> None:
    first = _run(systems, ScriptedContext(systems, writes_allowed=3))
    assert first.stopped_early is not None
    assert "time budget" in first.stopped_early
    assert 3 <= first.created < 9
    cursor = systems.cursor("products")
    assert cursor is None or cursor.record_id != WATERMARK_ID, "the watermark must not pass unsettled records"

    second = _run(systems, None)
    assert second.stopped_early is None
    assert (second.failed, second.adopted) == (0, 0)
    assert first.created + second.created == 9
    codes = [product.code for product in systems.netvisor.state.products.values()]
    assert len(codes) == len(set(codes)) == 9, "every product exactly once"
    after = systems.cursor("products")
    assert after is not None
    assert after.record_id == WATERMARK_ID

    posts = systems.netvisor_posts()
    third = _run(systems, None)
    assert (third.fetched, third.created, third.updated) == (0, 0, 0)
    assert systems.netvisor_posts() == posts


def test_without_updates_allowed_a_change_is_reported_as_drift(systems: Systems) -> None:
    systems.set_mapping(allow_updates={"products": False})
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
