"""Issue 11, "Done when", first bullet: for each transfer and each outage class, the invocation fails with
a one-line reason, the cursor does not move past any record it did not settle, no per-record failure
is recorded and no Severa invoice log entry is written for the outage, and after the repair one run
of the same warm container transfers everything held, without ``full_resync``.

Through the transfer's real handler (``make_handler``) in this process, which a warm container keeps
between runs; and for each outage class once through the function in a child process, as Lambda runs
it (``test_the_function_fails_with_the_reason``). "Everything held" is what a fault-free run of the
same data transfers (``campaigns.tally.reference``): nothing may be missing or doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from aws_lambda_powertools.utilities import parameters
from severa_netvisor.errors import IntegrationError

from sandbox.aws import LocalAws
from tests.integration.rig import World
from tests.reliability.campaigns.outages import OUTAGES, Outage
from tests.reliability.campaigns.scenarios import ALL, CUSTOMERS, Scenario, reset, scenario_world
from tests.reliability.campaigns.tally import reference
from tests.reliability.support import SOAK, Warm, quick_retries

SIZES = {"customers": 8, "products": 10, "dimensions": 6, "invoices": 10, "payments": 8, "hours": 16}
SEED = 21


@pytest.fixture(scope="module")
def worlds(local_aws: LocalAws) -> Iterator[Callable[[Scenario], World]]:
    """One world per transfer for the module (reset before each case: much cheaper than a new one)."""
    with ExitStack() as stack:
        made: dict[str, World] = {}

        def get(scenario: Scenario) -> World:
            if scenario.name not in made:
                made[scenario.name] = stack.enter_context(
                    scenario_world(local_aws, scenario, SIZES[scenario.transfer], SEED)
                )
            w = made[scenario.name]
            reset(w, scenario, SIZES[scenario.transfer], SEED)
            return w

        with quick_retries():
            yield get


@pytest.mark.slow
@pytest.mark.parametrize("outage", OUTAGES, ids=lambda o: o.name)
@pytest.mark.parametrize("scenario", ALL, ids=lambda s: s.name)
def test_an_outage_stops_the_run_and_one_run_after_the_repair_transfers_everything_held(
    local_aws: LocalAws, worlds: Callable[[Scenario], World], scenario: Scenario, outage: Outage
) -> None:
    expected, _ = reference(local_aws, scenario, SIZES[scenario.transfer], SEED)
    w = worlds(scenario)
    logs_before = len(w.severa.state.invoice_log)
    warm = Warm(w, scenario.transfer)
    outage.apply(w)
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # the outage has lasted longer than a warm container keeps a secret

    with pytest.raises(IntegrationError) as stopped:
        warm()

    reason = str(stopped.value)
    assert "\n" not in reason, reason
    assert any(word in reason for word in outage.says), reason
    failures = {f.ref.id: f for f in w.open_failures(scenario.transfer)}
    outage_failures = [f.reason for ref, f in failures.items() if ref not in expected.failures]
    assert outage_failures == [], "no per-record failure for an outage"
    for entry in w.severa.state.invoice_log[logs_before:]:
        # Only what an invoice's author can fix, for the invoices a fault-free run fails as well.
        assert entry.invoice_guid in expected.failures, entry.text
        assert (entry.text or "").startswith("Not transferred to Netvisor"), entry.text

    outage.restore(w)
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # the next scheduled run comes later than a warm container keeps a secret
    after = warm()

    assert after["stopped_early"] is None, after
    final = scenario.final(w)
    assert final.lost_against(expected) == [], "one run after the repair transfers everything held"
    assert final.duplicated() == []
    assert final.failures == expected.failures


#: In a child process the clients wait between retries as in Lambda (a streak of 5xx costs about 50 s):
#: ``make test`` takes the outages that need no retries there, ``make soak`` every one.
IN_CHILD = OUTAGES if SOAK else tuple(o for o in OUTAGES if not o.retried)


@pytest.mark.slow
@pytest.mark.parametrize("outage", IN_CHILD, ids=lambda o: o.name)
def test_the_function_fails_with_the_reason(local_aws: LocalAws, outage: Outage) -> None:
    """The customers function in a child process, as Lambda runs it: the invocation fails (the Errors
    alarm fires) with the reason on one line; after the repair the next invocation transfers it all."""
    expected, _ = reference(local_aws, CUSTOMERS, SIZES["customers"], SEED)
    with scenario_world(local_aws, CUSTOMERS, SIZES["customers"], SEED) as w:
        outage.apply(w)
        failed = w.invoke("customers")
        assert failed.error is not None, failed.result
        message = failed.error["errorMessage"]
        assert "\n" not in message
        assert any(word in message for word in outage.says), message
        assert w.open_failures("customers") == [] or {f.ref.id for f in w.open_failures("customers")} <= set(
            expected.failures
        )
        outage.restore(w)
        w.run("customers")
        final = CUSTOMERS.final(w)
    assert final.lost_against(expected) == []
    assert final.duplicated() == []
