"""The strip in a real browser, embedded four ways in examples/news-page.html.

``ticker serve`` runs on examples/offline.yaml in every language; the news page
comes from another origin, under a strict Content-Security-Policy, with the strip as
a server-side include, an iframe, a script-filled slot and a ``<ticker-strip>`` element
upgrading an included fragment.  Chromium must show in all four exactly what
``/v1/strip`` says, right to left where the language is, without
moving the page, without running what a settings file smuggles in, and keeping the
server-rendered text when the service goes away.  From a 320 px phone to a desktop,
every item is shown whole or not at all.  Screenshots of every language go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import contextlib
import html
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from ticker._strip.bidi import bare
from ticker._strip.i18n import LANGUAGE_NAMES, PHRASES, condition_name, phrase
from ticker._strip.i18n import LANGUAGES as STRIP_LANGUAGES

from ._running import Service, poll_strip, running_service

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="the playwright package is not installed"
)
CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable on PATH"),
]

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

LANGUAGES = list(STRIP_LANGUAGES)
#: Astana as each language writes it (Tajik Остона); kk-Latn and kk-Arab are
#: transliterated from kk, uz-Latn from uz.
CITY_NAMES = {
    "en": "Astana", "ru": "Астана", "kk": "Астана", "zh": "阿斯塔纳", "uz": "Астана",
    "ky": "Астана", "tg": "Остона",
}  # fmt: skip
ASTANA = {**CITY_NAMES, "kk-Latn": "Astana", "kk-Arab": "استانا", "uz-Latn": "Astana"}
#: What a settings file could smuggle into the page if names were not escaped.
HOSTILE_NAMES = {
    "en": '<img src=x onerror="window.__pwned=1">',
    "kk": "<script>window.__pwned=2</script>",
}

#: The widths checked: phones (320, 360, 400 px), a small tablet and a desktop.
WIDTHS = [320, 360, 400, 768, 1100]
DESKTOP_WIDTH = WIDTHS[-1]

#: The strip's dark background (ticker/static/widget.css, --ticker-dark-bg).
DARK_BACKGROUND = "rgb(20, 23, 26)"

#: Arrows the widget shows before a rate's change (ticker._widget.ARROWS).
ARROWS = {"up": "▲", "down": "▼", "flat": "="}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

#: Runs in every document (page and iframe) before its own scripts; the CSP does not apply.
RECORDER = """
(() => {
  const record = { violations: [], shifts: [], slotBefore: null };
  Object.defineProperty(window, "__record", { value: record });
  document.addEventListener("securitypolicyviolation", (event) => {
    record.violations.push(event.effectiveDirective + " " + event.blockedURI);
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { record.shifts.push(entry.value); }
  }).observe({ type: "layout-shift", buffered: true });
  document.addEventListener("DOMContentLoaded", () => {
    const slot = document.querySelector("[data-ticker]");
    if (slot) {
      record.slotBefore = {
        height: slot.getBoundingClientRect().height,
        ready: slot.hasAttribute("data-ticker-ready"),
      };
    }
    const element = document.querySelector("ticker-strip");
    if (element) {
      record.elementBefore = {
        height: element.getBoundingClientRect().height,
        ready: element.hasAttribute("data-ticker-ready"),
      };
    }
  });
})();
"""

#: Resolves after two frames have been painted, so pending layout shifts are reported.
SETTLE = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

#: An element's dir attribute and the direction it is laid out in.
DIRECTION = "(el) => [el.dir, getComputedStyle(el).direction]"

#: The left edges of the first and the last character of an element's text, as drawn.
GLYPH_EDGES = """
(element) => {
  const text = element.firstChild;
  const edge = (start) => {
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + 1);
    return range.getBoundingClientRect().left;
  };
  return [edge(0), edge(text.length - 1)];
}
"""

#: Each item of a strip as drawn: "whole", "hidden" or "cut" by the boxes that clip it
#: (every ancestor that does not let its content overflow, and the viewport).
ITEM_VISIBILITY = """
(strip) => {
  const EPSILON = 0.5;
  const meet = (a, b) => ({
    left: Math.max(a.left, b.left), right: Math.min(a.right, b.right),
    top: Math.max(a.top, b.top), bottom: Math.min(a.bottom, b.bottom),
  });
  const join = (a, b) => ({
    left: Math.min(a.left, b.left), right: Math.max(a.right, b.right),
    top: Math.min(a.top, b.top), bottom: Math.max(a.bottom, b.bottom),
  });
  const root = document.documentElement;
  const viewport = { left: 0, top: 0, right: root.clientWidth, bottom: root.clientHeight };
  return Array.from(strip.querySelectorAll("li"), (item) => {
    const glyphs = document.createRange();
    glyphs.selectNodeContents(item);
    const box = join(item.getBoundingClientRect(), glyphs.getBoundingClientRect());
    let seen = meet(box, viewport);
    for (let node = item.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.overflowX !== "visible" || style.overflowY !== "visible") {
        seen = meet(seen, node.getBoundingClientRect());
      }
    }
    const hidden = seen.right - seen.left < EPSILON || seen.bottom - seen.top < EPSILON;
    const whole = ["left", "top"].every((side) => seen[side] <= box[side] + EPSILON)
      && ["right", "bottom"].every((side) => seen[side] >= box[side] - EPSILON);
    return {
      kind: item.classList.contains("ticker-city") ? "city" : "rate",
      key: item.dataset.code || item.dataset.city,
      state: hidden ? "hidden" : whole ? "whole" : "cut",
      left: box.left,
      text: item.textContent,
    };
  });
}
"""

#: Whether the document is wider than its viewport (the page scrolls sideways).
WIDER_THAN_VIEWPORT = (
    "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
)

#: The rates list as a scroller: its sizes, snap type and the tops of its items.
SCROLLER = """
(list) => ({
  scrollWidth: list.scrollWidth,
  clientWidth: list.clientWidth,
  snapType: getComputedStyle(list).scrollSnapType,
  snapAlign: Array.from(list.children, (item) => getComputedStyle(item).scrollSnapAlign),
  tops: Array.from(list.children, (item) => item.getBoundingClientRect().top),
})
"""

#: Scroll a list by ``pixels`` toward its end (to the left in a right-to-left list).
SCROLL_TOWARD_END = """
(list, pixels) => {
  const sign = getComputedStyle(list).direction === "rtl" ? -1 : 1;
  list.scrollBy({ left: sign * pixels, behavior: "instant" });
}
"""

#: How far a scrolling list fades out at its start and its end edge (widget.css).
FADES = """
(list) => ["--_fade-start", "--_fade-end"].map(
  (name) => getComputedStyle(list).getPropertyValue(name)
)
"""

#: How far the item nearest a list's start edge begins from that edge, in pixels.
START_MISALIGNMENT = """
(list) => {
  const side = getComputedStyle(list).direction === "rtl" ? "right" : "left";
  const edge = list.getBoundingClientRect()[side];
  const starts = Array.from(list.children, (item) => item.getBoundingClientRect()[side]);
  return Math.min(...starts.map((start) => Math.abs(start - edge)));
}
"""


def write_config(
    tmp_path: Path, names: dict[str, str] = CITY_NAMES, widget: dict[str, str] | None = None
) -> Path:
    """examples/offline.yaml in every language, with its own cache and city names."""
    settings = yaml.safe_load((EXAMPLES / "offline.yaml").read_text(encoding="utf-8"))
    settings["cache"]["path"] = str(tmp_path / "cache")
    settings["languages"] = LANGUAGES
    settings["weather"]["cities"][0]["name"] = names
    if widget is not None:
        settings["widget"] = widget
    path = tmp_path / "ticker.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def page_csp(ticker: str) -> str:
    """The news page's policy: nothing inline, the ticker's origin only where it is needed."""
    return (
        f"default-src 'none'; script-src {ticker}; style-src 'self' {ticker}; "
        f"connect-src {ticker}; frame-src {ticker}; img-src 'self' data:"
    )


class NewsSite:
    """The news site: examples/news-page.html with the strip included as SSI would."""

    def __init__(self, ticker: str, *, csp: bool = True) -> None:
        self.ticker = ticker
        self.csp = csp
        self.url = ""
        #: Rendered pages by (lang, fallback), as a site's page cache keeps them.
        self.rendered: dict[tuple[str, bool], str] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/news", self.page)
        app.router.add_get("/news-page.css", self.stylesheet)
        return app

    async def render(self, lang: str, *, fallback: bool = False) -> str:
        """The page in ``lang``, the fragment included (and, with ``fallback``, in the slot)."""
        key = (lang, fallback)
        if key not in self.rendered:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{self.ticker}/widget", params={"lang": lang}) as response,
            ):
                response.raise_for_status()
                fragment = await response.text()
            html = (EXAMPLES / "news-page.html").read_text(encoding="utf-8")
            html = html.replace("TICKER", self.ticker).replace("LANG", lang)
            html = html.replace("<!-- ticker:fragment -->", fragment)
            if fallback:
                html = html.replace("<!-- ticker:fallback -->", fragment)
            self.rendered[key] = html
        return self.rendered[key]

    async def page(self, request: web.Request) -> web.Response:
        """GET /news?lang=...[&fallback]: the page, under the site's policy."""
        html = await self.render(request.query["lang"], fallback="fallback" in request.query)
        response = web.Response(text=html, content_type="text/html", charset="utf-8")
        if self.csp:
            response.headers["Content-Security-Policy"] = page_csp(self.ticker)
        return response

    async def stylesheet(self, request: web.Request) -> web.Response:
        """GET /news-page.css: the page's own styles."""
        body = (EXAMPLES / "news-page.css").read_bytes()
        return web.Response(body=body, content_type="text/css", charset="utf-8")


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """Debian's Chromium, headless, started through playwright."""
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def ticker(tmp_path) -> AsyncIterator[Service]:
    """``ticker serve`` on the offline example in every language, every value in place."""
    async with running_service(write_config(tmp_path)) as service:
        await poll_strip(service.url)
        yield service


