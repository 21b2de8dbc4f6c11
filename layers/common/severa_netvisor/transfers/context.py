"""What every transfer is built from: settings, the operator's mapping and the two clients.

Clients are made on first use, with a credential reloader wired in, so a key rotated in Secrets
Manager is picked up after one authentication failure without a redeploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from severa_netvisor.credentials import CredentialStore
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.loader import load_mapping
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient


@dataclass
class TransferContext:
    settings: Settings
    mapping: MappingConfig
    store: CredentialStore
    _severa: SeveraClient | None = field(default=None, repr=False)
    _netvisor: NetvisorClient | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> TransferContext:
        """Read the mapping now: a bad mapping fails the cold start with every bad key named."""
        return cls(settings=settings, mapping=load_mapping(settings), store=CredentialStore(settings))

    @property
    def severa(self) -> SeveraClient:
        if self._severa is None:
            self._severa = SeveraClient(
                self.store.severa(), self.settings, credential_reloader=lambda: self.store.severa(force=True)
            )
        return self._severa

    @property
    def netvisor(self) -> NetvisorClient:
        if self._netvisor is None:
            self._netvisor = NetvisorClient(
                self.store.netvisor(), self.settings, credential_reloader=lambda: self.store.netvisor(force=True)
            )
        return self._netvisor
