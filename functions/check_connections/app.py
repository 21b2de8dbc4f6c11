"""Connection check: are the Severa and Netvisor credentials usable? Says why not, and what to do."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from severa_netvisor.connection_check import ConnectionCheckFailed, NetvisorTurn, run_connection_check
from severa_netvisor.observability import logger
from severa_netvisor.settings import get_settings
from severa_netvisor.state import StateStore

#: Time kept for the probes themselves (Netvisor: two attempts of a read) after waiting for the lease.
PROBE_SECONDS = 60.0


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    remaining = context.get_remaining_time_in_millis() / 1000
    turn = NetvisorTurn(
        StateStore(get_settings().state_table_name),
        # Netvisor takes one request at a time: the probe waits for a running transfer to finish.
        wait_seconds=max(0.0, min(120.0, remaining - PROBE_SECONDS)),
        hold_seconds=remaining + 60.0,
    )
    report = run_connection_check(netvisor_turn=turn)
    if not report.ok:
        # A failed invocation is what the template's Errors alarm watches for.
        raise ConnectionCheckFailed(report)
    return report.as_dict()
