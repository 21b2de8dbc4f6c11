"""The invoices function as Lambda runs it, watched from inside: the benchmarks' child process.

``sandbox.invoke.run_function`` runs this handler in a fresh interpreter with the function's
template environment; it imports the real ``functions/invoices/app.py``, counts what the run does
(every Severa, Netvisor and DynamoDB call with the thread that made it, the writer's time waiting
for work, CPU, the process's peak memory) and returns the run's summary with those figures.

``BENCH_VIRTUAL_NETVISOR_SECONDS``: the Lambda clock is the function's CPU time plus that many
seconds per Netvisor request (a backfill measured without sleeping through Netvisor's latency, and
whatever else the machine is doing; conservative: nothing overlaps the latency).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

FUNCTION_DIR = Path(__file__).resolve().parents[3] / "functions" / "invoices"
sys.path.insert(0, str(FUNCTION_DIR))

import app  # type: ignore[import-not-found]  # noqa: E402 - functions/invoices/app.py
import botocore.client  # noqa: E402 - after the function's folder is on the path
import requests  # noqa: E402
from severa_netvisor.engine import core, writer  # noqa: E402
from severa_netvisor.severa.client import SeveraClient  # noqa: E402

_lock = threading.Lock()
_calls: Counter[str] = Counter()
_seconds: dict[str, float] = {}
_netvisor_requests = [0]


def _note(kind: str, seconds: float) -> None:
    thread = threading.current_thread().name.split("_")[0].rstrip("-0123456789")
    with _lock:
        _calls[f"{kind}@{thread}"] += 1
        _seconds[f"{kind}@{thread}"] = _seconds.get(f"{kind}@{thread}", 0.0) + seconds


def _watch_netvisor() -> None:
    send = requests.Session.send

    def timed(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        try:
            return send(self, request, **kwargs)
        finally:
            if "X-Netvisor-Authentication-MAC" in request.headers:
                _netvisor_requests[0] += 1
                _note("netvisor", time.perf_counter() - started)

    requests.Session.send = timed  # type: ignore[method-assign]


def _watch_severa() -> None:
    sender = SeveraClient._send

    def timed(self: SeveraClient, interface: str, operation: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return sender(self, interface, operation, params)
        finally:
            _note("severa", time.perf_counter() - started)

    SeveraClient._send = timed  # type: ignore[method-assign]


def _watch_dynamodb() -> None:
    call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def timed(self: Any, operation: str, params: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(self, operation, params)
        finally:
            _note(self.meta.service_model.service_name, time.perf_counter() - started)

    botocore.client.BaseClient._make_api_call = timed  # type: ignore[attr-defined]


def _watch_writer_cpu() -> None:
    """The writer thread's own CPU time (the rest of its time besides Netvisor is waiting for a CPU)."""
    loop = writer.WriterMixin.writer_loop

    def watched(self: writer.WriterMixin) -> None:
        started = time.thread_time()
        try:
            loop(self)
        finally:
            with _lock:
                _seconds["cpu@invoices-writer"] = _seconds.get("cpu@invoices-writer", 0.0) + (
                    time.thread_time() - started
                )

    writer.WriterMixin.writer_loop = watched  # type: ignore[method-assign]


def _watch_writer_waits() -> None:
    """Time the writer spends waiting for work (its queue empty): what the intake did not hide."""
    init = core.RunCore.__init__

    def watched(self: core.RunCore, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        get = self.work.get

        def timed_get(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            item = get(*a, **k)
            if item is not None:  # the last wait (for the end) is not a stall
                _note("idle", time.perf_counter() - started)
            return item

        self.work.get = timed_get  # type: ignore[method-assign]

    core.RunCore.__init__ = watched  # type: ignore[method-assign]


class _VirtualContext:
    """The Lambda context on a clock of its own: the function's CPU time plus each Netvisor request's
    latency, as if nothing overlapped (conservative), and blind to the time other processes of a busy
    machine take from it (the sandbox's simulators, other work)."""

    def __init__(self, context: Any, latency: float):
        self._context, self._latency = context, latency
        self.aws_request_id = context.aws_request_id
        self._budget = context.get_remaining_time_in_millis() / 1000
        self._cpu = time.process_time()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def spent(self) -> float:
        return time.process_time() - self._cpu + _netvisor_requests[0] * self._latency

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._budget - self.spent()) * 1000))


def _peak_allocations() -> Callable[[], list[str]]:
    """BENCH_TRACEMALLOC=1: where Python's memory is when its allocations peak (sampled each 0.5 s)."""
    tracemalloc.start(8)
    best: list[Any] = [0, None]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            current, _ = tracemalloc.get_traced_memory()
            if current > best[0]:
                best[0], best[1] = current, tracemalloc.take_snapshot()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def report() -> list[str]:
        done.set()
        sampler.join()
        if best[1] is None:
            return []
        stats = best[1].statistics("traceback")[:12]
        return [f"{s.size / 2**20:.1f} MB: " + " <- ".join(str(f) for f in s.traceback[-4:]) for s in stats]

    return report


def _rss_timeline() -> Callable[[], list[str]]:
    """BENCH_RSS_TIMELINE=1: the process's resident memory every 0.25 s, beside the calls made so far."""
    lines: list[str] = []
    done = threading.Event()
    started = time.perf_counter()

    def sample() -> None:
        while not done.wait(0.25):
            with open("/proc/self/statm", encoding="ascii") as statm:
                resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            with _lock:
                calls = dict(_calls)
            lines.append(f"{time.perf_counter() - started:6.2f} s {resident:6.0f} MB {calls}")

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def report() -> list[str]:
        done.set()
        sampler.join()
        return lines

    return report


def _peak_rss_mb() -> float:
    """The process's peak resident memory since its exec (VmHWM): getrusage's ru_maxrss would carry the
    parent's peak over from the fork (Linux keeps it across execve)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    for watch in (_watch_netvisor, _watch_severa, _watch_dynamodb, _watch_writer_waits, _watch_writer_cpu):
        watch()
    allocations = _peak_allocations() if os.environ.get("BENCH_TRACEMALLOC") else None
    timeline = _rss_timeline() if os.environ.get("BENCH_RSS_TIMELINE") else None
    latency = float(os.environ.get("BENCH_VIRTUAL_NETVISOR_SECONDS") or 0)
    run_context = _VirtualContext(context, latency) if latency else context
    started, cpu = time.perf_counter(), time.process_time()
    try:
        result: dict[str, Any] = app.lambda_handler(event, run_context)
    except Exception as error:  # the figures still count (a run an error stopped)
        result = {"error": f"{type(error).__name__}: {error}"}
    wall = time.perf_counter() - started
    result["probe"] = {
        "wall_seconds": wall,
        "virtual_seconds": run_context.spent() if isinstance(run_context, _VirtualContext) else wall,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": _peak_rss_mb(),
        "calls": dict(_calls),
        "seconds": dict(_seconds),
        "allocations": allocations() if allocations else [],
        "timeline": timeline() if timeline else [],
    }
    return result
