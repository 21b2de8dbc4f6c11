"""The transfer engine: the run loop every transfer shares (see ``runner`` for how a run works)."""

from severa_netvisor.engine.contract import (
    DependencyFailed,
    DriftDetected,
    NotYet,
    PlannedWrite,
    Requirement,
    RunBase,
    RunContext,
    RunLedger,
    Skip,
    SourceRecord,
    Transfer,
    TransferRun,
    content_hash,
    drift_error,
)
from severa_netvisor.engine.core import EngineOptions, RemainingTime, RunObserver
from severa_netvisor.engine.runner import Engine
from severa_netvisor.engine.settlement import SettlementTracker
from severa_netvisor.engine.summary import PlanItem, RunSummary
from severa_netvisor.engine.work import RunRequest
from severa_netvisor.errors import stops_run

__all__ = [
    "DependencyFailed",
    "DriftDetected",
    "Engine",
    "EngineOptions",
    "NotYet",
    "PlanItem",
    "PlannedWrite",
    "RemainingTime",
    "Requirement",
    "RunBase",
    "RunContext",
    "RunLedger",
    "RunObserver",
    "RunRequest",
    "RunSummary",
    "SettlementTracker",
    "Skip",
    "SourceRecord",
    "Transfer",
    "TransferRun",
    "content_hash",
    "drift_error",
    "stops_run",
]
