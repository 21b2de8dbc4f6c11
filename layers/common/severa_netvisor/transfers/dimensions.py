"""The dimensions transfer: Severa cases, business units and cost centres → Netvisor dimension items.

Each goes under the dimension the mapping names for it (``dimensions.project``, ``business_unit``,
``cost_centre``; a source whose dimension is not set is not read at all). The dimension headers are
made by hand in Netvisor: a configured name Netvisor does not have stops the run with a message
naming it, before anything is written, so nothing is lost and the next run after the fix does it all.

New items are created, renamed ones edited (the ledger's target key holds the item's current text,
which the edit must name), closed cases and inactive business units hidden, reopened ones shown. An
item the ledger has never seen is first looked up by its text, so an item made by hand is adopted.

Severa has no cost-centre read: cost centres come from the cases read (their GUID and number), so
a cost centre is seen when a case that carries it changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from severa_netvisor.engine import PlannedWrite, RunBase, RunContext, SourceRecord, content_hash
from severa_netvisor.errors import ConfigurationError, RecordError
from severa_netvisor.mapping.config import DimensionMapping
from severa_netvisor.mapping.dimensions import (
    DimensionItemPlan,
    SeveraCostCentre,
    business_unit_item,
    case_item,
    cost_centre_item,
    item_key,
    parse_item_key,
)
from severa_netvisor.netvisor.models import Dimension
from severa_netvisor.severa.characters import refuse_forbidden_characters
from severa_netvisor.severa.client import EPOCH
from severa_netvisor.severa.models import BusinessUnit, Case
from severa_netvisor.state import Cursor, SourceRef
from severa_netvisor.transfers.context import Clients, TransferContext

__all__ = ["BUSINESS_UNIT_REF", "CASE_REF", "COST_CENTRE_REF", "DimensionsRun", "DimensionsTransfer", "build_transfer"]

CASE_REF = "case"
BUSINESS_UNIT_REF = "businessunit"
COST_CENTRE_REF = "costcentre"
PAGE_SIZE = 100
#: CaseGetOptions.IncludeInactive: closed cases must be read too, so their items can be hidden.
CASES_INCLUDE_INACTIVE = 2

#: The sources this transfer moves, and where the mapping names their dimension.
_MAPPING_KEYS = {
    "project": "dimensions.project",
    "business_unit": "dimensions.business_unit",
    "cost_centre": "dimensions.cost_centre",
}


@dataclass
class _NetvisorDimensions:
    """Netvisor's dimension items as this run knows them: header (case-folded) → item text → hidden."""

    names: dict[str, str] = field(default_factory=dict)
    items: dict[str, dict[str, bool]] = field(default_factory=dict)

    @classmethod
    def of(cls, dimensions: Sequence[Dimension]) -> _NetvisorDimensions:
        known = cls()
        for dimension in dimensions:
            folded = dimension.name.strip().casefold()
            known.names[folded] = dimension.name
            known.items[folded] = {item.name: item.is_hidden for item in dimension.items}
        return known

    def has(self, dimension_name: str) -> bool:
        return dimension_name.strip().casefold() in self.names

    def hidden(self, dimension_name: str, item: str) -> bool | None:
        """Whether the item is hidden; None when Netvisor has no such item."""
        return self.items.get(dimension_name.strip().casefold(), {}).get(item)

    def put(self, dimension_name: str, item: str, hidden: bool, *, replacing: str | None = None) -> None:
        items = self.items.setdefault(dimension_name.strip().casefold(), {})
        if replacing is not None:
            items.pop(replacing, None)
        items[item] = hidden


def _changed_at(insert: datetime, updated: datetime | None) -> datetime:
    return updated if updated is not None and updated > insert else insert


class DimensionConflict(RecordError):
    """Netvisor holds an item that stands in the way of a rename: which one is meant is not guessed."""

    system = "netvisor"


class DimensionsTransfer:
    name = "dimensions"

    def __init__(self, context: TransferContext, *, page_size: int = PAGE_SIZE):
        self.context = context
        self.page_size = page_size

    def start(self, run: RunContext) -> DimensionsRun:
        return DimensionsRun(self.context.for_run(run.planner), page_size=self.page_size)


