"""The functions take up a new mapping within mapping_max_age_seconds of it being stored, and a bad
new one leaves the last good one running, says why in the log and counts MappingRejected (the
MappingRejectedAlarm's metric)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.handler import flush_metrics
from severa_netvisor.observability import metrics
from severa_netvisor.settings import Settings
from severa_netvisor.transfers.context import MappingSource

from sandbox.template import REPO_ROOT, TEMPLATE_PATH, load_template

EXAMPLE = (REPO_ROOT / "config" / "mapping.example.yaml").read_text("utf-8")
MAX_AGE = 300


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []

    def add_metric(*, name: str, unit: Any, value: float) -> None:
        found.append((name, value))

    monkeypatch.setattr(metrics, "add_metric", add_metric)  # the object transfers.context counts on
    return found


def _source(path: Path, clock: Clock) -> MappingSource:
    settings = Settings(mapping_file=str(path), mapping_max_age_seconds=MAX_AGE)
    return MappingSource(settings, clock=clock)


def _changed(text: str) -> str:
    """The example with one setting changed (invoices attach no PDF)."""
    assert "  attach_pdf: true" in text, "the example mapping attaches Severa's PDF"
    return text.replace("  attach_pdf: true", "  attach_pdf: false")


def test_a_new_mapping_is_taken_up_once_the_old_one_is_max_age_old(tmp_path: Path, counted) -> None:
    path, clock = tmp_path / "mapping.yaml", Clock()
    path.write_text(EXAMPLE, encoding="utf-8")
    source = _source(path, clock)
    first = source()
    path.write_text(_changed(EXAMPLE), encoding="utf-8")
    clock.now += MAX_AGE - 1
    assert source() is first  # still within its age: no read
    clock.now += 1
    assert source().invoices.attach_pdf is False
    assert counted == []


def test_a_bad_new_mapping_keeps_the_last_good_one_and_counts_for_the_alarm(
    tmp_path: Path, counted, caplog: pytest.LogCaptureFixture
) -> None:
    path, clock = tmp_path / "mapping.yaml", Clock()
    path.write_text(EXAMPLE, encoding="utf-8")
    source = _source(path, clock)
    good = source()
    path.write_text(EXAMPLE + "\nbogus_key: 1\n", encoding="utf-8")
    clock.now += MAX_AGE
    assert source() is good
    assert counted == [("MappingRejected", 1)]
    [logged] = [record for record in caplog.records if record.levelname == "ERROR"]
    assert logged.getMessage() == "the new mapping is not valid; the last good one stays in use"
    assert "bogus_key: is not a known setting" in str(getattr(logged, "reason", ""))
    # Not read again (nor counted again) until it is max age old once more; then a fixed one is taken up.
    assert source() is good
    assert counted == [("MappingRejected", 1)]
    path.write_text(_changed(EXAMPLE), encoding="utf-8")
    clock.now += MAX_AGE
    assert source().invoices.attach_pdf is False
    assert counted == [("MappingRejected", 1)]


def test_without_a_good_mapping_the_run_stops_with_the_reason(tmp_path: Path, counted) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("bogus_key: 1\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="bogus_key"):
        _source(path, Clock())()
    assert counted == []


def test_the_mapping_rejected_alarm_watches_that_count() -> None:
    alarm = load_template(TEMPLATE_PATH)["Resources"]["MappingRejectedAlarm"]["Properties"]
    watched = {query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"] if "MetricStat" in query}
    assert watched == {"MappingRejected"}


def test_a_count_made_before_the_run_records_its_figures_goes_out_under_its_transfer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The alarm filters on the transfer: a rejected mapping counted at the start of a run that then
    fails (before its own figures set the dimension) must still carry it."""
    metrics.clear_metrics()
    metrics.clear_default_dimensions()
    metrics.add_metric(name="MappingRejected", unit=MetricUnit.Count, value=1)
    flush_metrics("customers")
    [emitted] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert (emitted["transfer"], emitted["MappingRejected"]) == ("customers", [1.0])
    assert ["transfer", "service"] in emitted["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
