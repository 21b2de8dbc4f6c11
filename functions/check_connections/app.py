"""Connection check: are the Severa and Netvisor credentials usable? Says why not, and what to do."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from severa_netvisor.connection_check import ConnectionCheckFailed, run_connection_check
from severa_netvisor.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_connection_check()
    if not report.ok:
        # A failed invocation is what the template's Errors alarm watches for.
        raise ConnectionCheckFailed(report)
    return report.as_dict()
