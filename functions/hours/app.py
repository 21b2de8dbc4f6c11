"""The hours transfer: a scheduled run through the shared engine."""

from severa_netvisor.handler import make_handler
from severa_netvisor.transfers.hours import build_transfer

lambda_handler = make_handler(build_transfer)
