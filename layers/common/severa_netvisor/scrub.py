"""Known secret values, removed from every text that leaves the process.

A remote system can echo what it was sent (an error page quoting the request, a fault repeating a
header), and such text is logged, queued as a failure reason and written to Severa's invoice log.
Secret-looking *keys* are not enough to catch that: the values themselves are registered here when
the credentials are read (``credentials.py``), and ``scrub`` replaces them, in the forms a remote is
likely to echo (as sent, percent-encoded, XML- or JSON-escaped), wherever they appear.

One scrubber per process: the credential models register into it, ``IntegrationError`` scrubs its
message and remote text on construction, and the log formatter (``observability.py``) scrubs every
line it writes.
"""

from __future__ import annotations

import html
import json
import re
import threading
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape

#: What a secret becomes. Names no secret, and is obviously not data.
MASK = "[secret removed]"
#: Shorter values would mask ordinary text; no real Severa or Netvisor key is this short.
MIN_LENGTH = 6


def _forms(value: str) -> set[str]:
    """The spellings of ``value`` a remote might echo back."""
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        html.escape(value, quote=True),
        xml_escape(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    return {form for form in forms if len(form) >= MIN_LENGTH}


class Scrubber:
    """A set of secret values and one compiled pattern that finds any of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def register(self, value: str | None) -> None:
        """Remember ``value`` (and its echoed spellings) as a secret; short or empty values are ignored."""
        if not value or len(value) < MIN_LENGTH:
            return
        with self._lock:
            new = _forms(value) - self._values
            if not new:
                return
            self._values |= new
            # Longest first, so a value that contains another is removed whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def scrub(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``MASK``."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def scrub_optional(self, text: str | None) -> str | None:
        return None if text is None else self.scrub(text)


_SCRUBBER = Scrubber()

register_secret = _SCRUBBER.register
scrub = _SCRUBBER.scrub
scrub_optional = _SCRUBBER.scrub_optional
