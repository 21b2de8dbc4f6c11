"""The Netvisor half of the connection check: read the secret, make one cheap authenticated call."""

from __future__ import annotations

from typing import Any

import requests

from severa_netvisor.credentials import CredentialStore
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.netvisor.errors import (
    NetvisorAuthenticationError,
    NetvisorConnectionError,
    NetvisorServiceAccessError,
    NetvisorTimeoutError,
)
from severa_netvisor.settings import Settings


def probe_netvisor(
    store: CredentialStore, *, settings: Settings | None = None, session: requests.Session | None = None
) -> dict[str, Any]:
    """Details of a successful call, or the NetvisorError (with ``.action``) explaining the failure."""
    credentials = store.netvisor()
    client = NetvisorClient(
        credentials,
        settings,
        credential_reloader=lambda: store.netvisor(force=True),
        session=session,
        max_attempts=2,
        backoff_seconds=1.0,
    )
    try:
        return client.check_credentials()
    except NetvisorAuthenticationError as error:
        error.message = (
            f"Netvisor rejected the API identifiers for organisation {credentials.organisation_id}: {error.remote_text}"
        )
        error.args = (error.message,)
        raise
    except NetvisorServiceAccessError as error:
        error.message = (
            "Netvisor refused the customer list resource (customerlist.nv): the API or this resource is "
            f"not enabled for organisation {credentials.organisation_id}: {error.remote_text}"
        )
        error.args = (error.message,)
        raise
    except NetvisorConnectionError as error:
        error.message = f"Netvisor host {credentials.host} could not be reached ({error.message})."
        error.args = (error.message,)
        error.action = "Check the 'host' in the Netvisor secret (https://integration.netvisor.fi) and the network."
        raise
    except NetvisorTimeoutError as error:
        error.message = f"Netvisor host {credentials.host} did not answer in time ({error.message})."
        error.args = (error.message,)
        raise
