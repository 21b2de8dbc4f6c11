"""Connection check: are the Severa and Netvisor credentials usable? Reports the reason if not."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from severa_netvisor.connection_check import run_connection_check
from severa_netvisor.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_connection_check().as_dict()
