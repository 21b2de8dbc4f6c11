"""Severa account (customer card, addresses, contacts) -> Netvisor customer: pure conversion and checks.

Nothing here does I/O. ``map_customer`` turns one ``CustomerDetails`` into a ``MappedCustomer``, or
raises ``CustomerValidationError`` listing every problem found, each naming the field and the fix,
so an operator can correct the Severa card in one go.

Where the values come from (reference/finland.md §1, §2, §6):
- business ID: Severa has no field of its own for it; ``VatNumber`` holds either the Y-tunnus or the
  FI VAT number. Both are normalised to ``NNNNNNN-C`` with the check digit verified. A foreign VAT
  number (another country's prefix) is passed on as it is, unchecked.
- customer number: Severa's ``Number`` becomes Netvisor's customer code (``internalidentifier``);
  the official integration needs it numeric without a leading zero. An account without a number gets
  a code made from its Severa GUID (``SEV-…``, ``customers.code_without_number``): Netvisor's codes are
  alphanumeric and searchable (customerlist.nv, 77000554179), so every customer this integration creates
  can be found again after a create whose answer was lost.
- e-invoice address (OVT code, IBAN or Peppol ``0216:…``) and operator go together, into Netvisor's
  e-invoicing fields (customerfinvoicedetails); never into ``organizationunitnumber``, which
  customer.nv says must not hold the e-invoice address. A field this integration owns and Severa no
  longer has (a removed e-invoice address) is sent empty, which blanks it in Netvisor.
- Netvisor's documented lengths (customer.nv: name 250, street address 80, ...) are checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from severa_netvisor.errors import IntegrationError
from severa_netvisor.finnish import (
    NETVISOR_LENGTH_LIMITS,
    FinnishValidationError,
    normalize_business_id,
    validate_einvoice_address,
    validate_einvoice_operator,
)
from severa_netvisor.mapping.config import CustomerMatching
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.models import CustomerInput
from severa_netvisor.severa.models import Contact, Customer, CustomerDetails

__all__ = [
    "CustomerMatchConflict",
    "CustomerValidationError",
    "MappedCustomer",
    "NetvisorCustomerRef",
    "business_id_of",
    "describe_account",
    "find_existing_customer",
    "invoicing_language",
    "map_customer",
    "severa_code",
    "validate_customer_number",
]

#: Severa language code (its first part) -> Netvisor ``invoicinglanguage`` (Netvisor writes Swedish as SE).
_LANGUAGES = {"fi": "FI", "en": "EN", "sv": "SE", "se": "SE"}
_FOREIGN_VAT = re.compile(r"[A-Z]{2}[0-9A-Z+*.]{2,13}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_EMAIL_TYPES = {"emailaddress", "email"}
_PHONE_TYPES = {"mobilephone", "phone", "phonenumber", "workphone"}


class CustomerValidationError(IntegrationError):
    """A Severa account cannot become a Netvisor customer as it is; the message says what to fix."""

    system = "validation"
    retryable = False
    #: The record's own data in Severa: its author can fix it.
    for_author = True

    def __init__(self, account: str, problems: list[str]):
        super().__init__(f"{account}: " + "; ".join(problems))
        self.account = account
        self.problems = list(problems)
        self.args = (account, self.problems)  # survives pickling


@dataclass(frozen=True)
class MappedCustomer:
    """What the customers transfer sends for one Severa account."""

    account_guid: str
    #: "Severa account 'Name' (number 10001)": how messages name the record.
    label: str
    customer: CustomerInput
    #: Netvisor customer code (the Severa customer number), if the account has one.
    number: str | None
    #: Normalised Finnish business ID (``NNNNNNN-C``) or a foreign VAT number; None when absent.
    business_id: str | None
    #: Severa's payment term in days. Not sent yet: the Netvisor client has no ``defaultpaymentterm``.
    payment_term_days: int | None
    #: The customer code made from the Severa GUID, for an account without a number (``severa_code``).
    own_code: str | None = None

    @property
    def identifiable(self) -> bool:
        """Netvisor can be searched for this customer (by number, business ID or its own code)."""
        return bool(self.number or self.business_id or self.own_code)

    def preview(self) -> str:
        """The customer.nv request body this mapping produces (also what the content hash covers)."""
        return xmlbuild.build_customer(self.customer).decode("utf-8")

    def summary(self) -> Mapping[str, str]:
        c = self.customer
        fields = {
            "name": c.name,
            "number": self.number or "",
            "code": self.own_code or "",
            "business_id": self.business_id or "",
            "finvoice_address": c.finvoice_address or "",
            "finvoice_operator": c.finvoice_router_code or "",
            "language": c.invoicing_language or "",
            "payment_term_days": "" if self.payment_term_days is None else str(self.payment_term_days),
            "active": "" if c.is_active is None else str(c.is_active).lower(),
        }
        return {key: value for key, value in fields.items() if value}


def describe_account(details: CustomerDetails) -> str:
    customer = details.customer
    name = (customer.name or "").strip() or "(no name)"
    number = f"number {customer.number}" if customer.number is not None else "no number"
    return f"Severa account '{name}' ({number}, GUID {customer.guid})"


def severa_code(account_guid: str) -> str:
    """The Netvisor customer code of an account without a customer number: made from its Severa GUID
    (48 bits of it: unique in any one company), stable, and searchable in Netvisor."""
    return "SEV-" + account_guid.replace("-", "")[:12].upper()


def validate_customer_number(value: int | str | None) -> str | None:
    """Netvisor customer code from Severa's customer number: digits only, no leading zero.

    Returns None when the account has no number. Raises ``FinnishValidationError`` otherwise.
    """
    if value is None:
        return None
    text = str(value).strip()
    if text == "":
        return None
    fix = "Give the account a customer number of digits only that does not start with 0 (e.g. 10001) in Severa"
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise FinnishValidationError("customer number", f"'{text}' is not numeric", fix)
    if text.startswith("0"):
        raise FinnishValidationError(
            "customer number", f"'{text}' starts with 0, which the Netvisor integration does not accept", fix
        )
    return text


def business_id_of(vat_number: str | None) -> str | None:
    """The business ID carried by Severa's ``VatNumber``: ``NNNNNNN-C`` (checked) or a foreign VAT number."""
    if vat_number is None or not vat_number.strip():
        return None
    compact = re.sub(r"\s+", "", vat_number).upper()
    if compact[:2].isalpha() and compact[:2] != "FI":
        if not _FOREIGN_VAT.fullmatch(compact):
            raise FinnishValidationError(
                "VAT number",
                f"'{vat_number}' is not a VAT number",
                "Correct the VAT number on the Severa customer card",
            )
        return compact
    return normalize_business_id(vat_number, "business ID (Severa VAT number field)")


