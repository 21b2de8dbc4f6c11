"""What every transfer is built from, and what each of its runs gets.

``TransferContext`` lives as long as the Lambda container: settings, the credential store, the two
clients (made on first use, with a credential reloader wired in, so a key rotated in Secrets Manager
is picked up after one authentication failure without a redeploy) and the operator's mapping, read
again when it is older than ``mapping_max_age_seconds`` (a bad new mapping keeps the last good one
running, says why, and counts ``MappingRejected`` for the alarm).

``RunClients`` is one run's view: the mapping as it was when the run started, and the clients, as
planning copies in a dry run (every write recorded, nothing sent).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit

from severa_netvisor.credentials import CredentialStore, NetvisorCredentials, SeveraCredentials
from severa_netvisor.dryrun import WritePlanner
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.loader import load_mapping
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.observability import logger, metrics
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient


class Clients(Protocol):
    """What a transfer run reads and writes through (``RunClients`` is one)."""

    @property
    def mapping(self) -> MappingConfig: ...

    @property
    def severa(self) -> SeveraClient: ...

    @property
    def netvisor(self) -> NetvisorClient: ...


class MappingSource:
    """The operator's mapping, re-read when older than ``max_age_seconds``; the last good one wins
    over a bad new one (the run goes on with it, the log says why, ``MappingRejected`` counts it)."""

    def __init__(
        self,
        settings: Settings,
        *,
        loader: Callable[[Settings], MappingConfig] = load_mapping,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._settings = settings
        self._loader = loader
        self._clock = clock
        self._lock = threading.Lock()
        self._value: MappingConfig | None = None
        self._loaded_at = 0.0

    def __call__(self) -> MappingConfig:
        with self._lock:
            fresh = self._value is not None and self._clock() - self._loaded_at < self._settings.mapping_max_age_seconds
            if fresh:
                assert self._value is not None
                return self._value
            try:
                self._value = self._loader(self._settings)
            except ConfigurationError as error:
                if self._value is None:
                    raise
                logger.error(
                    "the new mapping is not valid; the last good one stays in use",
                    extra={"reason": error.message},
                )
                metrics.add_metric(name="MappingRejected", unit=MetricUnit.Count, value=1)
            self._loaded_at = self._clock()
            return self._value


@dataclass
class TransferContext:
    settings: Settings
    store: CredentialStore | None
    mappings: Callable[[], MappingConfig]
    _severa: SeveraClient | None = field(default=None, repr=False)
    _netvisor: NetvisorClient | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: The secrets the clients were built from: a warm container builds them again when a secret changed.
    _severa_from: SeveraCredentials | None = field(default=None, repr=False)
    _netvisor_from: NetvisorCredentials | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> TransferContext:
        return cls(settings=settings, store=CredentialStore(settings), mappings=MappingSource(settings))

    @classmethod
    def fixed(
        cls, settings: Settings, mapping: MappingConfig, *, severa: SeveraClient, netvisor: NetvisorClient
    ) -> TransferContext:
        """A context with given clients and mapping (tests, benchmarks, the sandbox)."""
        return cls(settings=settings, store=None, mappings=lambda: mapping, _severa=severa, _netvisor=netvisor)

    # The secrets are read again (through the store's cache, ``secret_max_age_seconds``) whenever a run
    # asks for a client: a secret an admin fixed (a new host or endpoint, new keys) is used by a warm
    # container from the next run on, not only after the old one was refused; an unreachable host
    # never is, so a warm container kept failing until Lambda recycled it.
    @property
    def severa(self) -> SeveraClient:
        with self._lock:
            if self.store is None and self._severa is not None:
                return self._severa
            store = self._credentials()
            credentials = store.severa()
            if self._severa is None or credentials != self._severa_from:
                self._severa = self.new_severa(credentials, lambda: store.severa(force=True))
                self._severa_from = credentials
            return self._severa

    @property
    def netvisor(self) -> NetvisorClient:
        with self._lock:
            if self.store is None and self._netvisor is not None:
                return self._netvisor
            store = self._credentials()
            credentials = store.netvisor()
            if self._netvisor is None or credentials != self._netvisor_from:
                self._netvisor = self.new_netvisor(credentials, lambda: store.netvisor(force=True))
                self._netvisor_from = credentials
            return self._netvisor

    def new_severa(self, credentials: SeveraCredentials, reload: Callable[[], SeveraCredentials]) -> SeveraClient:
        return SeveraClient(credentials, self.settings, credential_reloader=reload)

    def new_netvisor(
        self, credentials: NetvisorCredentials, reload: Callable[[], NetvisorCredentials]
    ) -> NetvisorClient:
        return NetvisorClient(credentials, self.settings, credential_reloader=reload)

    def _credentials(self) -> CredentialStore:
        if self.store is None:
            raise ConfigurationError("No credential store is configured for this transfer context.")
        return self.store

    def for_run(self, planner: WritePlanner | None) -> RunClients:
        """One run's clients and mapping (the mapping is read, or re-read, now)."""
        return RunClients(self, self.mappings(), planner)


class RunClients:
    """One run's mapping and clients; in a dry run the clients record writes instead of sending them."""

    def __init__(self, context: TransferContext, mapping: MappingConfig, planner: WritePlanner | None):
        self._context = context
        self._mapping = mapping
        self._planner = planner
        self._severa: SeveraClient | None = None
        self._netvisor: NetvisorClient | None = None

    @property
    def settings(self) -> Settings:
        return self._context.settings

    @property
    def mapping(self) -> MappingConfig:
        return self._mapping

    @property
    def severa(self) -> SeveraClient:
        if self._severa is None:
            base = self._context.severa
            self._severa = base.planning(self._planner) if self._planner is not None else base
        return self._severa

    @property
    def netvisor(self) -> NetvisorClient:
        if self._netvisor is None:
            base = self._context.netvisor
            self._netvisor = base.planning(self._planner) if self._planner is not None else base
        return self._netvisor
