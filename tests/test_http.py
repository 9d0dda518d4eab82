"""Fetcher: retries, Retry-After, conditional requests, Expires, caps and redirects."""

from __future__ import annotations

import asyncio
import datetime as dt
from email.utils import format_datetime

import pytest
from aiohttp import web

from ticker import UpstreamUnavailable
from ticker.sources import Fetcher

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


class Upstream:
    """A loopback upstream whose answers are scripted per test; it counts requests."""

    def __init__(self) -> None:
        self.answers: list[dict] = []
        self.requests: list[web.Request] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        if request.path == "/slow":
            await asyncio.sleep(5)
        if request.path == "/elsewhere":
            raise web.HTTPFound("http://example.invalid/data")
        if request.path == "/moved":
            raise web.HTTPMovedPermanently("/data")
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return web.Response(**answer)


@pytest.fixture
async def upstream(aiohttp_server):
    """The scripted upstream and its base URL."""
    fake = Upstream()
    app = web.Application()
    app.router.add_get("/{tail:.*}", fake.handle)
    server = await aiohttp_server(app)
    fake.url = server.make_url("/data")
    fake.base = server.make_url("/")
    return fake


class Sleeps:
    """Records the waits a fetcher asks for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def fetcher(sleeps: Sleeps | None = None, **kwargs) -> Fetcher:
    """A fetcher with a short timeout, a frozen clock and recorded sleeps."""
    return Fetcher(
        "test",
        timeout=dt.timedelta(seconds=0.3),
        sleep=sleeps or Sleeps(),
        clock=lambda: NOW,
        **kwargs,
    )


async def test_server_errors_are_retried_with_growing_jittered_backoff(upstream, session):
    """Two 503s then a 200: three requests, waits within [b, 2b] then [2b, 4b]."""
    upstream.answers = [{"status": 503}, {"status": 503}, {"text": "ok"}]
    sleeps = Sleeps()
    body = await fetcher(sleeps, retries=2, backoff=dt.timedelta(seconds=1)).get(
        session, upstream.url
    )
    assert body == b"ok"
    assert len(upstream.requests) == 3
    assert 0.5 <= sleeps.waits[0] <= 1
    assert 1 <= sleeps.waits[1] <= 2


async def test_retries_are_bounded(upstream, session):
    """A persistently failing upstream gets 1 + retries requests, then an error."""
    upstream.answers = [{"status": 500, "text": "boom"}]
    with pytest.raises(UpstreamUnavailable, match=r"HTTP 500 from .*: boom"):
        await fetcher(retries=3).get(session, upstream.url)
    assert len(upstream.requests) == 4


async def test_client_errors_are_not_retried(upstream, session):
    """A 404 will not change by asking again."""
    upstream.answers = [{"status": 404}]
    with pytest.raises(UpstreamUnavailable, match="HTTP 404"):
        await fetcher(retries=3).get(session, upstream.url)
    assert len(upstream.requests) == 1


async def test_short_retry_after_is_waited_for(upstream, session):
    """A 429 with Retry-After: 2 waits exactly 2 s before the next attempt."""
    upstream.answers = [
        {"status": 429, "headers": {"Retry-After": "2"}},
        {"text": "ok"},
    ]
    sleeps = Sleeps()
    assert await fetcher(sleeps).get(session, upstream.url) == b"ok"
    assert sleeps.waits == [2.0]


async def test_long_retry_after_fails_at_once_and_says_when(upstream, session):
    """A Retry-After beyond the backoff cap is not waited for; it travels with the error."""
    later = format_datetime(NOW + dt.timedelta(minutes=20), usegmt=True)
    upstream.answers = [{"status": 503, "headers": {"Retry-After": later}}]
    with pytest.raises(UpstreamUnavailable) as caught:
        await fetcher(retries=3).get(session, upstream.url)
    assert caught.value.retry_after == 1200
    assert len(upstream.requests) == 1


async def test_last_modified_is_revalidated(upstream, session):
    """The second request sends If-Modified-Since; a 304 reuses the first body."""
    stamp = "Sat, 28 Nov 2026 09:00:00 GMT"
    upstream.answers = [
        {"text": "forecast", "headers": {"Last-Modified": stamp}},
        {"status": 304},
    ]
    client = fetcher()
    assert await client.get(session, upstream.url) == b"forecast"
    assert await client.get(session, upstream.url) == b"forecast"
    assert upstream.requests[1].headers["If-Modified-Since"] == stamp


async def test_etag_is_revalidated(upstream, session):
    """The second request sends If-None-Match with the ETag it was given."""
    upstream.answers = [
        {"text": "rates", "headers": {"ETag": '"v1"'}},
        {"status": 304},
    ]
    client = fetcher()
    await client.get(session, upstream.url)
    assert await client.get(session, upstream.url) == b"rates"
    assert upstream.requests[1].headers["If-None-Match"] == '"v1"'


async def test_nothing_is_asked_before_expires(upstream, session):
    """Before the last answer's Expires the remembered body is used without a request."""
    expires = format_datetime(NOW + dt.timedelta(minutes=30), usegmt=True)
    upstream.answers = [{"text": "forecast", "headers": {"Expires": expires}}]
    client = fetcher()
    await client.get(session, upstream.url)
    assert await client.get(session, upstream.url) == b"forecast"
    assert len(upstream.requests) == 1


async def test_identifying_user_agent_is_sent(upstream, session):
    """The configured User-Agent reaches the upstream."""
    upstream.answers = [{"text": "ok"}]
    await fetcher(user_agent="NewsSite/1.0 ops@news.example").get(session, upstream.url)
    assert upstream.requests[0].headers["User-Agent"] == "NewsSite/1.0 ops@news.example"


async def test_redirect_within_the_host_is_followed(upstream, session):
    """A same-host redirect is followed."""
    upstream.answers = [{"text": "moved here"}]
    assert await fetcher().get(session, upstream.base / "moved") == b"moved here"


async def test_redirect_to_another_host_is_refused(upstream, session):
    """A redirect off the configured host is an error, not followed."""
    with pytest.raises(UpstreamUnavailable, match="redirect to another host refused"):
        await fetcher().get(session, upstream.base / "elsewhere")


async def test_silent_upstream_times_out(upstream, session):
    """An upstream that accepts and never answers fails within the timeout, per attempt."""
    with pytest.raises(UpstreamUnavailable, match="no answer"):
        await fetcher(retries=1).get(session, upstream.base / "slow")
    assert len(upstream.requests) == 2


async def test_oversized_body_is_refused(upstream, session):
    """A body over the cap is an error, declared or streamed."""
    upstream.answers = [{"body": b"x" * 4096}]
    with pytest.raises(UpstreamUnavailable, match="larger than 1024"):
        await fetcher(max_bytes=1024).get(session, upstream.url)


async def test_secrets_never_reach_the_message(upstream, session):
    """An API key in the query is absent from every error message."""
    upstream.answers = [{"status": 401, "text": "Invalid API key s3cr3t-key"}]
    with pytest.raises(UpstreamUnavailable) as caught:
        await fetcher(secrets=["s3cr3t-key"]).get(
            session, upstream.url, params={"appid": "s3cr3t-key"}
        )
    assert "s3cr3t-key" not in str(caught.value)
    assert "appid" not in str(caught.value)
