"""The e-mail digest of a run's new failures: one message, each record as people know it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from severa_netvisor.digest import SUBJECT_LIMIT, DigestNotSent, DigestTopic, compose
from severa_netvisor.engine import RunSummary
from severa_netvisor.register import Failure
from severa_netvisor.scrub import register_secret
from severa_netvisor.state import SourceRef


def _failure(number: int, **changes: Any) -> Failure:
    values: dict[str, Any] = {
        "transfer": "invoices",
        "ref": SourceRef("severa", "invoice", f"guid-{number}"),
        "label": f"invoice {10060 + number} to Länsirannikon Konsultointi Oy",
        "step": "write",
        "reason": "Netvisor refused the invoice",
        "action": "Correct the reference number in Severa; the next run sends the invoice again.",
        "retryable": False,
        "for_author": True,
        "fingerprint": "f",
        "remote_text": "Viitenumero on virheellinen",
        "error_class": "NetvisorInvalidDataError",
        "run_id": "run-1",
    }
    values.update(changes)
    return Failure(**values)


def _summary(**changes: Any) -> RunSummary:
    summary = RunSummary("invoices", "run-1", False, datetime(2026, 11, 29, 8, 30, tzinfo=UTC))
    for name, value in changes.items():
        setattr(summary, name, value)
    return summary


def test_nothing_new_sends_nothing() -> None:
    assert compose(_summary(), []) is None
    assert compose(_summary(dry_run=True), [_failure(1)]) is None


def test_each_failure_is_named_with_the_reason_verbatim_what_to_do_and_its_id() -> None:
    failures = [_failure(1), _failure(2, remote_text=None, reason="Customer 'Oy Ab' has no business ID")]
    digest = compose(_summary(open_failures=5), failures, stack="acme-prod")
    assert digest is not None
    assert digest.subject == "severa-netvisor (acme-prod): invoices, 2 new failures need you"
    text = digest.message
    assert "The invoices run of 29.11.2026 10:30 (Finnish time) found 2 new failures." in text
    assert "1. invoice 10061 to Länsirannikon Konsultointi Oy" in text
    assert 'Netvisor answered: "Viitenumero on virheellinen"' in text
    assert "What to do: Correct the reference number in Severa" in text
    assert f"Failure id: {failures[0].id}" in text
    assert "2. invoice 10062 to Länsirannikon Konsultointi Oy" in text
    assert "Customer 'Oy Ab' has no business ID" in text
    assert "Open failures of invoices in all: 5." in text
    assert "severa-netvisor --stack acme-prod failures replay <failure id>" in text
    assert "Error" not in text  # no class names


def test_the_subject_is_ascii_and_short_whatever_the_stack_is_called() -> None:
    digest = compose(_summary(), [_failure(1)], stack="yhtiö-" + "x" * 120)
    assert digest is not None
    assert digest.subject.isascii()
    assert len(digest.subject) <= SUBJECT_LIMIT
    assert "\n" not in digest.subject
    assert digest.subject.startswith("severa-netvisor (yhtio-")


def test_a_long_list_is_cut_and_counted() -> None:
    digest = compose(_summary(), [_failure(n) for n in range(40)], listed=25)
    assert digest is not None
    assert "25. invoice" in digest.message
    assert "26. invoice" not in digest.message
    assert "... and 15 more." in digest.message


def test_a_stop_by_error_is_told_with_the_failures() -> None:
    summary = _summary(
        stopped_early="Netvisor refused the credentials", stopped_by_error="X", stop_action="Renew the key."
    )
    digest = compose(summary, [_failure(1)])
    assert digest is not None
    assert "The run also stopped early: Netvisor refused the credentials" in digest.message
    assert "What to do: Renew the key." in digest.message


def test_secrets_never_reach_the_mail() -> None:
    register_secret("s3cr3t-api-key-123")
    digest = compose(_summary(), [_failure(1, remote_text="bad key s3cr3t-api-key-123")])
    assert digest is not None
    assert "s3cr3t-api-key-123" not in digest.message


class _Refusing:
    def publish(self, **_: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "AuthorizationError", "Message": "not allowed"}}, "Publish")


def test_a_refused_publish_is_a_clear_error() -> None:
    topic = DigestTopic("arn:aws:sns:eu-north-1:1:alarms", client=_Refusing())  # type: ignore[arg-type]
    with pytest.raises(DigestNotSent, match="could not be sent; they are in the register"):
        topic(_summary(), [_failure(1)])
