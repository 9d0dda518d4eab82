"""Read the strip from a running ticker service, async and sync.

python examples/client.py http://127.0.0.1:8080 ru
"""

from __future__ import annotations

import asyncio
import sys

from ticker import ServiceError, SyncTickerClient, TickerClient


async def show(base_url: str, lang: str) -> None:
    """Print the strip line and each rate with its provenance."""
    async with TickerClient(base_url) as client:
        strip = await client.strip(lang=lang)
    print(strip.text)
    for item in strip.rates:
        if item.missing:
            print(f"  {item.label}: not available yet")
        else:
            print(f"  {item.label}: {item.rate} KZT per unit ({item.source}, {item.date})")
    for city in strip.weather:
        print(f"  {city.name}: now {city.temperature}°C, today {city.text}")


def main() -> int:
    """Run the async example, then the same call through the sync client."""
    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    lang = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        asyncio.run(show(base_url, lang or "en"))
        with SyncTickerClient(base_url) as client:
            print("sync client:", client.strip(lang=lang).text)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
