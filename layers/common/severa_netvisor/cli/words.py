"""Times, ages and amounts of time as people in a Finnish office read them."""

from __future__ import annotations

from datetime import datetime

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))



def span(seconds: float) -> str:
    """An amount of time in words, to its two largest units: "1 hour 5 minutes", "3 days 2 hours"."""
    if seconds < 60:
        return "under a minute"
    parts: list[str] = []
    left = int(seconds)
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count or parts:
            parts.append(count_of(count, unit))
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if not part.startswith("0 "))


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """1 attempt, 2 attempts."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def age(moment: datetime, now: datetime) -> str:
    """How long ago ``moment`` was: "4 minutes", "3 days 2 hours"."""
    return span(max(0.0, (now - moment).total_seconds()))
