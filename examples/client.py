"""Read the strip, a rate's history and the readiness of a running ticker service.

python examples/client.py http://127.0.0.1:8080 ru

The async client first, then the same calls through the blocking one (which also
works inside a running event loop, e.g. a Jupyter notebook).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

from ticker import ServiceError, SyncTickerClient, TickerClient


async def show(base_url: str, lang: str | None) -> None:
    """Print readiness, the strip line, each value with its provenance, and a rate's history."""
    async with TickerClient(base_url) as client:
        ready = await client.ready()  # a 503 "not ready" is an answer, not an error
        strip = await client.strip(lang=lang)
        code = strip.rates[0].code
        history = await client.history(code)  # the last 30 days
    missing = [f"{item.kind} {item.item}" for item in ready.items if item.missing]
    print("ready" if ready.ready else f"not ready, no value yet: {', '.join(missing)}")
    print(strip.text)
    for item in strip.rates:
        if item.missing:
            print(f"  {item.label}: not available yet")
        else:
            print(f"  {item.label}: {item.rate} KZT per unit ({item.source}, {item.date})")
    for city in strip.weather:
        print(f"  {city.name}: now {city.temperature}°C, today {city.text}")
    print(f"{code} from {history.from_} to {history.to}:")
    for point in history.points:
        print(f"  {point.date}: {point.rate} ({point.published} per {point.quant}, {point.source})")


def show_sync(base_url: str, lang: str | None) -> None:
    """The same service through the blocking client: a week of history and an audit."""
    week_ago = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7)
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with SyncTickerClient(base_url) as client:
        print("sync client:", client.strip(lang=lang).text)
        print("  ready:", client.ready().ready)
        code = client.rates().rates[0].code
        points = client.history(code, start=week_ago).points
        print(f"  {code} since {week_ago}:", ", ".join(f"{p.date} {p.rate}" for p in points))
        shown = client.audit(an_hour_ago).items
        if not shown:
            print("  an hour ago the strip showed nothing yet")
        for item in shown:
            print(
                f"  an hour ago {item.item} showed {item.text} ({item.source}, since {item.since})"
            )


def main() -> int:
    """Run the async example, then the sync one."""
    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    lang = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        asyncio.run(show(base_url, lang))
        show_sync(base_url, lang)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
