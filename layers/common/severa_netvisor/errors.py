"""The exception family every part of the integration raises.

Each error says which system it came from, carries the remote system's text verbatim (when there is
one) and whether a retry can help, so the engine can decide and the failed-records queue can tell an
operator what to do.
"""

from __future__ import annotations

from severa_netvisor.scrub import scrub, scrub_optional


class IntegrationError(Exception):
    """Base class: a failure with an operator-readable message.

    The message and the remote text are scrubbed of every known secret value when set (a remote
    may echo what it was sent), so whatever logs, queues or writes them back carries no secret.
    """

    system: str = "integration"
    #: Whether trying the same operation again later can succeed without anyone changing anything.
    retryable: bool = False

    def __init__(self, message: str, *, remote_text: str | None = None, retryable: bool | None = None):
        self._message = scrub(message)
        super().__init__(self._message)
        self.remote_text = remote_text
        if retryable is not None:
            self.retryable = retryable

    @property
    def message(self) -> str:
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        self._message = scrub(value)

    @property
    def remote_text(self) -> str | None:
        return self._remote_text

    @remote_text.setter
    def remote_text(self, value: str | None) -> None:
        self._remote_text = scrub_optional(value)

    def __str__(self) -> str:
        return scrub(super().__str__())

    @property
    def error_class(self) -> str:
        return type(self).__name__


class ConfigurationError(IntegrationError):
    """The deployment is misconfigured (secret, mapping, environment): an admin must fix it."""

    system = "configuration"


class CredentialsError(ConfigurationError):
    """A secret is missing, unreadable or malformed."""
