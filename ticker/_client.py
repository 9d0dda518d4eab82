"""The Python client of the ticker service.

Usage::

    async with TickerClient("http://127.0.0.1:8080") as client:
        strip = await client.strip(lang="ru")
        print(strip.text)

    with SyncTickerClient("http://127.0.0.1:8080") as client:
        print(client.strip().rates[0].rate)         # Decimal('445.99')

Both return the pydantic models the service serializes.  Failures raise
:class:`~ticker.ServiceError` subclasses, never return ``None``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError
from yarl import URL

from ticker._exceptions import BadRequestError, ServiceError, ServiceUnavailable
from ticker._models import Strip
from ticker._strip import RatesHalf, WeatherHalf
from ticker._version import __version__

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
        body = await self._request(path, lang)
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            raise ServiceError(f"{path}: unexpected response body: {exc}") from exc

    async def _request(self, path: str, lang: str | None) -> bytes:
        params = {"lang": lang} if lang is not None else {}
        url = self.base_url.join(URL(path))
        try:
            async with self._http().get(url, params=params, timeout=self._timeout) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnavailable(f"cannot reach {url}: {exc or type(exc).__name__}") from exc
        if status != 200:
            raise _error_for(status, body, url)
        return body

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": f"ticker-client/{__version__}"}
            )
        return self._session


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
