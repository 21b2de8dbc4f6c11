"""The exception family every part of the integration raises.

Each error says which system it came from, carries the remote system's text verbatim (when there is
one) and whether a retry can help, so the engine can decide and the failed-records queue can tell an
operator what to do.
"""

from __future__ import annotations


class IntegrationError(Exception):
    """Base class: a failure with an operator-readable message."""

    system: str = "integration"
    #: Whether trying the same operation again later can succeed without anyone changing anything.
    retryable: bool = False

    def __init__(self, message: str, *, remote_text: str | None = None, retryable: bool | None = None):
        super().__init__(message)
        self.message = message
        self.remote_text = remote_text
        if retryable is not None:
            self.retryable = retryable

    @property
    def error_class(self) -> str:
        return type(self).__name__


class ConfigurationError(IntegrationError):
    """The deployment is misconfigured (secret, mapping, environment): an admin must fix it."""

    system = "configuration"


class CredentialsError(ConfigurationError):
    """A secret is missing, unreadable or malformed."""
