"""Invoice-level differences: missing in Netvisor, different after the transfer, only in Netvisor,
and still waiting in Severa.

A finding's words name invoices and customers by number, never by name (the summary goes to the
alarm topic); the tables carry names for the accountant.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from severa_netvisor.reconcile.facts import LedgerFacts, Stage, VatLine
from severa_netvisor.reconcile.formats import ZERO, amount, cents, percent
from severa_netvisor.reconcile.outcome import Outcome
from severa_netvisor.reconcile.pairing import Pair, Pairing
from severa_netvisor.reconcile.registers import readable_reason
from severa_netvisor.reconcile.sections import CHANGED, MISSING, NETVISOR_ONLY, WAITING
from severa_netvisor.reconcile.severa_side import StatusBook
from severa_netvisor.state import LedgerStatus
from severa_netvisor.timezone import finnish_date

Value = str | Decimal | date


def _shown(value: Value) -> str:
    if isinstance(value, Decimal):
        return amount(value)
    if isinstance(value, date):
        return finnish_date(value)
    return value or "(empty)"


# -- sent in Severa, not in Netvisor ----------------------------------------------------------------


def _refused(ledger: LedgerFacts | None) -> bool:
    """Its last attempt failed: a failed entry, or a pending one with the failure (the engine keeps a
    create Netvisor refused pending, so the next run looks before it sends)."""
    if ledger is None:
        return False
    return ledger.status == LedgerStatus.FAILED.value or (
        ledger.status == LedgerStatus.PENDING.value and bool(ledger.last_error)
    )


def _ledger_words(ledger: LedgerFacts | None, note: str) -> str:
    if _refused(ledger):
        assert ledger is not None
        return f"the integration could not transfer it: {readable_reason(ledger.last_error)}"
    if ledger is not None and ledger.status == LedgerStatus.PENDING.value:
        return "a transfer was started; its outcome is not confirmed yet"
    return note


def missing(outcome: Outcome, pairing: Pairing, book: StatusBook) -> None:
    for invoice, ledger, note in pairing.missing:
        words = _ledger_words(ledger, note)
        if ledger is not None and ledger.status == LedgerStatus.DONE.value:
            action = (
                "Find out who removed it from Netvisor and add it back there by hand: the integration records "
                "it as transferred and will not send it again."
            )
        else:
            action = (
                f"If the integration should transfer it, set its Severa status to '{book.ready}'; if it was sent "
                "some other way, record it in Netvisor by hand."
            )
        outcome.add(
            MISSING,
            (invoice.number, invoice.invoice_date, invoice.customer_number, invoice.customer_name,
             cents(invoice.gross), invoice.status, words),
            subject=invoice.label,
            text=f"{invoice.label[:1].upper()}{invoice.label[1:]}: Severa's status is '{invoice.status}', but "
            "Netvisor does not have it; "
            f"{words.split(':')[0]} (total {amount(invoice.gross)}).",
            action=action,
            weight=invoice.gross,
        )  # fmt: skip


# -- different after the transfer --------------------------------------------------------------------


def _reference(text: str) -> str:
    return "".join(text.split()).upper().lstrip("0")


def _breakdown(lines: tuple[VatLine, ...]) -> dict[tuple[str, Decimal | None], tuple[Decimal, Decimal]]:
    return {(line.code, line.rate): (cents(line.net), cents(line.vat)) for line in lines}


def _breakdown_text(lines: tuple[VatLine, ...]) -> str:
    parts = [
        f"{line.code} {percent(line.rate) if line.rate is not None else '?'} %: net {amount(line.net)}, "
        f"VAT {amount(line.vat)}"
        for line in lines
    ]
    return "; ".join(parts) or "(no rows)"


def _sent_date(sent: LedgerFacts | None) -> str:
    if sent is None or not sent.sent_date:
        return ""
    year, month, day = sent.sent_date.split("-")
    return f"{int(day)}.{int(month)}.{int(year)}"


def _sent_total(sent: LedgerFacts | None) -> str:
    return amount(Decimal(sent.sent_total)) if sent is not None and sent.sent_total else ""


Difference = tuple[str, Value, Value, str]


def _differences(pair: Pair) -> list[Difference]:
    """(field, Severa, Netvisor, as transferred) for each field that differs."""
    s, n, sent = pair.severa, pair.netvisor, pair.ledger
    found: list[Difference] = []
    if s.number != n.number:
        found.append(("number", s.number, n.number, sent.sent_number if sent else ""))
    if s.customer_number and n.customer_code and s.customer_number != n.customer_code:
        found.append(("customer number", s.customer_number, n.customer_code, ""))
    if n.invoice_date is not None and s.invoice_date != n.invoice_date:
        found.append(("date", s.invoice_date, n.invoice_date, _sent_date(sent)))
    if cents(s.gross) != cents(n.gross):
        found.append(("total", cents(s.gross), cents(n.gross), _sent_total(sent)))
    if _reference(s.reference) != _reference(n.reference):
        found.append(("reference number", s.reference, n.reference, sent.sent_reference if sent else ""))
    if n.vat_lines and _breakdown(s.vat_lines) != _breakdown(n.vat_lines):
        found.append(("VAT per code and rate", _breakdown_text(s.vat_lines), _breakdown_text(n.vat_lines), ""))
    return found


def _changed_in(severa: Value, netvisor: Value, sent: str) -> str:
    """Which side moved away from what was transferred (when the ledger kept it)."""
    if not sent:
        return ""
    in_severa, in_netvisor = _shown(severa) != sent, _shown(netvisor) != sent
    if in_severa and in_netvisor:
        return "both"
    return "Severa" if in_severa else ("Netvisor" if in_netvisor else "")


def _cell(value: Value) -> str | Decimal:
    return value if isinstance(value, Decimal) else _shown(value)


def changed(outcome: Outcome, pairing: Pairing, book: StatusBook) -> int:
    """Adds the pairs that differ; returns how many are alike (number, customer, date, total, reference, VAT)."""
    alike = 0
    for pair in pairing.pairs:
        differences = _differences(pair)
        alike += not differences
        status_lags = pair.severa.stage is not Stage.BOOKED
        rows = [*differences]
        if status_lags:
            rows.append(("Severa status", pair.severa.status, f"in Netvisor as key {pair.netvisor.key}", ""))
        for field, severa, netvisor, sent in rows:
            outcome.row(CHANGED, pair.severa.number, pair.netvisor.key, field, _cell(severa), _cell(netvisor),
                        sent, _changed_in(severa, netvisor, sent))  # fmt: skip
        if differences:
            _differs(outcome, pair, differences, book, status_lags)
        elif status_lags:
            _status_lags(outcome, pair, book)
    return alike


def _differs(outcome: Outcome, pair: Pair, differences: list[Difference], book: StatusBook, lags: bool) -> None:
    s, n = pair.severa, pair.netvisor
    parts = [
        field if field.startswith("VAT") else f"{field} (Severa {_shown(a)}, Netvisor {_shown(b)})"
        for field, a, b, _ in differences
    ]
    action = (
        "Netvisor keeps what was transferred. Decide which is right and correct the other: Severa, or Netvisor "
        "(a credit note and a new invoice if the customer already has the invoice)."
    )
    if lags:
        action += f" Its Severa status '{s.status}' should also be '{book.transferred}'."
    outcome.finding(
        CHANGED,
        subject=s.label,
        text=f"{s.label[0].upper()}{s.label[1:]} (Netvisor key {n.key}) differs: " + ", ".join(parts) + ".",
        action=action,
        weight=abs(cents(s.gross) - cents(n.gross)),
    )


def _status_lags(outcome: Outcome, pair: Pair, book: StatusBook) -> None:
    s = pair.severa
    outcome.finding(
        CHANGED,
        subject=s.label,
        text=f"{s.label[0].upper()}{s.label[1:]} is in Netvisor (key {pair.netvisor.key}), but its Severa status "
        f"is '{s.status}'.",
        action=f"The integration sets '{book.transferred}' on its next run; if the status stays, set it in Severa "
        "by hand.",
    )


# -- only in Netvisor -------------------------------------------------------------------------------


def netvisor_only(outcome: Outcome, pairing: Pairing) -> None:
    for invoice, why in pairing.netvisor_only:
        if why.startswith("a second"):
            action = "Check for a duplicate in Netvisor and credit the extra one."
        elif "no longer exists" in why:
            action = (
                "The invoice was deleted in Severa after the transfer: credit it in Netvisor, or re-create it in "
                "Severa, whichever is right."
            )
        elif "not read" in why:
            action = "Reconcile a shorter period, or raise RECONCILE_MAX_SEVERA_LOOKUPS, to see where it belongs."
        else:
            action = "If it was made in Netvisor by hand, nothing to do; otherwise find where it came from."
        outcome.add(
            NETVISOR_ONLY,
            (invoice.key, invoice.number, invoice.invoice_date, invoice.customer_code, invoice.customer_name,
             cents(invoice.gross), invoice.status, why),
            subject=invoice.label,
            text=f"Netvisor {invoice.label} (key {invoice.key}, total {amount(invoice.gross)}) is not from a "
            f"Severa invoice of the period: {why.split(' (')[0]}.",
            action=action,
            weight=invoice.gross,
        )  # fmt: skip


# -- still waiting in Severa ------------------------------------------------------------------------


def _waiting_state(ledger: LedgerFacts | None) -> tuple[str, str, str]:
    """(state, reason, what to do)."""
    if _refused(ledger):
        assert ledger is not None
        return (
            "refused",
            readable_reason(ledger.last_error),
            "Fix what the reason says (in Severa, unless it says otherwise); the next run sends it.",
        )
    if ledger is not None and ledger.status == LedgerStatus.PENDING.value:
        return (
            "outcome unknown",
            "A transfer was started and its answer was lost.",
            "Nothing: the next run looks it up in Netvisor and either confirms it or sends it.",
        )
    return "not picked up yet", "", "Nothing, if the invoices transfer runs: its next run sends it."


_REFUSED = "cannot be transferred: "


def problem_fields(reason: str) -> list[str]:
    """The fields a validation refusal names ("... cannot be transferred: reference number: ... | row 2
    VAT rate: ..."), without their values: what the summary may say about the reason."""
    if _REFUSED not in reason:
        return []
    fields = []
    for problem in reason.split(_REFUSED, 1)[1].split(" | "):
        field = problem.split(":", 1)[0].strip()
        if ":" in problem and 0 < len(field) <= 40 and field not in fields:
            fields.append(field)
    return fields


def _refusal(reason: str) -> str:
    fields = problem_fields(reason)
    named = f" because of its {', '.join(fields)}" if fields else ""
    return f"{named} (the reason in full is in the report)."


def waiting(outcome: Outcome, pairing: Pairing) -> None:
    for invoice, ledger in pairing.waiting:
        state, reason, action = _waiting_state(ledger)
        outcome.add(
            WAITING,
            (invoice.number, invoice.invoice_date, invoice.customer_number, invoice.customer_name,
             cents(invoice.gross), invoice.status, state, reason),
            subject=invoice.label,
            text=f"{invoice.label[0].upper()}{invoice.label[1:]} ({amount(invoice.gross)}) is ready in Severa but "
            f"not in Netvisor: {state}" + (_refusal(reason) if state == "refused" else "."),
            action=action,
            weight=invoice.gross if invoice.gross else ZERO,
        )  # fmt: skip


def in_waiting(pairing: Pairing) -> set[str]:
    """GUIDs of the period's waiting invoices (their failures are listed with them)."""
    return {invoice.guid for invoice, _ in pairing.waiting}


__all__ = ["changed", "in_waiting", "missing", "netvisor_only", "problem_fields", "waiting"]
