"""A faithful, stateful Netvisor simulator for tests and the demo (``python -m sandbox.netvisor``)."""

from sandbox.netvisor.faults import Fault, FaultSet
from sandbox.netvisor.server import Company, LoggedRequest, NetvisorSimulator, RequestLog, sandbox_credentials
from sandbox.netvisor.state import CompanyState

__all__ = [
    "Company",
    "CompanyState",
    "Fault",
    "FaultSet",
    "LoggedRequest",
    "NetvisorSimulator",
    "RequestLog",
    "sandbox_credentials",
]
