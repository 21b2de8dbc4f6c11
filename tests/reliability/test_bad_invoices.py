"""Bad input, generated: Severa invoices whose texts hold XML metacharacters, control characters, emoji,
ä/ö/å, nothing or hundreds of characters; whose amounts are zero, negative, 10^12 or carry many
decimals; whose dates are far past or future, missing or out of order; whose reference numbers are
valid (national, RF) or not; and two invoices with one number. Through the invoices transfer (each
invoice's customer brought over on the fly) and both simulators. No run crashes or stops; every bad
invoice is refused alone, in the register of open failures, its failure naming the invoice and the
field; every good one is in Netvisor with its texts intact, character for character, and its amounts
to the cent; nothing is lost (each invoice is in Netvisor or in the register). (Issue 13, the suite's
"Bad input" bullet; the customers' side is ``test_bad_input``.)

What the product does with each case, and why:

- Texts (row name and free text, notes before and after the rows, our and your reference, order
  number) up to 500 characters arrive as they are, and empty ones are left out: salesinvoice.nv
  documents no length for them (only the billing address fields have documented limits, from
  customer.nv, and a customer name over 250 characters is refused, naming "customer name"). Leading
  and trailing spaces are trimmed (the mapping's rule), so the generated texts have none.
- A control character (one XML 1.0 cannot carry) in any text is refused, naming the Severa field; it is
  never stripped silently.
- An empty row name is refused ("row 1 product name: is empty").
- Amounts go as Severa gives them, to the cent (no documented digit limit): zero, 10^12, many decimals
  in unit price and quantity (the row sums, sent with the row, carry Severa's rounding); a negative
  ordinary invoice arrives with its negative total (Netvisor's credit-note signs). Header totals that
  do not add up from the rows are refused ("invoice total").
- Dates far in the past or future go as they are (no documented range); a missing invoice date or due
  date (Severa sends 0001-01-01) and an invoice's due date before its date are refused (a credit
  note's due date goes as Severa has it).
- A national or RF reference with a valid check digit arrives; a wrong check digit or no reference is
  refused ("reference number").
- Two Severa invoices with one number: the first written arrives, the other is refused ("Netvisor
  already holds invoice number N, but not as this invoice").
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from severa_netvisor.finnish import build_finnish_reference, build_rf_reference

from sandbox.aws import LocalAws
from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa import build_state
from sandbox.severa.seed import READY_STATUS
from sandbox.severa.state import Record, SeveraState
from tests.integration.rig import World
from tests.reliability.campaigns.scenarios import INVOICES, reset, scenario_world

SIZE = 5
SEED = 31
CENT = Decimal("0.01")

#: Characters a text may hold: XML's metacharacters, a CDATA end, Finnish and Swedish letters, emoji,
#: a tab and a line break (XML carries both).
SAFE = st.sampled_from(
    [*"abcxyzABC019 -.,&<>\"'/;:#%()\t\n", "ä", "ö", "å", "Ä", "Ö", "Å", "é", "€", "😀", "🇫🇮", "]]>"]
)
EDGE = st.sampled_from([*"abcABC019&<>\"'äöåÅÖ", "😀", "€"])  # no space at either end: texts are trimmed
CONTROL = st.sampled_from([chr(c) for c in (*range(1, 9), 0x0B, 0x0C, *range(0x0E, 0x20))])


@st.composite
def texts(draw: st.DrawFn, longest: int = 500) -> str:
    # At most three characters per drawn piece ("]]>"): the text stays within ``longest``.
    first, last = draw(EDGE), draw(EDGE)
    middle = "".join(draw(st.lists(SAFE, max_size=(longest - 2) // 3)))
    return f"{first}{middle}{last}"


#: The Severa fields that carry a customer-facing text, and where salesinvoice.nv puts each one.
ROW_TEXTS = ("articleName", "rowFreeText")
HEADER_TEXTS = {
    "NotesBeforeInvoiceRows": "salesinvoicefreetextbeforelines",
    "NotesAfterInvoiceRows": "salesinvoicefreetextafterlines",
    "OurReference": "salesinvoiceourreference",
    "YourReference": "salesinvoiceyourreference",
    "OrderNumber": "ordernumber",
}
TEXT_FIELDS = (*ROW_TEXTS, *HEADER_TEXTS)


@dataclass(frozen=True)
class Case:
    #: good, or what is wrong: the words the failure must hold, e.g. "reference number".
    kind: str
    #: Changes the invoice record (Severa's members) in place.
    change: Callable[[Record], None]
    #: The Severa member (or failure words) this case is about, for the failure check.
    field: str = ""

    def __repr__(self) -> str:
        return f"Case({self.kind!r}, {self.field!r})"

    @property
    def good(self) -> bool:
        return self.kind == "good"


def _set_text(field: str, value: str) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        if field in ROW_TEXTS:
            record["InvoiceRows"][0][field] = value
        else:
            record[field] = value

    return change


def _amounts(*rows: tuple[str, str], credit_note: bool = False) -> Callable[[Record], None]:
    """Rows of (unit price, quantity), Severa's row sums and header totals made to agree."""

    def change(record: Record) -> None:
        first = record["InvoiceRows"][0]
        record["InvoiceRows"], record["IsCreditNote"] = [], credit_note
        for index, (price_text, quantity_text) in enumerate(rows, start=1):
            price, quantity, rate = Decimal(price_text), Decimal(quantity_text), first["rowVatRatePercent"]
            net = (price * quantity).quantize(CENT, ROUND_HALF_UP)
            vat = (net * rate / 100).quantize(CENT, ROUND_HALF_UP)
            record["InvoiceRows"].append(
                {
                    **first,
                    "GUID": f"{first['GUID'][:-4]}{index:04d}",
                    "rowNumber": index,
                    "rowUnitPrice": price,
                    "unitPriceAmount": price,
                    "deliveredQuantity": quantity,
                    "rowVatExcludedAmount": net,
                    "rowVatAmount": vat,
                    "rowAmount": net + vat,
                }
            )
        rows_ = record["InvoiceRows"]
        net = sum((r["rowVatExcludedAmount"] for r in rows_), Decimal(0))
        vat = sum((r["rowVatAmount"] for r in rows_), Decimal(0))
        record["InvoiceDetails"].update(
            invoiceTotalVatExcludedAmount=net, invoiceTotalVatAmount=vat, invoiceTotalVatIncludedAmount=net + vat
        )

    return change


