"""Typed results: Decimal money, aware UTC date-times, None for nil, arrays unwrapped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError
from severa_netvisor.severa.errors import FAULT_CLASSES, SeveraError, SeveraQuotaExceededError, SeveraTransportError
from severa_netvisor.severa.models import Account, Contact, Invoice, QuotaStatus, User


def test_naive_datetimes_are_utc_and_offsets_are_converted() -> None:
    account = Account.model_validate(
        {"InsertTS": datetime(2026, 1, 2, 3, 4), "IsActive": True, "UpdatedTS": "2026-01-02T05:04:00+02:00"}
    )
    assert account.insert_ts == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert account.updated_ts == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert account.updated_ts is not None
    assert account.updated_ts.utcoffset() == timedelta(0)


def test_arrays_arrive_wrapped_or_nil() -> None:
    contact = Contact.model_validate(
        {
            "IsActive": True,
            "Keywords": {"string": ["a", "b"]},
            "CommunicationMethods": {"Contact.CommunicationMethod": [{"IsForbiddenToUse": False, "Value": "x"}]},
        }
    )
    assert contact.keywords == ["a", "b"]
    assert contact.communication_methods[0].value == "x"
    empty = Contact.model_validate({"IsActive": True, "Keywords": None, "CommunicationMethods": {"X": None}})
    assert empty.keywords == []
    assert empty.communication_methods == []


def test_money_is_decimal_and_nil_is_none() -> None:
    invoice = Invoice.model_validate(
        {
            "CurrencyRate": "1.000000",
            "Date": datetime(2026, 3, 1),
            "DueDate": datetime(2026, 3, 15),
            "EntryDate": datetime(2026, 3, 1),
            "IsCreditNote": False,
            "IsReimbursed": False,
            "IsTaxFree": False,
            "OverDueInterest": "8",
            "PaymentTerm": 14,
            "PaymentDate": None,
            "InvoiceRows": {
                "InvoiceRow": [
                    {
                        "EventDate": datetime(2026, 3, 1),
                        "rowAmount": "125.50",
                        "deliveredQuantity": "1",
                        "rowCostAmount": "0",
                        "rowDeliveryDate": datetime(2026, 3, 1),
                        "rowNumber": 1,
                        "rowUnitPrice": "100",
                        "rowVatAmount": "25.50",
                        "rowVatExcludedAmount": "100",
                        "rowVatRatePercent": "25.5",
                        "unitPriceAmount": "100",
                    }
                ]
            },
        }
    )
    assert invoice.payment_date is None
    assert invoice.reference_number is None
    row = invoice.invoice_rows[0]
    assert row.row_amount == Decimal("125.50")
    assert isinstance(row.row_vat_rate_percent, Decimal)
    with pytest.raises(ValidationError):
        Invoice.model_validate({"Date": "not a date"})


def test_social_security_number_stays_out_of_repr() -> None:
    user = User.model_validate(
        {"IsActive": True, "SendDailyMail": False, "SendWeeklyMail": False, "SocialSecurityNumber": "010190-123A"}
    )
    assert "010190-123A" not in repr(user)


def test_quota_status_remaining() -> None:
    assert QuotaStatus(quota=100, used=40).remaining == 60
    assert QuotaStatus(quota=100, used=140).remaining == 0
    assert QuotaStatus().remaining is None


def test_error_classes_are_severa_integration_errors() -> None:
    assert set(FAULT_CLASSES) >= {
        "AuthenticationFailureException",
        "NoPermissionException",
        "NotFoundException",
        "ValidationException",
        "GeneralFailureException",
        "QuotaLimitExceededException",
    }
    for cls in FAULT_CLASSES.values():
        assert issubclass(cls, SeveraError)
        assert cls.system == "severa"
        assert cls.action
    assert {cls.__name__ for cls in FAULT_CLASSES.values() if cls.stops_run} == {
        "SeveraAuthenticationError",
        "SeveraTermsNotApprovedError",
        "SeveraQuotaExceededError",
    }
    assert SeveraTransportError.stops_run
    quota = SeveraQuotaExceededError("x", quota=10, used_quota=10)
    assert (quota.quota, quota.used_quota, quota.stops_run) == (10, 10, True)


def test_other_timezones_are_normalised() -> None:
    helsinki = timezone(timedelta(hours=3))
    account = Account.model_validate({"InsertTS": datetime(2026, 6, 1, 12, tzinfo=helsinki), "IsActive": True})
    assert account.insert_ts == datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert account.insert_ts.tzinfo is UTC
