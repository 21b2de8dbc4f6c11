"""Characters XML 1.0 cannot carry: read leniently, restored as Severa holds them, refused per record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from severa_netvisor.severa.characters import (
    ForbiddenCharacter,
    ForbiddenCharacterMarker,
    SeveraForbiddenCharacterError,
    forbidden_characters,
    mark_forbidden,
    refuse_forbidden_characters,
    visible,
)
from severa_netvisor.severa.models import Account, Invoice
from severa_netvisor.severa.reply import ItemReader, read_reply

from tests.reliability.hostile import bodies


def _accounts_answer(names: list[str]) -> bytes:
    return bodies.severa("GetAccountsChangedSince", "".join(bodies.account(name) for name in names))


NAMES = ["Alfa Oy", "Beta&#x1; Oy", "Gamma Ab", "Delta &#27; Ky", "Epsilon Oy"]


def test_one_control_character_no_longer_makes_the_whole_answer_unreadable() -> None:
    """Issue 13, defect 6: the answer used to become a transport error, stopping the transfer."""
    reply = read_reply("GetAccountsChangedSince", 200, _accounts_answer(NAMES))
    assert reply.error is None
    assert reply.result is not None
    reader = ItemReader("GetAccountsChangedSince", Account)
    accounts = list(reader.items([_accounts_answer(NAMES)]))
    assert [a.name for a in accounts] == ["Alfa Oy", "Beta\x01 Oy", "Gamma Ab", "Delta \x1b Ky", "Epsilon Oy"]


def test_the_record_holding_it_is_named_with_its_field_and_the_fix() -> None:
    accounts = list(ItemReader("GetAccountsChangedSince", Account).items([_accounts_answer(NAMES)]))
    assert [forbidden_characters(a) for a in accounts] == [
        [],
        [ForbiddenCharacter("Name", 0x01)],
        [],
        [ForbiddenCharacter("Name", 0x1B)],
        [],
    ]
    refuse_forbidden_characters(accounts[0], "customer Alfa Oy")  # a clean record passes
    with pytest.raises(SeveraForbiddenCharacterError) as raised:
        refuse_forbidden_characters(accounts[1], f"customer {accounts[1].name}")
    error = raised.value
    assert error.message == (
        "customer Beta\ufffd Oy: field Name holds a control character (U+0001); remove it in Severa."
    )
    assert error.retryable is False
    assert not getattr(error, "stops_run", False)
    assert "\x01" not in error.message  # fit for a log line, a queue message and a Severa log entry


def test_nested_fields_are_named_by_their_path() -> None:
    invoice = Invoice.model_validate(
        {
            "CurrencyRate": "1",
            "Date": datetime(2026, 1, 2, tzinfo=UTC),
            "DueDate": datetime(2026, 1, 16, tzinfo=UTC),
            "EntryDate": datetime(2026, 1, 2, tzinfo=UTC),
            "IsCreditNote": False,
            "IsReimbursed": False,
            "IsTaxFree": False,
            "OverDueInterest": "0",
            "PaymentTerm": 14,
            "Number": 10062,
            "InvoiceRows": {
                "InvoiceRow": [
                    _row(1, "Konsultointi"),
                    _row(2, "Matka\x0cpäivä"),
                ]
            },
        }
    )
    assert forbidden_characters(invoice) == [ForbiddenCharacter("InvoiceRows[1].rowFreeText", 0x0C)]


def _row(number: int, description: str) -> dict[str, object]:
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    return {
        "EventDate": moment,
        "deliveredQuantity": "1",
        "rowAmount": "100",
        "rowCostAmount": "0",
        "rowDeliveryDate": moment,
        "rowNumber": number,
        "rowUnitPrice": "100",
        "rowVatAmount": "25.5",
        "rowVatExcludedAmount": "100",
        "unitPriceAmount": "100",
        "rowFreeText": description,
    }


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_a_reference_cut_between_chunks_is_still_recognised(size: int) -> None:
    body = _accounts_answer(["A&#x1;B&#1;C&#x0D;D&amp;E\x02F"])
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    accounts = list(ItemReader("GetAccountsChangedSince", Account).items(chunks))
    assert [a.name for a in accounts] == ["A\x01B\x01C\rD&E\x02F"]


def test_allowed_references_and_text_are_left_alone() -> None:
    body = b"<a>&#x9;&#xA;&#xD;&#x20;&#228;&#x1F600;&amp;&lt;\xc3\xa4</a>"
    assert mark_forbidden(body) == body
    marker = ForbiddenCharacterMarker()
    assert marker.feed(b"<a>&#") + marker.feed(b"x1;</a>") + marker.close() == b"<a>&#x10FF01;</a>"


def test_surrogates_and_noncharacters() -> None:
    body = _accounts_answer(["a&#xD800;b&#xFFFE;c"])
    [account] = ItemReader("GetAccountsChangedSince", Account).items([body])
    assert account.name == "a\ufffdb\ufffec"
    assert forbidden_characters(account) == [ForbiddenCharacter("Name", 0xFFFE)]
    assert ForbiddenCharacter("Name", 0xFFFE).describe() == "field Name holds a character XML cannot carry (U+FFFE)"


def test_visible() -> None:
    assert visible("a\x01b\tc\x7fd") == "a\ufffdb\tc\x7fd"
    assert visible(None) == ""
