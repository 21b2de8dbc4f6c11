"""Characters XML 1.0 cannot carry, as Severa sends them: read leniently, refused per record.

Severa stores whatever its users type, control characters included, and writes them out as
character references (``&#x1;``) that a strict XML parser refuses: one such character in one
customer's name used to make the whole answer unreadable, and so the whole transfer stopped. Now:

1. ``ForbiddenCharacterMarker`` rewrites each reference to (or raw byte of) a forbidden character
   into a private-use marker before the parser sees it, chunk by chunk for streamed answers;
2. ``restore`` turns the markers back into the characters Severa holds when the text is read, so
   the record is what Severa has (a lone surrogate, which no text can hold, becomes U+FFFD);
3. ``forbidden_characters`` finds them in a record and ``refuse_forbidden_characters`` fails that
   record alone, naming it and the field: nothing with such a character is ever sent on (lxml would
   refuse to build the Netvisor request anyway), and the rest of the answer goes on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from severa_netvisor.severa.errors import SeveraError

#: Markers live at the very end of plane 16 (Supplementary Private Use Area-B), which XML admits
#: and no real text uses: U+10FF00 + code for C0 controls, U+10FFFE / U+10FFFF for U+FFFE / U+FFFF.
_MARKER_BASE = 0x10FF00
_NONCHARACTERS = {0xFFFE: 0x10FFFE, 0xFFFF: 0x10FFFF}
_ALLOWED_CONTROLS = {0x9, 0xA, 0xD}
_RESTORE = {_MARKER_BASE + c: c for c in range(0x20) if c not in _ALLOWED_CONTROLS} | {
    marker: code for code, marker in _NONCHARACTERS.items()
}
_HAS_MARKER = re.compile("[\U0010ff00-\U0010ffff]")
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A character reference, or a raw C0 control byte (in UTF-8 those bytes never occur inside a
# multi-byte sequence, so a byte match is a character match).
_REFERENCE_OR_CONTROL = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));|[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Most answers hold neither a character reference nor a control byte: both are looked for first at C
# speed; the combined pattern above scans about 20 times slower (it was a list answer's largest cost).
_CONTROL_BYTES = bytes(code for code in range(0x20) if code not in _ALLOWED_CONTROLS)
#: The longest reference the pattern reads (``&#`` + 10 digits + ``;``): a chunk's tail shorter
#: than this after its last ``&`` may be a reference cut in two.
_LONGEST_REFERENCE = 13


def _marker_for(code: int) -> int | None:
    """The marker for a forbidden code point, U+FFFD for a surrogate, None for an allowed one."""
    if code < 0x20 and code not in _ALLOWED_CONTROLS:
        return _MARKER_BASE + code
    if code in _NONCHARACTERS:
        return _NONCHARACTERS[code]
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return 0xFFFD
    return None


def _replace(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal_digits = match.group(1), match.group(2)
    if hex_digits is None and decimal_digits is None:
        code = match.group(0)[0]  # a raw control byte
    else:
        code = int(hex_digits, 16) if hex_digits is not None else int(decimal_digits)
    marker = _marker_for(code)
    return match.group(0) if marker is None else b"&#x%X;" % marker


class ForbiddenCharacterMarker:
    """Rewrites forbidden characters into markers, also when a reference is cut between chunks."""

    def __init__(self) -> None:
        self._held = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self._held + chunk
        cut = data.rfind(b"&")
        if cut != -1 and len(data) - cut < _LONGEST_REFERENCE and b";" not in data[cut:]:
            data, self._held = data[:cut], data[cut:]
        else:
            self._held = b""
        return self._rewrite(data)

    def close(self) -> bytes:
        data, self._held = self._held, b""
        return self._rewrite(data)

    @staticmethod
    def _rewrite(data: bytes) -> bytes:
        if b"&#" not in data and len(data.translate(None, _CONTROL_BYTES)) == len(data):
            return data
        return _REFERENCE_OR_CONTROL.sub(_replace, data)


def mark_forbidden(body: bytes) -> bytes:
    marker = ForbiddenCharacterMarker()
    return marker.feed(body) + marker.close()


def restore(text: str) -> str:
    """``text`` with markers turned back into the characters Severa holds (fast for ASCII)."""
    if text.isascii() or not _HAS_MARKER.search(text):
        return text
    return text.translate(_RESTORE)


@dataclass(frozen=True)
class ForbiddenCharacter:
    #: Severa's member name, with the path inside the record (``Rows[2].Description``).
    field: str
    code_point: int

    def describe(self) -> str:
        kind = "a control character" if self.code_point < 0x20 else "a character XML cannot carry"
        return f"field {self.field} holds {kind} (U+{self.code_point:04X})"


def forbidden_characters(record: Any) -> list[ForbiddenCharacter]:
    """Every text field of ``record`` (a Severa model or a dataclass built from them; nested models and
    lists included) holding such a character."""
    return list(_walk(record, ""))


def _walk(value: Any, path: str) -> Iterator[ForbiddenCharacter]:
    if isinstance(value, str):
        found = _FORBIDDEN.search(value)
        if found is not None:
            yield ForbiddenCharacter(path, ord(found.group(0)))
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            label = info.alias or name
            yield from _walk(getattr(value, name), f"{path}.{label}" if path else label)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        # What a transfer builds from Severa's models (an employee's day of hour entries).
        for item in dataclasses.fields(value):
            yield from _walk(getattr(value, item.name), f"{path}.{item.name}" if path else item.name)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def visible(text: str | None) -> str:
    """``text`` fit for a message, a log line or a Severa log entry: forbidden characters become U+FFFD."""
    return _FORBIDDEN.sub("\ufffd", text or "")


class SeveraForbiddenCharacterError(SeveraError):
    """A Severa record holds a character that cannot be sent on; only that record fails."""

    retryable = False
    #: The record's own text: its author can fix it (an invoice's author is told in its Severa log).
    for_author = True
    action = "Remove the character in Severa (it is usually invisible: retype the field); the record then goes through."


def refuse_forbidden_characters(record: Any, label: str) -> None:
    """Raise ``SeveraForbiddenCharacterError`` when ``record`` holds a forbidden character.

    ``label`` names the record as people know it, e.g. ``customer Acme Oy`` or ``invoice 10062``;
    the message reads "customer Acme Oy: field Name holds a control character (U+0001); remove it
    in Severa."
    """
    found = forbidden_characters(record)
    if not found:
        return
    details = "; ".join(item.describe() for item in found)
    raise SeveraForbiddenCharacterError(f"{visible(label)}: {details}; remove it in Severa.")
