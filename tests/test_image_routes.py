"""The strip's images, the day's card and ``units`` as the service serves them.

How an image is drawn is tests/test_images.py's subject; here: parameters, bounds,
caching, the frame's preview tags and what happens when an image cannot be made.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import aiohttp
import defusedxml.ElementTree as ElementTree
import pytest
from PIL import Image

from ticker import Store, create_app
from ticker._config import LiveSettings
from ticker._serving.catalogue import VariantKey
from ticker._serving.drawing import Drawer
from ticker._serving.routes import SNAPSHOTS_KEY
from ticker._serving.snapshot import LAZY_BUDGET, SnapshotHolder, Unrenderable, render_image

from ._running import poll_strip, running_service
from .conftest import NOW, SETTINGS_YAML, make_settings

EXAMPLES = Path(__file__).parents[1] / "examples"

SVG = "{http://www.w3.org/2000/svg}svg"


@pytest.fixture
async def client(aiohttp_client, settings, filled_store: Store):
    """A test client of the app serving the reference values at a frozen time."""
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


async def _client_with(aiohttp_client, store: Store, extra: str):
    settings = make_settings(SETTINGS_YAML + extra)
    return await aiohttp_client(create_app(settings, store=store, clock=lambda: NOW))


def _png_size(body: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(body)) as image:
        image.verify()
    with Image.open(io.BytesIO(body)) as image:
        return image.size


@pytest.mark.parametrize(
    ("query", "width"), [({}, 960), ({"width": "320"}, 320), ({"width": "2400"}, 2400)]
)
async def test_strip_svg_is_an_svg_of_the_width_asked_for(client, query, width):
    """/v1/strip.svg is an SVG document whose viewBox is the width asked for (960 by default)."""
    response = await client.get("/v1/strip.svg", params={"lang": "ru", **query})
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = ElementTree.fromstring(await response.read())
    assert root.tag == SVG
    x, y, w, h = root.get("viewBox").split()
    assert (x, y, int(w)) == ("0", "0", width)
    assert int(h) > 0


async def test_strip_png_is_twice_the_width_for_mail(client):
    """/v1/strip.png decodes as a PNG of twice the CSS width (sharp on high-density screens)."""
    response = await client.get("/v1/strip.png", params={"lang": "en", "width": "600"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    body = await response.read()
    width, height = _png_size(body)
    assert width == 1200
    assert height > 0
    svg = await client.get("/v1/strip.svg", params={"lang": "en", "width": "600"})
    svg_height = int(ElementTree.fromstring(await svg.read()).get("viewBox").split()[3])
    assert height == 2 * svg_height


@pytest.mark.parametrize(
    ("size", "pixels"), [("1200x630", (1200, 630)), ("1080x1080", (1080, 1080))]
)
async def test_card_png_has_the_size_asked_for(client, size, pixels):
    """/v1/card.png is exactly 1200x630 (link previews) or 1080x1080 (Telegram, Instagram)."""
    response = await client.get("/v1/card.png", params={"lang": "ru", "size": size})
    assert response.status == 200
    assert _png_size(await response.read()) == pixels
    svg = await client.get("/v1/card.svg", params={"lang": "ru", "size": size})
    root = ElementTree.fromstring(await svg.read())
    assert root.get("viewBox") == f"0 0 {pixels[0]} {pixels[1]}"


async def test_card_defaults_to_the_link_preview_size(client):
    """Without size the card is 1200x630, the size og:image previews use."""
    response = await client.get("/v1/card.png")
    assert _png_size(await response.read()) == (1200, 630)


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("/v1/strip.svg", {"width": "319"}, "width"),
        ("/v1/strip.svg", {"width": "2401"}, "width"),
        ("/v1/strip.png", {"width": "9" * 40}, "width"),
        ("/v1/strip.png", {"width": "-1"}, "width"),
        ("/v1/strip.png", {"width": "96O"}, "width"),
        ("/v1/card.png", {"size": "1x1"}, "size"),
        ("/v1/card.svg", {"width": "960"}, "width"),
        ("/v1/strip.svg", {"size": "1200x630"}, "size"),
        ("/v1/strip.png", {"theme": "pink"}, "theme"),
        ("/v1/strip", {"units": "kelvin"}, "units"),
        ("/v1/strip", {"theme": "dark"}, "theme"),
    ],
    ids=[
        "narrow", "wide", "huge", "negative", "letter", "card-size", "card-width",
        "strip-size", "theme", "units", "json-theme",
    ],
)  # fmt: skip
async def test_bad_image_parameters_are_400s_naming_what_is_allowed(client, path, query, parameter):
    """A width outside 320..2400, an unknown size, theme or units: a 400 saying what is allowed."""
    response = await client.get(path, params=query)
    assert response.status == 400
    body = await response.json()
    assert body["parameter"] == parameter
    assert body["allowed"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_images_are_cached_like_the_strip_with_strong_etags(client):
    """An image answer has the strip's Cache-Control and a strong ETag; If-None-Match gives 304."""
    strip = await client.get("/v1/strip", params={"lang": "ru"})
    for path in ("/v1/strip.svg", "/v1/strip.png", "/v1/card.svg", "/v1/card.png"):
        first = await client.get(path, params={"lang": "ru"})
        assert first.status == 200
        etag = first.headers["ETag"]
        assert etag.startswith('"')
        assert not etag.startswith("W/")
        assert first.headers["Cache-Control"] == strip.headers["Cache-Control"]
        again = await client.get(path, params={"lang": "ru"}, headers={"If-None-Match": etag})
        assert again.status == 304
        assert await again.read() == b""


