"""The reference server: a bare aiohttp handler sending fixed bytes.

It answers each path of a manifest with the body and headers recorded from a running
ticker, through aiohttp's low-level server (no application, no router), on uvloop
when installed, exactly as ``ticker serve`` runs; ``/healthz`` answers its pid::

    python -m benchmarks.bare --manifest routes.json --port 8081 [--reuse-port] [--app]

The manifest: ``{"/v1/strip": {"body": "strip.bin", "headers": [["ETag", "..."]]}}``,
body paths relative to the manifest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

__all__ = ["Route", "load_manifest", "main", "write_manifest"]

#: A path's recorded answer: body and headers.
Route = tuple[bytes, dict[str, str]]


def write_manifest(
    path: Path, routes: Mapping[str, tuple[bytes, Sequence[tuple[str, str]]]]
) -> dict[str, Path]:
    """Write the routes' bodies beside ``path`` and the manifest naming them; the body files."""
    manifest, bodies = {}, {}
    for index, (route, (body, headers)) in enumerate(routes.items()):
        body_path = bodies[route] = path.with_name(f"{path.stem}-{index}.bin")
        body_path.write_bytes(body)
        manifest[route] = {"body": body_path.name, "headers": [list(h) for h in headers]}
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return bodies


def load_manifest(path: Path) -> dict[str, Route]:
    """The routes a manifest describes."""
    manifest = json.loads(path.read_text(encoding="utf-8"))
    return {
        route: ((path.parent / entry["body"]).read_bytes(), dict(entry["headers"]))
        for route, entry in manifest.items()
    }


async def serve(
    routes: Mapping[str, Route], host: str, port: int, *, reuse_port: bool, app: bool = False
) -> None:
    """Answer ``routes`` on ``host:port`` until SIGTERM or SIGINT.

    ``app``: through a ``web.Application`` and its router (the ordinary aiohttp
    handler); otherwise through the low-level server, with no application at all.
    """
    health = json.dumps({"status": "ok", "pid": os.getpid()}).encode()

    async def handle(request: web.BaseRequest) -> web.Response:
        found = routes.get(request.path)
        if found is not None:
            return web.Response(body=found[0], headers=found[1])
        if request.path == "/healthz":
            return web.Response(body=health, content_type="application/json")
        return web.Response(status=404)

    runner: web.BaseRunner[Any]
    if app:
        application = web.Application()
        for path in [*routes, "/healthz"]:
            application.router.add_get(path, handle)
        runner = web.AppRunner(application, handle_signals=False, access_log=None)
    else:
        runner = web.ServerRunner(web.Server(handle, access_log=None), handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port).start()
        await stop.wait()
    finally:
        await runner.cleanup()


def _use_uvloop() -> bool:
    """Run on uvloop when it is installed, as ``ticker serve`` does."""
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a manifest's routes; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare", description=__doc__)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reuse-port", action="store_true", help="share the port (SO_REUSEPORT)")
    parser.add_argument("--app", action="store_true", help="an Application with its router")
    args = parser.parse_args(argv)
    routes = load_manifest(args.manifest)
    _use_uvloop()
    asyncio.run(serve(routes, args.host, args.port, reuse_port=args.reuse_port, app=args.app))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