def _total_off_by_a_cent(record: Record) -> None:
    record["InvoiceDetails"]["invoiceTotalVatIncludedAmount"] += CENT


#: A date never set, as Severa's API (.NET: its dates cannot be empty) sends it: DateTime.MinValue.
NO_DATE = datetime(1, 1, 1)


def _dated(day: datetime, due: datetime) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        record["Date"], record["DueDate"] = day, due

    return change


def _due_before_date(record: Record) -> None:
    record["DueDate"] = record["Date"] - timedelta(days=1)


def _reference(make: Callable[[int], str]) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        record["ReferenceNumber"] = make(record["Number"])

    return change


def _wrong_check_digit(number: int) -> str:
    reference = build_finnish_reference(1000 + number)
    return reference[:-1] + str((int(reference[-1]) + 1) % 10)


def _wrong_rf(number: int) -> str:
    rf = build_rf_reference(build_finnish_reference(1000 + number))
    return f"RF{(int(rf[2:4]) + 1) % 97:02d}{rf[4:]}"


def _no_reference(record: Record) -> None:
    record["ReferenceNumber"] = ""
    record["InvoiceDetails"]["sellerReferenceIdentifier"] = None


def _no_row_name(record: Record) -> None:
    record["InvoiceRows"][0].update(articleName="", rowFreeText="")  # the free text would stand in


def _long_customer_name(record: Record) -> None:
    record["ReceiverCustomerName"] = "Ö" * 251  # customer.nv (77000554181): a name has at most 250


#: Marks the invoice that takes the number of the one before it (set in ``_apply``).
DUPLICATE = "duplicate"


def _set_texts(values: tuple[str, ...]) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        for field, value in zip(TEXT_FIELDS, values, strict=True):
            _set_text(field, value)(record)

    return change


