"""Netvisor HMAC-SHA256 authentication: the MAC and every ``X-Netvisor-*`` header.

Recipe (reference API.md §2.2, corroborated by three clients):
``key = CustomerKey & PartnerKey``; message = ``URL & Sender & CustomerId & Timestamp & Language &
OrganisationId & TransactionId & TimestampUnix & CustomerKey & PartnerKey``, both as ISO-8859-1
bytes; the MAC is the lower-case hex HMAC-SHA256 digest. The URL is the one actually sent
(scheme, host, path and the encoded query string).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from severa_netvisor.credentials import NetvisorCredentials

ALGORITHM = "HMACSHA256"


@dataclass(frozen=True)
class MacInput:
    """The fields the MAC covers, in the order Netvisor hashes them (keys excluded)."""

    url: str
    sender: str
    customer_id: str
    timestamp: str
    language: str
    organisation_id: str
    transaction_id: str
    timestamp_unix: str


def _latin1(text: str) -> bytes:
    # Netvisor hashes ISO-8859-1 bytes; a character outside it cannot be signed consistently.
    return text.encode("iso-8859-1")


def compute_mac(fields: MacInput, customer_key: str, partner_key: str) -> str:
    message = "&".join(
        [
            fields.url,
            fields.sender,
            fields.customer_id,
            fields.timestamp,
            fields.language,
            fields.organisation_id,
            fields.transaction_id,
            fields.timestamp_unix,
            customer_key,
            partner_key,
        ]
    )
    key = f"{customer_key}&{partner_key}"
    return hmac.new(_latin1(key), _latin1(message), hashlib.sha256).hexdigest()


def format_timestamp(moment: datetime) -> str:
    """UTC ``YYYY-MM-DD HH:MM:SS.fff``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def new_transaction_id() -> str:
    return uuid.uuid4().hex


def signed_headers(
    credentials: NetvisorCredentials,
    url: str,
    *,
    now: datetime | None = None,
    transaction_id: str | None = None,
) -> dict[str, str]:
    """Every Netvisor header for one request to ``url`` (a fresh transaction id unless one is given)."""
    moment = now or datetime.now(UTC)
    fields = MacInput(
        url=url,
        sender=credentials.sender,
        customer_id=credentials.customer_id,
        timestamp=format_timestamp(moment),
        language=credentials.language,
        organisation_id=credentials.organisation_id,
        transaction_id=transaction_id or new_transaction_id(),
        timestamp_unix=str(int(moment.timestamp())),
    )
    mac = compute_mac(fields, credentials.customer_key.get_secret_value(), credentials.partner_key.get_secret_value())
    return {
        "X-Netvisor-Authentication-Sender": fields.sender,
        "X-Netvisor-Authentication-CustomerId": fields.customer_id,
        "X-Netvisor-Authentication-PartnerId": credentials.partner_id,
        "X-Netvisor-Authentication-Timestamp": fields.timestamp,
        "X-Netvisor-Authentication-TimestampUnix": fields.timestamp_unix,
        "X-Netvisor-Interface-Language": fields.language,
        "X-Netvisor-Organisation-ID": fields.organisation_id,
        "X-Netvisor-Authentication-TransactionId": fields.transaction_id,
        "X-Netvisor-Authentication-MAC": mac,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": ALGORITHM,
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
    }


#: Header names whose values must never be logged.
SECRET_HEADERS = frozenset({"X-Netvisor-Authentication-MAC"})
