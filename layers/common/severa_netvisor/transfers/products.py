"""The products transfer: Severa products and work types → Netvisor products (product.nv).

Created or updated (``allow_updates.products``); a product the ledger has never seen is first
looked up in Netvisor by its product code, so a product made by hand (or by a lost create) is
adopted, never created twice.

Severa's products and work types carry no change time, only ``…ChangedSince`` filters on it. So the
records of one read are placed at the start of the window that was asked for, and a last *watermark*
record at the time of the read moves the cursor on once everything before it is settled. A run that
stops early leaves the cursor inside the window, and the next run asks for the same window again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from severa_netvisor.engine import EngineOptions, PlannedWrite, Skip, SourceRecord, TransferBase
from severa_netvisor.errors import IntegrationError
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.products import (
    ProductKind,
    describe_source,
    product_input_from_product,
    product_input_from_work_type,
)
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.netvisor.models import ProductInput
from severa_netvisor.netvisor.xmlbuild import build_product
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import EPOCH, SeveraClient
from severa_netvisor.severa.models import Product, WorkType
from severa_netvisor.state import Cursor, SourceRef
from severa_netvisor.transfers.context import TransferContext

__all__ = ["PRODUCT_REF", "WATERMARK_REF", "WORK_TYPE_REF", "Clients", "ProductsTransfer", "build_transfer"]

PRODUCT_REF = "product"
WORK_TYPE_REF = "worktype"
#: The watermark's id sorts before any GUID, so records of the next window come after it.
WATERMARK_REF = SourceRef("severa", "products-read", "!")
#: Products.ChangedSince and WorkTypes.ChangedSince: IncludeInactive, so deactivations are carried over.
INCLUDE_INACTIVE = 2
PAGE_SIZE = 100
OFFICE_ZONE = ZoneInfo("Europe/Helsinki")


class Clients(Protocol):
    """What the transfer reads and writes through (``TransferContext`` is one)."""

    @property
    def mapping(self) -> MappingConfig: ...

    @property
    def severa(self) -> SeveraClient: ...

    @property
    def netvisor(self) -> NetvisorClient: ...


class ProductConflict(IntegrationError):
    """Netvisor has several products with the code: which one is meant is not guessed."""

    system = "netvisor"
    retryable = False


def _now() -> datetime:
    return datetime.now(UTC)


def window_positions(since: Cursor | None, read_at: datetime, overlap: timedelta) -> tuple[datetime, datetime]:
    """(the time to ask Severa from, the change time given to every record of the read).

    The engine hands ``since`` = stored cursor − overlap; placing records at ``since + overlap`` (the
    stored cursor's time, after the watermark id) keeps them after the cursor, so a record that failed
    before and was fixed since is taken again, and keeps a stopped run's cursor inside the window.
    """
    asked = since.changed_at if since is not None else EPOCH
    return asked, min(asked + overlap, read_at - timedelta(microseconds=1))


class ProductsTransfer(TransferBase[ProductInput]):
    name = "products"
    matches_existing = True

    def __init__(
        self,
        clients: Clients,
        *,
        clock: Callable[[], datetime] = _now,
        overlap: timedelta | None = None,
        page_size: int = PAGE_SIZE,
    ):
        self._clients = clients
        self._mapping = clients.mapping
        self.allows_update = self._mapping.allow_updates.products
        self._clock = clock
        # The engine's overlap window (the handler runs the engine with its default options).
        self._overlap = overlap if overlap is not None else EngineOptions().overlap
        self._page_size = page_size
        self._lock = threading.Lock()
        #: Netvisor product code → keys, read once per run on the first lookup.
        self._codes: dict[str, list[int]] | None = None

    # -- reading ----------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        with self._lock:
            self._codes = None  # a warm Lambda reuses the transfer: Netvisor may have changed between runs
        read_at = self._clock()
        asked, placed = window_positions(since, read_at, self._overlap)
        severa = self._clients.severa
        products = severa.products_changed_since(asked, options=INCLUDE_INACTIVE)
        work_types = severa.work_types_changed_since(asked, options=INCLUDE_INACTIVE)
        items: list[Product | WorkType] = [*products, *work_types]
        records = [
            SourceRecord(
                SourceRef("severa", WORK_TYPE_REF if isinstance(item, WorkType) else PRODUCT_REF, item.guid),
                placed,
                item,
            )
            for item in items
            if item.guid
        ]
        if not records:
            return  # nothing changed: the cursor stays, and the next run asks for the same window
        records.sort(key=lambda record: record.ref.id)
        for start in range(0, len(records), self._page_size):
            yield records[start : start + self._page_size]
        yield [
            SourceRecord(
                WATERMARK_REF,
                read_at,
                {"read_at": read_at.isoformat(), "products": len(products), "work_types": len(work_types)},
            )
        ]

    # -- mapping ----------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[ProductInput] | Skip:
        if record.ref == WATERMARK_REF:
            return Skip("end of the Severa read: the cursor moves to the time of the read")
        item = record.data
        if isinstance(item, WorkType):
            payload = product_input_from_work_type(item, self._mapping.products)
        elif isinstance(item, Product):
            payload = product_input_from_product(item, self._mapping.products, today=self._today())
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
        return PlannedWrite(record, payload, build_product(payload).decode("utf-8"), summary)

    def _today(self) -> date:
        return self._clock().astimezone(OFFICE_ZONE).date()

    # -- Netvisor ---------------------------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[ProductInput]) -> str | None:
        code = planned.payload.code or ""
        keys = self._product_codes().get(code, [])
        if len(keys) > 1:
            item = planned.record.data
            raise ProductConflict(
                f"{_describe(planned.record.ref.type, item)}: Netvisor has {len(keys)} products with the code "
                f"'{code}' (keys {', '.join(map(str, sorted(keys)))}); remove or recode the extra ones in Netvisor"
            )
        return str(keys[0]) if keys else None

    def write(self, planned: PlannedWrite[ProductInput], existing_key: str | None) -> str:
        netvisor = self._clients.netvisor
        if existing_key is None:
            key = netvisor.add_product(planned.payload)
            self._remember(planned.payload.code or "", key)
            return str(key)
        netvisor.edit_product(int(existing_key), planned.payload)
        return existing_key

    def _product_codes(self) -> dict[str, list[int]]:
        with self._lock:
            if self._codes is None:
                codes: dict[str, list[int]] = {}
                for summary in self._clients.netvisor.list_products():
                    if summary.code:
                        codes.setdefault(summary.code.strip(), []).append(summary.netvisor_key)
                self._codes = codes
            return self._codes

    def _remember(self, code: str, key: int) -> None:
        with self._lock:
            if self._codes is not None and code:
                self._codes.setdefault(code, []).append(key)


def _describe(ref_type: str, item: Any) -> str:
    kind: ProductKind = "worktype" if ref_type == WORK_TYPE_REF else "product"
    return describe_source(
        kind,
        guid=getattr(item, "guid", "") or "",
        code=getattr(item, "code", "") or "",
        name=getattr(item, "name", "") or "",
    )


def build_transfer(settings: Settings) -> ProductsTransfer:
    return ProductsTransfer(TransferContext.from_settings(settings))
