"""The exception family every part of the integration raises, and the one taxonomy the engine reads.

Each error says which system it came from, carries the remote system's text verbatim (when there is
one) and declares, as class attributes, what the engine must do with it:

- ``stops_run``: the *system* is unusable (credentials refused, host unreachable, maintenance,
  quota): the run checkpoints and ends at once, the record at hand stays ahead of the cursor and no
  per-record failure is recorded.
- ``transient``: a passing transport failure (5xx, timeout): one record may fail of it, but a streak
  of them trips the engine's circuit breaker, which then treats it as an outage.
- ``outcome_unknown``: a write may have been applied (the answer was lost): not a failure of the
  record; the next attempt looks the record up before writing again.
- ``retryable``: trying the same thing later, with nothing changed, can succeed.
- ``for_author``: the record's own data is wrong, so the person who wrote it in the source can act
  (Severa's invoice log is for them); everything else is for the operator (logs, alarms, summary).
- ``action``: what a person should do, in their words.

No transfer keeps a list of error classes: the engine decides from these attributes alone.
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
    #: The system is unusable: stop the run now (checkpointed), record nothing against the record.
    stops_run: bool = False
    #: A passing transport failure; a streak of them is an outage (the circuit breaker stops the run).
    transient: bool = False
    #: A write may have reached the target: resolve by lookup on the next attempt, never by resending.
    outcome_unknown: bool = False
    #: The record's author (not the operator) can fix it: it may be told in the source system.
    for_author: bool = False
    #: With ``stops_run``: the stop is news to the operator, so the invocation fails and the Errors
    #: alarm fires. False for a stop that is part of normal work (the day's share of Severa's quota is
    #: used): the summary says why the run stopped early, the invocation succeeds.
    alarms: bool = True
    #: What a person should do about it.
    action: str = "See the message; fix the cause and replay the record."

    def __init__(
        self,
        message: str,
        *,
        remote_text: str | None = None,
        retryable: bool | None = None,
        action: str | None = None,
    ):
        self._message = scrub(message)
        super().__init__(self._message)
        self.remote_text = remote_text
        if retryable is not None:
            self.retryable = retryable
        if action is not None:
            self.action = action

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


class RecordError(IntegrationError):
    """The record's own data cannot be transferred: its author fixes it in the source."""

    for_author = True
    action = "Correct the record in Severa; it is sent again on the next run."


class ConfigurationError(IntegrationError):
    """The deployment is misconfigured (secret, mapping, environment): an admin must fix it."""

    system = "configuration"
    stops_run = True
    action = "Fix the configuration named in the message; the next run continues where this one stopped."


class CredentialsError(ConfigurationError):
    """A secret is missing, unreadable or malformed."""

    action = "Fix the secret in AWS Secrets Manager (see README, 'Secrets'); the next run continues."


def stops_run(error: BaseException) -> bool:
    return isinstance(error, IntegrationError) and error.stops_run
