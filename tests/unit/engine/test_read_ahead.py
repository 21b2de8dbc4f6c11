"""Source pages are read one page ahead, in a thread, without losing order, errors or cleanup."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from severa_netvisor.engine.intake import read_ahead as _read_ahead


def test_the_next_page_is_read_while_the_caller_works_on_this_one() -> None:
    second_read = threading.Event()

    def pages() -> Iterator[list[int]]:
        yield [1]
        second_read.set()
        yield [2]

    reader = _read_ahead(pages(), name="test")
    assert next(reader) == [1]
    assert second_read.wait(timeout=10)  # read without the caller asking
    assert list(reader) == [[2]]


def test_an_error_arrives_after_the_pages_read_before_it() -> None:
    def pages() -> Iterator[list[int]]:
        yield [1]
        raise ValueError("quota")

    reader = _read_ahead(pages(), name="test")
    assert next(reader) == [1]
    with pytest.raises(ValueError, match="quota"):
        next(reader)


def test_stopping_early_closes_the_source() -> None:
    closed = threading.Event()

    def pages() -> Iterator[list[int]]:
        try:
            for number in range(100):
                yield [number]
        finally:
            closed.set()

    reader = _read_ahead(pages(), name="test")
    assert next(reader) == [0]
    reader.close()
    assert closed.is_set()
