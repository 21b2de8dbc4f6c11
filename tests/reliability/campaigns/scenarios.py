"""One scenario per transfer: the data it moves, a few bad records among them, and how to read the result.

A ``Scenario`` builds the Severa data (and what the Netvisor company needs first) from a size and a
seed, always the same for the same arguments, so a campaign's outcome can be compared with a
fault-free run of the very same data in a twin world. ``final(w)`` reads what the systems hold at the
end, in terms that do not depend on the run (no Netvisor keys, no timestamps):

- ``content``: what a person would compare (each target record's fields, Severa's statuses);
- ``keys``: the target records by their natural key (customer number, invoice number, employee-day
  row...), counted, so a record held twice shows;
- ``failures``: the ids of the open failures in the register.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from severa_netvisor.finnish import build_finnish_reference

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_RECORD_TYPES
from sandbox.netvisor.state import CompanyState, InvoiceRecord
from sandbox.severa import build_state
from sandbox.severa.seed import READY_STATUS, SENT_STATUS
from sandbox.severa.state import SeveraState
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks

#: Severa's invoice status for an invoice the integration could not send (the error-status variant).
ERROR_STATUS = "Siirtovirhe"
PAY_DAY = date(2026, 11, 20)


@dataclass(frozen=True)
class Final:
    """What the systems hold at the end of a campaign, independent of how the runs went."""

    content: Any
    keys: Counter[str]
    failures: frozenset[str]

    def lost_against(self, reference: Final) -> list[str]:
        """Records the fault-free run put in the target that are not there now."""
        return sorted(key for key in reference.keys if key not in self.keys)

    def held_against(self, reference: Final) -> list[str]:
        """Open failures the fault-free run does not have (a record held in the register, not lost)."""
        return sorted(self.failures - reference.failures)

    def duplicated(self) -> list[str]:
        return sorted(key for key, count in self.keys.items() if count > 1)


@dataclass
class Scenario:
    """How one transfer's campaign data is made and read."""

    name: str
    transfer: str
    severa: Callable[[int, int], SeveraState]
    mapping: Mapping[str, Any] = field(default_factory=dict)
    #: What the Netvisor company holds before the first run (the work of other transfers, payments).
    netvisor: Callable[[World], None] = lambda w: None
    #: Runs before the campaign starts (a first transfer whose changes the campaign then carries).
    before: Callable[[World], None] = lambda w: None
    #: What happens between two runs outside the integration (an accountant sends invoices).
    between: Callable[[World], None] = lambda w: None
    content: Callable[[World], Any] = lambda w: None
    keys: Callable[[World], Counter[str]] = lambda w: Counter()
    #: How many source records the campaign moves (for the table).
    records: Callable[[World], int] = lambda w: 0
    #: Fault-free runs that bring the data to its final state (with ``between`` before each next one).
    settling_runs: int = 1
    #: A variant's own steps (parts of step names): the short crash campaign crashes only there.
    focus: tuple[str, ...] = ()
    #: Writes the target has taken so far (Netvisor's POSTs; Severa's writes for payments).
    writes: Callable[[World], int] = lambda w: w.netvisor.request_log.count(method="POST")

    def final(self, w: World) -> Final:
        return Final(self.content(w), self.keys(w), frozenset(f.ref.id for f in w.open_failures(self.transfer)))


# -- building and resetting worlds ----------------------------------------------------------------


@contextmanager
def scenario_world(aws: LocalAws, scenario: Scenario, size: int, seed: int) -> Iterator[World]:
    """A world of its own with the scenario's data in place (its ``before`` step already run)."""
    with world(aws, severa_state=scenario.severa(size, seed), mapping_changes=scenario.mapping) as w:
        w.severa.quota = 10**9
        scenario.netvisor(w)
        scenario.before(w)
        yield w


