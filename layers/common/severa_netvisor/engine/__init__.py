"""The transfer engine: the run loop every transfer shares (see ``runner`` for how a run works)."""

from severa_netvisor.engine.model import (
    DriftDetected,
    PlannedWrite,
    Skip,
    SourceRecord,
    StopRun,
    Transfer,
    TransferBase,
    stops_run,
)
from severa_netvisor.engine.runner import Engine, EngineOptions, RemainingTime, RunRequest, drift_error
from severa_netvisor.engine.settlement import SettlementTracker
from severa_netvisor.engine.summary import PlanItem, RunSummary

__all__ = [
    "DriftDetected",
    "Engine",
    "EngineOptions",
    "PlanItem",
    "PlannedWrite",
    "RemainingTime",
    "RunRequest",
    "RunSummary",
    "SettlementTracker",
    "Skip",
    "SourceRecord",
    "StopRun",
    "Transfer",
    "TransferBase",
    "drift_error",
    "stops_run",
]