async def serve_site(aiohttp_server, ticker_url: str, *, csp: bool = True) -> NewsSite:
    """Start the news site on an origin of its own."""
    site = NewsSite(ticker_url, csp=csp)
    server = await aiohttp_server(site.app(), host="127.0.0.1")
    site.url = str(server.make_url("")).rstrip("/")
    return site


@pytest.fixture
async def site(aiohttp_server, ticker) -> NewsSite:
    """The news site, under its strict policy, embedding ``ticker``."""
    return await serve_site(aiohttp_server, ticker.url)


class Visit:
    """One browser tab on the news page, with what it reported."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))

    @property
    def frame(self):
        """The iframe embedding's document."""
        return self.page.frame_locator("iframe.ticker-iframe")

    def strips(self) -> dict[str, object]:
        """The ``.ticker`` element of each embedding (the element's: in its shadow root)."""
        return {
            "ssi": self.page.locator(".ssi > .ticker"),
            "iframe": self.frame.locator("body > .ticker"),
            "script": self.page.locator("[data-ticker] > .ticker"),
            "element": self.page.locator("ticker-strip .ticker[part='strip']"),
        }

    async def records(self) -> list[dict]:
        """What the recorder saw in the page and in the iframe."""
        frame = await (await self.page.query_selector("iframe.ticker-iframe")).content_frame()
        return [await document.evaluate("() => window.__record") for document in (self.page, frame)]

    async def csp_violations(self) -> list[str]:
        """Every policy violation, from the event and from the console."""
        events = [v for record in await self.records() for v in record["violations"]]
        return events + [text for text in self.console if "Content Security Policy" in text]


