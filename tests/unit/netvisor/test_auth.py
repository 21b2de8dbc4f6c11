"""The HMAC-SHA256 MAC and the X-Netvisor-* headers."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

from severa_netvisor.credentials import NetvisorCredentials
from severa_netvisor.netvisor.auth import MacInput, compute_mac, format_timestamp, signed_headers
from severa_netvisor.netvisor.client import _url

CREDENTIALS = NetvisorCredentials(
    customer_id="CID123",
    customer_key="CUSTOMERKEY",
    partner_id="PID456",
    partner_key="PARTNERKEY",
    organisation_id="1572860-0",
    sender="severa-netvisor",
    host="https://isvapi.netvisor.fi",
    language="EN",
)
URL = "https://isvapi.netvisor.fi/customerlist.nv?keyword=abc"
MOMENT = datetime(2024, 5, 31, 12, 0, 0, tzinfo=UTC)
TXID = "0123456789abcdef0123456789abcdef"

# Computed outside Python from the documented recipe (reference API.md §2.2):
#   printf '%s' 'URL&sender&customerid&timestamp&lang&org&txid&unix&CUSTOMERKEY&PARTNERKEY' \
#     | openssl dgst -sha256 -hmac 'CUSTOMERKEY&PARTNERKEY'
KNOWN_MAC = "055bc6a9f5942fba64d79d224617a9eb9563ac025a126e154bab30b655058e95"


def test_known_answer_mac():
    fields = MacInput(
        url=URL,
        sender="severa-netvisor",
        customer_id="CID123",
        timestamp="2024-05-31 12:00:00.000",
        language="EN",
        organisation_id="1572860-0",
        transaction_id=TXID,
        timestamp_unix="1717156800",
    )
    assert compute_mac(fields, "CUSTOMERKEY", "PARTNERKEY") == KNOWN_MAC


def test_signed_headers_carry_every_netvisor_header_and_the_known_mac():
    headers = signed_headers(CREDENTIALS, URL, now=MOMENT, transaction_id=TXID)
    assert headers == {
        "X-Netvisor-Authentication-Sender": "severa-netvisor",
        "X-Netvisor-Authentication-CustomerId": "CID123",
        "X-Netvisor-Authentication-PartnerId": "PID456",
        "X-Netvisor-Authentication-Timestamp": "2024-05-31 12:00:00.000",
        "X-Netvisor-Authentication-TimestampUnix": "1717156800",
        "X-Netvisor-Interface-Language": "EN",
        "X-Netvisor-Organisation-ID": "1572860-0",
        "X-Netvisor-Authentication-TransactionId": TXID,
        "X-Netvisor-Authentication-MAC": KNOWN_MAC,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": "HMACSHA256",
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
    }


def test_the_mac_covers_the_exact_url():
    a = signed_headers(CREDENTIALS, URL, now=MOMENT, transaction_id=TXID)
    b = signed_headers(CREDENTIALS, URL + "&x=1", now=MOMENT, transaction_id=TXID)
    assert a["X-Netvisor-Authentication-MAC"] != b["X-Netvisor-Authentication-MAC"]


def test_the_urls_the_transfers_send_sign_the_same_encoded_or_not():
    # Public clients disagree on whether Netvisor's MAC covers the percent-encoded URL (see _url): the
    # values the transfers send (times, keys, key lists, invoice numbers) must need no encoding at all.
    params = {
        "lastmodifiedstart": "2026-03-03T09:00:00",
        "changedsince": "2026-03-03T09:00:00",
        "netvisorkeylist": "12,13,14",
        "invoicenumber": "90100",
        "limitbytype": "excludecreditloss",
        "limitlinkedpayments": "1",
    }
    url = _url("https://isvapi.netvisor.fi", "salespaymentlist.nv", params)
    assert "%" not in url
    assert unquote(url) == url
    assert "lastmodifiedstart=2026-03-03T09:00:00" in url


def test_a_fresh_transaction_id_per_request():
    ids = {signed_headers(CREDENTIALS, URL)["X-Netvisor-Authentication-TransactionId"] for _ in range(50)}
    assert len(ids) == 50


def test_timestamp_is_utc_with_milliseconds():
    helsinki_noon = datetime.fromisoformat("2024-05-31T15:00:00.123456+03:00")
    assert format_timestamp(helsinki_noon) == "2024-05-31 12:00:00.123"


def test_keys_never_appear_in_headers_or_reprs():
    headers = signed_headers(CREDENTIALS, URL)
    flat = repr(headers) + repr(CREDENTIALS)
    assert "CUSTOMERKEY" not in flat
    assert "PARTNERKEY" not in flat