async def test_an_image_is_rendered_once_per_snapshot(client):
    """The second request for an image gets the very bytes the first one got, rendered once."""
    holder = client.app[SNAPSHOTS_KEY]
    first = await (await client.get("/v1/card.png", params={"lang": "zh"})).read()
    kept = dict(holder.current.variants)
    second = await (await client.get("/v1/card.png", params={"lang": "zh"})).read()
    assert first == second
    assert dict(holder.current.variants) == kept
    assert any(key.form == "card.png" and key.lang == "zh" for key in kept)


async def test_images_in_every_language_and_theme_render(client, settings):
    """Every configured language and theme gives an image (no language is left without one)."""
    for lang in settings.languages:
        for theme in ("light", "dark", "auto"):
            response = await client.get(
                "/v1/card.svg", params={"lang": lang, "theme": theme, "size": "1080x1080"}
            )
            assert response.status == 200, (lang, theme)


async def test_too_many_distinct_images_get_503s_not_a_busy_cpu(client):
    """Past the per-snapshot budget a new width is a 503 with Retry-After; kept ones still serve."""
    widths = [str(320 + step) for step in range(LAZY_BUDGET)]
    for width in widths:
        response = await client.get("/v1/strip.svg", params={"width": width})
        assert response.status == 200, width
    over = await client.get("/v1/strip.svg", params={"width": "2000"})
    assert over.status == 503
    assert over.headers["Retry-After"] == "60"
    assert (await over.json())["error"] == "unavailable"
    kept = await client.get("/v1/strip.svg", params={"width": widths[0]})
    assert kept.status == 200
    assert (await client.get("/v1/strip", params={"lang": "en"})).status == 200


async def test_missing_fonts_are_a_503_naming_the_packages(aiohttp_client, filled_store, tmp_path):
    """Without the fonts, an image is a 503 naming the Debian packages; the strip still serves."""
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    client = await _client_with(aiohttp_client, filled_store, f"images:\n  fonts: [{empty}]\n")
    response = await client.get("/v1/card.png")
    assert response.status == 503
    body = await response.json()
    assert "fonts-noto-core" in body["message"]
    assert response.headers["Cache-Control"] == "no-store"
    assert (await client.get("/v1/strip")).status == 200
    assert (await client.get("/widget")).status == 200


async def test_imperial_units_in_json_text_and_widget(client):
    """units=imperial gives °F in every text and number, and says so in `unit`."""
    metric = await (await client.get("/v1/strip", params={"lang": "en"})).json()
    assert metric["unit"] == "°C"
    response = await client.get("/v1/strip", params={"lang": "en", "units": "imperial"})
    body = await response.json()
    assert body["unit"] == "°F"
    astana = body["weather"][0]
    # 17.6 and 19.5 °C are 63.7 and 67.1 °F.
    assert (astana["min"], astana["max"]) == (63.7, 67.1)
    assert astana["text"] == "+64+67°F"
    assert body["text"].endswith("Astana +64+67°F")
    assert body["rates"] == metric["rates"]
    text = await (await client.get("/v1/strip.txt", params={"units": "imperial"})).text()
    assert text.rstrip().endswith("+64+67°F")
    half = await (await client.get("/v1/weather", params={"units": "imperial"})).json()
    assert half["unit"] == "°F"
    assert half["text"] == "Astana +64+67°F"
    widget = await (await client.get("/widget", params={"units": "imperial"})).text()
    assert "+64+67°F" in widget
    assert "℃" not in widget


async def test_imperial_images_show_fahrenheit(client):
    """The images take units too: the SVG's text says °F."""
    svg = await (await client.get("/v1/strip.svg", params={"units": "imperial"})).text()
    assert "°F" in svg
    assert "℃" not in svg


async def test_frame_names_the_card_as_its_preview(client):
    """/widget/frame names the day's card in its language as og:image (and Twitter's card)."""
    page = await (await client.get("/widget/frame", params={"lang": "ru"})).text()
    assert '<meta property="og:image" content="/v1/card.png?lang=ru">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert '<meta property="og:image:width" content="1200">' in page


