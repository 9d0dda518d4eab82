"""Run ``ticker serve`` as a real process on loopback for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

STARTUP_SECONDS = 20


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Service:
    """A running ``ticker serve`` process."""

    url: str
    process: asyncio.subprocess.Process
    log_path: Path

    def log(self) -> str:
        """What the process logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.asynccontextmanager
async def running_service(config: Path, *extra: str) -> AsyncIterator[Service]:
    """Start ``python -m ticker serve`` with ``config``; stop it on exit."""
    port = free_port()
    log_path = config.with_suffix(".log")
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ticker", "serve", "--config", str(config),
            "--host", "127.0.0.1", "--port", str(port), *extra,
            stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    service = Service(f"http://127.0.0.1:{port}", process, log_path)
    try:
        await _wait_healthy(service)
        yield service
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_healthy(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(STARTUP_SECONDS * 10):
            if service.process.returncode is not None:
                raise RuntimeError(f"ticker serve exited:\n{service.log()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{service.url}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"ticker serve did not answer in {STARTUP_SECONDS}s:\n{service.log()}")


async def poll_strip(url: str, *, until_complete: bool = True, seconds: float = 20) -> dict:
    """GET /v1/strip until every item has a value (or once, if not ``until_complete``)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds * 10)):
            async with session.get(f"{url}/v1/strip") as response:
                body: dict = await response.json()
            items = body["rates"] + body["weather"]
            if not until_complete or not any(item["missing"] for item in items):
                return body
            await asyncio.sleep(0.1)
    raise AssertionError(f"strip still incomplete after {seconds}s: {body}")