def invoicing_language(code: str | None) -> str | None:
    """Netvisor invoicing language for Severa's language code; None when the account has none."""
    if code is None or not code.strip():
        return None
    key = code.strip().lower().replace("_", "-").split("-")[0]
    if key not in _LANGUAGES:
        raise FinnishValidationError(
            "language",
            f"'{code}' is not a language Netvisor invoices in (Finnish, Swedish, English)",
            "Set the account's language to Finnish, Swedish or English in Severa",
        )
    return _LANGUAGES[key]


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _contact_person(contacts: list[Contact]) -> tuple[str | None, str | None, str | None]:
    """Name, e-mail and phone of the first active contact (by name, so the choice is stable)."""
    active = sorted(
        (c for c in contacts if c.is_active),
        key=lambda c: ((c.last_name or "").casefold(), (c.first_name or "").casefold(), c.guid or ""),
    )
    if not active:
        return None, None, None
    contact = active[0]
    name = " ".join(part for part in (_text(contact.first_name), _text(contact.last_name)) if part) or None
    email = phone = None
    for method in contact.communication_methods:
        if method.is_forbidden_to_use or not _text(method.value):
            continue
        kind = (method.type or "").strip().lower()
        if email is None and kind in _EMAIL_TYPES:
            email = _text(method.value)
        elif phone is None and kind in _PHONE_TYPES:
            phone = _text(method.value)
    return name, email, phone


