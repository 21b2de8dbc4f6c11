"""Severa cases, business units and cost centres → Netvisor dimension items: pure, no I/O.

Netvisor names dimension items by their text, and invoices, lines and workdays refer to items by
that text. The ``*_item_text`` functions here are the one place that text is made, shared with the
invoices transfer so invoice rows name exactly the items the dimensions transfer created.

Severa has no cost-centre interface: a cost centre is known only by the GUID and number that cases
(and invoice rows) carry, so its item text is its number.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from severa_netvisor.errors import IntegrationError
from severa_netvisor.finnish import NETVISOR_LENGTH_LIMITS
from severa_netvisor.mapping.config import DimensionMapping
from severa_netvisor.netvisor.models import DimensionItemInput
from severa_netvisor.severa.models import BusinessUnit, Case

__all__ = [
    "DIMENSION_ITEM_LIMIT",
    "DimensionItemPlan",
    "DimensionMappingError",
    "DimensionSource",
    "SeveraCostCentre",
    "business_unit_item",
    "business_unit_item_text",
    "case_item",
    "case_item_text",
    "cost_centre_item",
    "cost_centre_item_text",
    "item_key",
    "parse_item_key",
    "project_item_text",
]

DimensionSource = Literal["project", "business_unit", "cost_centre"]
DIMENSION_ITEM_LIMIT = NETVISOR_LENGTH_LIMITS["dimension item"]
_SPACES = re.compile(r"\s+")


class DimensionMappingError(IntegrationError):
    """A Severa record cannot become a Netvisor dimension item; the message says which and why."""

    system = "validation"
    retryable = False
    #: The record's own data in Severa: its author can fix it.
    for_author = True


@dataclass(frozen=True)
class SeveraCostCentre:
    """A cost centre as cases show it (Severa has no cost-centre read of its own)."""

    guid: str
    number: str


@dataclass(frozen=True)
class DimensionItemPlan:
    """One Netvisor dimension item as it should be: under ``dimension_name``, named ``item``."""

    source: DimensionSource
    dimension_name: str
    item: str
    hidden: bool

    def as_input(self, *, old_item: str | None = None) -> DimensionItemInput:
        return DimensionItemInput(
            dimension_name=self.dimension_name, item=self.item, old_item=old_item, is_hidden=self.hidden
        )


def _clean(value: object) -> str:
    """Whitespace as Netvisor shows it: trimmed, runs of spaces, tabs and line breaks made one space."""
    return _SPACES.sub(" ", "" if value is None else str(value)).strip()


def _checked(text: str, what: str, fix: str) -> str:
    if not text:
        raise DimensionMappingError(f"{what}: dimension item: would be empty. {fix}")
    if len(text) > DIMENSION_ITEM_LIMIT:
        raise DimensionMappingError(
            f"{what}: dimension item: '{text[:40]}…' has {len(text)} characters; Netvisor allows at most "
            f"{DIMENSION_ITEM_LIMIT}. {fix}"
        )
    return text


def project_item_text(mapping: DimensionMapping, *, number: int | str | None, name: str | None, guid: str = "") -> str:
    """The item text of a Severa case (project): its number, its name or both, per ``project_item``.

    Raises ``DimensionMappingError`` when the text would be empty or longer than Netvisor allows.
    """
    number_text, name_text = _clean(number), _clean(name)
    if mapping.project_item == "number":
        text = number_text
    elif mapping.project_item == "name":
        text = name_text
    else:
        text = f"{number_text} {name_text}".strip()
    label = f" '{name_text}'" if name_text else ""
    what = f"Severa case{label} (number {number_text or 'none'}, GUID {guid or 'unknown'})"
    fix = {
        "number": "Give the case a number in Severa, or set dimensions.project_item to name",
        "name": "Give the case a shorter (or any) name in Severa, or set dimensions.project_item to number",
        "number_and_name": "Shorten the case name in Severa, or set dimensions.project_item to number",
    }[mapping.project_item]
    return _checked(text, what, fix)


def case_item_text(mapping: DimensionMapping, case: Case) -> str:
    return project_item_text(mapping, number=case.case_number, name=case.name, guid=case.guid or "")


def business_unit_item_text(name: str | None, *, guid: str = "") -> str:
    """The item text of a Severa business unit: its name (as invoices show it, ``BusinessUnitName``)."""
    return _checked(
        _clean(name), f"Severa business unit (GUID {guid or 'unknown'})", "Give the business unit a name in Severa"
    )


def cost_centre_item_text(number: str | int | None, *, guid: str = "") -> str:
    """The item text of a Severa cost centre: its number (``CostCenterNumber``, ``rowCostCenterNumber``)."""
    return _checked(
        _clean(number), f"Severa cost centre (GUID {guid or 'unknown'})", "Give the cost centre a number in Severa"
    )


def _dimension_name(mapping: DimensionMapping, source: DimensionSource) -> str:
    name = getattr(mapping, source)
    if name is None:  # the transfer never reads a source whose dimension is not configured
        raise DimensionMappingError(f"dimensions.{source} is not set in the mapping configuration")
    return str(name)


def case_item(mapping: DimensionMapping, case: Case) -> DimensionItemPlan:
    """A case's item under the project dimension; a closed case's item is hidden, a reopened one shown."""
    return DimensionItemPlan(
        "project", _dimension_name(mapping, "project"), case_item_text(mapping, case), case.is_closed
    )


def business_unit_item(mapping: DimensionMapping, unit: BusinessUnit) -> DimensionItemPlan:
    """A business unit's item; an inactive unit's item is hidden."""
    text = business_unit_item_text(unit.name, guid=unit.guid or "")
    return DimensionItemPlan("business_unit", _dimension_name(mapping, "business_unit"), text, not unit.is_active)


def cost_centre_item(mapping: DimensionMapping, centre: SeveraCostCentre) -> DimensionItemPlan:
    text = cost_centre_item_text(centre.number, guid=centre.guid)
    return DimensionItemPlan("cost_centre", _dimension_name(mapping, "cost_centre"), text, False)


def item_key(dimension_name: str, item: str) -> str:
    """The ledger's target key of an item: Netvisor gives items no key on create, and an edit names the
    item by its current text, so the key is the (dimension, item) pair, JSON-encoded to stay unambiguous."""
    return json.dumps([dimension_name, item], ensure_ascii=False)


def parse_item_key(key: str) -> tuple[str, str]:
    try:
        value = json.loads(key)
    except ValueError:
        value = None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)):
        raise DimensionMappingError(f"The ledger's target key {key!r} is not a dimension item key")
    return value[0], value[1]
