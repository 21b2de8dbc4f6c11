"""A control character in one Severa invoice fails that invoice alone, named with its field and the fix,
told to its author in Severa's invoice log; the rest of the ready list goes to Netvisor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(1302, accounts=3, invoices=6, hour_entries=0, credit_note_share=0.0)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state)
        yield running


def test_an_invoice_row_with_a_control_character_fails_alone_and_its_author_is_told(w: World) -> None:
    ready = sorted(checks.ready_invoices(w.severa.state), key=lambda r: r["Number"])
    broken = ready[2]
    row = broken["InvoiceRows"][0]
    row["articleName"] = "Konsultointi\x0c marraskuu"

    summary = w.run_engine("invoices")

    assert (summary.created, summary.failed) == (len(ready) - 1, 1), summary
    assert w.netvisor.state.invoice_by_number(str(broken["Number"])) is None
    [failure] = w.open_failures("invoices")
    assert failure.reason.startswith(f"invoice {broken['Number']} to ")
    assert "field InvoiceRows[0].articleName holds a control character (U+000C); remove it in Severa." in (
        failure.reason
    )
    log = [e.text or "" for e in w.severa.state.log_of(broken["GUID"])]
    assert any(text.startswith("Not transferred to Netvisor:") and "U+000C" in text for text in log), log
    assert all("\x0c" not in text for text in log)
