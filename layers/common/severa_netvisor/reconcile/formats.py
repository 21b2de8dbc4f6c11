"""Numbers and dates as a Finnish accountant reads them.

- On screen and in the summary: ``1 234,56`` (space between thousands, decimal comma) and ``5.11.2026``.
- In the CSV files: ``1234,56`` without the thousands space, so that a spreadsheet in Finnish settings
  reads the cell as a number (a space-grouped value would stay text), and ``5.11.2026``.
- In the JSON: exact decimal strings (``"1234.56"``) and ISO dates, for programs.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from severa_netvisor.timezone import finnish_date

CENT = Decimal("0.01")
ZERO = Decimal(0)

Cell = str | int | Decimal | date | None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def amount(value: Decimal) -> str:
    """``-1 234,56``."""
    text = f"{cents(value):,.2f}"
    return text.replace(",", " ").replace(".", ",")


def spreadsheet_amount(value: Decimal) -> str:
    """``-1234,56``."""
    return f"{cents(value):.2f}".replace(".", ",")


def percent(value: Decimal) -> str:
    """A VAT rate: ``25,5``, ``14``, ``0``."""
    return f"{value.normalize():f}".replace(".", ",")


def show(cell: Cell, *, spreadsheet: bool = False) -> str:
    """A cell for people: on screen, or (``spreadsheet``) in a CSV file."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return spreadsheet_amount(cell) if spreadsheet else amount(cell)
    if isinstance(cell, datetime):
        return f"{finnish_date(cell.date())} {cell:%H:%M}"
    if isinstance(cell, date):
        return finnish_date(cell)
    return str(cell)


def machine(cell: Cell) -> str | int | None:
    """A cell for programs (JSON)."""
    if isinstance(cell, Decimal):
        return f"{cents(cell):f}"
    if isinstance(cell, date):
        return cell.isoformat()
    return cell
