"""The month-end reconciliation: the proof that Severa, Netvisor and the integration's ledger agree.

Read-only. ``Reconciliation.run(period, run_id)`` reads both systems and the ledger and returns a
``Report``; ``render`` turns it into the one-screen summary, tables, CSV and JSON; ``publish`` stores
it and sends the summary; ``handler`` is the Lambda function, ``python -m severa_netvisor.reconcile``
the command line.
"""

from severa_netvisor.reconcile.period import Period
from severa_netvisor.reconcile.report import Report
from severa_netvisor.reconcile.runner import ReconcileOptions, Reconciliation, ReconciliationError

__all__ = ["Period", "ReconcileOptions", "Reconciliation", "ReconciliationError", "Report"]
