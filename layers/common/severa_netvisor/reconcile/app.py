"""A reconciliation built from the deployment's settings: the mapping, both clients (the Netvisor one
counting its requests), the state table and the two registers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from severa_netvisor.credentials import CredentialStore
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.loader import load_mapping
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.reconcile.netvisor_side import count_requests
from severa_netvisor.reconcile.publish import Notifier, ReportStore
from severa_netvisor.reconcile.registers import LedgerCreditMatches, RegisterFailures
from severa_netvisor.reconcile.runner import Reconciliation
from severa_netvisor.reconcile.settings import ReconcileSettings
from severa_netvisor.register import FailureRegister
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.state import StateStore


@dataclass
class ReconcileApp:
    settings: ReconcileSettings
    mapping: MappingConfig
    credentials: CredentialStore
    state: StateStore
    _severa: SeveraClient | None = field(default=None, repr=False)
    _netvisor: NetvisorClient | None = field(default=None, repr=False)
    _netvisor_requests: list[int] = field(default_factory=lambda: [0], repr=False)

    @classmethod
    def from_settings(cls, settings: ReconcileSettings) -> ReconcileApp:
        """Reads the mapping now: a bad mapping fails at once with every bad key named."""
        return cls(
            settings=settings,
            mapping=load_mapping(settings),
            credentials=CredentialStore(settings),
            state=StateStore(settings.state_table_name),
        )

    @property
    def severa(self) -> SeveraClient:
        if self._severa is None:
            store = self.credentials
            self._severa = SeveraClient(
                store.severa(), self.settings, credential_reloader=lambda: store.severa(force=True)
            )
        return self._severa

    @property
    def netvisor(self) -> NetvisorClient:
        if self._netvisor is None:
            store = self.credentials
            self._netvisor = NetvisorClient(
                store.netvisor(), self.settings, credential_reloader=lambda: store.netvisor(force=True)
            )
            self._netvisor_requests = count_requests(self._netvisor.session)
        return self._netvisor

    def reconciliation(self, remaining_seconds: Callable[[], float] | None = None) -> Reconciliation:
        return Reconciliation(
            severa=self.severa,
            netvisor=self.netvisor,
            mapping=self.mapping,
            state=self.state,
            failures=RegisterFailures(FailureRegister(self.state.table_name, client=self.state.client)),
            credit_matches=LedgerCreditMatches(self.state),
            netvisor_requests=lambda: self._netvisor_requests[0],
            options=self.settings.options(),
            remaining_seconds=remaining_seconds,
        )

    def report_store(self) -> ReportStore | None:
        return ReportStore(self.settings.report_bucket_name) if self.settings.report_bucket_name else None

    def notifier(self) -> Notifier | None:
        return Notifier(self.settings.alarm_topic_arn) if self.settings.alarm_topic_arn else None