@contextlib.asynccontextmanager
async def visit(
    browser,
    url: str,
    *,
    cached: dict[str, tuple[str, bytes]] | None = None,
    width: int = DESKTOP_WIDTH,
) -> AsyncIterator[Visit]:
    """Open ``url`` in a fresh browser context ``width`` CSS pixels wide, recorder installed.

    ``cached`` maps URLs to the (content type, body) the browser gets without asking.
    """
    viewport = {"width": width, "height": 760}
    context = await browser.new_context(viewport=viewport, locale="en-US")
    try:
        await context.add_init_script(RECORDER)
        if cached:

            async def from_cache(route) -> None:
                content_type, body = cached[route.request.url]
                await route.fulfill(body=body, content_type=content_type)

            await context.route(lambda requested: requested in cached, from_cache)
        opened = Visit(await context.new_page())
        await opened.page.goto(url)
        yield opened
    finally:
        await context.close()


async def ready(opened: Visit) -> None:
    """Wait until the script has filled its slot and the element has rendered its own strip."""
    await opened.page.wait_for_selector("[data-ticker][data-ticker-ready]", timeout=10_000)
    await opened.page.wait_for_selector("ticker-strip[data-ticker-ready]", timeout=10_000)


async def strip_json(ticker_url: str, lang: str) -> dict:
    """GET /v1/strip?lang=``lang``."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{ticker_url}/v1/strip", params={"lang": lang}) as response,
    ):
        return await response.json()


def words(text: str) -> str:
    """Text with every run of white space as one space (flex items break innerText lines)."""
    return " ".join(text.split())


def expected_rates(strip: dict) -> str:
    """The rates list as the widget shows it: label, value, arrow and change, stale mark."""
    shown = []
    for item in strip["rates"]:
        shown += [item["label"], bare(item["text"])]
        if item["change_text"] and item["direction"]:
            shown.append(ARROWS[item["direction"]] + bare(item["change_text"]))
        if item["stale"]:
            shown.append("*")
    return words(" ".join(shown))


def expected_weather(strip: dict) -> str:
    """The weather list as the widget shows it: name, range, stale mark."""
    shown = []
    for item in strip["weather"]:
        shown += [item["name"], bare(item["text"])] + (["*"] if item["stale"] else [])
    return words(" ".join(shown))


async def shown(strip) -> tuple[str, str]:
    """The visible text of a strip's rates list and weather list."""
    rates = await strip.locator(".ticker-rates").inner_text()
    weather = await strip.locator(".ticker-weather").inner_text()
    return words(rates), words(weather)


