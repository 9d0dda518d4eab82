"""The Python client of the ticker service.

Usage::

    async with TickerClient("http://127.0.0.1:8080") as client:
        strip = await client.strip(lang="ru")
        print(strip.text)
        week = await client.history("USD", dt.date(2026, 3, 2), dt.date(2026, 3, 8))
        print([point.rate for point in week.points])
        print((await client.convert("100", "USD", "KZT")).text)  # 44599.00
        print((await client.ready()).ready)         # False while an item has no value

    with SyncTickerClient("http://127.0.0.1:8080") as client:
        print(client.strip().rates[0].rate)         # Decimal('445.99')

Both return the pydantic models the service serializes (:mod:`ticker._wire`).
Failures raise :class:`~ticker.ServiceError` subclasses, never return ``None``.
Answers are kept as long as the service's ``Cache-Control: max-age`` allows, so a
page that asks for the strip on every render makes one request per refresh; after
that the client revalidates with the ETag (a 304 costs no body).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections.abc import Collection, Coroutine, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, get_args
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel, ValidationError
from yarl import URL

from ticker._exceptions import BadRequestError, ServiceError, ServiceUnavailable
from ticker._version import __version__
from ticker._wire import (
    AuditAnswer,
    Conversion,
    HistoryAnswer,
    RatesHalf,
    ReadyBody,
    Strip,
    WeatherHalf,
)

__all__ = ["SyncTickerClient", "TickerClient"]

_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")
#: Temperatures in °C or °F.
Units = Literal["metric", "imperial"]
#: The images the service draws.
ImageKind = Literal["strip.png", "strip.svg", "card.png", "card.svg"]
IMAGE_KINDS: tuple[str, ...] = get_args(ImageKind)
#: A cached answer's key: the path and the query, sorted.
_Key = tuple[str, tuple[tuple[str, str], ...]]


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
        self._cache: dict[_Key, _Cached] = {}

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

    async def strip(self, lang: str | None = None, *, units: Units | None = None) -> Strip:
        """The whole strip, in ``lang`` or the service's default language (°F with
        ``units="imperial"``)."""
        return await self._get("/v1/strip", Strip, _lang(lang, units))

    async def rates(self, lang: str | None = None) -> RatesHalf:
        """The rates half of the strip."""
        return await self._get("/v1/rates", RatesHalf, _lang(lang))

    async def weather(self, lang: str | None = None, *, units: Units | None = None) -> WeatherHalf:
        """The weather half of the strip."""
        return await self._get("/v1/weather", WeatherHalf, _lang(lang, units))

    async def widget(self, lang: str | None = None, *, units: Units | None = None) -> str:
        """The strip as an HTML fragment."""
        return (await self._fetch("/widget", _lang(lang, units))).body.decode("utf-8")

    async def image(
        self,
        kind: ImageKind,
        lang: str | None = None,
        *,
        theme: str | None = None,
        units: Units | None = None,
        width: int | None = None,
        size: str | None = None,
    ) -> bytes:
        """The bytes of an image: ``strip.png``, ``strip.svg`` (``width`` in CSS pixels),
        ``card.png`` or ``card.svg`` (``size`` ``1200x630`` or ``1080x1080``)."""
        if kind not in IMAGE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(IMAGE_KINDS)}, not {kind!r}")
        query = _lang(lang, units)
        extra = {"theme": theme, "width": None if width is None else str(width), "size": size}
        query.update({name: value for name, value in extra.items() if value is not None})
        return (await self._fetch(f"/v1/{kind}", query)).body

    async def history(
        self, code: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> HistoryAnswer:
        """The publications of ``code`` from ``start`` to ``end`` (default: the last 30 days)."""
        days = (("from", start), ("to", end))
        query = {name: day.isoformat() for name, day in days if day is not None}
        return await self._get(f"/v1/rates/{quote(code, safe='')}/history", HistoryAnswer, query)

    async def audit(self, at: dt.datetime) -> AuditAnswer:
        """What the strip showed at ``at``, an aware datetime: each item, its source and time."""
        if at.utcoffset() is None:
            raise ValueError(f"at must be an aware datetime (with a tzinfo), not {at!r}")
        # yarl sends the offset's "+" as %2B; written bare it would arrive as a space.
        return await self._get("/v1/audit", AuditAnswer, {"at": at.isoformat()})

    async def convert(
        self,
        amount: Decimal | str | int,
        from_: str,
        to: str,
        *,
        date: dt.date | None = None,
    ) -> Conversion:
        """``amount`` of ``from_`` in ``to``, at the latest rates or those of ``date``.

        A code or amount the service does not take raises
        :class:`~ticker.BadRequestError` naming it; a currency with no rate now,
        :class:`~ticker.ServiceUnavailable`.
        """
        query = {"from": from_, "to": to, "amount": _amount_text(amount)}
        if date is not None:
            query["date"] = date.isoformat()
        return await self._get("/v1/convert", Conversion, query)

    async def ready(self) -> ReadyBody:
        """Whether every configured item has a value, and each source's last refresh.

        Not being ready is an answer (the service's 503 says ``ready=False`` and why),
        not an error; a 503 without that body raises :class:`~ticker.ServiceUnavailable`.
        """
        return await self._get("/readyz", ReadyBody, answers=(200, 503))

    async def healthy(self) -> bool:
        """Whether the service answers its health check."""
        try:
            await self._fetch("/healthz", {})
        except ServiceError:
            return False
        return True

    async def _get(
        self,
        path: str,
        model: type[_M],
        query: Mapping[str, str] | None = None,
        *,
        answers: Collection[int] = (200,),
    ) -> _M:
        """``model`` from ``path``: from the cache while fresh, else fetched or revalidated."""
        query = query or {}
        key = (path, tuple(sorted(query.items())))
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() < cached.fresh_until:
            return cached.value  # type: ignore[return-value]  # stored under this model's path
        etag = cached.etag if cached is not None else None
        answer = await self._fetch(path, query, etag=etag, answers=answers)
        if answer.status == 304 and cached is not None:
            self._remember(key, cached.value, cached.etag, answer.headers)
            return cached.value  # type: ignore[return-value]
        value = _parse(model, answer)
        self._remember(key, value, answer.headers.get("ETag"), answer.headers)
        return value

    def _remember(
        self, key: _Key, value: BaseModel, etag: str | None, headers: Mapping[str, str]
    ) -> None:
        """Keep an answer for as long as its Cache-Control allows (and its ETag after)."""
        max_age = _max_age(headers.get("Cache-Control", ""))
        if max_age is None:
            self._cache.pop(key, None)
            return
        self._cache[key] = _Cached(value, etag, time.monotonic() + max_age)

    async def _fetch(
        self,
        path: str,
        query: Mapping[str, str],
        *,
        etag: str | None = None,
        answers: Collection[int] = (200,),
    ) -> _Answer:
        """One GET; a status outside ``answers`` (or an unasked-for 304) raises its error."""
        headers = {"If-None-Match": etag} if etag else {}
        url = self.base_url.join(URL(path))
        try:
            async with self._http().get(
                url, params=query, headers=headers, timeout=self._timeout
            ) as response:
                # A copy keeps the case-insensitive lookup HTTP headers need.
                answer = _Answer(
                    url, response.status, await response.read(), response.headers.copy()
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnavailable(f"cannot reach {url}: {exc or type(exc).__name__}") from exc
        if answer.status in answers or (answer.status == 304 and etag):
            return answer
        raise _error_for(answer.status, answer.body, url)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": f"ticker-client/{__version__}"}
            )
        return self._session


@dataclass(frozen=True)
class _Answer:
    url: URL
    status: int
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class _Cached:
    value: BaseModel
    etag: str | None
    fresh_until: float


def _lang(lang: str | None, units: str | None = None) -> dict[str, str]:
    query = {"lang": lang} if lang is not None else {}
    if units is not None:
        query["units"] = units
    return query


def _amount_text(amount: Decimal | str | int) -> str:
    """An amount as the query writes it: plain digits, never an exponent."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | str | int):
        raise TypeError(f"amount must be a Decimal, str or int, not {type(amount).__name__}")
    return f"{amount:f}" if isinstance(amount, Decimal) else str(amount)


def _parse(model: type[_M], answer: _Answer) -> _M:
    """The answer's body as ``model``; an error status with another body is that error."""
    try:
        return model.model_validate_json(answer.body)
    except ValidationError as exc:
        if answer.status != 200:
            raise _error_for(answer.status, answer.body, answer.url) from exc
        raise ServiceError(f"{answer.url}: unexpected response body: {exc}") from exc


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

    Requests run on an event loop of its own, in a background thread, so it works the
    same inside a running loop (a Jupyter notebook) as outside one, and from several
    threads at once (one session, one cache).  A call blocks its caller until the
    answer arrives: async code should prefer :class:`TickerClient`.  ``close()`` (or
    leaving the ``with`` block) closes the session and joins the thread.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._client = TickerClient(base_url, timeout=timeout)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="ticker-client", daemon=True
        )
        self._thread.start()
        self._closed = False

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
        """Close the HTTP session, stop the event loop and join its thread; twice is harmless."""
        if self._closed:
            return
        try:
            self._run(self._shut_down())
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def strip(self, lang: str | None = None, *, units: Units | None = None) -> Strip:
        """The whole strip, in ``lang`` or the service's default language."""
        return self._run(self._client.strip(lang, units=units))

    def rates(self, lang: str | None = None) -> RatesHalf:
        """The rates half of the strip."""
        return self._run(self._client.rates(lang))

    def weather(self, lang: str | None = None, *, units: Units | None = None) -> WeatherHalf:
        """The weather half of the strip."""
        return self._run(self._client.weather(lang, units=units))

    def widget(self, lang: str | None = None, *, units: Units | None = None) -> str:
        """The strip as an HTML fragment."""
        return self._run(self._client.widget(lang, units=units))

    def image(
        self,
        kind: ImageKind,
        lang: str | None = None,
        *,
        theme: str | None = None,
        units: Units | None = None,
        width: int | None = None,
        size: str | None = None,
    ) -> bytes:
        """The bytes of an image (see :meth:`TickerClient.image`)."""
        return self._run(
            self._client.image(kind, lang, theme=theme, units=units, width=width, size=size)
        )

    def history(
        self, code: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> HistoryAnswer:
        """The publications of ``code`` from ``start`` to ``end`` (default: the last 30 days)."""
        return self._run(self._client.history(code, start, end))

    def audit(self, at: dt.datetime) -> AuditAnswer:
        """What the strip showed at ``at``, an aware datetime: each item, its source and time."""
        return self._run(self._client.audit(at))

    def convert(
        self,
        amount: Decimal | str | int,
        from_: str,
        to: str,
        *,
        date: dt.date | None = None,
    ) -> Conversion:
        """``amount`` of ``from_`` in ``to``, at the latest rates or those of ``date``."""
        return self._run(self._client.convert(amount, from_, to, date=date))

    def ready(self) -> ReadyBody:
        """Whether every configured item has a value (``ready=False`` is an answer)."""
        return self._run(self._client.ready())

    def healthy(self) -> bool:
        """Whether the service answers its health check."""
        return self._run(self._client.healthy())

    def _run(self, call: Coroutine[Any, Any, _T]) -> _T:
        """Run ``call`` on the client's loop and wait for it in this thread."""
        if self._closed:
            call.close()  # never started: no "never awaited" warning
            raise RuntimeError("the client is closed")
        future = asyncio.run_coroutine_threadsafe(call, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. KeyboardInterrupt in a notebook: stop the request too
            raise

    async def _shut_down(self) -> None:
        await self._client.close()
        await self._loop.shutdown_asyncgens()
        await self._loop.shutdown_default_executor()
