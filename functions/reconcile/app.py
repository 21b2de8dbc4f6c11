"""The reconcile function: the month-end proof that Severa and Netvisor agree (read-only)."""

from severa_netvisor.reconcile.handler import make_handler

lambda_handler = make_handler()
