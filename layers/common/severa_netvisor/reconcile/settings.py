"""The reconcile function's settings: the common ones (``severa_netvisor.settings.Settings``: state
table, secrets, mapping, timeouts, the alarm topic its summary goes to) and its own, all read from the
environment the template gives it (``REPORT_BUCKET_NAME`` for ``report_bucket_name``); values given
to the constructor win.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from severa_netvisor.reconcile.runner import ReconcileOptions
from severa_netvisor.settings import Settings


class ReconcileSettings(Settings):
    #: The encrypted S3 bucket the reports are stored in ("" in a local run that only prints).
    report_bucket_name: str = ""
    #: Days of Severa invoices asked for in one call (each answer is streamed one invoice at a time).
    reconcile_window_days: int = Field(default=7, ge=1, le=366)
    reconcile_lease_wait_seconds: float = Field(default=600.0, ge=0)
    reconcile_max_severa_lookups: int = Field(default=200, ge=0)
    reconcile_quota_reserve: int = Field(default=5_000, ge=0)

    def options(self) -> ReconcileOptions:
        return ReconcileOptions(
            window_days=self.reconcile_window_days,
            lease_wait_seconds=self.reconcile_lease_wait_seconds,
            max_severa_lookups=self.reconcile_max_severa_lookups,
            quota_reserve=self.reconcile_quota_reserve,
        )


@lru_cache(maxsize=1)
def get_reconcile_settings() -> ReconcileSettings:
    return ReconcileSettings()