def reset(w: World, scenario: Scenario, size: int, seed: int) -> None:
    """The same world, started over: fresh Severa data, an empty Netvisor company, an empty state
    table and queue (the simulators, moto, the table and the handlers built on them stay: much cheaper
    than a new world, and a warm handler sees the state a new installation would)."""
    w.severa.state = scenario.severa(size, seed)
    w.severa.used_quota = 0
    w.severa.clear_faults()
    w.netvisor.faults.clear()
    company = w.netvisor.company
    company.state = CompanyState()
    for name in company.dimension_names:
        company.state.add_dimension_name(name)
    company.state.collector_ratios |= SANDBOX_RECORD_TYPES
    empty_table(w)
    drain_queue(w)
    scenario.netvisor(w)
    scenario.before(w)


def drain_queue(w: World) -> list[str]:
    """Take every message off the world's failed-records queue (their bodies)."""
    sqs = w.aws.client("sqs")
    bodies: list[str] = []
    while True:
        batch = sqs.receive_message(QueueUrl=w.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        messages = batch.get("Messages", [])
        if not messages:
            return bodies
        bodies += [m["Body"] for m in messages]
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=w.queue_url, Entries=entries)


def empty_table(w: World) -> None:
    client = w.aws.client("dynamodb")
    keys = [{"pk": item["pk"], "sk": item["sk"]} for item in w.table_items()]
    for start in range(0, len(keys), 25):
        batch = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        client.batch_write_item(RequestItems={w.table: batch})


def expire_leases(w: World) -> None:
    """What time does to a crashed run's leases: they expire (here: at once)."""
    client = w.aws.client("dynamodb")
    for item in w.table_items():
        if item["pk"]["S"].startswith("lease#"):
            client.delete_item(TableName=w.table, Key={"pk": item["pk"], "sk": item["sk"]})


# -- customers ------------------------------------------------------------------------------------


def _bad_business_ids(state: SeveraState, every: int) -> None:
    """Every ``every``-th account (the 2nd first) has a business ID with a wrong check digit: refused."""
    for index, account in enumerate(sorted(state.customers.values(), key=lambda a: a["Number"])):
        if index % every == 1:
            digits = account["VatNumber"][2:]
            account["VatNumber"] = "FI" + digits[:-1] + str((int(digits[-1]) + 1) % 10)


def _customers_state(size: int, seed: int) -> SeveraState:
    state = build_state(seed, accounts=size, invoices=0, hour_entries=0)
    _bad_business_ids(state, 7)
    return state


def _customer_content(w: World) -> Any:
    return sorted(tuple(sorted(c.fields.items())) for c in w.netvisor.state.customers.values())


def _customer_keys(w: World) -> Counter[str]:
    return Counter(f"customer {c.code or c.name}" for c in w.netvisor.state.customers.values())


CUSTOMERS = Scenario(
    name="customers",
    transfer="customers",
    severa=_customers_state,
    content=_customer_content,
    keys=_customer_keys,
    records=lambda w: len(w.severa.state.customers),
)


def _first_run_then_address_edits(w: World) -> None:
    """Every account is in Netvisor; then addresses (and only addresses) of most accounts change."""
    w.run_engine("customers")
    rng = random.Random(len(w.severa.state.addresses))
    now = datetime.now(UTC)
    for index, address in enumerate(sorted(w.severa.state.addresses.values(), key=lambda a: a["GUID"])):
        if index % 4 != 3:
            address["Addressline"] = f"Uusikatu {rng.randrange(1, 99)}"
            w.severa.state.touch(address, now - timedelta(seconds=index))


#: Issue 13, item 2: an account whose only change is its address sat at the read time.
CUSTOMER_ADDRESSES = Scenario(
    name="customers (address edits)",
    transfer="customers",
    severa=_customers_state,
    before=_first_run_then_address_edits,
    focus=("edit_customer", "write_cursor"),
    content=_customer_content,
    keys=_customer_keys,
    records=lambda w: len(w.severa.state.addresses),
)


# -- products -------------------------------------------------------------------------------------


