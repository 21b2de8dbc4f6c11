"""Progress of a run from the log lines a function writes (JSON, one per line, Powertools).

The engine logs "record created" (updated, adopted, failed, ...) as each record settles, and a
dry run logs "dry run: would create". Counting those gives a live count of real records while
the run goes on; the summary at the end is still the run's own.
"""

from __future__ import annotations

import json
from collections import Counter

_WORDS = {
    "created": "new", "create": "new",
    "updated": "updated", "update": "updated",
    "adopted": "linked", "adopt": "linked",
    "written_back": "marked in Severa", "write_back": "marked in Severa",
    "failed": "failed", "fail": "failed",
}


class RunProgress:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def feed(self, line: str) -> bool:
        """Take one output line; True when it moved a count."""
        if not line.startswith("{"):
            return False
        try:
            message = str(json.loads(line).get("message", ""))
        except (ValueError, AttributeError):
            return False
        for prefix in ("dry run: would ", "record "):
            if message.startswith(prefix):
                words = _WORDS.get(message.removeprefix(prefix).strip())
                if words:
                    self.counts[words] += 1
                    return True
        return False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def text(self) -> str:
        if not self.total:
            return "working"
        parts = ", ".join(f"{count} {words}" for words, count in self.counts.most_common())
        return f"{self.total} record(s) so far: {parts}"
