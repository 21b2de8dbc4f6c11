"""Did anything open this file? Linux inotify, read through ctypes (the standard library has no binding).

The parsers run in C (libxml2), so Python's audit hooks would not see them open a file; the kernel does.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_IN_ACCESS = 0x001
_IN_OPEN = 0x020


class OpenWatch:
    """Counts opens and reads of ``path`` (by any process) from creation until ``close``."""

    def __init__(self, path: Path):
        self._libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if self._libc.inotify_add_watch(self._fd, os.fsencode(path), _IN_OPEN | _IN_ACCESS) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch failed for {path}")

    def touched(self) -> bool:
        """True when the file was opened or read since the watch began (or the last call)."""
        try:
            return bool(os.read(self._fd, 65536))
        except BlockingIOError:
            return False

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> OpenWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