#: Every customer-facing text at once, each of its own length (up to 500 characters), any of them
#: empty but the row's name (an empty text is simply not sent).
_GOOD_TEXT = st.tuples(texts(), *(st.one_of(st.just(""), texts()) for _ in TEXT_FIELDS[1:])).map(
    lambda t: Case("good", _set_texts(t), field="texts")
)
_CONTROL_TEXT = st.tuples(st.sampled_from(TEXT_FIELDS), texts(60), CONTROL).map(
    lambda t: Case("control character", _set_text(t[0], t[1][:1] + t[2] + t[1][1:]), field=t[0])
)
GOOD_AMOUNTS = (
    Case("good", _amounts(("0", "1")), field="zero"),
    Case("good", _amounts(("1000000000000", "1")), field="10^12"),
    # Many decimals: Severa's row sums carry the rounding, sent with the row.
    Case("good", _amounts(("1.234567", "3.333"), ("0.015", "7")), field="decimals"),
    Case("good", _amounts(("99.90", "-2")), field="negative invoice"),  # goes with its negative total
    Case("good", _amounts(("99.90", "-2"), credit_note=True), field="credit note"),
    # A credit note Severa gives with positive amounts is turned negative whole (the mapping's rule).
    Case("good", _amounts(("99.90", "2"), credit_note=True), field="credit note given positive"),
)
_GOOD_AMOUNTS = st.sampled_from(GOOD_AMOUNTS)
GOOD_DATES = (
    Case("good", _dated(datetime(1900, 1, 1), datetime(1900, 1, 15)), field="far past"),
    Case("good", _dated(datetime(2299, 12, 1), datetime(2299, 12, 31)), field="far future"),
)
GOOD_REFERENCES = (
    Case("good", _reference(lambda n: build_finnish_reference(1000 + n)), field="national reference"),
    Case("good", _reference(lambda n: build_rf_reference(build_finnish_reference(1000 + n))), field="RF reference"),
)
BAD = (
    Case("product name", _no_row_name),
    Case("customer name", _long_customer_name),
    Case("invoice total", _total_off_by_a_cent),
    # A credit note whose total is positive because a row is negative (not one to turn whole).
    Case("total", _amounts(("100", "3"), ("100", "-1"), credit_note=True)),
    Case("invoice date", _dated(NO_DATE, datetime(2026, 3, 1))),
    Case("due date", _dated(datetime(2026, 3, 1), NO_DATE)),
    Case("due date", _due_before_date),
    Case("reference number", _reference(_wrong_check_digit)),
    Case("reference number", _reference(_wrong_rf)),
    Case("reference number", _no_reference),
)
SAME_NUMBER = Case(DUPLICATE, lambda record: None)

CASE = st.one_of(
    _GOOD_TEXT,
    _GOOD_AMOUNTS,
    st.sampled_from(GOOD_DATES),
    st.sampled_from(GOOD_REFERENCES),
    _CONTROL_TEXT,
    st.sampled_from(BAD),
    st.just(SAME_NUMBER),
)


def _control(field: str) -> Case:
    return Case("control character", _set_text(field, "A\x01B"), field=field)


#: Every case at least once, whatever the generated examples draw (``SIZE`` invoices per example).
_EVERY_CASE = [*GOOD_AMOUNTS, *GOOD_DATES, *GOOD_REFERENCES, *BAD, *(_control(f) for f in TEXT_FIELDS)]
_EVERY_CASE += [SAME_NUMBER] * (-len(_EVERY_CASE) % SIZE)
EXAMPLES = [_EVERY_CASE[start : start + SIZE] for start in range(0, len(_EVERY_CASE), SIZE)]


def _state(size: int, seed: int) -> SeveraState:
    """``size`` ordinary invoices, all ready to transfer, with valid references and texts to spare."""
    state = build_state(seed, accounts=2, invoices=size, hour_entries=0, credit_note_share=0.0)
    for record in state.invoices.values():
        record.update(
            InvoiceStatus=READY_STATUS,
            ReferenceNumber=build_finnish_reference(1000 + record["Number"]),
            NotesBeforeInvoiceRows="Kiitos tilauksesta",
            OrderNumber=f"PO-{record['Number']}",
        )
        record["InvoiceRows"][0]["rowFreeText"] = "Rivin lisätieto"
    return state


BAD_INVOICES = dataclasses.replace(INVOICES, name="invoices (bad input)", severa=_state)


@pytest.fixture(scope="module")
def invoices_world(local_aws: LocalAws) -> Iterator[World]:
    with scenario_world(local_aws, BAD_INVOICES, SIZE, seed=SEED) as w:
        yield w


def _apply(records: list[Record], cases: list[Case]) -> None:
    for index, (record, case) in enumerate(zip(records, cases, strict=True)):
        case.change(record)
        if case.kind == DUPLICATE:  # the number of the invoice before it (the last one, for the first)
            number = records[index - 1]["Number"]
            record["Number"] = number
            record["InvoiceDetails"]["invoiceNumber"] = number


