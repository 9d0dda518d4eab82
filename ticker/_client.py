"""The Python client of the ticker service.

Usage::

    async with TickerClient("http://127.0.0.1:8080") as client:
        strip = await client.strip(lang="ru")
        print(strip.text)

    with SyncTickerClient("http://127.0.0.1:8080") as client:
        print(client.strip().rates[0].rate)         # Decimal('445.99')

Both return the pydantic models the service serializes.  Failures raise
:class:`~ticker.ServiceError` subclasses, never return ``None``.  Answers are kept
as long as the service's ``Cache-Control: max-age`` allows, so a page that asks
for the strip on every render makes one request per refresh; after that the
client revalidates with the ETag (a 304 costs no body).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError
from yarl import URL

from ticker._exceptions import BadRequestError, ServiceError, ServiceUnavailable
from ticker._version import __version__
from ticker._wire import RatesHalf, Strip, WeatherHalf

__all__ = ["SyncTickerClient", "TickerClient"]

_M = TypeVar("_M", bound=BaseModel)


class TickerClient:
    """Async client; creates an HTTP session only if none is given, closes only its own."""

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = URL(base_url)
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._cache: dict[tuple[str, str | None], _Cached] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def strip(self, lang: str | None = None) -> Strip:
        """The whole strip, in ``lang`` or the service's default language."""
        return await self._get("/v1/strip", Strip, lang)

    async def rates(self, lang: str | None = None) -> RatesHalf:
        """The rates half of the strip."""
        return await self._get("/v1/rates", RatesHalf, lang)

    async def weather(self, lang: str | None = None) -> WeatherHalf:
        """The weather half of the strip."""
        return await self._get("/v1/weather", WeatherHalf, lang)

    async def widget(self, lang: str | None = None) -> str:
        """The strip as an HTML fragment."""
        return (await self._request("/widget", lang)).decode("utf-8")

    async def healthy(self) -> bool:
        """Whether the service answers its health check."""
        try:
            await self._request("/healthz", None)
        except ServiceError:
            return False
        return True

    async def _get(self, path: str, model: type[_M], lang: str | None) -> _M:
        key = (path, lang)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() < cached.fresh_until:
            return cached.value  # type: ignore[return-value]  # stored under this model's path
        etag = cached.etag if cached is not None else None
        body, status, headers = await self._fetch(path, lang, etag)
        if status == 304 and cached is not None:
            self._remember(key, cached.value, cached.etag, headers)
            return cached.value  # type: ignore[return-value]
        try:
            value = model.model_validate_json(body)
        except ValidationError as exc:
            raise ServiceError(f"{path}: unexpected response body: {exc}") from exc
        self._remember(key, value, headers.get("ETag"), headers)
        return value

    def _remember(
        self,
        key: tuple[str, str | None],
        value: BaseModel,
        etag: str | None,
        headers: Mapping[str, str],
    ) -> None:
        """Keep an answer for as long as its Cache-Control allows (and its ETag after)."""
        max_age = _max_age(headers.get("Cache-Control", ""))
        if max_age is None:
            self._cache.pop(key, None)
            return
        self._cache[key] = _Cached(value, etag, time.monotonic() + max_age)

    async def _request(self, path: str, lang: str | None) -> bytes:
        body, _, _ = await self._fetch(path, lang, None)
        return body

    async def _fetch(
        self, path: str, lang: str | None, etag: str | None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        params = {"lang": lang} if lang is not None else {}
        headers = {"If-None-Match": etag} if etag else {}
        url = self.base_url.join(URL(path))
        try:
            async with self._http().get(
                url, params=params, headers=headers, timeout=self._timeout
            ) as response:
                body = await response.read()
                status = response.status
                answered = response.headers.copy()  # case-insensitive, like HTTP
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnavailable(f"cannot reach {url}: {exc or type(exc).__name__}") from exc
        if status not in (200, 304) or (status == 304 and not etag):
            raise _error_for(status, body, url)
        return body, status, answered

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": f"ticker-client/{__version__}"}
            )
        return self._session


@dataclass(frozen=True)
class _Cached:
    value: BaseModel
    etag: str | None
    fresh_until: float


def _max_age(cache_control: str) -> float | None:
    """Seconds an answer may be reused, or None when it may not be kept at all."""
    directives = [part.strip().lower() for part in cache_control.split(",")]
    if "no-store" in directives or "no-cache" in directives or "private" in directives:
        return None
    for directive in directives:
        name, _, value = directive.partition("=")
        if name == "max-age" and value.isdigit():
            return float(value)
    return 0.0  # revalidate every time, with the ETag


def _error_for(status: int, body: bytes, url: URL) -> ServiceError:
    try:
        document: Mapping[str, Any] = json.loads(body)
        message = str(document.get("message", ""))
    except (ValueError, AttributeError):
        document, message = {}, body[:200].decode("utf-8", "replace")
    text = f"{url}: HTTP {status}: {message}"
    if status == 400:
        allowed = [str(item) for item in document.get("allowed", [])]
        return BadRequestError(text, parameter=document.get("parameter"), allowed=allowed)
    if status >= 500:
        return ServiceUnavailable(text, status=status)
    return ServiceError(text, status=status)


class SyncTickerClient:
    """The blocking twin of :class:`TickerClient`, for code that is not async.

    It runs its own event loop, so it must not be used from inside a running one.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._runner = asyncio.Runner()
        self._client = TickerClient(base_url, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session and the event loop."""
        self._runner.run(self._client.close())
        self._runner.close()

    def strip(self, lang: str | None = None) -> Strip:
        """The whole strip, in ``lang`` or the service's default language."""
        return self._runner.run(self._client.strip(lang))

    def rates(self, lang: str | None = None) -> RatesHalf:
        """The rates half of the strip."""
        return self._runner.run(self._client.rates(lang))

    def weather(self, lang: str | None = None) -> WeatherHalf:
        """The weather half of the strip."""
        return self._runner.run(self._client.weather(lang))

    def widget(self, lang: str | None = None) -> str:
        """The strip as an HTML fragment."""
        return self._runner.run(self._client.widget(lang))

    def healthy(self) -> bool:
        """Whether the service answers its health check."""
        return self._runner.run(self._client.healthy())
