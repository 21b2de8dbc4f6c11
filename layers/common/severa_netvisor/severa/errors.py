"""Severa failures as our exception family, each with the remote text verbatim and an admin action.

The SOAP faults Severa declares (API.md §6) map one to one; the two it throws without declaring
(quota, terms of service) and transport failures get their own classes. ``retryable`` says whether
the same call can succeed later without anyone changing anything; ``action`` tells an admin what to do.
"""

from __future__ import annotations

from severa_netvisor.errors import IntegrationError


class SeveraError(IntegrationError):
    """Base of every Severa failure."""

    system = "severa"
    #: The Severa fault type (e.g. ``NotFoundException``), or None for transport failures.
    fault_type: str | None = None
    action: str = "See the message; contact Visma Severa support if it persists."

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        remote_text: str | None = None,
        retryable: bool | None = None,
        action: str | None = None,
    ):
        super().__init__(message, remote_text=remote_text, retryable=retryable)
        self.operation = operation
        if action is not None:
            self.action = action


class SeveraAuthenticationError(SeveraError):
    """ "Access denied": the key is wrong, regenerated or disabled, or the user lost the API right."""

    fault_type = "AuthenticationFailureException"
    stops_run = True
    action = (
        "The API key was regenerated or the API user deactivated: update the secret with a valid "
        "Severa API key (Severa: Tools > Personal details > API access) and check that the user "
        "still has 'Rights to API' and the organisation the API add-on."
    )


class SeveraNoPermissionError(SeveraError):
    fault_type = "NoPermissionException"
    action = (
        "The Severa API user lacks the access right for this action: grant it in the user's "
        "access-rights profile in Severa (all data is limited by the key owner's rights)."
    )


class SeveraNotFoundError(SeveraError):
    fault_type = "NotFoundException"
    action = "The record (or status name) does not exist in Severa: check the GUID or the configured name."


class SeveraValidationError(SeveraError):
    fault_type = "ValidationException"
    action = "Severa rejected the values sent: correct the record named in the message."


class SeveraGeneralFailureError(SeveraError):
    """Any other Severa-side failure; it may pass (API.md §9: retry at most once, then record)."""

    fault_type = "GeneralFailureException"
    retryable = True
    transient = True
    action = "Severa reported an internal failure: run again later; contact Visma Severa support if it persists."


class SeveraTermsNotApprovedError(SeveraError):
    fault_type = "TosNotApprovedException"
    stops_run = True
    action = "Log in to Severa as the API user and accept the terms of service."


class SeveraQuotaExceededError(SeveraError):
    """The organisation's daily call quota is used up: the engine stops the run and checkpoints.

    Severa resets the counter at the next UTC midnight, so the run can resume then.
    """

    fault_type = "QuotaLimitExceededException"
    retryable = True
    stops_run = True
    action = (
        "Severa's daily API quota is used up; transfers resume after the next UTC midnight. "
        "Schedule transfers less often if this recurs."
    )

    def __init__(
        self,
        message: str,
        *,
        quota: int | None,
        used_quota: int | None,
        operation: str | None = None,
        remote_text: str | None = None,
    ):
        super().__init__(message, operation=operation, remote_text=remote_text)
        self.quota = quota
        self.used_quota = used_quota


class SeveraQuotaShareReached(SeveraError):
    """Today's Severa calls passed the share of the quota this integration may use: the run stops
    taking new work, checkpointed, and the runs after Severa's daily reset go on.

    Part of normal work during a backlog (a backfill spreads over days so that the other
    integrations of the organisation keep their calls): it stops the run, but raises no alarm."""

    retryable = True
    stops_run = True
    alarms = False
    action = (
        "Nothing, if a backlog is being worked through: the runs after Severa's daily reset (UTC midnight) go on "
        "where this one stopped. To let this integration use more of the quota, raise SEVERA_QUOTA_SHARE."
    )

    def __init__(self, message: str, *, quota: int, used_quota: int, share: float):
        super().__init__(message)
        self.quota = quota
        self.used_quota = used_quota
        self.share = share


class SeveraTransportError(SeveraError):
    """No usable SOAP answer: connection refused or dropped, timeout, HTTP error, malformed body.

    Raised after the client's own retries (reads) or at once (writes): Severa is down for now.
    """

    retryable = True
    stops_run = True
    action = (
        "Severa could not be reached or answered garbage: check the endpoint in the secret and "
        "Severa's service status; the next run retries."
    )

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        remote_text: str | None = None,
        status_code: int | None = None,
        may_have_arrived: bool = True,
    ):
        super().__init__(message, operation=operation, remote_text=remote_text)
        self.status_code = status_code
        #: False only when the request provably never reached Severa (the connection was never made).
        self.may_have_arrived = may_have_arrived


class SeveraAnswerRefusedError(SeveraError):
    """Severa answered, but beyond what the integration accepts (size, nesting, elements per record).

    Not retried (the same answer would come again) and it does not stop the run by itself: a file too
    large for one invoice fails that invoice only.
    """

    action = (
        "Severa's answer exceeded the integration's limits. For an invoice PDF or attachment, make the "
        "file smaller in Severa and replay the invoice; for a list, raise SEVERA_MAX_RESPONSE_MB on the "
        "function if the data is genuine, or contact Visma Severa support if the answer looks wrong."
    )


#: Fault detail element name (in the Severa.API namespace) -> our exception class.
FAULT_CLASSES: dict[str, type[SeveraError]] = {
    cls.fault_type: cls
    for cls in (
        SeveraAuthenticationError,
        SeveraNoPermissionError,
        SeveraNotFoundError,
        SeveraValidationError,
        SeveraGeneralFailureError,
        SeveraTermsNotApprovedError,
        SeveraQuotaExceededError,
    )
    if cls.fault_type is not None
}
