"""``severa-netvisor``: the operator's command line (status, check, run, failures, reconcile, mapping, sandbox).

Works against a deployed stack (``--stack``, ``--profile``, ``--region``: every resource is found
through the stack's CloudFormation outputs) or against the local sandbox (``--sandbox``). The
wording of what a run did lives in :mod:`severa_netvisor.cli.present`, shared with ``make demo``
and ``make invoke``; the status and the failures are worded in ``status_view`` and
``failure_view``. Typer and Rich are operator-side dependencies: the Lambda functions never
import this package, and layers/common/requirements.txt does not carry them.
"""
