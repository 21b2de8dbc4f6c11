"""One exception per Netvisor error class, each an IntegrationError with text, retryable and action."""

from __future__ import annotations

import pytest
from severa_netvisor.errors import IntegrationError
from severa_netvisor.netvisor import errors as e

EXPECTED = {
    "AUTHENTICATION_FAILED": (e.NetvisorAuthenticationError, False),
    "INVALID_DATA": (e.NetvisorInvalidDataError, False),
    "INVALID_DATA_SIZE": (e.NetvisorInvalidDataSizeError, False),
    "DUPLICATE_DATA": (e.NetvisorDuplicateDataError, False),
    "REQUEST_NOT_UNIQUE": (e.NetvisorRequestNotUniqueError, True),
    "PERIOD_LOCK": (e.NetvisorPeriodLockError, False),
    "SERVICE_ACCESS_ERROR": (e.NetvisorServiceAccessError, False),
    "SYSTEM_MAINTENANCE": (e.NetvisorMaintenanceError, True),
    "SYSTEM_MAINTANANCE": (e.NetvisorMaintenanceError, True),
    "TECHNICAL_ERROR": (e.NetvisorTechnicalError, True),
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_code_has_its_class(code):
    cls, retryable = EXPECTED[code]
    error = e.error_from_status(code, "Something & <odd> ä", resource="customer.nv", http_status=400)
    assert type(error) is cls
    assert isinstance(error, IntegrationError)
    assert error.system == "netvisor"
    assert error.remote_text == f"{code} :: Something & <odd> ä"
    assert error.retryable is retryable
    assert error.action
    assert error.resource == "customer.nv"
    assert error.http_status == 400
    assert "customer.nv" in error.message


def test_unknown_code_is_a_plain_netvisor_error():
    error = e.error_from_status("SOMETHING_NEW", "text")
    assert type(error) is e.NetvisorError
    assert error.remote_text == "SOMETHING_NEW :: text"


def test_transport_errors():
    assert e.NetvisorServerError("x").retryable
    assert e.NetvisorServerError.action
    assert not e.NetvisorHttpError("x").retryable
    timeout = e.NetvisorTimeoutError("x", may_have_arrived=True, retryable=False)
    assert timeout.may_have_arrived
    assert not timeout.retryable
    refused = e.NetvisorConnectionError("x", may_have_arrived=False)
    assert isinstance(refused, e.NetvisorTimeoutError)
    assert refused.retryable
    assert "host" in refused.action
