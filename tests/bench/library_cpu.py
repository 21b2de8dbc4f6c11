"""CPU per invoice for the same work, ours against netvisor-api-client's (issue 16).

The work: a Severa invoice mapped to Netvisor's sales invoice, its salesinvoice.nv body built, and
Netvisor's answer read. Ours is ``map_invoice`` (with every check it makes) + ``build_sales_invoice``
+ reading the answer as the client does; theirs is a plain mapping (no checks) to
netvisor-api-client's dict + its marshmallow schema + xmltodict, and its answer parsing.
netvisor-api-client runs in the bench's own environment (``.venv-bench``, made by ``make bench``;
``library_side.py`` imports nothing of ours): it is never a dependency of the product.
Both sides time the same invoices, CPU time (``process_time``), best of 3 passes.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from severa_netvisor.credentials import SeveraCredentials
from severa_netvisor.mapping.invoices import map_invoice
from severa_netvisor.netvisor import xmlbuild, xmlparse
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.severa.models import Invoice

from sandbox.severa import SeveraSimulator, build_state, sandbox_credentials
from sandbox.severa.seed import READY_STATUS
from tests.integration.rig import mapping

REPO_ROOT = Path(__file__).resolve().parents[2]
LIBRARY_PYTHON = REPO_ROOT / ".venv-bench" / "bin" / "python"
LIBRARY_SIDE = Path(__file__).resolve().parent / "library_side.py"
INVOICES = 300
ANSWER = (
    b'<?xml version="1.0" encoding="utf-8" standalone="yes"?><Root><ResponseStatus><Status>OK</Status>'
    b"<TimeStamp>2.11.2026 10:00:00</TimeStamp></ResponseStatus><Replies><InsertedDataIdentifier>1234"
    b"</InsertedDataIdentifier></Replies></Root>"
)


def _invoices() -> list[Invoice]:
    state = build_state(9, accounts=40, invoices=INVOICES * 3, hour_entries=0)
    with SeveraSimulator(state=state) as simulator:
        credentials = SeveraCredentials.model_validate(sandbox_credentials(simulator))
        with SeveraClient(credentials) as client:
            found = [i for i in client.invoices_by_status(READY_STATUS) if not i.is_credit_note]
    return found[:INVOICES]


def ours(invoices: list[Invoice]) -> float:
    config = mapping()
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for invoice in invoices:
            mapped = map_invoice(invoice, config, customer_key="101")
            xmlbuild.build_sales_invoice(mapped.invoice)
            root = xmlparse.parse_xml(ANSWER)
            xmlparse.read_status(ANSWER, root)
            xmlparse.inserted_key(root)
        best = min(best, time.process_time() - started)
    return best / len(invoices)


def theirs(invoices: list[Invoice]) -> float:
    with tempfile.TemporaryDirectory(prefix="library-cpu-") as scratch:
        data = Path(scratch) / "invoices.json"
        data.write_text(json.dumps([i.model_dump(mode="json", by_alias=True) for i in invoices]), encoding="utf-8")
        output = subprocess.run(
            [str(LIBRARY_PYTHON), str(LIBRARY_SIDE), str(data)], input=ANSWER, capture_output=True, check=True
        ).stdout
    seconds: float = json.loads(output)["seconds_per_invoice"]
    return seconds


def compare() -> tuple[float, float] | None:
    """(our CPU seconds per invoice, theirs), or None without the bench's environment."""
    if not LIBRARY_PYTHON.exists():
        return None
    invoices = _invoices()
    return ours(invoices), theirs(invoices)


def main() -> None:
    figures = compare()
    if figures is None:
        print(f"{LIBRARY_PYTHON} is missing: `make bench` creates it")
        return
    mine, library = figures
    print(
        f"  per invoice: ours {mine * 1000:.2f} ms, netvisor-api-client {library * 1000:.2f} ms "
        f"= {mine / library:.2f} x"
    )
