"""The Netvisor simulator's own statement of each resource (sandbox/netvisor/rules.py) agrees with the
DTDs Netvisor publishes (../shared/reference/netvisor/dtd; skipped loudly without them), and the
simulator imports nothing of the product."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sandbox.netvisor import rules
from sandbox.netvisor.rules import DEVIATIONS, DTD_FILES, RESOURCES, Attribute, Model, parse_model

SIMULATOR = Path(rules.__file__).resolve().parent


def _dtd_text(shared_reference: Path, resource: str) -> str:
    return (shared_reference / "netvisor/dtd" / DTD_FILES[resource]).read_text(encoding="ascii")


def dtd_models(text: str) -> dict[str, Model]:
    """Element → content model, for every element with children (``#PCDATA`` leaves left out)."""
    found = {}
    for name, content in re.findall(r"<!ELEMENT\s+(\w+)\s+(\([^)]*\))\s*>", text):
        if "#PCDATA" not in content:
            found[name] = parse_model(" ".join(content.split()))
    return found


def dtd_attributes(text: str) -> dict[str, dict[str, Attribute]]:
    found: dict[str, dict[str, Attribute]] = {}
    for element, name, kind, default in re.findall(
        r"<!ATTLIST\s+(\w+)\s+(\w+)\s+(CDATA|\([^)]*\))\s+(#REQUIRED|#IMPLIED|\"[^\"]*\")\s*>", text
    ):
        values = tuple(kind[1:-1].split("|")) if kind.startswith("(") else None
        found.setdefault(element, {})[name] = Attribute(default == "#REQUIRED", values)
    return found


def _reachable(models: dict[str, Model], start: str = "root") -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        model = models.get(name)
        if model is not None:
            todo += model.names()
    return seen


@pytest.mark.parametrize("resource", sorted(DTD_FILES))
def test_every_content_model_is_the_dtds(shared_reference: Path, resource: str) -> None:
    theirs = dtd_models(_dtd_text(shared_reference, resource))
    ours = dict(RESOURCES[resource].models)
    wanted = {name: model for name, model in theirs.items() if name in _reachable(theirs)}
    assert ours == wanted


@pytest.mark.parametrize("resource", sorted(DTD_FILES))
def test_every_attribute_list_is_the_dtds_except_the_documented_deviations(
    shared_reference: Path, resource: str
) -> None:
    theirs = dtd_attributes(_dtd_text(shared_reference, resource))
    ours = RESOURCES[resource].attributes
    elements = _reachable(dict(RESOURCES[resource].models))
    for element in elements:
        declared = dict(theirs.get(element, {}))
        stated = dict(ours.get(element, {}))
        for name, attribute in stated.items():
            if (resource, element, name) in DEVIATIONS:
                assert attribute != declared.get(name), f"{element}@{name} is listed as a deviation but agrees"
                stated[name] = declared[name]
        assert stated == declared, element


def test_the_dtd_check_would_catch_a_reordered_model(shared_reference: Path) -> None:
    theirs = dtd_models(_dtd_text(shared_reference, "customer.nv"))
    swapped = parse_model("(customerfinvoicedetails?, customerbaseinformation)")
    assert theirs["customer"] != swapped  # the comparison is by order, not by set


def test_the_statements_without_a_dtd_follow_netvisors_pages() -> None:
    workday = RESOURCES["workday.nv"].models["workdayhour"]
    required = {c.name for c in workday.children if c.required}
    # workday.nv (77000554280): hours, record type, acceptance status and description "Occurs 1".
    assert required == {"hours", "collectorratio", "acceptancestatus", "description"}
    assert RESOURCES["customer.nv"].max_lengths["name"] == 250
    assert RESOURCES["customer.nv"].max_lengths["organizationunitnumber"] == 17


def test_the_simulator_imports_nothing_of_the_product() -> None:
    for path in sorted(SIMULATOR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert not any(m.split(".")[0] == "severa_netvisor" for m in modules), f"{path.name} imports {modules}"
