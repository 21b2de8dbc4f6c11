"""The products transfer: Severa products and work types → Netvisor products (product.nv).

Created or updated (``allow_updates.products``); a product the ledger has never seen is first
looked up in Netvisor by its product code, so a product made by hand (or by a lost create) is
adopted, never created twice.

Severa's products and work types carry no change time, only ``…ChangedSince`` filters on it. So the
records of one read are placed at the start of the window that was asked for, and a last watermark
at the time of the read moves the cursor on once everything before it is settled. A run that stops
early leaves the cursor inside the window, and the next run asks for the same window again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime

from severa_netvisor.engine import PlannedWrite, RunBase, RunContext, Skip, SourceRecord
from severa_netvisor.engine.contract import watermark, window
from severa_netvisor.errors import RecordError
from severa_netvisor.mapping.products import (
    ProductKind,
    describe_source,
    product_input_from_product,
    product_input_from_work_type,
)
from severa_netvisor.netvisor.models import ProductInput
from severa_netvisor.netvisor.xmlbuild import build_product
from severa_netvisor.severa.characters import refuse_forbidden_characters
from severa_netvisor.severa.client import EPOCH
from severa_netvisor.severa.models import Product, WorkType
from severa_netvisor.state import Cursor, SourceRef
from severa_netvisor.timezone import office_date
from severa_netvisor.transfers.context import Clients, TransferContext

__all__ = ["PRODUCT_REF", "WORK_TYPE_REF", "ProductsRun", "ProductsTransfer", "build_transfer"]

PRODUCT_REF = "product"
WORK_TYPE_REF = "worktype"
#: Products.ChangedSince and WorkTypes.ChangedSince: IncludeInactive, so deactivations are carried over.
INCLUDE_INACTIVE = 2
PAGE_SIZE = 100


class ProductConflict(RecordError):
    """Netvisor has several products with the code: which one is meant is not guessed."""

    system = "netvisor"
    for_author = False
    action = "Remove or recode the extra products in Netvisor, then replay."


def _label(kind: ProductKind, item: Product | WorkType) -> str:
    return describe_source(kind, guid=item.guid or "", code=getattr(item, "code", "") or "", name=item.name or "")


class ProductsTransfer:
    name = "products"

    def __init__(self, context: TransferContext, *, page_size: int = PAGE_SIZE):
        self.context = context
        self.page_size = page_size

    def start(self, run: RunContext) -> ProductsRun:
        return ProductsRun(run, self.context.for_run(run.planner), page_size=self.page_size)


class ProductsRun(RunBase[ProductInput]):
    matches_existing = True

    def __init__(self, run: RunContext, clients: Clients, *, page_size: int = PAGE_SIZE):
        self.run = run
        self.clients = clients
        self.mapping = clients.mapping
        self.allows_update = self.mapping.allow_updates.products
        self.page_size = page_size
        #: Netvisor product code → keys, read once per run on the first lookup.
        self._codes: dict[str, list[int]] | None = None

    # -- reading ----------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        read_at = self.run.now()
        asked, placed = window(since, read_at, self.run.overlap, EPOCH)
        severa = self.clients.severa
        items: list[Product | WorkType] = [
            *severa.products_changed_since(asked, options=INCLUDE_INACTIVE),
            *severa.work_types_changed_since(asked, options=INCLUDE_INACTIVE),
        ]
        records = [self._record(item, placed) for item in items if item.guid]
        if not records:
            return  # nothing changed: the cursor stays, and the next run asks for the same window
        records.sort(key=lambda record: record.ref.id)
        records.append(watermark(ProductsTransfer.name, read_at))
        for start in range(0, len(records), self.page_size):
            yield records[start : start + self.page_size]

    @staticmethod
    def _record(item: Product | WorkType, placed: datetime) -> SourceRecord:
        kind: ProductKind = "worktype" if isinstance(item, WorkType) else "product"
        ref_type = WORK_TYPE_REF if kind == "worktype" else PRODUCT_REF
        assert item.guid
        return SourceRecord(SourceRef("severa", ref_type, item.guid), placed, item, label=_label(kind, item))

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        severa = self.clients.severa
        items: Sequence[Product | WorkType] = (
            severa.all_work_types()
            if ref.type == WORK_TYPE_REF
            else severa.products_changed_since(EPOCH, options=INCLUDE_INACTIVE)
        )
        item = next((i for i in items if i.guid == ref.id), None)
        return None if item is None else self._record(item, self.run.now())

    # -- mapping ----------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[ProductInput] | Skip:
        item = record.data
        refuse_forbidden_characters(item, record.name)
        if isinstance(item, WorkType):
            payload = product_input_from_work_type(item, self.mapping.products)
        elif isinstance(item, Product):
            payload = product_input_from_product(item, self.mapping.products, today=self._today())
        else:
            raise TypeError(f"{record.ref}: unexpected record {type(item).__name__}")
        summary = {
            "code": payload.code or "",
            "name": payload.name,
            "unit": payload.unit or "",
            "unit_price": f"{payload.unit_price:f}",
            "vat": "" if payload.default_vat_percentage is None else f"{payload.default_vat_percentage:f}",
            "active": str(payload.is_active).lower(),
        }
        return PlannedWrite(record, payload, summary, body=build_product(payload))

    def _today(self) -> date:
        return office_date(self.run.now())

    # -- Netvisor ---------------------------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[ProductInput]) -> str | None:
        code = planned.payload.code or ""
        keys = self._product_codes().get(code, [])
        if len(keys) > 1:
            raise ProductConflict(
                f"{planned.record.name}: Netvisor has {len(keys)} products with the code '{code}' "
                f"(keys {', '.join(map(str, sorted(keys)))}); which one is meant is not guessed"
            )
        return str(keys[0]) if keys else None

    def write(self, planned: PlannedWrite[ProductInput], existing_key: str | None) -> str:
        netvisor = self.clients.netvisor
        if existing_key is None:
            key = netvisor.add_product(planned.payload, body=planned.body)
            self._product_codes().setdefault(planned.payload.code or "", []).append(key)
            return str(key)
        netvisor.edit_product(int(existing_key), planned.payload, body=planned.body)
        return existing_key

    def _product_codes(self) -> dict[str, list[int]]:
        if self._codes is None:
            codes: dict[str, list[int]] = {}
            for summary in self.clients.netvisor.list_products():
                if summary.code:
                    codes.setdefault(summary.code.strip(), []).append(summary.netvisor_key)
            self._codes = codes
        return self._codes


def build_transfer(context: TransferContext) -> ProductsTransfer:
    return ProductsTransfer(context)
