"""`make demo`: the main job on the built-in sandbox, end to end, with no AWS account and no Docker.

Starts local AWS (moto) with the template's resources, the Severa simulator seeded with a small
Finnish company's data and the Netvisor simulator, puts the sandbox secrets and mapping in place,
then runs each function the way its schedule would (through the local invoke runner: a child
process with the template's environment) and prints what happened.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from severa_netvisor.cli.present import as_date, function_report
from severa_netvisor.cli.targets import SandboxTarget

from sandbox.environment import Sandbox
from sandbox.kept import link_of
from sandbox.severa.cases import hour_entry, move_hour_entry
from sandbox.severa.seed import READY_STATUS
from sandbox.template import REPO_ROOT


@dataclass(frozen=True)
class Step:
    function: str
    title: str
    #: Something that happens in the world before the run (e.g. a payment arrives in Netvisor).
    before: Callable[[Sandbox], str] | None = None


def _mistype_a_reference(sandbox: Sandbox) -> str:
    """Someone mistypes the reference number of one invoice that is ready to transfer."""
    assert sandbox.severa is not None
    ready = sorted(
        (inv for inv in sandbox.severa.state.invoices.values() if inv["InvoiceStatus"] == READY_STATUS),
        key=lambda inv: int(inv["Number"]),
    )
    invoice = ready[0]
    good = str(invoice["ReferenceNumber"])
    invoice["ReferenceNumber"] = good[:-1] + str((int(good[-1]) + 1) % 10)
    return (f"In Severa, invoice {invoice['Number']} gets a mistyped reference number "
            f"({invoice['ReferenceNumber']} instead of {good})")


#: Real-world invoices (sandbox/severa/cases.py) whose VAT treatment the demo points out.
_VAT_SHOWN = (("90001", "domestic reverse charge, construction"), ("90002", "an EU service sale, reverse charge"))


def _accountant_sends_invoices(sandbox: Sandbox) -> str:
    """What two real-world invoices carry in Netvisor; then the accountant sends the new invoices to the
    customers from Netvisor (they get their vouchers)."""
    assert sandbox.netvisor is not None
    state = sandbox.netvisor.company.state
    shown = []
    for number, meaning in _VAT_SHOWN:
        invoice = state.invoice_by_number(number)
        if invoice is not None:
            customer = state.customers.get(invoice.customer_key)
            codes = "/".join(sorted({line.vat_code for line in invoice.lines}))
            shown.append(f"invoice {number} to {customer.name if customer else '?'} carries VAT code {codes} "
                         f"({meaning}) and its note: {invoice.fields.get('salesinvoicefreetextafterlines', '')!r}")
    sent = sandbox.netvisor.send_invoices()
    lines = [f"In Netvisor, {line}" for line in shown]
    lines.append(f"In Netvisor, the accountant sends the {sent} new invoices and credit notes to the customers "
                 "(a credit note can be matched to its invoice only once both are sent)")
    return "\n-- ".join(lines)


def _payments_arrive(sandbox: Sandbox) -> str:
    """A bank statement arrives in Netvisor: two invoices paid in full, one in part."""
    assert sandbox.netvisor is not None
    invoices = sorted(
        (inv for inv in sandbox.netvisor.company.state.invoices.values() if inv.amount > 0),
        key=lambda inv: inv.key,
    )[:3]
    lines = []
    for index, invoice in enumerate(invoices):
        amount = invoice.open_sum if index < 2 else (invoice.open_sum / 2).quantize(Decimal("0.01"))
        sandbox.netvisor.add_payment(invoice.key, amount)
        lines.append(f"invoice {invoice.number}: {amount} of {invoice.amount} EUR")
    # A payment whose reference matches no invoice: Netvisor cannot target it, nor may the integration.
    stray = sandbox.netvisor.add_unlinked_payment("45.00", "1234561", name="Asiakas Tuntematon")
    lines.append(f"and {stray.sum} EUR from {stray.name} whose reference {stray.reference_number} matches no invoice")
    return "In Netvisor, a bank statement brings payments: " + "; ".join(lines)


def _move_an_hour_entry(sandbox: Sandbox) -> str:
    """Someone moves an hour entry already in payroll to the next day in Severa."""
    assert sandbox.severa is not None
    state = sandbox.severa.state
    entry = hour_entry(state, "hours_moved", "moves")
    before = as_date(entry["EventDate"])
    move_hour_entry(state, entry["GUID"], days=1)
    user = state.users[entry["UserGUID"]]
    return (f"In Severa, {user['FirstName']} {user['LastName']}'s {entry['Quantity']} h entry of {before} is moved "
            f"to {as_date(entry['EventDate'])}: payroll must lose it on the old day and get it on the new one")


STEPS = [
    Step("check_connections", "Can we reach Severa and Netvisor with the stored credentials?"),
    Step("customers", "Severa accounts -> Netvisor customers"),
    Step("products", "Severa products and work types -> Netvisor products"),
    Step("dimensions", "Severa projects, business units, cost centres -> Netvisor dimensions"),
    Step("invoices", "Severa invoices and credit notes ready to transfer -> Netvisor sales invoices",
         before=_mistype_a_reference),
    Step(
        "invoices",
        "Second run: nothing sent twice; credit notes are matched once both invoices are sent",
        before=_accountant_sends_invoices,
    ),
    Step("payments", "Netvisor payments -> Severa payment date, paid status, log entries", before=_payments_arrive),
    Step("payments", "Second run: the same payments change nothing twice"),
    Step("hours", "Approved Severa hour entries -> Netvisor payroll workdays"),
    Step("hours", "Second run: the moved entry's old day and new day are both replaced in payroll",
         before=_move_an_hour_entry),
]


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(Path(REPO_ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _netvisor_counts(sandbox: Sandbox) -> str:
    assert sandbox.netvisor is not None
    state = sandbox.netvisor.company.state
    items = sum(len(header.items) for header in state.dimensions.values())
    return (f"Netvisor now holds {len(state.customers)} customers, {len(state.products)} products, "
            f"{items} dimension items, {len(state.invoices)} invoices, {len(state.payments)} payments, "
            f"{len(state.workdays)} workdays")


def _severa_payments(sandbox: Sandbox) -> str:
    """What the payments transfer wrote back in Severa."""
    assert sandbox.severa is not None
    lines = ["Severa invoices with a payment written back:"]
    for invoice in sorted(sandbox.severa.state.invoices.values(), key=lambda inv: int(inv["Number"])):
        entries = [e.text for e in sandbox.severa.state.log_of(invoice["GUID"]) if e.text and "ayment" in e.text]
        if invoice.get("PaymentDate") or entries:
            paid = f"paid on {as_date(invoice['PaymentDate'])}" if invoice.get("PaymentDate") else "not paid in full"
            lines.append(f"  invoice {invoice['Number']}: status '{invoice['InvoiceStatus']}', {paid}")
            lines.extend(f"    log: {text}" for text in entries)
    return "\n".join(lines) if len(lines) > 1 else "No payments were written back to Severa."


def _severa_log_of_refused(sandbox: Sandbox) -> list[str]:
    """What the author of each refused invoice sees in Severa's invoice log."""
    assert sandbox.severa is not None
    return [
        f"Severa's log of invoice {invoice['Number']} (what its author sees): {entry.text}"
        for invoice in sorted(sandbox.severa.state.invoices.values(), key=lambda inv: int(inv["Number"]))
        for entry in sandbox.severa.state.log_of(invoice["GUID"])
        if entry.text and entry.text.startswith("Not transferred")
    ]


