"""Customers invoiced in the period whose business ID, name or e-invoice address differ."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from severa_netvisor.finnish import FinnishValidationError, normalize_business_id
from severa_netvisor.mapping.customers import business_id_of
from severa_netvisor.netvisor.models import Customer as NetvisorCustomer
from severa_netvisor.reconcile.outcome import Outcome
from severa_netvisor.reconcile.sections import CUSTOMERS
from severa_netvisor.severa.models import Customer as SeveraCustomer

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CustomerPair:
    account_guid: str
    #: The customers ledger's Netvisor key; None when the account was never transferred.
    netvisor_key: int | None
    severa: SeveraCustomer | None
    netvisor: NetvisorCustomer | None


def _name(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _compact(text: str | None) -> str:
    return _SPACE.sub("", text or "").upper()


def _severa_business_id(customer: SeveraCustomer) -> str:
    try:
        return business_id_of(customer.vat_number) or ""
    except FinnishValidationError:
        return f"{customer.vat_number} (not valid)"


def _netvisor_business_id(customer: NetvisorCustomer) -> str:
    text = customer.business_id.strip()
    try:
        return normalize_business_id(text) if text else ""
    except FinnishValidationError:
        return _compact(text)


def _differences(severa: SeveraCustomer, netvisor: NetvisorCustomer) -> list[tuple[str, str, str]]:
    fields = [
        ("name", _name(severa.name), _name(netvisor.name)),
        ("business ID", _severa_business_id(severa), _netvisor_business_id(netvisor)),
        ("e-invoice address", _compact(severa.e_invoice_address), _compact(netvisor.finvoice_address)),
    ]
    return [(field, a, b) for field, a, b in fields if a != b]


def check_customers(outcome: Outcome, pairs: Iterable[CustomerPair], *, updates_allowed: bool) -> None:
    for pair in sorted(pairs, key=lambda p: (str(p.severa.number) if p.severa else "", p.account_guid)):
        if pair.severa is None or pair.netvisor_key is None:
            continue
        number = "" if pair.severa.number is None else str(pair.severa.number)
        subject = f"customer {number or pair.account_guid}"
        if pair.netvisor is None:
            outcome.add(
                CUSTOMERS,
                (number, pair.netvisor_key, pair.severa.name, "customer", "exists", "not found"),
                subject=subject,
                text=f"{subject[:1].upper()}{subject[1:]} was transferred as Netvisor key {pair.netvisor_key}, "
                "which Netvisor no longer has.",
                action="Find out who removed the customer in Netvisor; the invoices of the customer refer to it.",
            )
            continue
        differences = _differences(pair.severa, pair.netvisor)
        for field, severa, netvisor in differences:
            outcome.row(CUSTOMERS, number, pair.netvisor_key, _name(pair.severa.name), field, severa, netvisor)
        if differences:
            _finding(outcome, subject, pair.netvisor_key, [f for f, _, _ in differences], updates_allowed)


def _finding(outcome: Outcome, subject: str, key: int, fields: list[str], updates_allowed: bool) -> None:
    action = (
        "Correct the one that is wrong. A change made in Severa is carried to Netvisor by the customers transfer; "
        "a change made only in Netvisor is overwritten by the next change in Severa."
        if updates_allowed
        else "Correct the one that is wrong; the mapping does not let the integration update Netvisor customers, "
        "so correct Netvisor by hand."
    )
    outcome.finding(
        CUSTOMERS,
        subject=subject,
        text=f"{subject[:1].upper()}{subject[1:]} (Netvisor key {key}): " + ", ".join(fields) + " differ between "
        "Severa and Netvisor.",
        action=action,
    )


def customer_pairs(
    accounts: Iterable[str],
    netvisor_keys: Mapping[str, int],
    severa: Mapping[str, SeveraCustomer],
    netvisor: Mapping[int, NetvisorCustomer],
) -> list[CustomerPair]:
    pairs = []
    for guid in dict.fromkeys(accounts):
        key = netvisor_keys.get(guid)
        pairs.append(CustomerPair(guid, key, severa.get(guid), netvisor.get(key) if key is not None else None))
    return pairs