class DimensionsRun(RunBase[DimensionItemPlan]):
    matches_existing = True

    def __init__(self, clients: Clients, *, page_size: int = PAGE_SIZE):
        self._clients = clients
        self._mapping: DimensionMapping = clients.mapping.dimensions
        self.allows_update = clients.mapping.allow_updates.dimensions
        self._page_size = page_size
        self._lock = threading.Lock()
        self._known: _NetvisorDimensions | None = None

    # -- reading ----------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        asked = since.changed_at if since is not None else EPOCH
        mapping = self._mapping
        severa = self._clients.severa
        records: list[SourceRecord] = []
        if mapping.project is not None or mapping.cost_centre is not None:
            cases = severa.cases_changed_since(asked, options=CASES_INCLUDE_INACTIVE)
            if mapping.project is not None:
                records.extend(self._case_records(cases))
            if mapping.cost_centre is not None:
                records.extend(self._cost_centre_records(cases))
        if mapping.business_unit is not None:
            records.extend(self._unit_records(severa.business_units_changed_since(asked)))
        if not records:
            return
        self._check_headers()  # before anything is written: a missing header stops the run here
        records.sort(key=lambda record: (record.changed_at, record.ref.id))
        for start in range(0, len(records), self._page_size):
            yield records[start : start + self._page_size]

    @staticmethod
    def _case_records(cases: Sequence[Case]) -> list[SourceRecord]:
        return [
            SourceRecord(
                SourceRef("severa", CASE_REF, case.guid),
                _changed_at(case.insert_ts, case.updated_ts),
                case,
                label=f"project {case.case_number or ''} {case.name or ''}".replace("  ", " ").strip(),
            )
            for case in cases
            if case.guid
        ]

    @staticmethod
    def _unit_records(units: Sequence[BusinessUnit]) -> list[SourceRecord]:
        return [
            SourceRecord(
                SourceRef("severa", BUSINESS_UNIT_REF, unit.guid),
                _changed_at(unit.insert_ts, unit.updated_ts),
                unit,
                label=f"business unit {unit.name or unit.guid}",
            )
            for unit in units
            if unit.guid
        ]

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        severa = self._clients.severa
        records: list[SourceRecord]
        if ref.type == CASE_REF:
            case = severa.case(ref.id)
            records = self._case_records([case]) if case is not None else []
        elif ref.type == BUSINESS_UNIT_REF:
            records = self._unit_records(severa.business_units_changed_since(EPOCH))
        else:  # Severa has no cost-centre read: the cases that carry it tell
            records = self._cost_centre_records(severa.cases_changed_since(EPOCH, options=CASES_INCLUDE_INACTIVE))
        return next((r for r in records if r.ref == ref), None)

    @staticmethod
    def _cost_centre_records(cases: Sequence[Case]) -> list[SourceRecord]:
        latest: dict[str, tuple[datetime, SeveraCostCentre]] = {}
        for case in cases:
            guid, number = case.cost_center_guid, (case.cost_center_number or "").strip()
            if not guid or not number:
                continue
            changed = _changed_at(case.insert_ts, case.updated_ts)
            if guid not in latest or changed > latest[guid][0]:
                latest[guid] = (changed, SeveraCostCentre(guid, number))
        return [
            SourceRecord(
                SourceRef("severa", COST_CENTRE_REF, guid), changed, centre, label=f"cost centre {centre.number}"
            )
            for guid, (changed, centre) in latest.items()
        ]

    def _check_headers(self) -> None:
        known = self._netvisor_dimensions()
        configured = self._mapping.names()
        missing = [(source, configured[source]) for source in _MAPPING_KEYS if source in configured]
        missing = [(source, name) for source, name in missing if not known.has(name)]
        if missing:
            listed = "; ".join(f"'{name}' ({_MAPPING_KEYS[source]})" for source, name in missing)
            have = ", ".join(f"'{name}'" for name in sorted(known.names.values())) or "none"
            raise ConfigurationError(
                f"Netvisor has no dimension named {listed}. Create it in Netvisor (Settings > Dimensions) or "
                f"correct the name in the mapping configuration. Netvisor's dimensions: {have}."
            )

    # -- mapping ----------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[DimensionItemPlan]:
        data = record.data
        refuse_forbidden_characters(data, record.name)
        if isinstance(data, Case):
            plan = case_item(self._mapping, data)
        elif isinstance(data, BusinessUnit):
            plan = business_unit_item(self._mapping, data)
        elif isinstance(data, SeveraCostCentre):
            plan = cost_centre_item(self._mapping, data)
        else:
            raise TypeError(f"{record.ref}: unexpected record {type(data).__name__}")
        summary = {"dimension": plan.dimension_name, "item": plan.item, "hidden": str(plan.hidden).lower()}
        # Whether it is an add or a rename is known only when written: the body is built then, once.
        return PlannedWrite(record, plan, summary, content_hash(plan.dimension_name, plan.item, summary["hidden"]))

    # -- Netvisor ---------------------------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[DimensionItemPlan]) -> str | None:
        plan = planned.payload
        if self._netvisor_dimensions().hidden(plan.dimension_name, plan.item) is None:
            return None
        return item_key(plan.dimension_name, plan.item)

    def write(self, planned: PlannedWrite[DimensionItemPlan], existing_key: str | None) -> str:
        plan = planned.payload
        key = item_key(plan.dimension_name, plan.item)
        known = self._netvisor_dimensions()
        now_hidden = known.hidden(plan.dimension_name, plan.item)
        old_item: str | None = None
        if existing_key is not None:
            old_dimension, old_item = parse_item_key(existing_key)
            if old_dimension.casefold() != plan.dimension_name.casefold():
                old_item = None  # the mapping moved the source to another dimension: a new item there
            elif known.hidden(plan.dimension_name, old_item) is None:
                old_item = None  # renamed or removed by hand in Netvisor: make the item again
        if old_item is not None and old_item != plan.item and now_hidden is not None:
            raise DimensionConflict(
                f"{planned.record.name}: cannot rename the item '{old_item}' to '{plan.item}' under dimension "
                f"'{plan.dimension_name}': Netvisor already has an item '{plan.item}'. Merge or rename them in "
                f"Netvisor, or rename the record in Severa."
            )
        if old_item is None and now_hidden is not None:
            old_item = plan.item  # already there (made by hand, or shared): bring its hidden flag in line
        if old_item == plan.item and now_hidden == plan.hidden:
            return key  # Netvisor already holds exactly this
        netvisor = self._clients.netvisor
        if old_item is None:
            netvisor.add_dimension_item(plan.as_input())
        else:
            netvisor.edit_dimension_item(plan.as_input(old_item=old_item))
        with self._lock:
            known.put(plan.dimension_name, plan.item, plan.hidden, replacing=old_item)
        return key

    def _netvisor_dimensions(self) -> _NetvisorDimensions:
        with self._lock:
            if self._known is None:
                self._known = _NetvisorDimensions.of(self._clients.netvisor.list_dimensions(show_hidden=True))
            return self._known


def build_transfer(context: TransferContext) -> DimensionsTransfer:
    return DimensionsTransfer(context)
