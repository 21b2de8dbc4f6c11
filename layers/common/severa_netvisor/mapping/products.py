"""Severa products and work types → Netvisor products: pure conversion and validation, no I/O.

The product code rule is shared with the invoices transfer (``netvisor_product_code``), so invoice
rows name exactly the Netvisor products this transfer creates:

1. an explicit entry in the mapping (``products.products`` or ``products.work_types``, by GUID, code
   or name, in that order);
2. else Severa's own code, when ``products.use_severa_product_code`` is on;
3. else a failure naming the record and the fix (``ProductMappingError``). Invoice rows that may fall
   back to the mapping's default product use ``netvisor_product_code_or_default``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from severa_netvisor.errors import IntegrationError
from severa_netvisor.finnish import FinnishValidationError, validate_vat_rate
from severa_netvisor.mapping.config import ProductMapping
from severa_netvisor.netvisor.models import ProductInput
from severa_netvisor.severa.models import Product, WorkType

__all__ = [
    "NETVISOR_PRODUCT_GROUP",
    "WORK_TYPE_UNIT",
    "ProductKind",
    "ProductMappingError",
    "describe_source",
    "netvisor_product_code",
    "netvisor_product_code_or_default",
    "product_code_for",
    "product_input_from_product",
    "product_input_from_work_type",
]

ProductKind = Literal["product", "worktype"]

#: Netvisor needs a product group on every product; products made by this integration share one.
NETVISOR_PRODUCT_GROUP = "Severa"
#: Work types are sold by the hour.
WORK_TYPE_UNIT = "h"

_KIND_WORDS: dict[ProductKind, str] = {"product": "product", "worktype": "work type"}


class ProductMappingError(IntegrationError):
    """A Severa product or work type cannot become a Netvisor product; the message says which and why."""

    system = "validation"
    retryable = False
    #: The record's own data in Severa: its author can fix it.
    for_author = True


def describe_source(kind: ProductKind, *, guid: str = "", code: str = "", name: str = "") -> str:
    """``Severa product 'Matkakulut' (code MATKA-01, GUID …)``: how messages name the record."""
    details = [f"code {code.strip()}"] if code and code.strip() else []
    details.append(f"GUID {guid}" if guid else "no GUID")
    label = f" '{name.strip()}'" if name and name.strip() else ""
    return f"Severa {_KIND_WORDS[kind]}{label} ({', '.join(details)})"


def _mapped(table: dict[str, str], guid: str, code: str, name: str) -> str | None:
    for candidate in (guid, code, name):
        key = candidate.strip() if candidate else ""
        if key and key in table:
            return table[key]
    return None


def netvisor_product_code(
    mapping: ProductMapping, *, kind: ProductKind, guid: str = "", code: str = "", name: str = ""
) -> str:
    """The Netvisor product code for a Severa product or work type; raises ``ProductMappingError``."""
    table = mapping.products if kind == "product" else mapping.work_types
    explicit = _mapped(table, guid, code, name)
    if explicit is not None:
        return explicit
    own = (code or "").strip()
    if own and mapping.use_severa_product_code:
        return own
    section = "products.products" if kind == "product" else "products.work_types"
    if own:
        problem = "has a code, but products.use_severa_product_code is off and the mapping has no entry for it"
    else:
        problem = "has no code and the mapping has no entry for it"
    raise ProductMappingError(
        f"{describe_source(kind, guid=guid, code=code, name=name)}: product code: {problem}. "
        f"Give it a code in Severa or map its GUID, code or name under {section} in the mapping configuration."
    )


def netvisor_product_code_or_default(
    mapping: ProductMapping, *, kind: ProductKind, guid: str = "", code: str = "", name: str = ""
) -> str:
    """As ``netvisor_product_code``, but the mapping's ``default_product_code`` when no rule applies."""
    try:
        return netvisor_product_code(mapping, kind=kind, guid=guid, code=code, name=name)
    except ProductMappingError:
        return mapping.default_product_code


def product_code_for(mapping: ProductMapping, item: Product | WorkType) -> str:
    """``netvisor_product_code`` for a Severa product or work type as read from Severa."""
    kind: ProductKind = "worktype" if isinstance(item, WorkType) else "product"
    return netvisor_product_code(mapping, kind=kind, guid=item.guid or "", code=item.code or "", name=item.name or "")


def _name(kind: ProductKind, guid: str, code: str, name: str | None) -> str:
    text = (name or "").strip()
    if not text:
        raise ProductMappingError(
            f"{describe_source(kind, guid=guid, code=code)}: name: is empty. Give it a name in Severa."
        )
    return text


def _vat(product: Product, today: date) -> Decimal | None:
    if product.vat is None:
        return None  # Netvisor then uses the company's default VAT for the product
    try:
        return validate_vat_rate(product.vat, today, field="VAT")
    except FinnishValidationError as error:
        raise ProductMappingError(
            f"{describe_source('product', guid=product.guid or '', code=product.code or '', name=product.name or '')}: "
            f"{error.message} (today's rates apply to a product's default VAT). Correct the product's VAT in Severa."
        ) from None


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def product_input_from_product(product: Product, mapping: ProductMapping, *, today: date) -> ProductInput:
    """The Netvisor product for a Severa product: code, name, unit, price (net), VAT valid ``today``."""
    guid, code = product.guid or "", product.code or ""
    name = _name("product", guid, code, product.name)
    netvisor_code = netvisor_product_code(mapping, kind="product", guid=guid, code=code, name=name)
    description = _text(product.description)
    return ProductInput(
        name=name,
        group=NETVISOR_PRODUCT_GROUP,
        code=netvisor_code,
        description=description if description != name else None,
        unit_price=product.unit_price if product.unit_price is not None else Decimal(0),
        price_type="net",
        unit=_text(product.measurement_unit),
        purchase_price=product.unit_cost,
        is_active=product.is_active,
        is_sales_product=True,
        default_vat_percentage=_vat(product, today),
    )


def product_input_from_work_type(work_type: WorkType, mapping: ProductMapping) -> ProductInput:
    """The Netvisor product for a Severa work type: sold by the hour; Severa keeps no price or VAT on it,
    so the price is 0 (invoice rows carry their own) and Netvisor's default VAT applies."""
    guid, code = work_type.guid or "", work_type.code or ""
    name = _name("worktype", guid, code, work_type.name)
    return ProductInput(
        name=name,
        group=NETVISOR_PRODUCT_GROUP,
        code=netvisor_product_code(mapping, kind="worktype", guid=guid, code=code, name=name),
        unit_price=Decimal(0),
        price_type="net",
        unit=WORK_TYPE_UNIT,
        is_active=work_type.is_active,
        is_sales_product=True,
    )
