"""With the process's logging at DEBUG, reading Severa still works and zeep's schema chatter stays out.

zeep logs each schema component it registers at DEBUG with the component itself as an argument; a
handler that renders arguments (structured loggers do) calls ``str`` on an element whose type is not
resolved yet, which raises AttributeError ("'UnresolvedType' object has no attribute 'is_global'")
inside zeep's WSDL load: the first Severa read of the process failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from severa_netvisor.severa import client as severa_client
from severa_netvisor.severa.client import EPOCH, SeveraClient

from tests.integration.severa.conftest import ClientFactory


class Rendering(logging.Handler):
    """Renders every record with its arguments, as a structured (JSON) log handler does."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        json.dumps([record.getMessage(), record.args], default=str)
        self.names.append(record.name)


@pytest.fixture
def debug_everywhere() -> Iterator[Rendering]:
    root, handler = logging.getLogger(), Rendering()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    severa_client.load_wsdl_document.cache_clear()  # the WSDL is loaded (and logged) afresh
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        severa_client.load_wsdl_document.cache_clear()


def test_severa_reads_with_the_root_logger_at_debug(debug_everywhere: Rendering, make_client: ClientFactory) -> None:
    client: SeveraClient = make_client()
    accounts = client.accounts_changed_since(EPOCH)
    assert accounts, "the sandbox has accounts"
    zeep = [name for name in debug_everywhere.names if name.startswith("zeep")]
    assert zeep == [], zeep[:5]
