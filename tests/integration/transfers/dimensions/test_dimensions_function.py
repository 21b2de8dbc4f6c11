"""The dimensions function end to end: functions/dimensions/app.py in a child process, both
simulators over HTTP, DynamoDB and SQS in moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from severa_netvisor.state import SourceRef

from sandbox.aws import LocalAws
from sandbox.netvisor.state import DimensionItemRecord
from tests.integration.rig import World, world


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[World]:
    with world(local_aws, accounts=3, seed=5) as running:
        yield running


def _items(systems: World, dimension: str) -> dict[str, DimensionItemRecord]:
    header = systems.netvisor.state.dimension(dimension)
    assert header is not None
    return {item.name: item for item in header.items}


def _cases(systems: World) -> list[dict[str, Any]]:
    return sorted(systems.severa.state.cases.values(), key=lambda case: case["CaseNumber"])


def _dimension_posts(systems: World) -> list[bytes]:
    return [e.body for e in systems.netvisor.request_log.entries if e.resource == "dimensionitem.nv"]


def test_first_run_creates_items_second_is_quiet_and_renames_and_closures_carry_over(systems: World) -> None:
    cases = _cases(systems)
    units = list(systems.severa.state.business_units.values())
    first = systems.run("dimensions")
    expected_projects = {f"{case['CaseNumber']} {case['Name']}" for case in cases}
    expected_centres = {case["CostCenterNumber"] for case in cases}
    assert (first["created"], first["failed"]) == (len(cases) + len(expected_centres) + len(units), 0)
    assert set(_items(systems, "Projekti")) == expected_projects
    assert set(_items(systems, "Kustannuspaikka")) == expected_centres
    assert set(_items(systems, "Liiketoimintayksikkö")) == {unit["Name"] for unit in units}
    assert not any(item.hidden for item in _items(systems, "Projekti").values())
    entry = systems.ledger(SourceRef("severa", "case", cases[0]["GUID"]))
    assert entry is not None
    assert entry.target_key is not None
    assert f"{cases[0]['CaseNumber']} {cases[0]['Name']}" in entry.target_key

    posts, calls = systems.netvisor_posts(), systems.severa_calls()
    second = systems.run("dimensions")
    assert (second["created"], second["updated"], second["failed"]) == (0, 0, 0)
    assert systems.netvisor_posts() == posts, "no changes in Severa: nothing may be written to Netvisor"
    assert systems.severa_calls() - calls == 2, "one changed-since read of cases and one of business units"

    renamed, closed = cases[0], cases[1]
    old_text = f"{renamed['CaseNumber']} {renamed['Name']}"
    old_key = _items(systems, "Projekti")[old_text].key
    renamed["Name"] = "Verkkokaupan uudistus"
    closed["IsClosed"] = True
    systems.severa.state.touch(renamed)
    systems.severa.state.touch(closed)
    calls, before = systems.severa_calls(), len(_dimension_posts(systems))
    third = systems.run("dimensions")
    assert (third["created"], third["updated"], third["failed"]) == (0, 2, 0)
    assert systems.severa_calls() - calls == 2
    projects = _items(systems, "Projekti")
    new_text = f"{renamed['CaseNumber']} Verkkokaupan uudistus"
    assert old_text not in projects
    assert projects[new_text].key == old_key, "a rename edits the item it made"
    assert projects[f"{closed['CaseNumber']} {closed['Name']}"].hidden is True
    assert len(projects) == len(cases)
    edits = _dimension_posts(systems)[before:]
    assert len(edits) == 2
    assert any(f"<olditem>{old_text}</olditem>".encode() in body for body in edits)


def test_a_missing_dimension_header_is_a_clear_failure_and_nothing_is_written(local_aws: LocalAws) -> None:
    with world(local_aws, accounts=3, seed=5, dimension_names=("Projekti", "Liiketoimintayksikkö")) as systems:
        # The invocation fails (so the function's Errors alarm fires) with the reason and the fix.
        outcome = systems.invoke("dimensions")
        assert outcome.error is not None
        assert outcome.error["errorType"] == "RunStoppedByError"
        reason = outcome.error["errorMessage"]
        assert "ConfigurationError" not in reason  # words for a person, not class names
        assert "'Kustannuspaikka' (dimensions.cost_centre)" in reason
        assert systems.netvisor_posts() == 0
        assert systems.cursor("dimensions") is None, "the cursor stays, so the next run after the fix does everything"
        assert systems.messages() == []

        systems.netvisor.state.add_dimension_name("Kustannuspaikka")
        fixed = systems.run("dimensions")
        assert fixed["stopped_early"] is None
        assert fixed["failed"] == 0
        created = sum(len(header.items) for header in systems.netvisor.state.dimensions.values())
        assert fixed["created"] == created > 0
        assert {case["CostCenterNumber"] for case in _cases(systems)} == set(_items(systems, "Kustannuspaikka"))


def test_a_bad_case_is_queued_while_the_rest_transfer(systems: World) -> None:
    cases = _cases(systems)
    long_one = cases[-1]
    long_one["Name"] = "Hyvin pitkä projektin nimi " * 10
    result = systems.run("dimensions")
    assert result["failed"] == 1
    assert f"{cases[0]['CaseNumber']} {cases[0]['Name']}" in _items(systems, "Projekti")
    assert len(_items(systems, "Projekti")) == len(cases) - 1
    [message] = systems.messages()
    assert (message["transfer"], message["step"], message["retryable"]) == ("dimensions", "prepare", False)
    assert message["source"] == {"system": "severa", "type": "case", "id": long_one["GUID"]}
    assert f"number {long_one['CaseNumber']}" in message["message"]
    assert "at most 200" in message["message"]


def test_dry_run_reads_and_plans_but_writes_nothing(systems: World) -> None:
    result = systems.run("dimensions", {"dry_run": True})
    assert result["dry_run"] is True
    creates = [item for item in result["plan"] if item["action"] == "create"]
    assert len(creates) == result["created"] > 0
    assert any("<name>Projekti</name>" in item["requests"][0]["body"] for item in creates)
    assert systems.netvisor_posts() == 0
    assert all(not header.items for header in systems.netvisor.state.dimensions.values())
    assert systems.cursor("dimensions") is None
    assert systems.messages() == []
