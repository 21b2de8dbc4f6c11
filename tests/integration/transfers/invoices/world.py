"""A seeded world for the invoices transfer: Severa data, the Netvisor company it needs, and checks.

The Netvisor simulator refuses unknown customers, products and dimension items. Until the customers,
products and dimensions transfers run before this one in the tests, the company is seeded directly
with what the Severa invoices refer to (customers by customer number = Severa account number).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from severa_netvisor.credentials import NetvisorCredentials, SeveraCredentials
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.loader import parse_mapping
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.transfers.context import TransferContext

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES
from sandbox.invoke import InvokeResult, function_spec, run_function
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.netvisor.state import CompanyState, CustomerRecord, ProductRecord
from sandbox.severa import SeveraSimulator
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.seed import PRODUCTS, READY_STATUS, SENT_STATUS, business_id_of
from sandbox.severa.state import Record, SeveraState

SANDBOX_MAPPING = Path(__file__).resolve().parents[4] / "sandbox" / "mapping.yaml"


def mapping_text(**changes: Any) -> str:
    """The sandbox mapping with top-level sections replaced or updated (dicts are merged one level)."""
    document = yaml.safe_load(SANDBOX_MAPPING.read_text("utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    return yaml.safe_dump(document, allow_unicode=True)


def mapping(**changes: Any) -> MappingConfig:
    return parse_mapping(mapping_text(**changes), source="test mapping")


def ready_invoices(state: SeveraState) -> list[Record]:
    return [r for r in state.invoices.values() if r["InvoiceStatus"] == READY_STATUS]


def seed_netvisor(severa: SeveraState, netvisor: CompanyState, *, customers: bool = True) -> None:
    """Products and dimension items the Severa invoices refer to, and (optionally) the customers;
    without them the customers transfer creates each customer when its first invoice is sent."""
    now = datetime.now(UTC)
    with netvisor.lock:
        for account in severa.accounts.values() if customers else ():
            key = netvisor.new_key()
            netvisor.customers[key] = CustomerRecord(
                key,
                {
                    "name": account["Name"],
                    "internalidentifier": str(account["Number"]),
                    "externalidentifier": str(business_id_of(account) or ""),
                },
                [],
                now,
            )
        for code, name, *_ in (*PRODUCTS, ("TYO", "Työ")):
            key = netvisor.new_key()
            netvisor.products[key] = ProductRecord(key, {"productcode": code, "name": name}, "net", now)
    for case in severa.cases.values():
        netvisor.add_dimension_item("Projekti", f"{case['CaseNumber']} {case['Name']}")
        netvisor.add_dimension_item("Kustannuspaikka", str(case["CostCenterNumber"]))
    for unit in severa.business_units.values():
        netvisor.add_dimension_item("Liiketoimintayksikkö", unit["Name"])


def context(severa: SeveraSimulator, netvisor: NetvisorSimulator, config: MappingConfig) -> TransferContext:
    """A transfer context with clients on the two simulators (no Secrets Manager involved)."""
    settings = Settings(severa_operation_timeout_seconds=10.0, netvisor_read_timeout_seconds=10.0)
    built = TransferContext(settings=settings, mapping=config, store=None)  # type: ignore[arg-type]
    built._severa = SeveraClient(SeveraCredentials.model_validate(severa_secret(severa)), settings, retry_delays=(0.0,))
    built._netvisor = NetvisorClient(
        NetvisorCredentials.model_validate(netvisor_secret(netvisor)), settings, backoff_seconds=0.0
    )
    return built


# -- comparing the two sides ------------------------------------------------------------------


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def compare_invoice(severa: Record, netvisor: CompanyState, severa_state: SeveraState) -> list[str]:
    """Differences between a Severa invoice and its Netvisor copy, row by row, to the cent."""
    found = netvisor.invoice_by_number(str(severa["Number"]))
    if found is None:
        return [f"invoice {severa['Number']} is not in Netvisor"]
    problems = []
    details = severa["InvoiceDetails"]
    if cents(found.amount) != cents(details["invoiceTotalVatIncludedAmount"]):
        problems.append(f"total {found.amount} != {details['invoiceTotalVatIncludedAmount']}")
    if found.reference_number != severa["ReferenceNumber"]:
        problems.append(f"reference {found.reference_number} != {severa['ReferenceNumber']}")
    customer = netvisor.customers[found.customer_key]
    if customer.code != str(severa["AccountNumber"]):
        problems.append(f"customer {customer.code} != {severa['AccountNumber']}")
    if found.invoice_date.isoformat() != severa["Date"].date().isoformat():
        problems.append(f"date {found.invoice_date} != {severa['Date']}")
    rows = sorted(severa["InvoiceRows"], key=lambda r: r["rowNumber"])
    if len(rows) != len(found.lines):
        return [*problems, f"{len(found.lines)} lines != {len(rows)} rows"]
    for row, line in zip(rows, found.lines, strict=True):
        where = f"row {row['rowNumber']}"
        expected = {
            "product": (line.product_code, row["articleIdentifier"]),
            "quantity": (line.quantity, row["deliveredQuantity"]),
            "unit price": (line.unit_price, row["rowUnitPrice"]),
            "VAT %": (line.vat_percentage, row["rowVatRatePercent"]),
            "VAT code": (line.vat_code, row["rowVatCode"]),
            "VAT sum": (cents(line.vat_sum), cents(row["rowVatAmount"])),
            "line sum": (cents(line.line_sum), cents(row["rowAmount"])),
        }
        problems += [
            f"{where} {name}: {ours} != {theirs}" for name, (ours, theirs) in expected.items() if ours != theirs
        ]
        if row.get("MainCaseGUID"):
            case = severa_state.cases[row["MainCaseGUID"]]
            dims = dict(line.dimensions)
            if dims.get("Projekti") != f"{case['CaseNumber']} {case['Name']}":
                problems.append(f"{where} project dimension {dims.get('Projekti')}")
            if dims.get("Kustannuspaikka") != str(case["CostCenterNumber"]):
                problems.append(f"{where} cost centre dimension {dims.get('Kustannuspaikka')}")
    return problems


def numbers_in_netvisor(netvisor: CompanyState) -> Counter[str]:
    return Counter(i.number for i in netvisor.invoices.values())


def queue_messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        batch = response.get("Messages", [])
        if not batch:
            return messages
        messages += [json.loads(m["Body"]) for m in batch]


@dataclass(frozen=True)
class Statuses:
    ready: str = READY_STATUS
    sent: str = SENT_STATUS


STATUSES = Statuses()


# -- a private set of AWS resources, so tests never share a ledger, a cursor or a queue ------------


def private_table(aws: LocalAws, name: str) -> str:
    aws.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    return name


@dataclass
class HandlerRig:
    """The real invoices function against two simulators and moto, with resources of its own."""

    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, aws: LocalAws, severa_state: SeveraState, *, customers: bool = False) -> HandlerRig:
        severa = SeveraSimulator(state=severa_state).start()
        netvisor = NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]).start()
        seed_netvisor(severa_state, netvisor.state, customers=customers)
        suffix = uuid.uuid4().hex[:10]
        queue = aws.client("sqs").create_queue(QueueName=f"invoices-failed-{suffix}")["QueueUrl"]
        rig = cls(aws, severa, netvisor)
        rig.env = {
            "STATE_TABLE_NAME": private_table(aws, f"invoices-state-{suffix}"),
            "FAILED_RECORDS_QUEUE_URL": queue,
            "SEVERA_SECRET_NAME": f"invoices-{suffix}/severa",
            "NETVISOR_SECRET_NAME": f"invoices-{suffix}/netvisor",
            "MAPPING_PARAMETER_NAME": f"/invoices-{suffix}/mapping",
        }
        aws.put_secret(rig.env["SEVERA_SECRET_NAME"], severa_secret(severa))
        aws.put_secret(rig.env["NETVISOR_SECRET_NAME"], netvisor_secret(netvisor))
        rig.put_mapping(mapping_text())
        return rig

    def stop(self) -> None:
        self.severa.stop()
        self.netvisor.stop()

    def put_mapping(self, text: str) -> None:
        self.aws.put_parameter(self.env["MAPPING_PARAMETER_NAME"], text)

    def invoke(self, event: dict[str, Any]) -> InvokeResult:
        assert self.aws.resolver is not None
        return run_function(
            function_spec("invoices", self.aws.resolver), event, aws_env=self.aws.env(), extra_env=self.env
        )

    def messages(self) -> list[dict[str, Any]]:
        return queue_messages(self.aws.client("sqs"), self.env["FAILED_RECORDS_QUEUE_URL"])
