"""Every transfer by name, built lazily (a function imports only the transfers it runs)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from severa_netvisor.errors import ConfigurationError

if TYPE_CHECKING:
    from severa_netvisor.engine import Transfer
    from severa_netvisor.transfers.context import TransferContext

#: Transfer name -> the module whose ``build_transfer(context)`` makes it.
TRANSFERS: dict[str, str] = {
    "customers": "severa_netvisor.transfers.customers",
    "products": "severa_netvisor.transfers.products",
    "dimensions": "severa_netvisor.transfers.dimensions",
    "invoices": "severa_netvisor.transfers.invoices",
    "payments": "severa_netvisor.transfers.payments",
    "hours": "severa_netvisor.transfers.hours",
}


def build_named(name: str, context: TransferContext) -> Transfer:
    module = TRANSFERS.get(name)
    if module is None:
        known = ", ".join(sorted(TRANSFERS))
        raise ConfigurationError(f"There is no transfer named '{name}'. The transfers are: {known}.")
    built: Transfer = importlib.import_module(module).build_transfer(context)
    return built
