"""Netvisor XML API client: HMAC authentication, DTD-ordered requests, lenient responses."""

from severa_netvisor.netvisor.client import NetvisorClient, company_lock
from severa_netvisor.netvisor.connection import probe_netvisor
from severa_netvisor.netvisor.errors import (
    ERROR_CLASSES,
    NetvisorAuthenticationError,
    NetvisorConnectionError,
    NetvisorDuplicateDataError,
    NetvisorError,
    NetvisorHttpError,
    NetvisorInvalidDataError,
    NetvisorInvalidDataSizeError,
    NetvisorMaintenanceError,
    NetvisorPeriodLockError,
    NetvisorRequestNotUniqueError,
    NetvisorServerError,
    NetvisorServiceAccessError,
    NetvisorTechnicalError,
    NetvisorTimeoutError,
)

__all__ = [
    "ERROR_CLASSES",
    "NetvisorAuthenticationError",
    "NetvisorClient",
    "NetvisorConnectionError",
    "NetvisorDuplicateDataError",
    "NetvisorError",
    "NetvisorHttpError",
    "NetvisorInvalidDataError",
    "NetvisorInvalidDataSizeError",
    "NetvisorMaintenanceError",
    "NetvisorPeriodLockError",
    "NetvisorRequestNotUniqueError",
    "NetvisorServerError",
    "NetvisorServiceAccessError",
    "NetvisorTechnicalError",
    "NetvisorTimeoutError",
    "company_lock",
    "probe_netvisor",
]
