"""Secrets in a campaign: distinctive key values, remotes that echo them, and nowhere they may surface.

Both systems get keys no other text can hold by chance. Then, over three runs of each transfer through
its real handler in one warm container: Netvisor refuses writes with an error text that quotes both
Netvisor keys (well-formed and malformed), Severa refuses a write-back quoting its API key, random
remote faults come and go, and one run meets Netvisor answering AUTHENTICATION_FAILED with the keys in
its text (an outage: the run stops). Then a clean run. No key value may appear in any printed or
logged line (the file descriptors, so Powertools' own stream and every library's are included), any
exception, any failed-records message, any item of the state table (the register of open failures
keeps the reason verbatim), any Severa invoice log entry or any run result. Issue 13, item 12 and the
suite's "Secrets" bullet.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import sandbox_credentials as severa_secret
from tests.integration.rig import World
from tests.reliability.campaigns.remote import Injected, Rates, RunOutcomes, inject, run_through
from tests.reliability.campaigns.scenarios import ALL, Scenario, drain_queue, scenario_world
from tests.reliability.support import Warm, quick_retries

SIZES = {"customers": 8, "products": 8, "dimensions": 6, "invoices": 8, "payments": 8, "hours": 12}
#: Low: the echoes must reach the records, the random faults only vary the paths.
RATES = Rates(netvisor_5xx=0.03, netvisor_drop=0.03, netvisor_malformed=0.0, netvisor_maintenance=0.0,
              severa_500=0.02, severa_drop=0.02, severa_drop_after_write=0.05, severa_malformed=0.0)  # fmt: skip
SEVERA_WRITES = ("SetInvoiceStatus", "SetInvoicePaymentDate", "AddNewInvoiceLogEntry")


def distinctive_keys(w: World) -> list[str]:
    """New keys for both systems, their secrets updated; returns the values that must never show."""
    w.severa.api_key = f"SeveraKey{secrets.token_hex(12)}"
    w.netvisor.company.customer_key = f"NvCustomerKey{secrets.token_hex(10)}"
    w.netvisor.company.partner_key = f"NvPartnerKey{secrets.token_hex(10)}"
    w.aws.put_secret(w.names["severa"], severa_secret(w.severa))
    w.aws.put_secret(w.names["netvisor"], netvisor_secret(w.netvisor))
    return [w.severa.api_key, w.netvisor.company.customer_key, w.netvisor.company.partner_key]


def echoing_faults(w: World, keys: list[str]) -> list[Fault]:
    """Remotes that quote the keys back: refusals of records, a malformed body, a Severa write-back."""
    severa_key, customer_key, partner_key = keys
    quoted = f"MAC check failed for key {customer_key} (partner {partner_key})"
    for operation in SEVERA_WRITES:
        w.severa.inject_fault("Validation", operation, text=f"WebServicePassword={severa_key} is not valid", nth_call=1)
    return [
        w.netvisor.faults.add(Fault(kind="error", code="INVALID_DATA", text=quoted, nth=1)),
        w.netvisor.faults.add(Fault(kind="malformed", code="INVALID_DATA", text=f"bad &{customer_key}&x", nth=3)),
    ]


def texts_of(w: World) -> dict[str, str]:
    """Everything the integration left behind that a person or a system reads."""
    return {
        "failed-records messages": "\n".join(drain_queue(w)),
        "state table": json.dumps(w.table_items()),
        "Severa invoice logs": "\n".join(entry.text or "" for entry in w.severa.state.invoice_log),
    }


class Everything(logging.Handler):
    """Every log record of every logger, with all its fields (extras, arguments, exception text)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = dict(record.__dict__)
        if record.exc_info:
            fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
        fields.pop("exc_info", None)
        self.lines.append(f"{record.getMessage()} {json.dumps(fields, default=str)}")


@contextmanager
def every_log_record() -> Iterator[Everything]:
    """(At the levels the loggers have: DEBUG everywhere would change what zeep does.)"""
    handler, root = Everything(), logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ALL, ids=lambda s: s.name)
def test_no_secret_value_shows_in_any_log_error_message_or_record(
    local_aws: LocalAws, scenario: Scenario, capfd: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, str] = {}
    outcomes = RunOutcomes()
    with (
        every_log_record() as logged,
        quick_retries(),
        scenario_world(local_aws, scenario, SIZES[scenario.name], seed=19) as w,
    ):
        keys = distinctive_keys(w)
        warm = Warm(w, scenario.transfer)
        rng, injected = random.Random(19), Injected()
        results, echoes = [], []
        for index in range(3):
            if index:
                scenario.between(w)
            echoes += echoing_faults(w, keys)
            inject(w, RATES, rng, injected)
            if index == 1:  # the keys echoed by an authentication refusal: an outage, the run stops
                w.netvisor.faults.add(Fault(kind="error", code="AUTHENTICATION_FAILED", text=f"key {keys[1]} refused"))
                w.severa.inject_fault("AuthenticationFailure", text=f"API key {keys[0]} is not valid", times=None)
            results.append(run_through(warm, outcomes))
            w.netvisor.faults.clear()
            w.severa.clear_faults()
        results.append(run_through(warm, outcomes))
        seen |= texts_of(w)
    seen["exceptions"] = "\n".join(outcomes.stopped + outcomes.crashed)
    seen["run results"] = json.dumps(results, default=str)
    printed = capfd.readouterr()
    seen["printed lines"] = printed.out + printed.err
    seen["log records"] = "\n".join(logged.lines)

    assert outcomes.stopped, "the authentication refusal stopped a run"
    assert "run finished" in seen["log records"], "the runs logged (the capture works)"
    assert sum(echo.fired for echo in echoes) >= 2, "Netvisor echoed the keys"
    leaks = [f"{where} holds {key[:12]}..." for where, text in seen.items() for key in keys if key in text]
    assert leaks == []
    # The echoes reached the texts (scrubbed): what the remotes said is still there, minus the keys.
    assert "MAC check failed" in seen["log records"]
