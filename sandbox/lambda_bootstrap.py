"""Runs one Lambda handler invocation in this process, the way the Lambda runtime would.

Standard library only: the artifact smoke test runs it with a bare interpreter (``python -S``) and
only the built function and layer on PYTHONPATH. Usage:

    python lambda_bootstrap.py HANDLER_DIR MODULE.FUNCTION EVENT_FILE RESULT_FILE

Environment: LAMBDA_TIMEOUT_SECONDS, LAMBDA_FUNCTION_NAME, LAMBDA_MEMORY_MB plus whatever the
function's own environment is. The result file receives {"result": ...} or {"error": ...}.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any


class LocalLambdaContext:
    """The parts of the Lambda context object handlers and Powertools use; the clock really runs."""

    def __init__(self, function_name: str, timeout_seconds: float, memory_mb: int):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        region = os.environ.get("AWS_REGION", "eu-north-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def invoke(handler_dir: str, handler: str, event: Any) -> Any:
    sys.path.insert(0, handler_dir)
    module_name, function_name = handler.rsplit(".", 1)
    function = getattr(importlib.import_module(module_name), function_name)
    context = LocalLambdaContext(
        os.environ.get("LAMBDA_FUNCTION_NAME", "local-function"),
        float(os.environ.get("LAMBDA_TIMEOUT_SECONDS", "300")),
        int(os.environ.get("LAMBDA_MEMORY_MB", "512")),
    )
    return function(event, context)


def main(argv: list[str]) -> int:
    handler_dir, handler, event_file, result_file = argv
    with open(event_file, encoding="utf-8") as handle:
        event = json.load(handle)
    try:
        outcome: dict[str, Any] = {"result": invoke(handler_dir, handler, event)}
        status = 0
    except Exception as error:  # report it the way Lambda does: type, message, stack
        outcome = {
            "error": {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_exception(error),
            }
        }
        status = 1
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(outcome, handle, default=str)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