async def test_public_url_makes_the_preview_absolute(aiohttp_client, filled_store):
    """With server.public_url the og:image is an absolute URL, as link previews need."""
    client = await _client_with(
        aiohttp_client, filled_store, "server:\n  public_url: https://ticker.example/\n"
    )
    page = await (await client.get("/widget/frame", params={"lang": "en"})).text()
    assert 'content="https://ticker.example/v1/card.png?lang=en"' in page
    card = await client.get("/v1/card.png", params={"lang": "en"})
    assert card.status == 200


def test_image_forms_are_in_the_openapi_document(settings):
    """Every image endpoint, with width/size/units and a 503, is in the OpenAPI document."""
    from ticker._serving.openapi import default_endpoints, openapi_document

    document = openapi_document(settings, default_endpoints(), version="test")
    for path, sized in (("/v1/strip.png", "width"), ("/v1/card.png", "size")):
        operation = document["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"lang", "theme", "units", sized} <= names
        assert "503" in operation["responses"]
        assert "image/png" in operation["responses"]["200"]["content"]


def test_fonts_folder_default_is_debians(tmp_path: Path):
    """The fonts default to where Debian's fonts-noto-core and fonts-noto-cjk put them."""
    settings = make_settings()
    assert [str(path) for path in settings.images.fonts] == [
        "/usr/share/fonts/truetype/noto",
        "/usr/share/fonts/opentype/noto",
    ]


class _CountingChild:
    """Stands for the rendering child process: draws as it would, counting the drawings."""

    ready = True

    def __init__(self) -> None:
        self.drawn: list[VariantKey] = []

    async def image(self, settings, strip, key: VariantKey):
        self.drawn.append(key)
        await asyncio.sleep(0.05)  # the child's round trip: requests pile up meanwhile
        return render_image(settings, strip, key)


def _holder(settings, store: Store) -> SnapshotHolder:
    holder = SnapshotHolder(LiveSettings(settings), store, lambda: NOW)
    holder.reload()
    return holder


async def test_concurrent_requests_for_one_image_draw_it_once(settings, filled_store):
    """Ten readers asking at once for a card not drawn yet wait for one drawing."""
    child = _CountingChild()
    holder = _holder(settings, filled_store)
    drawer = Drawer(holder, child)  # type: ignore[arg-type]
    key = holder.current.key("card.png", "ru")
    await asyncio.gather(*(drawer.ensure(key) for _ in range(10)))
    assert child.drawn == [key]
    assert key in holder.current.variants


async def test_the_budget_counts_images_being_drawn(settings, filled_store):
    """Distinct images asked for at once past the budget are refused before any is drawn."""
    child = _CountingChild()
    holder = _holder(settings, filled_store)
    drawer = Drawer(holder, child)  # type: ignore[arg-type]
    keys = [
        VariantKey("strip.svg", "en", "auto", "metric", str(320 + step))
        for step in range(LAZY_BUDGET + 6)
    ]
    results = await asyncio.gather(*(drawer.ensure(key) for key in keys), return_exceptions=True)
    refused = [result for result in results if isinstance(result, Unrenderable)]
    assert len(refused) == 6
    assert len(child.drawn) == LAZY_BUDGET


async def test_a_snapshot_draws_the_images_its_predecessor_served(settings, filled_store):
    """After a refresh the images readers asked for are drawn before the snapshot is served."""
    holder = _holder(settings, filled_store)
    key = holder.current.key("strip.png", "kk")
    holder.current.variant(key)
    later = holder.reload()
    assert key in later.variants


@pytest.mark.slow
async def test_ticker_serve_draws_images_in_its_rendering_process(tmp_path):
    """A real `ticker serve` answers every image (drawn in its child), then 304s; the strip
    keeps answering meanwhile."""
    config = tmp_path / "offline.yaml"
    config.write_text(
        (EXAMPLES / "offline.yaml")
        .read_text()
        .replace("./var/ticker-offline-cache", str(tmp_path / "cache")),
        encoding="utf-8",
    )
    async with running_service(config) as service, aiohttp.ClientSession() as session:
        await poll_strip(service.url)
        sizes = {}
        for path, query in (
            ("/v1/card.png", "lang=kk-Arab"), ("/v1/strip.png", "lang=zh&width=640"),
            ("/v1/card.svg", "lang=ru&size=1080x1080"), ("/v1/strip.svg", "lang=tg"),
        ):  # fmt: skip
            strip = session.get(f"{service.url}/v1/strip")
            async with session.get(f"{service.url}{path}?{query}") as response:
                assert response.status == 200, await response.text()
                body, etag = await response.read(), response.headers["ETag"]
            async with strip as answered:
                assert answered.status == 200
            headers = {"If-None-Match": etag}
            async with session.get(f"{service.url}{path}?{query}", headers=headers) as again:
                assert again.status == 304
            if path.endswith(".png"):
                sizes[path] = _png_size(body)
    assert sizes == {
        "/v1/card.png": (1200, 630),
        "/v1/strip.png": (1280, sizes["/v1/strip.png"][1]),
    }
    assert "drawing here" not in service.log()
