"""The Severa half of the connection check: can this deployment call Severa with its secret?"""

from __future__ import annotations

from typing import Any

from severa_netvisor.credentials import CredentialStore
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.severa.errors import (
    SeveraAuthenticationError,
    SeveraQuotaExceededError,
    SeveraTransportError,
)


def probe_severa(store: CredentialStore, settings: Settings | None = None) -> dict[str, Any]:
    """Read the Severa secret and make two cheap calls; return what was learned.

    ``GetVersion`` declares no authentication fault, so it may not prove the key; ``GetCurrencies``
    (a handful of rows) does. Raises a ``SeveraError`` whose ``message`` says what failed and whose
    ``action`` says what the admin should do.
    """
    credentials = store.severa()
    with SeveraClient(
        credentials, settings, credential_reloader=lambda: store.severa(force=True), retry_delays=()
    ) as client:
        try:
            version = client.get_version()
            currencies = client.currencies()
        except SeveraAuthenticationError as error:
            raise SeveraAuthenticationError(
                f"Severa answered '{error.remote_text or 'Access denied'}' at {client.endpoint}: the API key "
                "was regenerated or the API user deactivated.",
                operation=error.operation,
                remote_text=error.remote_text,
            ) from None
        except SeveraQuotaExceededError as error:
            raise SeveraQuotaExceededError(
                f"Severa's daily API quota is exhausted ({error.used_quota}/{error.quota} calls used today).",
                quota=error.quota,
                used_quota=error.used_quota,
                operation=error.operation,
                remote_text=error.remote_text,
            ) from None
        except SeveraTransportError as error:
            raise SeveraTransportError(
                f"Severa endpoint {client.endpoint} is unreachable or did not answer SOAP: {error.message}",
                operation=error.operation,
                remote_text=error.remote_text,
                status_code=error.status_code,
            ) from None
        quota = client.quota
        return {
            "endpoint": client.endpoint,
            "version": version,
            "currencies": sorted(c.iso_code or "" for c in currencies),
            "quota": quota.quota,
            "used_quota": quota.used,
        }
