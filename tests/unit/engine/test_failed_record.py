"""Failed-record messages: what an operator reads, never a secret, always under SQS's size limit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, SecretStr
from severa_netvisor.failures import (
    MAX_BATCH_BYTES,
    MAX_MESSAGE_BYTES,
    SCHEMA,
    FailedRecord,
    FailureQueue,
    is_secret_key,
)
from severa_netvisor.state import SourceRef


def _failure(record: Any, **overrides: Any) -> FailedRecord:
    fields: dict[str, Any] = {
        "transfer": "invoices",
        "run_id": "run-1",
        "source": SourceRef("severa", "invoice", "guid-1"),
        "step": "write",
        "error_class": "NetvisorRejected",
        "message": "Netvisor refused invoice 1001",
        "remote_text": "<Status>FAILED</Status><Error>Tuntematon asiakas 'Äkäs Oy'</Error>",
        "retryable": False,
        "attempt": 2,
        "record": record,
        "target_key": None,
    }
    fields.update(overrides)
    return FailedRecord(**fields)


def test_the_message_carries_everything_needed_to_act_and_replay() -> None:
    body = json.loads(_failure({"number": "1001", "total": Decimal("12.40"), "date": date(2026, 1, 2)}).body())
    assert body["schema"] == SCHEMA
    assert body["source"] == {"system": "severa", "type": "invoice", "id": "guid-1"}
    assert (body["transfer"], body["run_id"], body["step"], body["attempt"]) == ("invoices", "run-1", "write", 2)
    assert (body["error_class"], body["retryable"]) == ("NetvisorRejected", False)
    assert body["remote_text"] == "<Status>FAILED</Status><Error>Tuntematon asiakas 'Äkäs Oy'</Error>"
    assert body["record"] == {"number": "1001", "total": "12.40", "date": "2026-01-02"}
    assert body["dropped_fields"] == []


class _Account(BaseModel):
    name: str
    api_key: SecretStr


@dataclass
class _Row:
    product: str
    password: str


def test_secrets_are_redacted_wherever_they_sit() -> None:
    record = {
        "account": _Account(name="Äkäs Oy", api_key=SecretStr("sk-live-1")),
        "rows": [_Row("consulting", "hunter2")],
        "Authorization": "Bearer abc",
        "netvisor": {"customer_key": "CK", "partnerKey": "PK", "mac": "m"},
        "token_count": 3,
    }
    text = _failure(record).body()
    for secret in ("sk-live-1", "hunter2", "Bearer abc", '"CK"', '"PK"', '"m"'):
        assert secret not in text
    body = json.loads(text)
    assert body["record"]["account"] == {"name": "Äkäs Oy", "api_key": "[redacted]"}
    assert body["record"]["rows"] == [{"product": "consulting", "password": "[redacted]"}]
    assert body["record"]["token_count"] == "[redacted]"  # better one name too many than a leak


def test_secret_key_names() -> None:
    assert all(is_secret_key(k) for k in ("api_key", "ApiKey", "customer-key", "client_secret", "MAC", "pin"))
    assert not any(is_secret_key(k) for k in ("machine", "name", "keyword_list", "pinta_ala", "monkey"))


def test_a_pdf_is_dropped_with_a_note_and_the_rest_kept() -> None:
    record = {"number": "1001", "pdf": b"%PDF-1.7" + bytes(300_000), "rows": [{"text": "x" * 100}]}
    text = _failure(record).body()
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    body = json.loads(text)
    assert body["record"]["number"] == "1001"
    assert body["record"]["rows"] == [{"text": "x" * 100}]
    assert body["record"]["pdf"].startswith("[dropped: binary of")
    assert body["dropped_fields"] == ["pdf"]


def test_an_oversized_record_loses_its_biggest_texts_first() -> None:
    record = {"small": "keep me", "notes": ["n" * 150_000, "m" * 120_000], "title": "t" * 600}
    text = _failure(record).body()
    body = json.loads(text)
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    assert body["record"]["small"] == "keep me"
    assert body["record"]["title"] == "t" * 600
    assert body["dropped_fields"] == ["notes.0"]
    assert body["record"]["notes"][1] == "m" * 120_000


def test_a_huge_remote_text_is_truncated_and_says_so() -> None:
    text = _failure({"number": "1"}, remote_text="E" * 400_000).body()
    body = json.loads(text)
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    assert body["remote_text"].startswith("EEEE")
    assert body["remote_text"].endswith("[truncated from 400000 characters]")


def test_values_json_does_not_know_become_text() -> None:
    body = json.loads(_failure({"when": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "tags": {"a"}, "x": object}).body())
    assert body["record"]["when"] == "2026-01-02T03:04:00+00:00"
    assert body["record"]["tags"] == ["a"]
    assert isinstance(body["record"]["x"], str)


def test_batches_respect_entry_count_and_total_size() -> None:
    sizes = [1000] * 23 + [200_000, 200_000]
    batches = FailureQueue._batches(["x" * size for size in sizes])
    assert [len(batch) for batch in batches] == [10, 10, 4, 1]  # two big ones never share a batch
    assert all(sum(sizes[i] for i in batch) <= MAX_BATCH_BYTES for batch in batches)
    assert sorted(index for batch in batches for index in batch) == list(range(25))