def _finvoice(
    address: str | None, operator: str | None, operators: Sequence[str], problems: list[str]
) -> tuple[str | None, str | None]:
    """E-invoice address (OVT, IBAN or Peppol ``0216:…``) and operator, for Netvisor's e-invoicing
    fields (customerfinvoicedetails). Never the organisation unit number: customer.nv says that field
    must not hold the e-invoice address."""
    address, operator = _text(address), _text(operator)
    if address is None and operator is None:
        return None, None
    if address is None:
        problems.append(
            "e-invoice address: missing while the e-invoice operator is set. "
            "Fill in the e-invoice address (OVT code, IBAN or Peppol address) or clear the operator in Severa"
        )
        return None, None
    if operator is None:
        problems.append(
            "e-invoice operator: missing while the e-invoice address is set. "
            "Fill in the operator ID (e.g. 003721291126, E204503 or NDEAFIHH) in Severa"
        )
        return None, None
    try:
        address = validate_einvoice_address(address)
        operator = validate_einvoice_operator(operator, allowed=operators or None)
    except FinnishValidationError as error:
        problems.append(error.message)
        return None, None
    return address, operator


def _check_lengths(values: Mapping[str, str | None], problems: list[str]) -> None:
    """Netvisor's documented lengths (customer.nv 77000554181), named before sending."""
    for field, value in values.items():
        limit = NETVISOR_LENGTH_LIMITS[field]
        if value is not None and len(value) > limit:
            problems.append(
                f"{field}: '{value[:40]}...' has {len(value)} characters; Netvisor allows at most {limit}. "
                "Shorten it in Severa"
            )


def _cleared(input_: Mapping[str, object], options: CustomerMatching) -> tuple[str, ...]:
    """The e-invoicing fields this integration owns and now has no value for: blanked on an edit, so
    an address removed in Severa does not linger in Netvisor."""
    owned = ["finvoice_address", "finvoice_router_code", "email_invoicing_address"]
    if options.clear_organization_unit_number:
        owned.insert(0, "organization_unit_number")
    return tuple(name for name in owned if input_.get(name) is None)


def _identity(customer: Customer, problems: list[str]) -> tuple[str | None, str | None, str | None]:
    """Number, business ID and invoicing language, each checked."""
    number = business_id = language = None
    try:
        number = validate_customer_number(customer.number)
    except FinnishValidationError as error:
        problems.append(error.message)
    try:
        business_id = business_id_of(customer.vat_number)
    except FinnishValidationError as error:
        problems.append(error.message)
    try:
        language = invoicing_language(customer.language_code)
    except FinnishValidationError as error:
        problems.append(error.message)
    return number, business_id, language


