"""Runs at the same time against one Netvisor company: the same transfer twice, different transfers, a
dry run and the connection check beside them.

Each "container" is a warm handler of its own (its own clients and keep-alive sessions, as separate
Lambda functions have) in a thread. Netvisor refuses a request to a company while another is in
flight, and the simulator does too; the leases must keep every request apart. Every round starts
all of them together and repeats until each transfer had a run that did its work (a run that found
the lease taken does nothing, which is no alarm). Nothing may be doubled, no request refused as
overlapping, no invocation failed.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from severa_netvisor.connection_check import NetvisorTurn, run_connection_check
from severa_netvisor.credentials import CredentialStore

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.severa import build_state
from tests.integration.rig import World, world
from tests.reliability.campaigns.tally import Tally, timed
from tests.reliability.support import Warm, refusals

TRANSFERS = ("customers", "products", "dimensions", "hours")


def _state(size: int, seed: int) -> Any:
    state = build_state(seed, accounts=size, invoices=0, hour_entries=size * 3)
    today = datetime.now(UTC).date()
    for index, entry in enumerate(state.hour_entries.values()):
        day = today - timedelta(days=index % 15 + 1)
        entry["EventDate"] = datetime(day.year, day.month, day.day)
    return state


@dataclass
class Round:
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    checks: list[Any] = field(default_factory=list)


def _all_at_once(jobs: dict[str, Callable[[], Any]], into: Round) -> None:
    start = threading.Barrier(len(jobs))
    lock = threading.Lock()

    def go(name: str, job: Callable[[], Any]) -> None:
        start.wait()
        try:
            result = job()
        except Exception as error:  # an invocation that failed is a false alarm here
            with lock:
                into.errors.append(f"{name}: {type(error).__name__}: {error}")
            return
        with lock:
            if name.startswith("check"):
                into.checks.append(result)
            else:
                into.results.setdefault(name.split("#", maxsplit=1)[0], []).append(result)

    threads = [threading.Thread(target=go, args=item, name=item[0]) for item in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)


def duplicates(w: World) -> list[str]:
    state = w.netvisor.state
    keys: Counter[str] = Counter()
    keys.update(f"customer {c.code}" for c in state.customers.values())
    keys.update(f"product {p.code}" for p in state.products.values())
    keys.update(f"item {d.name}/{i.name}" for d in state.dimensions.values() for i in d.items)
    keys.update(f"payroll row {r.employee} {r.day} {r.collector_ratio}" for r in state.workdays)
    return sorted(key for key, count in keys.items() if count > 1)


def concurrency_campaign(aws: LocalAws, size: int, seed: int, *, rounds: int = 2) -> tuple[Tally, list[Round]]:
    """``rounds`` rounds: each transfer twice at once, a dry run of each, and the connection check."""
    tally = Tally("concurrent runs, dry runs and the connection check")
    done: list[Round] = []
    with timed(tally), world(aws, severa_state=_state(size, seed), mapping_changes={"hours": {"enabled": True}}) as w:
        tally.records = len(w.severa.state.customers) + len(w.severa.state.products) + len(w.severa.state.hour_entries)
        # Slow writes: every run lasts long enough for the others to try and overlap it.
        w.netvisor.faults.add(Fault(kind="latency", resource="customer.nv", seconds=0.05))
        containers = {f"{name}#{n}": Warm(w, name) for name in TRANSFERS for n in (1, 2)}
        dry = {f"{name}#dry": Warm(w, name) for name in TRANSFERS}
        worked: set[str] = set()
        for index in range(rounds * 3):
            current = Round()
            jobs: dict[str, Callable[[], Any]] = dict(containers.items())
            jobs.update({key: functools.partial(warm, {"dry_run": True}) for key, warm in dry.items()})
            jobs["check"] = lambda: run_connection_check(
                CredentialStore(w.settings()), netvisor_turn=NetvisorTurn(w.store(), wait_seconds=120, poll_seconds=0.1)
            )
            _all_at_once(jobs, current)
            tally.faults += len(jobs)
            done.append(current)
            worked |= {name for name, results in current.results.items() if any(not r["lease_busy"] for r in results)}
            if index + 1 >= rounds and worked >= set(TRANSFERS):
                break
            if index % 2 == 1:  # new work for the next round: accounts and products change in Severa
                for account in list(w.severa.state.customers.values())[: size // 3]:
                    account["Website"] = f"https://www.example.fi/{index}"
                    w.severa.state.touch(account)
        for current in done:
            tally.differences += current.errors
            tally.differences += [f"a false alarm: {c.as_dict()}" for c in current.checks if not c.ok]
        for name in TRANSFERS:  # then one run each, alone: whatever a busy run left is done now
            Warm(w, name)()
        tally.duplicated += duplicates(w)
        codes = {c.code for c in w.netvisor.state.customers.values()}
        products = {p.code for p in w.netvisor.state.products.values()}
        tally.lost += [
            f"customer {a['Number']}" for a in w.severa.state.customers.values() if str(a["Number"]) not in codes
        ]
        tally.lost += [f"product {p['Code']}" for p in w.severa.state.products.values() if p["Code"] not in products]
        if refusals(w):
            tally.differences.append(f"{refusals(w)} Netvisor requests were refused as overlapping")
        if not worked >= set(TRANSFERS):
            tally.differences.append(f"only {sorted(worked)} ever did their work")
    return tally, done