@pytest.mark.parametrize("lang", LANGUAGES, ids=LANGUAGES)
async def test_every_embedding_shows_the_api_values(browser, ticker, site, lang):
    """SSI, iframe and script show exactly /v1/strip's rates and weather, under a strict CSP."""
    strip = await strip_json(ticker.url, lang)
    expected = (expected_rates(strip), expected_weather(strip))
    assert "usd/kzt 445.99" in expected[0]
    assert expected[1] == f"{ASTANA[lang]} +18+20℃"

    async with visit(browser, f"{site.url}/news?lang={lang}") as opened:
        await ready(opened)
        for embedding, element in opened.strips().items():
            assert await element.get_attribute("lang") == strip["lang"], embedding
            assert await shown(element) == expected, embedding
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await opened.page.screenshot(path=SCREENSHOTS / f"strip-{lang}.png", full_page=True)
        assert await opened.csp_violations() == []


async def test_kazakh_arabic_is_right_to_left_with_numbers_left_to_right(browser, site):
    """In kk-Arab every embedding runs right to left while ``+18+20℃`` still reads left to right."""
    async with visit(browser, f"{site.url}/news?lang=kk-Arab") as opened:
        await ready(opened)
        for embedding, element in opened.strips().items():
            assert await element.evaluate(DIRECTION) == ["rtl", "rtl"], embedding
            value = element.locator(".ticker-city .ticker-value")
            assert await value.inner_text() == "+18+20℃", embedding
            assert await value.evaluate(DIRECTION) == ["ltr", "ltr"], embedding
            first, last = await value.evaluate(GLYPH_EDGES)
            assert first < last, f"{embedding}: '+' is drawn right of '℃'"
            name = element.locator(".ticker-city .ticker-name")
            rates = element.locator(".ticker-rates")
            name_box, rates_box = await name.bounding_box(), await rates.bounding_box()
            assert name_box["x"] < rates_box["x"], f"{embedding}: weather is not left of rates"


async def test_kazakh_arabic_rate_labels_read_left_to_right(browser, site):
    """In kk-Arab the label ``100 uzs/kzt`` keeps its number on the left in every embedding."""
    async with visit(browser, f"{site.url}/news?lang=kk-Arab") as opened:
        await ready(opened)
        for embedding, element in opened.strips().items():
            label = element.locator('[data-code="UZS"] .ticker-label')
            assert await label.inner_text() == "100 uzs/kzt", embedding
            first, last = await label.evaluate(GLYPH_EDGES)
            assert first < last, f"{embedding}: '100' is drawn right of 'uzs/kzt'"