def map_customer(
    details: CustomerDetails, *, options: CustomerMatching | None = None, invoicing_email: str | None = None
) -> MappedCustomer:
    """The Netvisor customer for one Severa account; raises ``CustomerValidationError`` listing every problem.

    ``options`` is the mapping's ``customers`` section (accepted e-invoice operators, what to blank);
    ``invoicing_email`` the address the account's invoices go to (the invoice's buyer e-mail), which
    e-mail invoicing uses instead of the account's general e-mail when given.
    """
    options = options or CustomerMatching()
    customer = details.customer
    label = describe_account(details)
    problems: list[str] = []

    name = _text(customer.name)
    if name is None:
        problems.append("name: missing. Give the account a name in Severa")
    number, business_id, language = _identity(customer, problems)

    payment_term = customer.payment_term
    if payment_term is not None and not 0 <= payment_term <= 365:
        problems.append(
            f"payment term: {payment_term} days is outside 0-365. Correct the account's payment term in Severa"
        )

    finvoice_address, operator = _finvoice(
        customer.e_invoice_address, customer.e_invoice_operator, options.einvoice_operators, problems
    )

    email = _text(customer.email)
    if email is not None and not _EMAIL.fullmatch(email):
        problems.append(f"e-mail: '{email}' is not an e-mail address. Correct it on the Severa customer card")
        email = None
    invoicing = _text(invoicing_email) or email
    if invoicing is not None and not _EMAIL.fullmatch(invoicing):
        problems.append(
            f"invoicing e-mail: '{invoicing}' is not an e-mail address. Correct it on the invoice in Severa"
        )
        invoicing = None

    billing = details.billing_address
    street = _text(billing.addressline) if billing else None
    additional = _text(billing.addressline2) if billing else None
    city = _text(billing.city) if billing else None
    post_number = _text(billing.postal_code) if billing else None
    _check_lengths(
        {"customer name": name, "customer number": number, "street address": street,
         "additional address line": additional, "city": city, "post code": post_number},
        problems,
    )  # fmt: skip

    if problems:
        raise CustomerValidationError(label, problems)
    assert name is not None

    contact_name, contact_email, contact_phone = _contact_person(details.contacts)
    own_code = (
        severa_code(customer.guid)
        if number is None and customer.guid and options.code_without_number == "from_severa_guid"
        else None
    )
    country = _text(billing.country_code) if billing else None
    fields: dict[str, object] = {
        "name": name,
        "code": number or own_code,
        "business_id": business_id,
        "street_address": street,
        "additional_address_line": additional,
        "city": city,
        "post_number": post_number,
        "country": country.upper() if country else None,
        "phone_number": _text(billing.phone) if billing else None,
        "email": email,
        "home_page_uri": _text(customer.website),
        "is_active": customer.is_active,
        # E-mail invoicing only for customers who cannot take e-invoices (finland.md §6).
        "email_invoicing_address": invoicing if finvoice_address is None else None,
        "finvoice_address": finvoice_address,
        "finvoice_router_code": operator,
        "contact_person": contact_name,
        "contact_person_email": contact_email,
        "contact_person_phone": contact_phone,
        "invoicing_language": language,
    }
    input_ = CustomerInput.model_validate({**fields, "cleared": _cleared(fields, options)})
    return MappedCustomer(
        account_guid=customer.guid or "",
        label=label,
        customer=input_,
        number=number,
        business_id=business_id,
        payment_term_days=payment_term,
        own_code=own_code,
    )


# ------------------------------------------------------------------ matching existing Netvisor customers


class CustomerMatchConflict(IntegrationError):
    """The natural keys of a Severa account point at more than one Netvisor customer: never guess."""

    system = "netvisor"
    retryable = False


@dataclass(frozen=True)
class NetvisorCustomerRef:
    """One row of Netvisor's customer list, with the business ID normalised for comparison."""

    netvisor_key: int
    name: str
    code: str
    business_id: str

    @classmethod
    def of(cls, netvisor_key: int, name: str, code: str, business_id: str) -> NetvisorCustomerRef:
        return cls(netvisor_key, name.strip(), code.strip(), comparable_business_id(business_id))

    def describe(self) -> str:
        number = f"customer number {self.code}" if self.code else "no customer number"
        return f"Netvisor customer {self.netvisor_key} '{self.name}' ({number})"


def comparable_business_id(value: str | None) -> str:
    """A business ID in the form used for comparison: ``NNNNNNN-C`` when valid, else compacted capitals."""
    if not value or not value.strip():
        return ""
    try:
        return business_id_of(value) or ""
    except FinnishValidationError:
        return re.sub(r"\s+", "", value).upper()


def _describe_all(refs: Iterable[NetvisorCustomerRef]) -> str:
    return ", ".join(ref.describe() for ref in sorted(refs, key=lambda r: r.netvisor_key))


def _described_hits(by: str, hits: Sequence[NetvisorCustomerRef]) -> str:
    return f"{by} is on {len(hits)} Netvisor customers ({_describe_all(hits)})"


def _by_number(mapped: MappedCustomer, customers: Sequence[NetvisorCustomerRef]) -> NetvisorCustomerRef | None:
    return _by_code(
        mapped,
        customers,
        mapped.number,
        f"customer number {mapped.number}",
        "Give each Netvisor customer its own number (merge or renumber the extra one)",
    )


def _by_own_code(mapped: MappedCustomer, customers: Sequence[NetvisorCustomerRef]) -> NetvisorCustomerRef | None:
    """The customer this integration created for an account without a number (its ``SEV-`` code)."""
    return _by_code(
        mapped,
        customers,
        mapped.own_code,
        f"customer code {mapped.own_code}",
        "Merge the extra Netvisor customers, or give the Severa account a customer number",
    )