def _with_examples(test: Callable[..., None]) -> Callable[..., None]:
    for cases in EXAMPLES:
        test = example(cases=cases)(test)
    return test


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases=st.lists(CASE, min_size=SIZE, max_size=SIZE))
@_with_examples
def test_bad_invoices_are_refused_alone_and_good_ones_arrive_intact(invoices_world: World, cases: list[Case]) -> None:
    w = invoices_world
    reset(w, BAD_INVOICES, SIZE, seed=SEED)
    records = sorted(w.severa.state.invoices.values(), key=lambda r: r["Number"])
    _apply(records, cases)
    expected = [_copy(r) for r in records]  # what Severa holds, before the run writes anything back

    summary = w.run_engine("invoices")

    assert summary.stopped_early is None, summary
    assert summary.stopped_by_error is None, summary
    in_netvisor = {i.number: i for i in w.netvisor.state.invoices.values()}
    failures = {f.ref.id: f for f in w.open_failures("invoices")}
    arrived: dict[int, list[Record]] = defaultdict(list)
    for record, case in zip(expected, cases, strict=True):
        guid, number = record["GUID"], record["Number"]
        failure = failures.get(guid)
        if failure is None:  # nothing lost: not refused, so in Netvisor
            assert case.good or case.kind == DUPLICATE, (case.kind, case.field, number)
            assert str(number) in in_netvisor, (case, number)
            arrived[number].append(record)
            continue
        assert not failure.retryable, failure.reason
        kind = "credit note" if record["IsCreditNote"] else "invoice"
        assert failure.label.startswith(f"{kind} {number} to "), failure.label
        assert not any(chr(c) in failure.reason for c in range(0x20) if chr(c) not in "\t\n\r"), failure.reason
        assert "Error" not in failure.reason, failure.reason  # no class names
        if case.good or case.kind == DUPLICATE:
            # Refused only because another invoice with its number arrived first.
            assert f"invoice number {number}" in failure.reason, (case, failure.reason)
            assert sum(r["Number"] == number for r in expected) > 1, failure.reason
        else:
            words = case.field if case.kind == "control character" else case.kind
            assert words in failure.reason, (case.kind, failure.reason)
            log = [e.text or "" for e in w.severa.state.log_of(guid)]
            assert any(text.startswith("Not transferred to Netvisor") for text in log), log
    for number, records_arrived in arrived.items():
        assert len(records_arrived) == 1, (number, [r["GUID"] for r in records_arrived])
        _assert_intact(records_arrived[0], in_netvisor[str(number)])
    # Nothing lost, nothing extra: every invoice is in Netvisor or in the register, never both.
    assert len(in_netvisor) + len(failures) == len(expected), (sorted(in_netvisor), len(failures))


def _copy(record: Record) -> Record:
    copied = dict(record)
    copied["InvoiceRows"] = [dict(row) for row in record["InvoiceRows"]]
    copied["InvoiceDetails"] = dict(record["InvoiceDetails"])
    return copied


def _assert_intact(record: Record, invoice: InvoiceRecord) -> None:
    """The Netvisor invoice holds Severa's texts character for character and its amounts to the cent."""
    number = record["Number"]
    total = record["InvoiceDetails"]["invoiceTotalVatIncludedAmount"]
    turn = -1 if record["IsCreditNote"] and total > 0 else 1  # a credit note given positive is turned whole
    assert invoice.amount == turn * total, number
    assert [line.line_sum for line in invoice.lines] == [turn * r["rowAmount"] for r in record["InvoiceRows"]], number
    assert sum((line.line_sum for line in invoice.lines), Decimal(0)) == invoice.amount, number
    row, line = record["InvoiceRows"][0], invoice.lines[0]
    assert line.name == row["articleName"], number
    assert line.free_text == row["rowFreeText"], number
    for field, element in HEADER_TEXTS.items():
        given = record.get(field) or ""
        held = invoice.fields.get(element, "")
        if element == "salesinvoicefreetextafterlines":  # the VAT notes a row's code needs follow it
            assert held.startswith(given), (number, field, held[:80])
        else:
            assert held == given, (number, field, held[:80])
    assert (invoice.invoice_date, invoice.due_date) == (record["Date"].date(), record["DueDate"].date()), number
    assert _digits(invoice.reference_number) == _digits(record["ReferenceNumber"]), number


def _digits(reference: Any) -> str:
    return "".join(str(reference or "").split()).upper()
