"""Which Severa invoices a run picks up: the ready status, per business unit, and sent ones since a date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from severa_netvisor.errors import ConfigurationError

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from sandbox.severa.seed import PAID_STATUS, READY_STATUS, SENT_STATUS
from tests.integration.rig import World, mapping, world

Sims = World


@pytest.fixture(scope="module")
def sims(local_aws: LocalAws) -> Iterator[World]:
    with world(local_aws, severa_state=build_state(21, accounts=4, invoices=40, hour_entries=0)) as running:
        yield running


def _picked(sims: World, local_aws: LocalAws, **changes: Any) -> set[str]:
    run = sims.start("invoices", mapping=mapping(**changes))
    return {record.ref.id for page in run.fetch_pages(None, full_resync=False) for record in page}


def test_the_ready_status_is_picked_up(sims: World, local_aws: LocalAws) -> None:
    ready = {guid for guid, r in sims.severa.state.invoices.items() if r["InvoiceStatus"] == READY_STATUS}
    assert ready
    assert _picked(sims, local_aws) == ready


def test_only_the_configured_business_units(sims: World, local_aws: LocalAws) -> None:
    # Every seeded invoice belongs to the head office; the Tampere unit has none of its own.
    assert _picked(sims, local_aws, invoices={"business_units": ["Tampereen yksikkö"]}) == set()
    assert _picked(sims, local_aws, invoices={"business_units": ["Pääkonttori"]}) == _picked(sims, local_aws)
    with pytest.raises(ConfigurationError, match="Helsingin yksikkö"):
        _picked(sims, local_aws, invoices={"business_units": ["Helsingin yksikkö"]})


def test_sent_invoices_since_a_date_are_picked_up_as_well(sims: World, local_aws: LocalAws) -> None:
    state = sims.severa.state
    since = date(2026, 6, 1)
    sent = {
        guid
        for guid, r in state.invoices.items()
        if r["InvoiceStatus"] in (SENT_STATUS, PAID_STATUS) and r["Date"].date() >= since  # both are "sent"
    }
    assert sent
    picked = _picked(sims, local_aws, invoices={"sent_since": since.isoformat()})
    assert sent <= picked
    assert picked - sent == _picked(sims, local_aws)


def test_a_misspelt_status_name_is_a_configuration_error_not_a_silent_nothing(sims: World, local_aws: LocalAws) -> None:
    # Severa answers a read for an unknown status with an empty list: without this check a typo in the
    # mapping would transfer nothing, forever, and nobody would be told.
    typo = {"ready_to_transfer": READY_STATUS.replace("Netvisoriin", "Netvisorin")}
    with pytest.raises(ConfigurationError, match=r"invoice_statuses\.ready_to_transfer") as raised:
        _picked(sims, local_aws, invoice_statuses=typo)
    assert READY_STATUS in str(raised.value), "the message lists Severa's real statuses"