def _by_code(
    mapped: MappedCustomer, customers: Sequence[NetvisorCustomerRef], code: str | None, what: str, fix: str
) -> NetvisorCustomerRef | None:
    """The one Netvisor customer with ``code``; several are a conflict a person resolves."""
    if not code:
        return None
    hits = [c for c in customers if c.code == code]
    if len(hits) > 1:
        raise CustomerMatchConflict(f"{mapped.label}: {_described_hits(what, hits)}; nothing was changed. {fix}")
    return hits[0] if hits else None


def _by_business_id(
    mapped: MappedCustomer, customers: Sequence[NetvisorCustomerRef], shared: Collection[str], *, numbered: bool
) -> NetvisorCustomerRef | None:
    """The one Netvisor customer with this account's business ID, when the ID is unique on both
    sides (cities and groups share one business ID across many billing units, told apart by number).
    ``numbered``: the operator matches by customer number too, so a different number is another customer.
    """
    business_id = mapped.business_id
    if not business_id:
        return None
    hits = [c for c in customers if c.business_id and c.business_id == business_id]
    if comparable_business_id(business_id) in shared or len(hits) > 1:
        if numbered and mapped.number:
            return None  # the number alone tells the billing units apart
        raise CustomerMatchConflict(
            f"{mapped.label}: business ID {business_id} is shared "
            + (f"({_describe_all(hits)})" if len(hits) > 1 else "by several Severa accounts")
            + ", and this account has no customer number to tell which customer it is; nothing was changed. "
            "Give the Severa account a customer number (numbers are matched first)"
        )
    if not hits:
        return None
    found = hits[0]
    if numbered and found.code and found.code != (mapped.number or ""):
        raise CustomerMatchConflict(
            f"{mapped.label}: business ID {business_id} belongs to {found.describe()}, whose customer number is "
            f"not {mapped.number or 'given on this account'}; nothing was changed. If it is the same customer, give "
            f"the Severa account the number {found.code}"
            + (f" (or the Netvisor customer the number {mapped.number})" if mapped.number else "")
            + "; if it is another billing unit of the same organisation, match customers by number alone "
            "(remove business_id from customers.match_order in the mapping)"
        )
    return found


def find_existing_customer(
    mapped: MappedCustomer,
    customers: Sequence[NetvisorCustomerRef],
    match_order: Sequence[str],
    *,
    shared_business_ids: Collection[str] = (),
) -> int | None:
    """The Netvisor key of the customer ``mapped`` already is in Netvisor, by the natural keys, or None.

    ``match_order`` is the operator's ``customers.match_order``; ``netvisor_key`` (the key stored in
    the ledger by an earlier transfer) is the engine's business and is passed over here. The code this
    integration gives an account without a number (``severa_code``) is its own key and comes first. The customer
    number decides when it finds a customer; two customers with the number is a conflict. The business
    ID is used only when it is unique on both sides: ``shared_business_ids`` are those several Severa
    accounts have (their billing units are told apart by number alone), and a business ID several
    Netvisor customers have is passed over too. A customer found by business ID that has another
    number, or one the number finds while the business ID points at another customer, is a conflict
    explained in words: nothing is adopted or created on a guess.
    """
    shared = {comparable_business_id(b) for b in shared_business_ids}
    own = _by_own_code(mapped, customers)
    if own is not None:
        return own.netvisor_key
    found: dict[str, NetvisorCustomerRef] = {}
    for key in match_order:
        hit = None
        if key == "customer_number":
            hit = _by_number(mapped, customers)
        elif key == "business_id":
            hit = _by_business_id(mapped, customers, shared, numbered="customer_number" in match_order)
        if hit is not None:
            found[key] = hit
    if not found:
        return None
    decided = next(iter(found.values()))
    for other in found.values():
        if other.netvisor_key != decided.netvisor_key:
            raise CustomerMatchConflict(
                f"{mapped.label}: customer number {mapped.number} is {found['customer_number'].describe()}, but "
                f"business ID {mapped.business_id} is {found['business_id'].describe()}; nothing was changed. "
                "Correct the number or the business ID in Severa or Netvisor so that both point at the same customer"
            )
    return decided.netvisor_key
