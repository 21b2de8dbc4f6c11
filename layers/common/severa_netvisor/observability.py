"""Logger and Metrics singletons shared by every function (Powertools).

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE, which the template sets in Globals.

Every log line is scrubbed of known secret values as it is written (``scrub.py``): the product's own
lines through the Powertools formatter, other libraries' lines through a filter on the root
logger's handlers. There is no X-Ray Tracer here: nothing used it, and importing the X-Ray SDK cost
about a fifth of a cold start. The template's ``Tracing: Active`` still traces each invocation.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from severa_netvisor.scrub import scrub

SERVICE = "severa-netvisor"
METRICS_NAMESPACE = "SeveraNetvisor"


class ScrubbingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, with every known secret value masked (message, extra keys, traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class ScrubbingFilter(logging.Filter):
    """Masks known secret values in a record's message before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _scrub_root_handlers() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
            handler.addFilter(ScrubbingFilter())


logger = Logger(service=SERVICE, logger_formatter=ScrubbingFormatter())
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
_scrub_root_handlers()
