"""The tables of a reconciliation, in order of importance, with what each row means."""

from __future__ import annotations

from severa_netvisor.reconcile.report import Table, table

MISSING = "missing_in_netvisor"
CHANGED = "changed_after_transfer"
NETVISOR_ONLY = "netvisor_only"
PAYMENTS = "payments"
WAITING = "waiting"
FAILURES = "open_failures"
CREDIT_NOTES = "credit_notes_waiting"
CUSTOMERS = "customers"
TOTALS = "totals"


def totals_table() -> Table:
    sides = []
    for side in ("Severa", "Netvisor", "difference"):
        sides += [
            (f"{side.lower()}_count", f"{side} count"),
            (f"{side.lower()}_net", f"{side} net"),
            (f"{side.lower()}_vat", f"{side} VAT"),
            (f"{side.lower()}_gross", f"{side} gross"),
        ]
    return table(
        TOTALS,
        "Sales invoices and credit notes per month and VAT code",
        [("month", "Month"), ("document", "Document"), ("vat_code", "VAT code"), ("vat_rate", "VAT %"), *sides],
        "Severa: invoices sent or waiting to be sent (drafts excluded). Netvisor: every sales invoice dated in "
        "the period. Rows with VAT code 'all' count documents and sum their totals.",
    )


def difference_tables() -> list[Table]:
    return [
        table(
            MISSING,
            "Sent in Severa, not in Netvisor",
            [("invoice", "Invoice"), ("date", "Date"), ("customer_number", "Customer number"),
             ("customer", "Customer"), ("gross", "Total"), ("severa_status", "Severa status"),
             ("ledger", "What the integration recorded")],
            "Severa's status says the invoice was sent, but Netvisor has no such invoice.",
        ),
        table(
            CHANGED,
            "Different in Severa and Netvisor",
            [("invoice", "Invoice"), ("netvisor_key", "Netvisor key"), ("field", "Field"), ("severa", "Severa"),
             ("netvisor", "Netvisor"), ("sent", "As transferred"), ("changed_in", "Changed in")],
            "The Netvisor invoice the integration made (or found) for a Severa invoice no longer matches it.",
        ),
        table(
            NETVISOR_ONLY,
            "In Netvisor, not from Severa",
            [("netvisor_key", "Netvisor key"), ("invoice", "Invoice"), ("date", "Date"),
             ("customer_number", "Customer number"), ("customer", "Customer"), ("gross", "Total"),
             ("netvisor_status", "Netvisor status"), ("why", "Why")],
            "A Netvisor sales invoice of the period that no Severa invoice of the period accounts for.",
        ),
        table(
            PAYMENTS,
            "Payments that differ",
            [("invoice", "Invoice"), ("netvisor_key", "Netvisor key"), ("difference", "Difference"),
             ("gross", "Total"), ("netvisor_open", "Open in Netvisor"), ("severa_open", "Open as Severa knows it"),
             ("severa_status", "Severa status"), ("only_in_netvisor", "Payments only in Netvisor"),
             ("gone_from_netvisor", "Payments no longer in Netvisor")],
            "Netvisor's payments compared with what was recorded in Severa.",
        ),
        table(
            WAITING,
            "Ready in Severa, not yet transferred",
            [("invoice", "Invoice"), ("date", "Date"), ("customer_number", "Customer number"),
             ("customer", "Customer"), ("gross", "Total"), ("severa_status", "Severa status"),
             ("state", "State"), ("reason", "Reason")],
            "Invoices of the period the integration has not transferred (yet), with the reason when it refused.",
        ),
        table(
            FAILURES,
            "Other open failures",
            [("record", "Record"), ("record_id", "Id"), ("reason", "Reason"), ("retried", "Retried by itself"),
             ("attempts", "Attempts")],
            "Records that could not be moved and are not listed above (customers, payments, other periods).",
        ),
        table(
            CREDIT_NOTES,
            "Credit notes waiting to be matched",
            [("credit_note", "Credit note"), ("credit_note_key", "Netvisor key"), ("credits", "Credits invoice"),
             ("credited_status", "Its Severa status"), ("in_netvisor", "In Netvisor")],
            "Credit notes in Netvisor not yet matched to the invoice they credit: that invoice is not in Netvisor "
            "yet, or Netvisor waits for both to be sent.",
        ),
        table(
            CUSTOMERS,
            "Customers that differ",
            [("customer_number", "Customer number"), ("netvisor_key", "Netvisor key"), ("customer", "Customer"),
             ("field", "Field"), ("severa", "Severa"), ("netvisor", "Netvisor")],
            "Customers invoiced in the period whose details differ between Severa and Netvisor.",
        ),
    ]  # fmt: skip
