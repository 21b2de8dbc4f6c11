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

from sandbox.environment import Sandbox
from sandbox.invoke import function_spec
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
    return "In Netvisor, a bank statement brings payments: " + "; ".join(lines)


STEPS = [
    Step("check_connections", "Can we reach Severa and Netvisor with the stored credentials?"),
    Step("customers", "Severa accounts -> Netvisor customers"),
    Step("products", "Severa products and work types -> Netvisor products"),
    Step("dimensions", "Severa projects, business units, cost centres -> Netvisor dimensions"),
    Step("invoices", "Severa invoices and credit notes ready to transfer -> Netvisor sales invoices",
         before=_mistype_a_reference),
    Step("invoices", "Second run with nothing changed: nothing sent twice"),
    Step("payments", "Netvisor payments -> Severa payment date, paid status, log entries", before=_payments_arrive),
    Step("payments", "Second run: the same payments change nothing twice"),
    Step("hours", "Approved Severa hour entries -> Netvisor payroll workdays"),
]


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(Path(REPO_ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _brief(result: Any) -> str:
    if not isinstance(result, dict):
        return json.dumps(result, ensure_ascii=False)
    if "checks" in result:
        return "\n".join(f"  {c['system']}: {'ok' if c['ok'] else 'FAILED'} - {c['message']}" for c in result["checks"])
    keys = ("fetched", "created", "updated", "adopted", "skipped", "failed", "written_back", "stopped_early")
    line = ", ".join(f"{key} {result.get(key)}" for key in keys if result.get(key) not in (None, 0))
    reasons = result.get("failures_by_reason") or {}
    extra = "".join(f"\n  failed: {count} x {reason}" for reason, count in reasons.items())
    return f"  {line or 'nothing to do'} ({result.get('duration_seconds', 0):.1f} s){extra}"


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
            lines.append(f"  invoice {invoice['Number']}: status '{invoice['InvoiceStatus']}', "
                         f"payment date {invoice.get('PaymentDate')}")
            lines.extend(f"    log: {text}" for text in entries)
    return "\n".join(lines) if len(lines) > 1 else "No payments were written back to Severa."


def _queued(sandbox: Sandbox) -> list[dict[str, Any]]:
    sqs = sandbox.aws.client("sqs")
    url = sandbox.aws.queue_url("FailedRecordsQueue")
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages", [])
        if not batch:
            return found
        found.extend(json.loads(message["Body"]) for message in batch)


def main() -> int:
    failures = 0
    with Sandbox() as sandbox:
        assert sandbox.severa is not None
        print(f"Sandbox: local AWS at {sandbox.aws.endpoint_url}, Severa simulator at {sandbox.severa.url}, "
              f"Netvisor simulator at {sandbox.netvisor.url if sandbox.netvisor else '?'}")
        for step in STEPS:
            if step.before is not None:
                print(f"\n-- {step.before(sandbox)}")
            spec = function_spec(step.function, sandbox.resolver)
            outcome = sandbox.invoke(spec, _event(step.function))
            status = "ok" if outcome.ok else "FAILED"
            print(f"\n== {step.function}: {step.title} [{status}, {outcome.seconds:.1f} s]")
            if outcome.ok:
                print(_brief(outcome.result))
            else:
                failures += 1
                print(json.dumps(outcome.error, indent=2, ensure_ascii=False)[:4000])
        print(f"\n{_netvisor_counts(sandbox)}")
        print(_severa_payments(sandbox))
        queued = _queued(sandbox)
        print(f"Failed-records queue: {len(queued)} message(s)")
        for message in queued:
            print(f"  [{message['transfer']}] {message['source']['type']} {message['source']['id']}: "
                  f"{message['message']}")
            if message["source"]["type"] == "invoice":
                for entry in sandbox.severa.state.log_of(message["source"]["id"]):
                    print(f"    Severa invoice log (what the invoice's author sees): {entry.text}")
    print("\nDemo finished: " + ("every run succeeded." if not failures else f"{failures} run(s) FAILED."))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
