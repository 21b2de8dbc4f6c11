"""Bad input, generated: Severa accounts whose names are empty, 500 characters long, full of XML
metacharacters, control characters, emoji and ä/ö/å, with valid and invalid business IDs, through the
customers transfer and both simulators. No run crashes or stops; every bad account is refused alone,
its failure naming the account (by its number) and the field; every good one is in Netvisor with its
name intact, character for character. (Issue 13, the suite's "Bad input" bullet; item 6 is the control
character case.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from severa_netvisor.finnish import FinnishValidationError, normalize_business_id

from sandbox.aws import LocalAws
from tests.integration.rig import World
from tests.reliability.campaigns.scenarios import CUSTOMERS, reset, scenario_world

ACCOUNTS = 5
#: Characters a name may hold: XML's metacharacters, Finnish and Swedish letters, emoji, a CDATA end.
SAFE = st.sampled_from([*"abcxyzABC019 -.,&<>\"'/;:#%()", "ä", "ö", "å", "Ä", "Ö", "Å", "é", "€", "😀", "🇫🇮", "]]>"])
EDGE = st.sampled_from([*"abcABC019&<>\"'äöåÅÖ", "😀", "€"])  # no space at either end: names are trimmed
CONTROL = st.sampled_from([chr(c) for c in (*range(1, 9), 0x0B, 0x0C, *range(0x0E, 0x20))])


@st.composite
def good_names(draw: st.DrawFn, longest: int = 250) -> str:
    # At most three characters per drawn piece ("]]>"): the name stays within ``longest``.
    first, middle, last = draw(EDGE), "".join(draw(st.lists(SAFE, max_size=(longest - 2) // 3))), draw(EDGE)
    return f"{first}{middle}{last}"


@dataclass(frozen=True)
class Account:
    kind: str  # good, long, empty, control, business-id
    name: str


ACCOUNT = st.one_of(
    good_names().map(lambda name: Account("good", name)),
    good_names(60).map(lambda name: Account("good", name)),
    st.integers(251, 500)
    .flatmap(lambda n: st.lists(SAFE, min_size=n, max_size=n).map("".join))
    .map(lambda name: Account("long", "X" + name[1:-1] + "X")),
    st.sampled_from(["", "   "]).map(lambda name: Account("empty", name)),
    st.tuples(good_names(60), CONTROL).map(lambda t: Account("control", t[0][:1] + t[1] + t[0][1:])),
    good_names(60).map(lambda name: Account("business-id", name)),
)
#: What a failure says about the field, by kind.
FIELD = {"long": "name", "empty": "name", "control": "name", "business-id": "business id"}


@pytest.fixture(scope="module")
def customers_world(local_aws: LocalAws) -> Iterator[World]:
    with scenario_world(local_aws, CUSTOMERS, ACCOUNTS, seed=29) as w:
        yield w


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(accounts=st.lists(ACCOUNT, min_size=ACCOUNTS, max_size=ACCOUNTS))
def test_bad_accounts_are_refused_alone_and_good_ones_arrive_intact(
    customers_world: World, accounts: list[Account]
) -> None:
    w = customers_world
    reset(w, CUSTOMERS, ACCOUNTS, seed=29)
    severa = w.severa.state
    rows = sorted(severa.customers.values(), key=lambda a: int(a["Number"]))
    for row, account in zip(rows, accounts, strict=True):
        vat = _valid(row["VatNumber"])  # the scenario's own bad business IDs are put right first
        if account.kind == "business-id":
            vat = vat[:-1] + str((int(vat[-1]) + 1) % 10)
        for record in (row, severa.accounts[row["GUID"]]):
            record["Name"], record["VatNumber"] = account.name, vat

    summary = w.run_engine("customers")

    assert summary.stopped_early is None, summary
    in_netvisor = {c.code: c for c in w.netvisor.state.customers.values()}
    failures = {f.ref.id: f for f in w.open_failures("customers")}
    for row, account in zip(rows, accounts, strict=True):
        number = str(row["Number"])
        if account.kind == "good":
            assert number in in_netvisor, (account, failures.get(row["GUID"]))
            assert in_netvisor[number].name == account.name
            assert row["GUID"] not in failures
        else:
            assert number not in in_netvisor, account
            failure = failures[row["GUID"]]
            assert number in failure.reason, failure.reason
            assert FIELD[account.kind] in failure.reason.lower(), (account.kind, failure.reason)
            assert not any(chr(c) in failure.reason for c in range(0x20) if chr(c) not in "\t\n\r")


def _valid(vat_number: str) -> str:
    """The business ID with the check digit that makes it valid."""
    for digit in "0123456789":
        candidate = vat_number[:-1] + digit
        try:
            normalize_business_id(candidate)
        except FinnishValidationError:
            continue
        return candidate
    raise AssertionError(f"no check digit makes {vat_number} valid")  # pragma: no cover
