"""Precomputed variants and HTTP caching: strong ETags, 304s, gzip, Cache-Control, Vary."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip

import pytest

from ticker import Stamp, Store, create_app
from ticker._config import LiveSettings
from ticker._serving.snapshot import SnapshotHolder

from .conftest import NOW, REFERENCE_RATES, rate


@pytest.fixture
async def client(aiohttp_client, settings, filled_store: Store):
    """The reference values, stamped with a refresh due in ten minutes."""
    filled_store.put_stamp(
        Stamp(version="v1", generated_at=NOW, next_refresh_at=NOW + dt.timedelta(minutes=10))
    )
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


async def test_strong_etag_and_304(client):
    """A repeated request with the ETag it got is answered 304 with no body."""
    first = await client.get("/v1/strip?lang=ru", headers={"Accept-Encoding": "identity"})
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    again = await client.get(
        "/v1/strip?lang=ru", headers={"If-None-Match": etag, "Accept-Encoding": "identity"}
    )
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag


async def test_gzip_when_accepted(client):
    """A client that accepts gzip gets the precomputed gzip body, with its own ETag."""
    plain = await client.get("/v1/strip?lang=en", headers={"Accept-Encoding": "identity"})
    packed = await client.get(
        "/v1/strip?lang=en", headers={"Accept-Encoding": "gzip, deflate"}, auto_decompress=False
    )
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await packed.read()) == await plain.read()
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gz"'
    revalidated = await client.get(
        "/v1/strip?lang=en", headers={"If-None-Match": packed.headers["ETag"]}
    )
    assert revalidated.status == 304


async def test_cache_control_follows_the_next_refresh(client):
    """max-age runs to the next scheduled refresh; stale content may serve while revalidating."""
    response = await client.get("/v1/strip")
    assert response.headers["Cache-Control"] == (
        "public, max-age=600, stale-while-revalidate=60, stale-if-error=86400"
    )


@pytest.mark.parametrize(
    ("query", "vary"),
    [("?lang=ru", "Accept-Encoding"), ("", "Accept-Encoding, Accept-Language")],
    ids=["explicit-lang", "negotiated"],
)
async def test_vary_exactly_as_needed(client, query, vary):
    """Vary names the encoding, and the language only when it was negotiated."""
    response = await client.get(f"/widget{query}")
    assert response.headers["Vary"] == vary


async def test_errors_are_not_cached(client):
    """A 400 says no-store."""
    response = await client.get("/v1/strip?lang=xx")
    assert response.headers["Cache-Control"] == "no-store"


def test_processes_render_identical_bytes(settings, filled_store: Store):
    """Two processes rendering the same stamp produce the same bodies and ETags."""
    filled_store.put_stamp(Stamp(version="v1", generated_at=NOW))
    first = SnapshotHolder(LiveSettings(settings), filled_store, lambda: NOW).reload()
    later = SnapshotHolder(
        LiveSettings(settings), filled_store, lambda: NOW + dt.timedelta(hours=1)
    )
    later.reload()
    for lang in settings.languages:
        for form in ("strip", "strip.txt", "widget", "frame"):
            a = first.variant(first.key(form, lang))
            b = later.current.variant(later.current.key(form, lang))
            assert (a.body, a.gzipped, a.etag) == (b.body, b.gzipped, b.etag)


def test_variants_are_rendered_once(settings, filled_store: Store):
    """Every language and text form is rendered when the snapshot is built, not per request;
    the images only when first asked for."""
    snapshot = SnapshotHolder(LiveSettings(settings), filled_store, lambda: NOW).reload()
    before = dict(snapshot._variants)
    assert len(before) == len(settings.languages) * 6
    assert (
        snapshot.variant(snapshot.key("strip", "ru"))
        is before[("strip", "ru", "auto", "metric", "")]
    )
    assert not any(key.form.endswith((".svg", ".png")) for key in before)


async def test_a_new_stamp_is_served_within_a_second(client, filled_store: Store):
    """Another process's write and stamp reach this process's answers without a restart."""
    old = await client.get("/v1/strip?lang=en")
    filled_store.put_rates([rate("USD", "446.10"), *REFERENCE_RATES[1:]])
    filled_store.put_stamp(Stamp(version="v2", generated_at=NOW))
    for _ in range(20):
        await asyncio.sleep(0.1)
        new = await client.get("/v1/strip?lang=en")
        if new.headers["ETag"] != old.headers["ETag"]:
            break
    assert (await new.json())["rates"][0]["rate"] == "446.10"


async def test_brotli_when_accepted(client):
    """A client that accepts br gets the precomputed brotli body, preferred to gzip."""
    import brotli

    plain = await client.get("/v1/strip?lang=ru", headers={"Accept-Encoding": "identity"})
    squeezed = await client.get(
        "/v1/strip?lang=ru", headers={"Accept-Encoding": "gzip, br"}, auto_decompress=False
    )
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(await squeezed.read()) == await plain.read()
    assert squeezed.headers["ETag"] == plain.headers["ETag"][:-1] + '-br"'
    refused = await client.get("/v1/strip?lang=ru", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["Content-Encoding"] == "gzip"
    again = await client.get(
        "/v1/strip?lang=ru", headers={"If-None-Match": squeezed.headers["ETag"]}
    )
    assert again.status == 304


#: Every cacheable endpoint that is not a strip form: one conditional GET for all.
CONDITIONAL_PATHS = [
    "/v1/strip", "/widget", "/widget.js", "/widget.mjs", "/widget.css", "/openapi.json",
    "/docs", "/v1/strip.svg", "/v1/strip.png", "/v1/card.svg", "/v1/card.png",
]  # fmt: skip


@pytest.mark.parametrize("path", CONDITIONAL_PATHS)
@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda etag: etag, id="exact"),
        pytest.param(lambda etag: f"W/{etag}", id="weak"),
        pytest.param(lambda etag: f'"other", {etag}', id="list"),
        pytest.param(lambda etag: "*", id="star"),
    ],
)
async def test_every_cacheable_endpoint_answers_304_alike(client, path, form):
    """If-None-Match is compared weakly, as a list or *, and the 304 keeps the caching headers."""
    plain = {"Accept-Encoding": "identity"}
    first = await client.get(path, headers=plain)
    assert first.status == 200
    again = await client.get(path, headers={**plain, "If-None-Match": form(first.headers["ETag"])})
    assert again.status == 304
    assert await again.read() == b""
    for kept in ("ETag", "Cache-Control", "X-Content-Type-Options"):
        assert again.headers[kept] == first.headers[kept], kept
    if "Vary" in first.headers:
        assert again.headers["Vary"] == first.headers["Vary"]
    assert "Content-Type" not in again.headers


@pytest.mark.parametrize("path", CONDITIONAL_PATHS)
async def test_another_etag_gets_the_body(client, path):
    """An If-None-Match naming only other tags gets the full answer."""
    response = await client.get(path, headers={"If-None-Match": '"other", W/"older"'})
    assert response.status == 200
    assert await response.read()


@pytest.mark.parametrize("path", ["/widget.js", "/widget.css", "/openapi.json", "/docs"])
async def test_a_query_on_a_fixed_body_is_the_one_bad_request(client, path):
    """Endpoints that take no parameter refuse one with the same 400 body as the strip's."""
    response = await client.get(f"{path}?lang=ru")
    assert response.status == 400
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body == {
        "error": "bad_request", "message": "unknown parameter 'lang'", "parameter": "lang",
        "allowed": [],
    }  # fmt: skip