def _products_state(size: int, seed: int) -> SeveraState:
    state = build_state(seed, accounts=1, invoices=0, hour_entries=0)
    template = next(iter(state.products.values()))
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(max(0, size - len(state.products))):
        guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        record = copy.deepcopy(template)
        record.update(
            GUID=guid,
            Code=f"P-{index:05d}",
            Name=f"Tuote {index} – ääkköset & <merkit>" if index % 5 == 0 else f"Tuote {index}",
            Description=f"Tuote {index}",
            UnitPrice=Decimal(rng.randrange(100, 100000)) / 100,
            VAT=Decimal("13.5") if index % 11 == 0 else Decimal("25.5"),
            _changed=base + timedelta(minutes=rng.randrange(0, 400_000)),
        )
        if index % 9 == 1:
            record["Name"] = ""  # a product without a name is refused, naming it
        state.products[guid] = record
    return state


PRODUCTS = Scenario(
    name="products",
    transfer="products",
    severa=_products_state,
    content=lambda w: sorted(
        (tuple(sorted(p.fields.items())), p.price_type) for p in w.netvisor.state.products.values()
    ),
    keys=lambda w: Counter(f"product {p.code}" for p in w.netvisor.state.products.values()),
    records=lambda w: len(w.severa.state.products) + len(w.severa.state.work_types),
)


# -- dimensions -----------------------------------------------------------------------------------


