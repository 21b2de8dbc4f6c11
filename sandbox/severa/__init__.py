"""A faithful local stand-in for Visma Severa's SOAP API (see ``server.py``) and its seed data."""

from sandbox.severa.seed import build_state
from sandbox.severa.server import SeveraSimulator, sandbox_credentials
from sandbox.severa.state import InvoiceLogEntry, SeveraState

__all__ = ["InvoiceLogEntry", "SeveraSimulator", "SeveraState", "build_state", "sandbox_credentials"]
