"""Run a Netvisor simulator until Ctrl-C and print the secret JSON that points at it."""

from __future__ import annotations

import argparse
import json
import time

from sandbox.netvisor.server import Company, NetvisorSimulator, sandbox_credentials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--organisation-id", default="1572860-0")
    args = parser.parse_args()
    simulator = NetvisorSimulator([Company(organisation_id=args.organisation_id)], port=args.port).start()
    print(f"Netvisor simulator on {simulator.url}; Netvisor secret JSON:", flush=True)
    print(json.dumps(sandbox_credentials(simulator), indent=2), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
