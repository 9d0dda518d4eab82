"""What `from ticker import TickerClient` costs a program that only wants the client.

Usage::

    python -m benchmarks.import_cost [--runs 7]

Each import runs in a fresh interpreter: the modules it adds to ``sys.modules`` and
the milliseconds it takes (median of the runs), beside ``import aiohttp`` (which
the client needs anyway) as the reference measured in the same run, and whether
any server-side dependency (scheduler, cache, locale data, metrics, Redis, YAML,
aiohttp's server) was loaded.  Same numbers as ``python -X importtime``, summed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

#: Modules a client never needs: the service's scheduler, cache, locale data, metrics...
SERVER_SIDE = ("apscheduler", "diskcache", "babel", "prometheus_client", "redis", "yaml")

_PROBE = """
import json, sys, time
before = set(sys.modules)
started = time.perf_counter()
{statement}
elapsed = (time.perf_counter() - started) * 1000
added = sorted(set(sys.modules) - before)
print(json.dumps({{"ms": elapsed, "modules": added}}))
"""


def measure(statement: str, runs: int) -> tuple[float, list[str]]:
    """Median milliseconds of ``statement`` in a fresh interpreter, and the modules it adds."""
    times, modules = [], []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE.format(statement=statement)],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        found = json.loads(done.stdout)
        times.append(found["ms"])
        modules = found["modules"]
    return statistics.median(times), modules


def main(argv: list[str] | None = None) -> int:
    """Print the cost of importing the client and of aiohttp alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per import")
    options = parser.parse_args(argv)
    client_ms, client_modules = measure("from ticker import TickerClient", options.runs)
    aiohttp_ms, aiohttp_modules = measure("import aiohttp", options.runs)
    loaded = sorted(
        {m.split(".")[0] for m in client_modules if m.split(".")[0] in SERVER_SIDE}
        | ({"aiohttp.web"} & set(client_modules))
    )
    ours = [m for m in client_modules if m == "ticker" or m.startswith("ticker.")]
    print(f"from ticker import TickerClient: {len(client_modules)} modules, {client_ms:.0f} ms")
    print(f"import aiohttp (reference):      {len(aiohttp_modules)} modules, {aiohttp_ms:.0f} ms")
    print(f"ratio to aiohttp: {client_ms / aiohttp_ms:.2f}x time, "
          f"{len(client_modules) / len(aiohttp_modules):.2f}x modules")  # fmt: skip
    print(f"ticker modules: {', '.join(ours)}")
    print(f"server-side modules loaded: {', '.join(loaded) if loaded else 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
