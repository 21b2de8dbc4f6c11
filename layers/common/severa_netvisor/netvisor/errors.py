"""One exception per Netvisor error class.

Every error keeps Netvisor's text verbatim in ``remote_text``, says whether trying again later can
succeed (``retryable``) and tells an admin what to do (``action``). Messages never contain keys or
MACs: they are built from the error code, the resource name and Netvisor's own text only.
"""

from __future__ import annotations

from severa_netvisor.errors import IntegrationError


class NetvisorError(IntegrationError):
    """Base class of every failure talking to Netvisor."""

    system = "netvisor"
    #: Netvisor's error code (the part before " :: "), or a synthetic one for transport failures.
    code: str = "NETVISOR_ERROR"
    action: str = "See Netvisor's message; fix the cause and run the transfer again."

    def __init__(
        self,
        message: str,
        *,
        remote_text: str | None = None,
        retryable: bool | None = None,
        resource: str = "",
        http_status: int | None = None,
        action: str | None = None,
    ):
        super().__init__(message, remote_text=remote_text, retryable=retryable)
        self.resource = resource
        self.http_status = http_status
        if action is not None:
            self.action = action


class NetvisorAuthenticationError(NetvisorError):
    code = "AUTHENTICATION_FAILED"
    stops_run = True
    action = (
        "Check customer_id, customer_key, partner_id, partner_key and organisation_id in the Netvisor "
        "secret. If they are right, the API identifiers may have been deactivated or the integration "
        "user may have lost its rights: create new identifiers under 'API identifiers' in Netvisor "
        "and update the secret."
    )


class NetvisorInvalidDataError(NetvisorError):
    code = "INVALID_DATA"
    #: Netvisor names the element it refused: the record's data (or the mapping) must change.
    for_author = True
    action = "Correct the record named in Netvisor's message (or the mapping that produced it), then replay it."


class NetvisorInvalidDataSizeError(NetvisorError):
    code = "INVALID_DATA_SIZE"
    for_author = True
    action = "A value is too long or too large for Netvisor: shorten it in Severa or in the mapping, then replay."


class NetvisorDuplicateDataError(NetvisorError):
    code = "DUPLICATE_DATA"
    action = "The data already exists in Netvisor: link the existing record instead of sending it again."


class NetvisorRequestNotUniqueError(NetvisorError):
    code = "REQUEST_NOT_UNIQUE"
    retryable = True
    action = "A transaction id was reused; the next run sends a new one. Report it if it repeats."


class NetvisorPeriodLockError(NetvisorError):
    code = "PERIOD_LOCK"
    action = "The accounting period is locked in Netvisor: open it, or change the record's date, then replay."


class NetvisorServiceAccessError(NetvisorError):
    code = "SERVICE_ACCESS_ERROR"
    stops_run = True
    action = (
        "Netvisor refused access to this resource: enable the API and the resource under "
        "'Rights of interface resources' in Netvisor, and check that the integration user's role allows it."
    )


class NetvisorMaintenanceError(NetvisorError):
    code = "SYSTEM_MAINTENANCE"
    retryable = True
    stops_run = True
    action = "Netvisor is in maintenance; the next scheduled run tries again. Nothing to fix."


class NetvisorTechnicalError(NetvisorError):
    code = "TECHNICAL_ERROR"
    retryable = True
    transient = True
    action = "Netvisor reported a technical error; the next run tries again. Report it to Netvisor if it repeats."


class NetvisorServerError(NetvisorError):
    """HTTP 5xx without a Netvisor error code in the body."""

    code = "HTTP_5XX"
    retryable = True
    transient = True
    action = "Netvisor answered with a server error; the next run tries again."


class NetvisorHttpError(NetvisorError):
    """Any other unexpected HTTP answer (4xx without a Netvisor error code, unparsable body)."""

    code = "HTTP_ERROR"
    action = "Netvisor's answer could not be understood: check the host in the Netvisor secret."


class NetvisorTimeoutError(NetvisorError):
    """No answer in time. For a write, Netvisor may have applied it: check before sending it again."""

    code = "TIMEOUT"
    retryable = True
    transient = True
    action = (
        "Netvisor did not answer in time. For a write, check in Netvisor whether the record arrived "
        "before replaying it; reads are retried automatically."
    )

    def __init__(
        self,
        message: str,
        *,
        may_have_arrived: bool,
        resource: str = "",
        remote_text: str | None = None,
        retryable: bool | None = None,
        write: bool = False,
    ):
        super().__init__(message, resource=resource, remote_text=remote_text, retryable=retryable)
        #: False only when the request provably never reached Netvisor.
        self.may_have_arrived = may_have_arrived
        #: A write that may have been applied: looked up before it is ever sent again.
        self.outcome_unknown = write and may_have_arrived
        #: Never reached: the host is unreachable (DNS, refused, TLS), an outage rather than a blip.
        if not may_have_arrived:
            self.stops_run = True
            self.transient = False


class NetvisorConnectionError(NetvisorTimeoutError):
    """The connection failed (refused, reset, dropped before an answer)."""

    code = "CONNECTION_ERROR"
    action = (
        "Netvisor could not be reached: check the host in the Netvisor secret and the network. "
        "For a write that was cut off, check in Netvisor whether the record arrived before replaying it."
    )


#: Netvisor's code (as written before " :: ") -> exception class. Both maintenance spellings occur.
ERROR_CLASSES: dict[str, type[NetvisorError]] = {
    "AUTHENTICATION_FAILED": NetvisorAuthenticationError,
    "INVALID_DATA": NetvisorInvalidDataError,
    "INVALID_DATA_SIZE": NetvisorInvalidDataSizeError,
    "DUPLICATE_DATA": NetvisorDuplicateDataError,
    "REQUEST_NOT_UNIQUE": NetvisorRequestNotUniqueError,
    "PERIOD_LOCK": NetvisorPeriodLockError,
    "SERVICE_ACCESS_ERROR": NetvisorServiceAccessError,
    "SYSTEM_MAINTENANCE": NetvisorMaintenanceError,
    "SYSTEM_MAINTANANCE": NetvisorMaintenanceError,
    "TECHNICAL_ERROR": NetvisorTechnicalError,
}


def error_from_status(code: str, text: str, *, resource: str = "", http_status: int | None = None) -> NetvisorError:
    """The exception for a FAILED envelope: ``code`` and ``text`` are the two halves of ``CODE :: text``."""
    cls = ERROR_CLASSES.get(code.strip().upper(), NetvisorError)
    remote = f"{code} :: {text}" if text else code
    message = f"Netvisor {resource or 'request'} failed: {remote}"
    return cls(message, remote_text=remote, resource=resource, http_status=http_status)
