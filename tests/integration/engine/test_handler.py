"""The handler factory end to end: scheduler event in, summary out, metrics flushed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.handler import InvalidEventError, RunStoppedByError, make_handler
from severa_netvisor.observability import metrics
from severa_netvisor.settings import Settings

from sandbox.aws import LocalAws
from tests.integration.engine.doubles import FakeContext, QuotaExhausted, Rig, make_rig, seed


@pytest.fixture
def rig(local_aws: LocalAws) -> Rig:
    return make_rig(local_aws)


def _handler(rig: Rig, local_aws: LocalAws, **settings: Any) -> Any:
    values = {"state_table_name": local_aws.table_name(), "failed_records_queue_url": rig.queue_url, **settings}
    return make_handler(lambda _settings: rig.transfer, settings=Settings(**values))


def _emf(output: str) -> list[dict[str, Any]]:
    blobs = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blobs.append(json.loads(line))
    return blobs


def test_a_scheduled_run_returns_its_summary_and_flushes_metrics(
    rig: Rig, local_aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(rig.source, 3)
    handler = _handler(rig, local_aws)
    metrics.clear_metrics()  # whatever earlier tests left unflushed
    capsys.readouterr()
    result = handler(
        {"scheduled_time": "2026-03-01T06:00:00Z", "execution_id": "exec-1"}, FakeContext(function_name="things")
    )
    assert (result["created"], result["failed"], result["dry_run"], result["execution_id"]) == (3, 0, False, "exec-1")
    assert result["cursor_after"]["record_id"] == "r002"
    json.dumps(result)  # the summary is plain JSON
    [emf] = [blob for blob in _emf(capsys.readouterr().out) if "RecordsCreated" in blob]
    assert emf["transfer"] == rig.transfer.name
    assert emf["RecordsCreated"] == [3.0]


def test_a_dry_run_event_plans_without_writing(rig: Rig, local_aws: LocalAws) -> None:
    seed(rig.source, 2)
    result = _handler(rig, local_aws)({"dry_run": True}, FakeContext())
    assert [item["action"] for item in result["plan"]] == ["create", "create"]
    assert json.loads(result["plan"][0]["requests"][0]["body"])["number"] == "N-r000"
    assert rig.target.creates == {}
    assert rig.cursor() is None


def test_since_reads_from_that_time_and_full_resync_from_the_start(rig: Rig, local_aws: LocalAws) -> None:
    seed(rig.source, 4)  # r000 at 08:00 UTC (10:00 in Helsinki), then one a minute
    handler = _handler(rig, local_aws)
    first = handler({"since": "2026-01-05T10:02:00"}, FakeContext())  # office time
    assert first["fetched"] == 2
    assert sorted(rig.target.creates) == ["N-r002", "N-r003"]
    again = handler({"full_resync": True}, FakeContext())
    assert again["fetched"] == 4
    assert again["created"] == 2
    assert again["unchanged"] == 2


def test_a_bad_event_fails_the_invocation_with_the_reason(rig: Rig, local_aws: LocalAws) -> None:
    with pytest.raises(InvalidEventError, match="'full_sync' is not a known option"):
        _handler(rig, local_aws)({"full_sync": True}, FakeContext())
    assert rig.target.creates == {}


def test_a_missing_queue_url_is_a_configuration_error(rig: Rig, local_aws: LocalAws) -> None:
    with pytest.raises(ConfigurationError, match="FAILED_RECORDS_QUEUE_URL"):
        _handler(rig, local_aws, failed_records_queue_url="")({}, FakeContext())


def test_a_run_stopped_by_an_error_fails_the_invocation_after_checkpointing(rig: Rig, local_aws: LocalAws) -> None:
    """Quota, credentials, configuration: the run saves its work, then fails so the Errors alarm fires."""
    seed(rig.source, 6)  # two pages of three
    rig.source.fail_after_pages = (1, QuotaExhausted("Severa API quota exhausted for today"))
    handler = _handler(rig, local_aws)
    with pytest.raises(RunStoppedByError, match="Severa API quota exhausted"):
        handler({}, FakeContext())
    assert len(rig.target.creates) == 3, "the first page's work is done and kept"
    assert rig.state.read_cursor(rig.transfer.name).cursor is not None, "and checkpointed"
