"""Fixtures shared by every test tier.

- ``local_aws``: moto in server mode on 127.0.0.1 with the template's table, queues and topic,
  plus this process's boto3 pointed at it. One per session; tests clean up what they write
  or use names of their own.
- ``shared_reference``: the path of ../shared/reference. Tests that read the DTDs and samples use it;
  without the folder they are skipped, and the skip is reported loudly at the end of the run.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.aws import LocalAws

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_REFERENCE = Path(os.environ.get("SHARED_REFERENCE", REPO_ROOT.parent / "shared" / "reference"))

# No test may use real AWS credentials or reach AWS, whatever the developer's shell holds.
for _key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(_key, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "POWERTOOLS_SERVICE_NAME": "severa-netvisor-tests",
        "POWERTOOLS_METRICS_NAMESPACE": "SeveraNetvisorTests",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_DEV": "0",
    }
)


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    aws = LocalAws().start()
    with aws.environment():
        yield aws
    aws.stop()


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    if not SHARED_REFERENCE.is_dir():
        message = (
            f"SKIPPED: {SHARED_REFERENCE} is absent, so the tests against the Netvisor DTDs, "
            "sample responses and the Severa catalogue did not run."
        )
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    return SHARED_REFERENCE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not SHARED_REFERENCE.is_dir():
        terminalreporter.write_sep("!", "../shared/reference is ABSENT: reference-based tests were SKIPPED", red=True)