@pytest.mark.parametrize("lang", ["ru", "kk-Arab"], ids=["ru", "kk-Arab"])
async def test_script_slot_fills_without_moving_the_page(browser, site, lang):
    """The slot and the element are as high before the script fills them as after, and
    nothing shifts (CLS 0)."""
    async with visit(browser, f"{site.url}/news?lang={lang}") as opened:
        await ready(opened)
        await opened.page.evaluate(SETTLE)
        page_record = (await opened.records())[0]
        after = await opened.page.locator("[data-ticker]").bounding_box()
        element_after = await opened.page.locator("ticker-strip").bounding_box()
        headline = await opened.page.locator("h1").bounding_box()

    for before, filled in ((page_record["slotBefore"], after),
                           (page_record["elementBefore"], element_after)):  # fmt: skip
        assert before is not None
        assert before["ready"] is False, "measured after the script had filled it"
        assert before["height"] > 0
        assert filled["height"] == before["height"]
    assert sum(page_record["shifts"]) < 0.001, page_record["shifts"]
    assert headline["y"] > after["y"] + after["height"]


@pytest.fixture
async def hostile_site(aiohttp_server, tmp_path) -> AsyncIterator[NewsSite]:
    """The news site with no CSP at all, embedding a ticker whose city names are markup."""
    async with running_service(write_config(tmp_path, HOSTILE_NAMES)) as service:
        await poll_strip(service.url)
        yield await serve_site(aiohttp_server, service.url, csp=False)


@pytest.mark.parametrize("lang", ["en", "kk"], ids=["en", "kk"])
async def test_markup_in_a_city_name_shows_as_text(browser, hostile_site, lang):
    """A city name holding <img onerror> or <script> is shown literally and never runs."""
    name = HOSTILE_NAMES[lang]
    async with visit(browser, f"{hostile_site.url}/news?lang={lang}") as opened:
        await ready(opened)
        for embedding, element in opened.strips().items():
            assert await element.locator(".ticker-name").inner_text() == name, embedding
            assert await element.locator("img, script").count() == 0, embedding
            assert await element.evaluate("() => typeof window.__pwned") == "undefined", embedding
        assert await opened.page.evaluate("() => typeof window.__pwned") == "undefined"


async def test_configured_theme_applies_to_every_embedding(browser, tmp_path, aiohttp_server):
    """With ``widget.theme: dark`` configured, all three embeddings are dark."""
    async with running_service(write_config(tmp_path, widget={"theme": "dark"})) as service:
        await poll_strip(service.url)
        site = await serve_site(aiohttp_server, service.url)
        async with visit(browser, f"{site.url}/news?lang=en") as opened:
            await ready(opened)
            for embedding, element in opened.strips().items():
                assert await element.get_attribute("data-theme") == "dark", embedding
                background = await element.evaluate("(el) => getComputedStyle(el).backgroundColor")
                assert background == DARK_BACKGROUND, embedding


async def test_unreachable_service_leaves_the_server_rendered_strip(
    browser, tmp_path, aiohttp_server
):
    """With the service stopped after the page was rendered, SSI, slot and element keep their
    text."""
    async with (
        running_service(write_config(tmp_path)) as service,
        aiohttp.ClientSession() as session,
    ):
        await poll_strip(service.url)
        site = await serve_site(aiohttp_server, service.url)
        await site.render("ru", fallback=True)
        strip = await strip_json(service.url, "ru")
        # What the browser's cache or a CDN still holds once the service is gone.
        cached = {}
        for asset in (f"{service.url}/widget.js", f"{service.url}/widget.css"):
            async with session.get(asset) as response:
                cached[asset] = (response.content_type, await response.read())
    assert service.process.returncode is not None

    expected = (expected_rates(strip), expected_weather(strip))
    async with visit(browser, f"{site.url}/news?lang=ru&fallback", cached=cached) as opened:
        page = opened.page
        await page.wait_for_selector("[data-ticker][data-ticker-offline]", timeout=10_000)
        slot = page.locator("[data-ticker]")
        assert await slot.get_attribute("data-ticker-ready") is None
        assert await shown(page.locator(".ssi > .ticker")) == expected
        assert await shown(slot.locator(".ticker")) == expected
        assert "Астана +18+20℃" in words(await slot.inner_text())
        element = page.locator("ticker-strip")
        await page.wait_for_selector("ticker-strip[data-ticker-offline]", timeout=10_000)
        assert await element.get_attribute("data-ticker-ready") is None
        assert await element.evaluate("(el) => el.shadowRoot.querySelector('slot') !== null")
        assert await shown(element.locator(".ticker")) == expected  # the included fragment