def _dimensions_state(size: int, seed: int) -> SeveraState:
    state = build_state(seed, accounts=max(1, size // 2), invoices=0, hour_entries=0)
    for index, case in enumerate(sorted(state.cases.values(), key=lambda c: c["CaseNumber"])):
        if index % 13 == 1:
            case["Name"] = "x" * 300  # longer than Netvisor keeps: refused, naming the case
    return state


def _dimension_items(w: World) -> list[tuple[str, str, bool, int]]:
    return [(d.name, i.name, i.hidden, i.level) for d in w.netvisor.state.dimensions.values() for i in d.items]


DIMENSIONS = Scenario(
    name="dimensions",
    transfer="dimensions",
    severa=_dimensions_state,
    content=lambda w: sorted(_dimension_items(w)),
    keys=lambda w: Counter(f"dimension item {d}/{i}" for d, i, _, _ in _dimension_items(w)),
    records=lambda w: len(w.severa.state.cases) + len(w.severa.state.business_units),
)


# -- invoices -------------------------------------------------------------------------------------


def _invoices_state(size: int, seed: int) -> SeveraState:
    state = build_state(seed, accounts=max(2, size // 6), invoices=size, hour_entries=0, credit_note_share=0.1)
    ready = [r for r in state.invoices.values() if r["InvoiceStatus"] == READY_STATUS and not r["IsCreditNote"]]
    for index, record in enumerate(sorted(ready, key=lambda r: r["Number"])):
        if index % 5 == 1:
            reference = record["ReferenceNumber"]
            record["ReferenceNumber"] = reference[:-1] + str((int(reference[-1]) + 1) % 10)  # a wrong check digit
    state.invoice_statuses[ERROR_STATUS] = {
        **state.invoice_statuses[READY_STATUS],
        "Name": ERROR_STATUS,
        "Description": ERROR_STATUS,
        "SortOrder": 9,
    }
    return state


def _invoices_netvisor(w: World) -> None:
    # Products and dimension items are there; customers are created on the fly, before their invoices.
    checks.seed_netvisor(w.severa.state, w.netvisor.state, customers=False)


def _invoice_content(w: World) -> Any:
    netvisor = w.netvisor.state
    codes = {c.key: c.code for c in netvisor.customers.values()}
    numbers = {i.key: i.number for i in netvisor.invoices.values()}
    invoices = sorted(
        (
            i.number,
            str(i.amount),
            codes.get(i.customer_key, "?"),
            i.reference_number,
            numbers.get(i.matched_to or -1),
            len(i.lines),
            len(i.attachments),
        )
        for i in netvisor.invoices.values()
    )
    state = w.severa.state
    # Each invoice's status, and whether its log says it went (or why not): said at least once.
    severa = sorted(
        (
            r["Number"],
            r["InvoiceStatus"],
            any((e.text or "").startswith("Transferred to Netvisor") for e in state.log_of(guid)),
            any((e.text or "").startswith("Not transferred to Netvisor") for e in state.log_of(guid)),
        )
        for guid, r in state.invoices.items()
    )
    return {"invoices": invoices, "customers": _customer_content(w), "severa": severa}


def _invoice_keys(w: World) -> Counter[str]:
    return Counter(f"invoice {i.number}" for i in w.netvisor.state.invoices.values()) + _customer_keys(w)


def _send_invoices(w: World) -> None:
    w.netvisor.send_invoices()


INVOICES = Scenario(
    name="invoices",
    transfer="invoices",
    severa=_invoices_state,
    netvisor=_invoices_netvisor,
    between=_send_invoices,
    settling_runs=2,
    content=_invoice_content,
    keys=_invoice_keys,
    records=lambda w: len(checks.ready_invoices(w.severa.state)),
)

INVOICES_ERROR_STATUS = Scenario(
    name="invoices (error status)",
    transfer="invoices",
    severa=_invoices_state,
    mapping={"invoice_statuses": {"error": ERROR_STATUS}},
    focus=("set_invoice_status", "add_invoice_log_entry", "add_sales_invoice"),
    netvisor=_invoices_netvisor,
    between=_send_invoices,
    settling_runs=2,
    content=_invoice_content,
    keys=_invoice_keys,
    records=lambda w: len(checks.ready_invoices(w.severa.state)),
)


def _sent_since_state(size: int, seed: int) -> SeveraState:
    state = _invoices_state(size, seed)
    for index, record in enumerate(sorted(state.invoices.values(), key=lambda r: r["Number"])):
        if index % 4 == 0 and record["InvoiceStatus"] == READY_STATUS:
            record["InvoiceStatus"] = SENT_STATUS  # sent from Severa by hand: picked up by sent_since
    return state


INVOICES_SENT_SINCE = Scenario(
    name="invoices (sent_since)",
    transfer="invoices",
    severa=_sent_since_state,
    mapping={"invoices": {"sent_since": "2020-01-01"}},
    focus=("invoice_stubs_by_date", "add_sales_invoice", "set_invoice_status"),
    netvisor=_invoices_netvisor,
    between=_send_invoices,
    settling_runs=2,
    content=_invoice_content,
    keys=_invoice_keys,
    records=lambda w: sum(
        1 for r in w.severa.state.invoices.values() if r["InvoiceStatus"] in (READY_STATUS, SENT_STATUS)
    ),
)


# -- payments -------------------------------------------------------------------------------------


def _payments_state(size: int, seed: int) -> SeveraState:
    state = build_state(seed, accounts=2, invoices=size, hour_entries=0, credit_note_share=0.0)
    for index, record in enumerate(sorted(state.invoices.values(), key=lambda r: r["Number"])):
        number = 20000 + index
        record.update(
            Number=number, ReferenceNumber=build_finnish_reference(number), InvoiceStatus=SENT_STATUS, PaymentDate=None
        )
    return state


def _payments_netvisor(w: World) -> None:
    """Every Severa invoice is in Netvisor (sent by hand: matched by number); most are paid, some in
    two parts, one in ten partly; and one payment in twenty (the 4th first) belongs to no Severa invoice."""
    netvisor = w.netvisor
    rng = random.Random(len(w.severa.state.invoices))
    with netvisor.state.lock:
        for index, record in enumerate(sorted(w.severa.state.invoices.values(), key=lambda r: r["Number"])):
            number = str(record["Number"])
            if index % 20 == 3:
                number = str(90000 + index)  # nobody's invoice in Severa
            key = 9_000_000 + index
            amount = Decimal(rng.randrange(1000, 500000)) / 100
            netvisor.state.invoices[key] = InvoiceRecord(
                key=key, number=number, invoice_date=date(2026, 11, 2), due_date=date(2026, 11, 16),
                status="open", amount=amount, open_sum=amount, currency="EUR", customer_key=0,
                reference_number=build_finnish_reference(int(number)), fields={}, lines=[], comments=[],
                attachments=[], last_modified=netvisor.now(), expect_partial_payments=True,
            )  # fmt: skip
    for index, invoice in enumerate(sorted(netvisor.state.invoices.values(), key=lambda i: i.key)):
        if index % 10 == 4:
            netvisor.add_payment(invoice.key, (invoice.amount / 3).quantize(Decimal("0.01")), PAY_DAY)
        elif index % 10 == 7:
            half = (invoice.amount / 2).quantize(Decimal("0.01"))
            netvisor.add_payment(invoice.key, half, PAY_DAY - timedelta(days=2))
            netvisor.add_payment(invoice.key, invoice.amount - half, PAY_DAY)
        else:
            netvisor.add_payment(invoice.key, invoice.amount, PAY_DAY)


def _payment_content(w: World) -> Any:
    severa = w.severa.state
    return sorted(
        (
            r["Number"],
            r["InvoiceStatus"],
            str(r.get("PaymentDate")),
            tuple(sorted(e.text or "" for e in severa.log_of(g))),
        )
        for g, r in severa.invoices.items()
    )


def _payment_keys(w: World) -> Counter[str]:
    """A payment is in Severa as its log entry on the invoice (written once per payment)."""
    severa = w.severa.state
    return Counter(
        f"payment log of invoice {severa.invoices[e.invoice_guid]['Number']}: {e.text}" for e in severa.invoice_log
    )


#: Severa's write operations (everything else the client calls is a read).
SEVERA_WRITES = ("SetInvoiceStatus", "SetInvoicePaymentDate", "AddNewInvoiceLogEntry")

PAYMENTS = Scenario(
    name="payments",
    transfer="payments",
    writes=lambda w: sum(w.severa.calls[name] for name in SEVERA_WRITES),
    severa=_payments_state,
    mapping={"payments": {"since": "2020-01-01"}},
    netvisor=_payments_netvisor,
    content=_payment_content,
    keys=_payment_keys,
    records=lambda w: len(w.netvisor.state.payments),
)


# -- hours ----------------------------------------------------------------------------------------


def _hours_state(size: int, seed: int) -> SeveraState:
    state = build_state(seed, accounts=2, invoices=0, hour_entries=size)
    today = datetime.now(UTC).date()
    rng = random.Random(seed)
    for entry in state.hour_entries.values():  # inside the open payroll period
        day = today - timedelta(days=rng.randrange(1, 21))
        entry["EventDate"] = datetime(day.year, day.month, day.day)
        entry["_changed"] = datetime.now(UTC) - timedelta(hours=rng.randrange(1, 400))
    # A user the mapping has no employee number for: that day is refused, naming the user.
    unmapped = next(guid for guid, user in state.users.items() if user["Code"] == "U006")
    first = min(state.hour_entries.values(), key=lambda e: e["GUID"])
    first.update(UserGUID=unmapped, IsApproved=True)
    return state


def _workday_rows(w: World) -> list[tuple[str, date, str, str]]:
    return [(r.employee, r.day, r.collector_ratio, str(r.hours)) for r in w.netvisor.state.workdays]


HOURS = Scenario(
    name="hours",
    transfer="hours",
    severa=_hours_state,
    mapping={"hours": {"enabled": True}},
    content=lambda w: sorted(_workday_rows(w)),
    keys=lambda w: Counter(f"payroll row {e} {d} type {r}" for e, d, r, _ in _workday_rows(w)),
    records=lambda w: len({(e["UserGUID"], e["EventDate"]) for e in w.severa.state.hour_entries.values()}),
)

#: Every transfer, and the configuration variants the crash campaign also runs.
ALL = (CUSTOMERS, PRODUCTS, DIMENSIONS, INVOICES, PAYMENTS, HOURS)
VARIANTS = (CUSTOMER_ADDRESSES, INVOICES_ERROR_STATUS, INVOICES_SENT_SINCE)
BY_NAME = {s.name: s for s in (*ALL, *VARIANTS)}
