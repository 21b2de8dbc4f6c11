"""Known secret values never leave the process: errors, log lines, other libraries' log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from severa_netvisor.credentials import NetvisorCredentials, SeveraCredentials
from severa_netvisor.errors import IntegrationError
from severa_netvisor.observability import ScrubbingFilter, logger
from severa_netvisor.scrub import MASK, scrub

# Distinctive values, so that a leak is unmistakable; with characters that change when escaped.
SEVERA_KEY = "Sev3ra&Key/ÄÖ+unique-7731"
CUSTOMER_KEY = "nv-customer<key>-5e1f90aa"
PARTNER_KEY = "nv-partner-key-0c44d2b1"
SECRETS = (SEVERA_KEY, CUSTOMER_KEY, PARTNER_KEY)


@pytest.fixture(autouse=True)
def _credentials_read() -> None:
    """Reading the credentials is what makes their values known to the scrubber."""
    SeveraCredentials(api_key=SEVERA_KEY, endpoint="https://severa.example/API.svc")
    NetvisorCredentials(
        customer_id="C", customer_key=CUSTOMER_KEY, partner_id="P", partner_key=PARTNER_KEY, organisation_id="1572860-0"
    )


def _leaks(text: str) -> list[str]:
    forms = []
    for secret in SECRETS:
        forms += [secret, json.dumps(secret)[1:-1], secret.replace("&", "&amp;").replace("<", "&lt;")]
    return [form for form in forms if form in text]


@pytest.mark.parametrize(
    "echo",
    [
        f"Access denied for key {SEVERA_KEY}",
        "Access denied for key Sev3ra%26Key%2F%C3%84%C3%96%2Bunique-7731",  # percent-encoded
        "<Text>key Sev3ra&amp;Key/ÄÖ+unique-7731 refused</Text>",  # XML-escaped
        '{"key": "Sev3ra&Key/\\u00c4\\u00d6+unique-7731"}',  # JSON-escaped
        f"MAC string was url&sender&{CUSTOMER_KEY}&{PARTNER_KEY}",
        "nv-customer&lt;key&gt;-5e1f90aa",
    ],
)
def test_every_spelling_a_remote_might_echo_is_masked(echo: str) -> None:
    cleaned = scrub(echo)
    assert MASK in cleaned
    assert _leaks(cleaned) == []
    for tail in ("unique-7731", "5e1f90aa", "0c44d2b1"):
        assert tail not in cleaned


def test_text_without_secrets_is_untouched() -> None:
    text = "Invoice 10062 for Ääkkönen Oy: reference 1232 refused (INVALID_DATA)"
    assert scrub(text) == text


def test_errors_scrub_their_message_and_remote_text_whenever_they_are_set() -> None:
    error = IntegrationError(f"Severa said: bad key {SEVERA_KEY}", remote_text=f"echo {CUSTOMER_KEY}")
    for text in (error.message, error.remote_text or "", str(error), repr(error.args)):
        assert _leaks(text) == []
    error.message = f"rewritten with {PARTNER_KEY}"
    error.remote_text = f"again {SEVERA_KEY}"
    assert error.message == f"rewritten with {MASK}"
    assert error.remote_text == f"again {MASK}"
    error.args = (f"args set by hand {PARTNER_KEY}",)
    assert str(error) == f"args set by hand {MASK}"


@pytest.fixture
def product_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_the_product_s_log_lines_are_scrubbed_message_extras_and_traceback(product_log: io.StringIO) -> None:
    logger.warning(f"remote answered {SEVERA_KEY}", extra={"remote_text": f"echo {CUSTOMER_KEY}"})
    try:
        raise RuntimeError(f"boom {PARTNER_KEY}")
    except RuntimeError:
        logger.exception("unexpected failure")
    output = product_log.getvalue()
    for written in ("remote answered", "unexpected failure", "boom"):
        assert written in output
    assert _leaks(output) == []
    assert output.count(MASK) >= 3


def test_other_libraries_log_lines_are_scrubbed_by_the_filter() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    library = logging.getLogger("some.library")
    library.addHandler(handler)
    library.propagate = False
    try:
        library.warning("sent header %s to %s", SEVERA_KEY, "https://severa.example")
    finally:
        library.removeHandler(handler)
    assert stream.getvalue() == f"sent header {MASK} to https://severa.example\n"