def cut_items(items: list[dict]) -> list[str]:
    """What is wrong with a strip's items as drawn: an item cut, the weather not whole."""
    problems = [
        f"{item['key']} is cut: {item['text']!r}" for item in items if item["state"] == "cut"
    ]
    problems += [
        f"the weather {item['key']} is {item['state']}"
        for item in items
        if item["kind"] == "city" and item["state"] != "whole"
    ]
    return problems


def dropped_out_of_order(items: list[dict], direction: str) -> list[str]:
    """What is wrong with the rates shown: not the first ones, not in reading order, none at all."""
    rates = [item for item in items if item["kind"] == "rate"]
    states = [item["state"] for item in rates]
    shown = states.count("whole")
    problems = []
    if shown == 0:
        problems.append("no rate is shown")
    if states != ["whole"] * shown + ["hidden"] * (len(states) - shown):
        problems.append(f"rates not dropped from the end: {states}")
    lefts = [item["left"] for item in rates[:shown]]
    if lefts != sorted(lefts, reverse=direction == "rtl"):
        problems.append(f"rates not in {direction} reading order: {lefts}")
    return problems


@pytest.mark.parametrize("width", WIDTHS, ids=[f"{width}px" for width in WIDTHS])
async def test_every_item_is_whole_or_hidden_at_every_width(browser, ticker, site, width):
    """In every language and embedding no item is cut, the weather is whole, and rates drop from
    the end of the configured order (the left end in right to left), with no layout shift."""
    problems = []
    for lang in LANGUAGES:
        strip = await strip_json(ticker.url, lang)
        async with visit(browser, f"{site.url}/news?lang={lang}", width=width) as opened:
            await ready(opened)
            await opened.page.wait_for_load_state("load")
            await opened.page.evaluate(SETTLE)
            slot_before = (await opened.records())[0]["slotBefore"]["height"]
            for embedding, element in opened.strips().items():
                where = f"{lang} {embedding} {width}px"
                items = await element.evaluate(ITEM_VISIBILITY)
                problems += [f"{where}: {problem}" for problem in cut_items(items)]
                problems += [
                    f"{where}: {problem}" for problem in dropped_out_of_order(items, strip["dir"])
                ]
                if width == DESKTOP_WIDTH and any(item["state"] != "whole" for item in items):
                    problems.append(f"{where}: an item is hidden on a desktop")
                height = (await element.bounding_box())["height"]
                if height != slot_before:
                    problems.append(f"{where}: the strip is {height}px high, not {slot_before}px")
            shifts = [sum(record["shifts"]) for record in await opened.records()]
            if max(shifts) >= 0.001:
                problems.append(f"{lang} {width}px: the layout shifted by {shifts}")
            if await opened.page.evaluate(WIDER_THAN_VIEWPORT):
                problems.append(f"{lang} {width}px: the page is wider than the screen")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await opened.page.locator(".strips").screenshot(
                path=SCREENSHOTS / f"strips-{width}px-{lang}.png"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["ru", "kk-Arab"], ids=["ru", "kk-Arab"])
