"""``make soak``: every campaign, large, and the table of what they found.

The short campaigns of ``make test`` run each transfer on a dozen records and sample the crash points;
here every occurrence of every step is a crash point, every number of writes a stop point, and the
remote and AWS fault campaigns run on many more records over more runs. It prints one row per
campaign (records, faults injected, lost, duplicated, time) and exits non-zero when any campaign
lost, doubled, held or changed anything a fault-free run of the same data would not have.

    python -m tests.reliability.campaigns.soak [--scale N] [--only crash,stops,remote,aws,concurrency]

``--scale`` multiplies the data sizes (1 is the default, about an hour on two idle cores).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from sandbox.aws import LocalAws
from tests.reliability.campaigns.aws_campaign import AwsRates, aws_fault_campaign
from tests.reliability.campaigns.concurrency import concurrency_campaign
from tests.reliability.campaigns.crash import crash_campaign
from tests.reliability.campaigns.remote import Rates, remote_fault_campaign
from tests.reliability.campaigns.scenarios import ALL, VARIANTS, Scenario
from tests.reliability.campaigns.stops import stop_campaign
from tests.reliability.campaigns.tally import Tally

#: Records per transfer for the crash campaign (every occurrence of every step is a run of its own).
CRASH_SIZES = {"customers": 8, "products": 8, "dimensions": 6, "invoices": 8, "payments": 8, "hours": 12}
#: Records per transfer for the stop campaign (a run for every number of writes a full run makes).
STOP_SIZES = {"customers": 20, "products": 20, "dimensions": 12, "invoices": 16, "payments": 12, "hours": 40}
#: Records per transfer for the remote and AWS fault campaigns (runs over the whole data).
FAULT_SIZES = {"customers": 400, "products": 400, "dimensions": 200, "invoices": 200, "payments": 200, "hours": 1000}
SOAK_RATES = Rates(runs=8)
SOAK_AWS = AwsRates(dynamodb=0.04, sqs=0.3, runs=8)

POWERTOOLS = {
    "POWERTOOLS_SERVICE_NAME": "severa-netvisor-soak",
    "POWERTOOLS_METRICS_NAMESPACE": "SeveraNetvisorSoak",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_DEV": "0",
}

Campaign = Callable[[LocalAws, float], list[Tally]]


def _size(sizes: dict[str, int], scenario: Scenario, scale: float) -> int:
    return max(3, round(sizes[scenario.transfer] * scale))


def crashes(aws: LocalAws, scale: float) -> list[Tally]:
    scale = min(scale, 1.0)  # the number of runs grows with the square of the size
    return [
        crash_campaign(aws, s, _size(CRASH_SIZES, s, scale), seed=5, every_step=True, second_crash_every=2).tally
        for s in (*ALL, *VARIANTS)
    ]


def stops(aws: LocalAws, scale: float) -> list[Tally]:
    return [stop_campaign(aws, s, _size(STOP_SIZES, s, scale), seed=6, stops=None)[0] for s in (*ALL, *VARIANTS)]


def remote(aws: LocalAws, scale: float) -> list[Tally]:
    return [remote_fault_campaign(aws, s, _size(FAULT_SIZES, s, scale), seed=7, rates=SOAK_RATES)[0] for s in ALL]


def aws_faults(aws: LocalAws, scale: float) -> list[Tally]:
    return [aws_fault_campaign(aws, s, _size(FAULT_SIZES, s, scale), seed=8, rates=SOAK_AWS)[0] for s in ALL]


def concurrency(aws: LocalAws, scale: float) -> list[Tally]:
    return [concurrency_campaign(aws, size=max(3, round(40 * scale)), seed=9, rounds=6)[0]]


CAMPAIGNS: dict[str, Campaign] = {
    "crash": crashes,
    "stops": stops,
    "remote": remote,
    "aws": aws_faults,
    "concurrency": concurrency,
}

HEADER = ("campaign", "records", "faults injected", "lost", "duplicated", "time")


def table(rows: list[tuple[str, int, int, int, int, str]]) -> str:
    cells = [HEADER, *[tuple(str(cell) for cell in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    lines = [" | ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
             for row in cells]  # fmt: skip
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


@contextmanager
def _aws() -> Iterator[LocalAws]:
    """moto with the template's resources, this process pointed at it (as the tests' ``local_aws``)."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(key, None)
    os.environ.update(POWERTOOLS)
    with LocalAws() as aws, aws.environment():
        yield aws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", default=",".join(CAMPAIGNS))
    parser.add_argument("--log", default="soak.log", help="where the runs' own log lines go")
    args = parser.parse_args(argv)
    out = _runs_log_to(args.log)
    tallies: list[Tally] = []
    with _aws() as aws:
        for name in args.only.split(","):
            for tally in CAMPAIGNS[name.strip()](aws, args.scale):
                print(
                    f"{tally.campaign}: {'ok' if tally.clean else 'NOT OK'} ({tally.seconds:.0f} s)",
                    file=out,
                    flush=True,
                )
                tallies.append(tally)
    print(file=out)
    print(table([t.row() for t in tallies]), file=out)
    lost, duplicated = sum(len(t.lost) for t in tallies), sum(len(t.duplicated) for t in tallies)
    records, faults = sum(t.records for t in tallies), sum(t.faults for t in tallies)
    print(f"\ntotal: {records} records, {faults} faults injected, {lost} lost, {duplicated} duplicated", file=out)
    unclean = [t for t in tallies if not t.clean]
    for tally in unclean:
        print("\n" + tally.explain(), file=out)
    out.flush()
    return 1 if unclean else 0


def _runs_log_to(path: str) -> TextIO:
    """Send everything printed to the process's stdout and stderr (the runs' JSON log lines) to ``path``;
    returns the terminal's stdout for the table."""
    terminal = os.fdopen(os.dup(1), "w")
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    return terminal


if __name__ == "__main__":
    sys.exit(main())
