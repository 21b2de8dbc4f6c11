"""What a person reads of a recorded failure: the reason, without the engine's step and class names."""

from __future__ import annotations

from severa_netvisor.reconcile.registers import readable_reason


def test_the_engine_prefix_is_dropped() -> None:
    text = "prepare: InvoiceValidationError: Severa invoice 6 cannot be transferred: reference number: bad check digit"
    assert readable_reason(text) == "Severa invoice 6 cannot be transferred: reference number: bad check digit"


def test_a_reason_without_the_prefix_is_kept_whole() -> None:
    assert readable_reason("Netvisor refused: INVALID_DATA: x") == "Netvisor refused: INVALID_DATA: x"
    assert readable_reason(None) == "(no reason recorded)"


def test_the_summary_names_the_fields_of_a_refusal_not_their_values() -> None:
    from severa_netvisor.reconcile.invoice_checks import problem_fields

    reason = (
        "Severa invoice 6 (g) cannot be transferred: reference number: '10062' has a wrong check digit. Fix it | "
        "row 2 VAT rate: 24 % is not valid on 1.6.2026. Use 25,5 | reference number: again"
    )
    assert problem_fields(reason) == ["reference number", "row 2 VAT rate"]
    assert problem_fields("Netvisor refused: INVALID_DATA") == []
