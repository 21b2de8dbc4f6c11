"""Hostile answers against both clients' parsers, each in a fresh child process capped in memory and CPU.

Every case must end in a clear error that names the call (or, for the stream, a bounded read), with
no file opened, no network fetch, no crash (MemoryError, RecursionError, a kill for CPU). Figures
(time, peak memory) belong in ``make bench``; here only outcomes are asserted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.hostile import bodies
from tests.reliability.hostile.bounded import run_bounded
from tests.reliability.hostile.canned import CannedServer
from tests.reliability.hostile.watch import OpenWatch

SEVERA_CALLS = {"list": "GetAccountsChangedSince", "single": "GetAccountByGUID", "stream": "GetInvoicesByStatus"}
CLIENTS = [*SEVERA_CALLS, "netvisor"]
SENTINEL = "FILE-CONTENT-THAT-MUST-NOT-LEAK-4d1c"


def _run(client: str, kind: str, **kwargs: Any) -> dict[str, Any]:
    if client == "netvisor":
        return run_bounded(f"netvisor_{kind}", **kwargs)
    return run_bounded(f"severa_{kind}", call=client, **kwargs)


def _call_name(client: str) -> str:
    return "Netvisor customerlist.nv" if client == "netvisor" else f"Severa {SEVERA_CALLS[client]}"


def _assert_refused(outcome: dict[str, Any], client: str, *reasons: str) -> None:
    assert outcome["outcome"] == "error", outcome
    assert outcome["message"].startswith(_call_name(client)), outcome["message"]
    assert any(reason in outcome["message"] for reason in reasons), outcome["message"]


@pytest.fixture
def secret_file(tmp_path: Path) -> Iterator[tuple[Path, OpenWatch]]:
    path = tmp_path / "secret.txt"
    path.write_text(SENTINEL)
    with OpenWatch(path) as watch:
        yield path, watch


def test_the_watch_sees_an_open(secret_file: tuple[Path, OpenWatch]) -> None:
    """The control for the 'no file read' checks below: opening the file is noticed."""
    path, watch = secret_file
    assert not watch.touched()
    assert path.read_text() == SENTINEL
    assert watch.touched()


@pytest.mark.parametrize("client", CLIENTS)
def test_entity_expansion_is_refused(client: str) -> None:
    outcome = _run(client, "doctype", doctype=bodies.billion_laughs(), name_xml="&lol9;")
    _assert_refused(outcome, client, "document type declaration", "amplification factor exceeded")
    assert "lollol" not in outcome["output"]


@pytest.mark.parametrize("client", CLIENTS)
def test_an_external_entity_reads_no_file(client: str, secret_file: tuple[Path, OpenWatch]) -> None:
    path, watch = secret_file
    outcome = _run(client, "doctype", doctype=bodies.external_entity(path.as_uri()), name_xml="&leak;")
    _assert_refused(outcome, client, "document type declaration")
    assert SENTINEL not in outcome["output"]
    assert not watch.touched()


@pytest.mark.parametrize("client", CLIENTS)
def test_an_external_dtd_is_neither_read_nor_fetched(client: str, secret_file: tuple[Path, OpenWatch]) -> None:
    path, watch = secret_file
    dtd = f'<!ENTITY leak SYSTEM "{path.as_uri()}">'.encode()
    with CannedServer(dtd, content_type="application/xml-dtd") as dtd_server:
        outcome = _run(client, "doctype", doctype=bodies.external_dtd(f"{dtd_server.host}/evil.dtd"), name_xml="&leak;")
        assert dtd_server.requests == 0
    _assert_refused(outcome, client, "document type declaration")
    assert not watch.touched()


@pytest.mark.parametrize("client", CLIENTS)
def test_deep_nesting_is_refused_without_a_recursion_error(client: str) -> None:
    """Issue 13, defect 10: a 1 500-deep Severa answer raised RecursionError."""
    outcome = _run(client, "nested", levels=1500)
    _assert_refused(outcome, client, "nests deeper than", "Excessive depth")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_huge_answer_is_refused_within_bounded_memory(client: str) -> None:
    """Issue 13, defect 10: a 300 MB answer once took 1.28 GB of a 1 024 MB function."""
    outcome = _run(client, "huge", megabytes=300)
    _assert_refused(outcome, client, "larger than")


def test_the_netvisor_error_fallback_is_linear() -> None:
    """Issue 13, defect 9: a lazy regular expression took 49 s of CPU on 320 KB of unclosed
    ``<status>`` tags. 1.8 MB here would take hours that way; the child has a minute of CPU."""
    outcome = run_bounded("netvisor_unclosed_statuses", count=200_000)
    assert outcome["outcome"] == "error", outcome
    assert outcome["remote_text"] == "INVALID_DATA :: R&D refused"


@pytest.mark.parametrize("call", list(SEVERA_CALLS))
def test_many_broken_character_references_are_read_in_linear_time(call: str) -> None:
    outcome = _run(call, "character_references", count=200_000)
    if call == "stream":  # the invoice item holds only a name: not an invoice, said in words
        _assert_refused(outcome, call, "unexpected shape")
    else:
        assert outcome["outcome"] == "returned", outcome
        name = outcome["result"][0] if call == "list" else outcome["result"]
        assert name == "&#x1" * 200_000 + "\x01" * 200_000


def test_a_long_invoice_stream_stays_within_a_small_memory_cap() -> None:
    """The ready list read one invoice at a time: 3 000 invoices (about 28 MB of SOAP) in a process
    capped at 250 MB, a cap the whole list read at once does not fit (see ``make bench``)."""
    outcome = run_bounded("severa_many_invoices", call="stream", invoices=3000, memory_mb=250)
    assert outcome["outcome"] == "returned", outcome
    assert outcome["result"] == 3000
