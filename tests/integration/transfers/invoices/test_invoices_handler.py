"""The invoices transfer through the real handler (functions/invoices/app.py in a child process, as
Lambda runs it) against the Severa and Netvisor simulators and moto: queue, ledger and both sides'
state are asserted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.severa import build_state
from sandbox.severa.seed import READY_STATUS, SENT_STATUS
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks

EVENT = {"scheduled_time": "<aws.scheduler.scheduled-time>", "execution_id": "<aws.scheduler.execution-id>"}
Rig = World


def _rig(aws: LocalAws, seed: int, invoices: int, accounts: int = 6, *, customers: bool = False) -> Iterator[Rig]:
    state = build_state(seed, accounts=accounts, invoices=invoices, hour_entries=0)
    with world(aws, severa_state=state) as rig:
        checks.seed_netvisor(state, rig.netvisor.state, customers=customers)
        yield rig


@pytest.fixture
def small(local_aws: LocalAws, request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from _rig(local_aws, 100 + len(request.node.name), 30)


@pytest.fixture
def larger(local_aws: LocalAws) -> Iterator[Rig]:
    yield from _rig(local_aws, 12, 70, accounts=8)


def _run(rig: Rig, event: dict[str, Any] | None = None) -> dict[str, Any]:
    return rig.run("invoices", event or EVENT)


def _send_all_in_netvisor(rig: Rig) -> int:
    """The accountant sends the new invoices from Netvisor (they get their vouchers)."""
    return rig.netvisor.send_invoices()


def test_a_seeded_month_transfers_completely_and_netvisor_matches_severa_to_the_cent(local_aws: LocalAws) -> None:
    with world(local_aws, severa_state=build_state(5, accounts=15, invoices=260, hour_entries=0)) as sandbox:
        checks.seed_netvisor(sandbox.severa.state, sandbox.netvisor.state, customers=False)
        severa, netvisor = sandbox.severa.state, sandbox.netvisor.state
        ready = checks.ready_invoices(severa)
        rates = {row["rowVatRatePercent"] for r in ready for row in r["InvoiceRows"]}
        assert {Decimal("25.5"), Decimal("13.5"), Decimal("10"), Decimal(0)} <= rates  # the variety is there
        assert any(r["IsTaxFree"] for r in ready)
        assert any(r["IsCreditNote"] for r in ready)
        assert any(len(r["InvoiceRows"]) > 1 for r in ready)

        summary = _run(sandbox)

        assert (summary["created"], summary["failed"], summary["stopped_early"]) == (len(ready), 0, None)
        assert not sandbox.messages()
        assert max(checks.numbers_in_netvisor(netvisor).values()) == 1  # no duplicates
        assert len(netvisor.invoices) == len(ready)
        for invoice in ready:
            assert checks.compare_invoice(invoice, netvisor, severa) == [], invoice["Number"]
            copy = netvisor.invoice_by_number(str(invoice["Number"]))
            assert copy is not None
            assert copy.attachments
            assert copy.attachments[0].filename == f"lasku-{invoice['Number']}.pdf"
            if invoice["IsTaxFree"]:
                # The seeded reverse-charge buyers are Finnish construction companies (AVL 8 c §).
                assert {line.vat_code for line in copy.lines} == {"RAMY"}
                assert "AVL 8 c" in copy.fields.get("salesinvoicefreetextafterlines", "")
            # Write-back: status and a log entry naming the Netvisor key.
            assert invoice["InvoiceStatus"] == SENT_STATUS
            assert any(str(copy.key) in (entry.text or "") for entry in severa.log_of(invoice["GUID"]))
        # Credit notes wait until the accountant has sent both invoices from Netvisor, then are matched.
        waiting = _run(sandbox)
        assert waiting["waiting"] == sum(1 for r in ready if r["IsCreditNote"] and r["ReimburseInvoiceGUID"])
        assert all(i.matched_to is None for i in netvisor.invoices.values())
        assert _send_all_in_netvisor(sandbox) == len(ready)
        matched = _run(sandbox)
        assert matched["created"] == 0
        numbers = {r["GUID"]: str(r["Number"]) for r in severa.invoices.values()}
        credits = [
            r for r in ready if r["IsCreditNote"] and netvisor.invoice_by_number(numbers[r["ReimburseInvoiceGUID"]])
        ]
        assert credits
        # Those whose invoice never reached Netvisor keep waiting (and say so in the summary).
        assert matched["also"] == {"credit notes matched": len(credits)}
        assert matched["waiting"] == waiting["waiting"] - len(credits)
        for credit in credits:
            note = netvisor.invoice_by_number(str(credit["Number"]))
            original = netvisor.invoice_by_number(numbers[credit["ReimburseInvoiceGUID"]])
            assert note is not None
            assert original is not None
            assert note.matched_to == original.key

        # A run with nothing new: two Severa reads (statuses, ready list), no Netvisor write.
        sandbox.severa.calls.clear()
        writes_before = sandbox.netvisor.request_log.count(method="POST")
        again = _run(sandbox)
        assert (again["created"], again["adopted"], again["failed"]) == (0, 0, 0)
        assert again["waiting"] == matched["waiting"]
        assert sum(sandbox.severa.calls.values()) <= 2 + again["waiting"], sandbox.severa.calls
        assert sandbox.netvisor.request_log.count(method="POST") == writes_before


def _wrong_reference(invoice: dict[str, Any]) -> None:
    reference = invoice["ReferenceNumber"]
    invoice["ReferenceNumber"] = reference[:-1] + str((int(reference[-1]) + 1) % 10)


def _rate_not_in_force(invoice: dict[str, Any]) -> None:
    row = invoice["InvoiceRows"][0]
    row["rowVatRatePercent"] = Decimal(24)  # not a rate in 2026
    row["rowVatAmount"] = (row["rowVatExcludedAmount"] * Decimal("0.24")).quantize(Decimal("0.01"))


def _tax_free_without_vat_number(invoice: dict[str, Any]) -> None:
    invoice["IsTaxFree"] = True
    invoice["ReceiverVatNumber"] = None
    invoice["BuyerOrganization"]["buyerOrganisationTaxCode"] = None
    for row in invoice["InvoiceRows"]:
        row["rowVatRatePercent"], row["rowVatAmount"] = Decimal(0), Decimal(0)
        row["rowAmount"] = row["rowVatExcludedAmount"]
    details = invoice["InvoiceDetails"]
    details["invoiceTotalVatAmount"] = Decimal(0)
    details["invoiceTotalVatIncludedAmount"] = details["invoiceTotalVatExcludedAmount"]


def _long_project_name(invoice: dict[str, Any]) -> None:
    rows = invoice["InvoiceRows"]
    case_guid = rows[0]["MainCaseGUID"]
    for row in rows:
        if row["MainCaseGUID"] == case_guid:
            row["MainCaseName"] = "Projekti " * 30


def _set(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(invoice: dict[str, Any]) -> None:
        target = invoice
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _total_off(invoice: dict[str, Any]) -> None:
    invoice["InvoiceDetails"]["invoiceTotalVatIncludedAmount"] += Decimal("0.05")


def _first_row_sum_off(invoice: dict[str, Any]) -> None:
    invoice["InvoiceRows"][0]["rowAmount"] += Decimal("0.01")


#: Ways to get a Severa invoice wrong, each refused before it reaches Netvisor (see EXPECTED).
BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "reference": _wrong_reference,
    "business_id": _set("BuyerOrganization", "buyerPartyIdentifier", value="1234567-8"),
    "vat_rate_for_date": _rate_not_in_force,
    "row_sum": _first_row_sum_off,
    "address": _set("ReceiverAddressline", value=None),
    "currency": _set("CurrencyShortform", value="SEK"),
    "buyer_vat_number": _tax_free_without_vat_number,
    "length": _long_project_name,
    "total": _total_off,
}


EXPECTED = {
    "reference": "reference number:",
    "business_id": "customer business ID:",
    "vat_rate_for_date": "row 1 VAT rate: 24 % was not a Finnish VAT rate on",
    "row_sum": "row 1 sums:",
    "address": "customer street address: is empty",
    "currency": "currency: the invoice is in SEK",
    "buyer_vat_number": "buyer VAT number: is empty",
    "length": "Netvisor allows at most 200",
    "total": "invoice total:",
    "unmapped_rate": "VAT rate: 10 % has no Netvisor VAT code",
}


def test_each_validation_failure_is_queued_with_its_reason_and_the_rest_go_through(larger: Rig) -> None:
    small = larger
    assert small.severa is not None
    assert small.netvisor is not None
    severa = small.severa.state
    plain = [
        r
        for r in checks.ready_invoices(severa)
        if not r["IsTaxFree"]
        and not r["IsCreditNote"]
        and r["InvoiceRows"][0]["MainCaseGUID"]
        and Decimal(10) not in {row["rowVatRatePercent"] for row in r["InvoiceRows"]}
    ]
    kinds = [k for k in EXPECTED if k != "unmapped_rate"]
    assert len(plain) >= len(kinds)
    broken = {}
    references = {r["GUID"]: r["ReferenceNumber"] for r in plain}
    for invoice, how in zip(plain, kinds, strict=False):
        BREAKS[how](invoice)
        broken[invoice["GUID"]] = how
    # Every VAT rate must be mapped: take 10 % out of the mapping; invoices with a 10 % row fail.
    rates = {"10": None}  # merged into the sandbox mapping: None removes the key
    small.set_mapping(checks.mapping_text(vat={"rates": rates}))
    for invoice in checks.ready_invoices(severa):
        if (
            invoice["GUID"] not in broken
            and not invoice["IsTaxFree"]
            and any(row["rowVatRatePercent"] == Decimal(10) for row in invoice["InvoiceRows"])
        ):
            broken[invoice["GUID"]] = "unmapped_rate"
    assert "unmapped_rate" in broken.values()
    ready = checks.ready_invoices(severa)

    summary = _run(small)

    assert summary["failed"] == len(broken)
    assert summary["created"] == len(ready) - len(broken)
    messages = {m["source"]["id"]: m for m in small.messages()}
    assert set(messages) == set(broken)
    numbers = {r["GUID"]: r["Number"] for r in ready}
    for guid, how in broken.items():
        message = messages[guid]
        assert message["step"] == "prepare"
        assert message["error_class"] == "InvoiceValidationError"
        assert str(numbers[guid]) in message["label"]
        assert message["message"].startswith(f"{message['label']} cannot be transferred: "), how
        assert guid not in message["message"]  # named as people know it
        assert EXPECTED[how] in message["message"], (how, message["message"])
        assert message["record"]["guid"] == guid  # enough to replay
        # The person who made the invoice sees why in Severa; it stays ready for a fix.
        assert any(EXPECTED[how] in (e.text or "") for e in severa.log_of(guid)), how
        assert severa.invoices[guid]["InvoiceStatus"] == READY_STATUS
        assert small.netvisor.state.invoice_by_number(str(numbers[guid])) is None
    for invoice in ready:
        if invoice["GUID"] not in broken:
            assert checks.compare_invoice(invoice, small.netvisor.state, severa) == []

    # Nothing changed: the known failures stand (one open failure each, not reported again), and
    # Severa is read twice (statuses, ready list).
    small.severa.calls.clear()
    again = _run(small)
    assert (again["created"], again["failed"], again["still_failing"]) == (0, 0, len(broken))
    assert not small.messages()
    assert sum(small.severa.calls.values()) <= 2, small.severa.calls
    assert {f.ref.id for f in small.open_failures("invoices")} == set(broken)

    # The reference is corrected in Severa: the next run sends that invoice.
    [fixed] = [guid for guid, how in broken.items() if how == "reference"]
    severa.invoices[fixed]["ReferenceNumber"] = references[fixed]
    after_fix = _run(small)
    assert (after_fix["created"], after_fix["failed"], after_fix["failures_closed"]) == (1, 0, 1)
    assert checks.compare_invoice(severa.invoices[fixed], small.netvisor.state, severa) == []
    assert severa.invoices[fixed]["InvoiceStatus"] == SENT_STATUS
    assert fixed not in {f.ref.id for f in small.open_failures("invoices")}


def test_a_lost_response_is_adopted_on_the_next_run_instead_of_duplicated(small: Rig) -> None:
    assert small.severa is not None
    assert small.netvisor is not None
    ready = checks.ready_invoices(small.severa.state)
    # The third invoice reaches Netvisor but the connection drops before the answer.
    small.netvisor.faults.add(Fault(kind="drop", resource="salesinvoice.nv", nth=3))

    first = _run(small)

    # A lost answer is not a failure of the invoice: nothing is reported, the invoice waits for the
    # next run, which looks it up before sending anything.
    assert (first["created"], first["failed"], first["unsettled"]) == (len(ready) - 1, 0, 1)
    assert small.messages() == []
    assert small.open_failures("invoices") == []
    assert len(small.netvisor.state.invoices) == len(ready)  # it did arrive
    [lost_invoice] = [r for r in ready if r["InvoiceStatus"] == READY_STATUS]  # not written back
    assert not any("Not transferred" in (e.text or "") for e in small.severa.state.log_of(lost_invoice["GUID"]))

    second = _run(small)

    assert (second["adopted"], second["created"], second["failed"]) == (1, 0, 0)
    assert max(checks.numbers_in_netvisor(small.netvisor.state).values()) == 1
    assert len(small.netvisor.state.invoices) == len(ready)
    assert lost_invoice["InvoiceStatus"] == SENT_STATUS
    copy = small.netvisor.state.invoice_by_number(str(lost_invoice["Number"]))
    assert copy is not None
    assert any(str(copy.key) in (e.text or "") for e in small.severa.state.log_of(lost_invoice["GUID"]))


def test_a_credit_note_sent_before_its_invoice_is_matched_once_both_exist(small: Rig) -> None:
    assert small.severa is not None
    assert small.netvisor is not None
    severa = small.severa.state
    credit = next(r for r in severa.invoices.values() if r["IsCreditNote"])
    original = severa.invoices[credit["ReimburseInvoiceGUID"]]
    credit["InvoiceStatus"], original["InvoiceStatus"] = READY_STATUS, "Luonnos"

    _run(small)
    note = small.netvisor.state.invoice_by_number(str(credit["Number"]))
    assert note is not None
    assert note.matched_to is None
    assert note.amount < 0

    original["InvoiceStatus"] = READY_STATUS
    second = _run(small)
    assert second["waiting"] == 1  # both are in Netvisor now, but not sent yet
    assert note.matched_to is None
    _send_all_in_netvisor(small)
    third = _run(small)
    assert (third["created"], third["waiting"], third["failed"]) == (0, 0, 0)
    copy = small.netvisor.state.invoice_by_number(str(original["Number"]))
    matched = small.netvisor.state.invoice_by_number(str(credit["Number"]))
    assert copy is not None
    assert matched is not None
    assert matched.matched_to == copy.key
    assert copy.open_sum == copy.amount + matched.amount
    # Matched once: later runs leave it alone.
    small.netvisor.request_log.clear()
    _run(small)
    assert small.netvisor.request_log.count("matchcreditnote.nv") == 0


def test_dry_run_writes_nothing_and_a_changed_invoice_is_reported_as_drift(small: Rig) -> None:
    assert small.severa is not None
    assert small.netvisor is not None
    severa = small.severa.state
    ready = checks.ready_invoices(severa)

    plan = _run(small, {"dry_run": True})
    invoices = [item for item in plan["plan"] if item["needed_by"] is None]
    customers = [item for item in plan["plan"] if item["needed_by"] is not None]
    assert [item["action"] for item in invoices] == ["create"] * len(ready)
    assert plan["created"] == len(ready)
    # Each invoice's customer, new to Netvisor, is in the plan once, before its first invoice.
    assert len(customers) == plan["dependencies"] == len({r["AccountGUID"] for r in ready})
    assert all(c["action"] == "create" and c["label"].startswith("customer ") for c in customers)
    assert all(c["requests"][0]["operation"].startswith("create customer") for c in customers)
    first = invoices[0]["requests"]
    assert first[0]["operation"].startswith("create sales invoice")
    assert "<salesinvoice>" in first[0]["body"]
    assert "bytes]</documentdata>" in first[0]["body"]  # the PDF by its size, not its bytes
    assert [r["operation"] for r in first[1:]] == [
        "add a line to the invoice's log (AddNewInvoiceLogEntry)",
        "set the invoice's status (SetInvoiceStatus)",
    ]
    assert not small.netvisor.state.customers
    assert not small.netvisor.state.invoices
    assert all(r["InvoiceStatus"] == READY_STATUS for r in ready)

    _run(small)
    changed = ready[0]
    copy = small.netvisor.state.invoice_by_number(str(changed["Number"]))
    assert copy is not None
    before = copy.due_date
    # Someone edits the transferred invoice in Severa and sends it again.
    changed["DueDate"] = (
        changed["DueDate"].replace(day=1) if changed["DueDate"].day > 1 else changed["DueDate"].replace(day=2)
    )
    changed["InvoiceStatus"] = READY_STATUS

    summary = _run(small)

    assert summary["failures_by_reason"] == {"DriftDetected": 1}
    [drift] = small.messages()
    assert drift["source"]["id"] == changed["GUID"]
    assert drift["step"] == "drift"
    assert "due_date:" in drift["message"]
    assert str(copy.key) in drift["message"]
    assert copy.due_date == before  # never silently overwritten
    assert max(checks.numbers_in_netvisor(small.netvisor.state).values()) == 1
    # Reported once: the next run does not report the same change again.
    quiet = _run(small)
    assert quiet["failed"] == 0
    assert not small.messages()
