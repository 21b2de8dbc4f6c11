"""What a person reads of a recorded failure: the reason, without the engine's step and class names."""

from __future__ import annotations

from severa_netvisor.reconcile.registers import readable_reason


def test_the_engine_prefix_is_dropped() -> None:
    text = "prepare: InvoiceValidationError: Severa invoice 6 cannot be transferred: reference number: bad check digit"
    assert readable_reason(text) == "Severa invoice 6 cannot be transferred: reference number: bad check digit"


def test_a_reason_without_the_prefix_is_kept_whole() -> None:
    assert readable_reason("Netvisor refused: INVALID_DATA: x") == "Netvisor refused: INVALID_DATA: x"
    assert readable_reason(None) == "(no reason recorded)"
