"""HTTP manners for one upstream: the single place network failures are translated.

A :class:`Fetcher` belongs to one configured source and does what every polite,
careful client of a public data service must:

* a timeout per attempt, and bounded retries with exponential backoff and full
  jitter on connection errors, timeouts, 429 and 5xx;
* ``Retry-After`` honoured: waited for when short, otherwise the fetch fails at
  once and says when the upstream may be asked again;
* conditional requests: ``If-None-Match`` / ``If-Modified-Since`` from the last
  answer's ``ETag`` / ``Last-Modified`` (a 304 reuses the body), and no request
  at all before the last answer's ``Expires`` (MET Norway's terms require both);
* bodies capped in size, and redirects followed only within the same host;
* secrets (an API key in the query) never appear in an error message.

Usage::

    fetcher = Fetcher.for_source(settings)
    body = await fetcher.get(session, url, params={"lat": "51.1694"})
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from yarl import URL

from ticker._config import SourceSettings
from ticker._exceptions import UpstreamUnavailable
from ticker._version import USER_AGENT

__all__ = ["MAX_BODY_BYTES", "Fetcher"]

log = logging.getLogger("ticker.http")

#: Bodies larger than this are refused: no upstream of ours sends more than ~100 KB.
MAX_BODY_BYTES = 4 * 1024 * 1024
#: How much of an error answer's body is quoted in the error.
ERROR_SNIPPET_BYTES = 200
#: Statuses worth another attempt: rate limiting and server-side trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: 203: MET Norway's "this product is deprecated or in beta" -- still a good body.
OK_STATUSES = frozenset({200, 203})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
#: The longest wait between attempts, and the longest Retry-After waited for.
MAX_BACKOFF = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class _Remembered:
    """The last good answer for one URL, for conditional requests and Expires."""

    body: bytes
    etag: str | None
    last_modified: str | None
    expires: dt.datetime | None


class _Retryable(Exception):
    """An attempt failed in a way another attempt may not."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Fetcher:
    """GETs for one upstream source, with retries, caching validators and caps."""

    def __init__(
        self,
        source: str,
        *,
        timeout: dt.timedelta = dt.timedelta(seconds=10),
        retries: int = 2,
        backoff: dt.timedelta = dt.timedelta(seconds=1),
        user_agent: str | None = None,
        secrets: Sequence[str] = (),
        max_bytes: int = MAX_BODY_BYTES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.source = source
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.user_agent = user_agent or USER_AGENT
        self.max_bytes = max_bytes
        self._secrets = [secret for secret in secrets if secret]
        self._sleep = sleep
        self._clock = clock
        self._remembered: dict[str, _Remembered] = {}

    @classmethod
    def for_source(cls, settings: SourceSettings, *, secrets: Sequence[str] = ()) -> Fetcher:
        """A fetcher with the timeout, retries and User-Agent of a config entry."""
        return cls(
            settings.label,
            timeout=settings.timeout,
            retries=settings.retries,
            backoff=settings.backoff,
            user_agent=settings.user_agent,
            secrets=secrets,
        )

    async def get(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """The body at ``url``; raises UpstreamUnavailable when it cannot be had."""
        target = url.update_query(params) if params else url
        key = str(target)
        remembered = self._remembered.get(key)
        if remembered and remembered.expires and remembered.expires > self._clock():
            return remembered.body  # the upstream asked not to be asked again before Expires
        for attempt in range(self.retries + 1):
            try:
                return await self._attempt(session, target, key, remembered, headers)
            except _Retryable as exc:
                delay = self._delay(attempt, exc.retry_after)
                if attempt == self.retries or delay is None:
                    raise UpstreamUnavailable(
                        self.source, self._scrub(exc.message), retry_after=exc.retry_after
                    ) from exc
                log.info("%s: %s; retrying in %.1fs", self.source, self._scrub(exc.message), delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds before the next attempt, or None when it is not worth waiting."""
        cap = MAX_BACKOFF.total_seconds()
        if retry_after is not None:
            return retry_after if retry_after <= cap else None
        ceiling = min(cap, self.backoff.total_seconds() * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 -- jitter, not security

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        key: str,
        remembered: _Remembered | None,
        headers: Mapping[str, str] | None,
    ) -> bytes:
        request_headers = {"User-Agent": self.user_agent, **(headers or {})}
        if remembered is not None:
            if remembered.etag:
                request_headers["If-None-Match"] = remembered.etag
            if remembered.last_modified:
                request_headers["If-Modified-Since"] = remembered.last_modified
        try:
            # One deadline for the whole attempt: connect, redirects and the body.
            async with asyncio.timeout(self.timeout.total_seconds()):
                return await self._follow(session, url, key, remembered, request_headers)
        except TimeoutError as exc:
            raise _Retryable(
                f"no answer from {_public(url)} within {self.timeout.total_seconds():g}s"
            ) from exc
        except aiohttp.ClientError as exc:
            raise _Retryable(self._scrub(f"{type(exc).__name__}: {exc}")) from exc

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        key: str,
        remembered: _Remembered | None,
        headers: dict[str, str],
    ) -> bytes:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            async with session.get(current, headers=headers, allow_redirects=False) as response:
                if response.status in REDIRECT_STATUSES:
                    current = self._redirect_target(url, current, response)
                    continue
                if response.status == 304 and remembered is not None:
                    self._remember(key, remembered.body, response)
                    return remembered.body
                if response.status not in OK_STATUSES:
                    await self._refuse(response, current)
                if response.status == 203:
                    log.warning(
                        "%s: %s answered 203 (deprecated or beta)", self.source, _public(current)
                    )
                body = await self._read(response)
                self._remember(key, body, response)
                return body
        raise UpstreamUnavailable(self.source, f"more than {MAX_REDIRECTS} redirects")

    def _redirect_target(self, origin: URL, current: URL, response: aiohttp.ClientResponse) -> URL:
        location = response.headers.get("Location")
        if not location:
            raise UpstreamUnavailable(self.source, f"HTTP {response.status} without Location")
        target = current.join(URL(location))
        # A redirect to another host is how a hijacked or expired domain hands out
        # someone else's data; a downgrade to plain HTTP is no better.
        if target.host != origin.host or (origin.scheme == "https" and target.scheme != "https"):
            raise UpstreamUnavailable(
                self.source, f"redirect to another host refused: {_public(target)}"
            )
        return target

    async def _refuse(self, response: aiohttp.ClientResponse, url: URL) -> None:
        snippet = (await response.content.read(ERROR_SNIPPET_BYTES)).decode("utf-8", "replace")
        snippet = " ".join(snippet.split())
        message = f"HTTP {response.status} from {_public(url)}" + (
            f": {snippet}" if snippet else ""
        )
        if response.status in RETRY_STATUSES:
            raise _Retryable(
                message, _retry_after(response.headers.get("Retry-After"), self._clock())
            )
        raise UpstreamUnavailable(self.source, self._scrub(message))

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise UpstreamUnavailable(
                self.source, f"body of {declared} bytes is larger than {self.max_bytes}"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                raise UpstreamUnavailable(self.source, f"body larger than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _remember(self, key: str, body: bytes, response: aiohttp.ClientResponse) -> None:
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        expires = _http_date(response.headers.get("Expires"))
        if etag or last_modified or expires:
            self._remembered[key] = _Remembered(body, etag, last_modified, expires)
        else:
            self._remembered.pop(key, None)

    def _scrub(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message


def _public(url: URL) -> str:
    """A URL fit for a log line: no query string (where API keys travel)."""
    return str(url.with_query(None))


def _http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After as seconds: it is either a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    when = _http_date(value)
    return max(0.0, (when - now).total_seconds()) if when is not None else None