def main() -> int:
    failures = 0
    with Sandbox() as sandbox:
        assert sandbox.severa is not None
        print(f"Sandbox: local AWS at {sandbox.aws.endpoint_url}, Severa simulator at {sandbox.severa.url}, "
              f"Netvisor simulator at {sandbox.netvisor.url if sandbox.netvisor else '?'}")
        target = SandboxTarget(link_of(sandbox))
        waiting: list[str] = []
        for step in STEPS:
            if step.before is not None:
                print(f"\n-- {step.before(sandbox)}")
            outcome = target.invoke(step.function, _event(step.function))
            report = function_report(step.function, outcome.result, outcome.error, waiting=outcome.waiting)
            print(f"\n== {step.function}: {step.title} [{'ok' if report.ok else 'FAILED'}, {outcome.seconds:.1f} s]")
            print("\n".join(report.text().splitlines()[1:]) or "  (nothing to report)")
            failures += 0 if report.ok else 1
            waiting += outcome.waiting
        print(f"\n{_netvisor_counts(sandbox)}")
        print(_severa_payments(sandbox))
        severa_log = _severa_log_of_refused(sandbox)
        failures += _reconcile_the_seeded_month(sandbox, target)
    print("\nWhat needs you:")
    if waiting:
        print("\n".join(f"  - {line}" for line in [*waiting, *severa_log]))
        print("  Fix the record in Severa and the next run sends it. On a deployed stack the list is in "
              "`severa-netvisor --stack <stack> failures list`.")
    else:
        print("  Nothing: every record went through.")
    runs = "every run worked" if not failures else f"{failures} run(s) FAILED"
    print(f"\nDemo finished: {runs}" + (f"; {len(waiting)} record(s) wait for you (above)." if waiting else "."))
    return 1 if failures else 0


def _reconcile_the_seeded_month(sandbox: Sandbox, target: SandboxTarget) -> int:
    """Month end: one more payment reaches Netvisor only, then the month of the mistyped invoice is
    reconciled by the reconcile function (its report goes to the bucket, its summary to the topic)."""
    assert sandbox.severa is not None
    assert sandbox.netvisor is not None
    netvisor = sandbox.netvisor.company.state
    ready = sorted((i for i in sandbox.severa.state.invoices.values() if i["InvoiceStatus"] == READY_STATUS),
                   key=lambda i: int(i["Number"]))  # fmt: skip
    day = ready[0]["Date"]  # still ready: the invoice whose reference was mistyped
    month = f"{day.year}-{day.month:02d}"
    open_ones = sorted((i for i in netvisor.invoices.values() if i.amount > 0 and i.open_sum > 0
                        and (i.invoice_date.year, i.invoice_date.month) == (day.year, day.month)),
                       key=lambda i: i.key)  # fmt: skip
    if open_ones:
        amount = (open_ones[0].open_sum / 2).quantize(Decimal("0.01"))
        sandbox.netvisor.add_payment(open_ones[0].key, amount)
        print(f"\n-- In Netvisor, a payment of {amount} EUR arrives for invoice {open_ones[0].number} "
              "after the last payments run")
    outcome = target.invoke("reconcile", {"month": month})
    ok = outcome.error is None
    print(f"\n== reconcile: the month-end proof for {day.month}/{day.year} [{'ok' if ok else 'FAILED'}, "
          f"{outcome.seconds:.1f} s]")
    print(outcome.result["summary"] if ok else json.dumps(outcome.error, indent=2, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