async def test_overflow_scroll_scrolls_the_rates_by_whole_items(
    browser, tmp_path, aiohttp_server, lang
):
    """With ``widget.overflow: scroll`` a phone scrolls the rates on one line, snapping to an
    item's start edge, from the right in right to left, fading the edges with more to scroll,
    while the weather stays whole; a desktop shows every item, unfaded."""
    settings = write_config(tmp_path, widget={"overflow": "scroll"})
    async with running_service(settings) as service:
        await poll_strip(service.url)
        site = await serve_site(aiohttp_server, service.url)
        async with visit(browser, f"{site.url}/news?lang={lang}", width=360) as opened:
            await ready(opened)
            await opened.page.wait_for_load_state("load")
            for embedding, element in opened.strips().items():
                assert await element.get_attribute("data-overflow") == "scroll", embedding
                rates = element.locator(".ticker-rates")
                scroller = await rates.evaluate(SCROLLER)
                assert scroller["scrollWidth"] > scroller["clientWidth"], embedding
                assert scroller["snapType"] == "x mandatory", embedding
                assert set(scroller["snapAlign"]) == {"start"}, embedding
                assert len(set(scroller["tops"])) == 1, f"{embedding}: rates on several lines"
                start, end = await rates.evaluate(FADES)
                assert start == "0px", f"{embedding}: the start edge fades by {start}"
                assert end != "0px", f"{embedding}: the end edge does not fade"
                await rates.evaluate(SCROLL_TOWARD_END, 40)
                await opened.page.evaluate(SETTLE)
                assert await rates.evaluate(START_MISALIGNMENT) < 1, embedding
                start, end = await rates.evaluate(FADES)
                assert "0px" not in (start, end), f"{embedding}: fades {start}, {end}"
                items = await element.evaluate(ITEM_VISIBILITY)
                weather = [item["state"] for item in items if item["kind"] == "city"]
                assert weather == ["whole"], embedding
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await opened.page.locator(".strips").screenshot(
                path=SCREENSHOTS / f"strips-360px-{lang}-scroll.png"
            )
        async with visit(browser, f"{site.url}/news?lang={lang}") as opened:
            await ready(opened)
            await opened.page.wait_for_load_state("load")
            for embedding, element in opened.strips().items():
                items = await element.evaluate(ITEM_VISIBILITY)
                assert {item["state"] for item in items} == {"whole"}, embedding
                fades = await element.locator(".ticker-rates").evaluate(FADES)
                assert fades == ["0px", "0px"], f"{embedding}: a desktop strip fades"


#: U+0378, a code point Unicode leaves unassigned: no font has it, so it is drawn as
#: the missing-glyph box (tofu), the picture a letter no font has would get.
UNASSIGNED = "\u0378"
#: The letters Kyrgyz and Tajik have and Russian has not, in both cases.
OWN_LETTERS = {"ky": "ңөүҢӨҮ", "tg": "ғӣқӯҳҷҒӢҚӮҲҶ"}


@pytest.mark.parametrize("lang", ["ky", "tg"], ids=["ky", "tg"])
async def test_kyrgyz_and_tajik_letters_are_drawn_not_boxes(browser, lang):
    """widget.css's fonts draw every letter of the ky and tg words, none as a missing glyph."""
    texts = [
        LANGUAGE_NAMES[lang],
        *(phrase(key, lang) for key in PHRASES),
        *(condition_name(code, lang) or "" for code in (2, 48, 80, 96)),
    ]
    letters = sorted({char for text in texts for char in text if char.isalpha()})
    letters = sorted({*letters, *OWN_LETTERS[lang]})
    css = (ROOT / "ticker" / "static" / "widget.css").read_text(encoding="utf-8")
    glyphs = "".join(
        f'<span class="glyph">{html.escape(char)}</span>' for char in [UNASSIGNED, *letters]
    )
    document = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>{css}'
        ".glyph { display: inline-block; min-width: 1em; padding: 0 2px; }</style></head>"
        f'<body><div class="ticker" lang="{lang}" id="words">'
        f"{html.escape(' · '.join(texts))}</div>"
        f'<div class="ticker" lang="{lang}" id="glyphs">{glyphs}</div></body></html>'
    )
    context = await browser.new_context(viewport={"width": DESKTOP_WIDTH + 600, "height": 200})
    try:
        page = await context.new_page()
        await page.set_content(document)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.locator("#words").screenshot(path=SCREENSHOTS / f"letters-{lang}.png")
        spans = page.locator("#glyphs .glyph")
        box = await spans.nth(0).screenshot()
        drawn_as_box = [
            char
            for index, char in enumerate(letters, 1)
            if await spans.nth(index).screenshot() == box
        ]
        assert drawn_as_box == []
    finally:
        await context.close()
