"""Run a seeded Severa simulator until Ctrl-C: ``python -m sandbox.severa [--invoices N] [--port P]``."""

from __future__ import annotations

import argparse
import json
import time

from sandbox.severa.seed import build_state
from sandbox.severa.server import SeveraSimulator, sandbox_credentials


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=12)
    parser.add_argument("--invoices", type=int, default=30)
    parser.add_argument("--hour-entries", type=int, default=120)
    parser.add_argument("--quota", type=int, default=100_000)
    parser.add_argument("--api-key", default="sandbox-severa-api-key")
    args = parser.parse_args(argv)
    state = build_state(args.seed, accounts=args.accounts, invoices=args.invoices, hour_entries=args.hour_entries)
    simulator = SeveraSimulator(args.api_key, args.quota, state=state, port=args.port).start()
    print(f"Severa simulator at {simulator.url} ({state.counts()})", flush=True)
    print("Secret JSON:", json.dumps(sandbox_credentials(simulator)), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
