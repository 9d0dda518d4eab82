"""A TCP proxy on 127.0.0.1 that delays each direction: a distant server, on this machine.

Every chunk read from one side is written to the other ``delay`` seconds after it
arrived, in order, so a connection through the proxy has a round trip of twice the
delay but no bandwidth limit: pipelined commands stay pipelined, as over a real
long link.  ``refresh_stall`` puts it in front of a local redis-server to stand for
a Redis 50 ms away.

Usage::

    proxy = await start_delay_proxy(6379, delay=0.025)   # in a running event loop
    python -m benchmarks._delay_proxy --target 6379 --delay-ms 25 --port 16379
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Sequence

__all__ = ["main", "start_delay_proxy"]

HOST = "127.0.0.1"
#: The most one read takes from a socket.
CHUNK_BYTES = 64 * 1024


async def start_delay_proxy(target_port: int, *, delay: float, port: int = 0) -> asyncio.Server:
    """Listen on 127.0.0.1:``port`` (0: any free one), forwarding to ``target_port``."""

    async def connected(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(HOST, target_port)
        except OSError:
            client_out.close()
            return
        try:
            await asyncio.gather(
                _forward(client_in, server_out, delay), _forward(server_in, client_out, delay)
            )
        except (OSError, asyncio.IncompleteReadError):
            pass  # either side went away: close both
        finally:
            for writer in (client_out, server_out):
                writer.close()

    return await asyncio.start_server(connected, HOST, port)


async def _forward(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
) -> None:
    """Copy ``reader`` to ``writer``, each chunk ``delay`` seconds after it was read."""
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            at, data = await due.get()
            if (wait := at - loop.time()) > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    try:
        while data := await reader.read(CHUNK_BYTES):
            due.put_nowait((loop.time() + delay, data))
        due.put_nowait((loop.time() + delay, b""))
        await delivering
    finally:
        delivering.cancel()


async def _serve(target: int, delay: float, port: int) -> None:
    server = await start_delay_proxy(target, delay=delay, port=port)
    listening = server.sockets[0].getsockname()[1]
    print(f"127.0.0.1:{listening} -> 127.0.0.1:{target}, {delay * 1000:g} ms each way", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the proxy until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._delay_proxy")
    parser.add_argument("--target", type=int, required=True, help="port on 127.0.0.1 to reach")
    parser.add_argument("--delay-ms", type=float, default=25.0, help="each way (default 25)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: free)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.target, args.delay_ms / 1000, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
