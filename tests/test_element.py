"""The ``<ticker-strip>`` custom element, from ``/widget.mjs`` (an ES module) and ``/widget.js``.

The unit tier checks how the two forms are made from one source and served (types,
caching, ETag, CSP, CORS).  The browser tests serve a page from one loopback origin
that loads the element from ``ticker serve`` on another, under a strict policy
(``default-src 'none'``, the ticker's origin alone for scripts, styles, requests and
images, nothing inline, no eval): the element must show in every language what
``/v1/strip`` says, upgrade a server-rendered fragment without moving anything,
refresh at the answer's ``max-age`` (bounded, with backoff after errors) and load as
a module only from an origin ``server.cors_origins`` allows.  Screenshots of the
element page go to test-artifacts/screenshots/element-<lang>-<width>.png.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from ticker import Store, create_app
from ticker._serving.responses import ASSET_CACHE_CONTROL, DATA_CSP
from ticker._serving.routes import MODULE_EPILOGUE, MODULE_PROLOGUE, module_form

from ._running import Service, poll_strip, running_service
from .conftest import NOW, SETTINGS_YAML, make_settings
from .test_browser import (
    ASTANA,
    CHROMIUM,
    CHROMIUM_ARGS,
    DARK_BACKGROUND,
    LANGUAGES,
    SCREENSHOTS,
    SETTLE,
    expected_rates,
    expected_weather,
    playwright_api,
    strip_json,
    words,
    write_config,
)

#: A browser test drives Debian's Chromium (and is slow: the marker sits beside this one).
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable on PATH")
#: The strip's stylesheet, as the fake API serves it.
STYLESHEET = Path(__file__).parents[1] / "ticker" / "static" / "widget.css"

#: The page widths the element is photographed at: a phone and a desktop.
SCREENSHOT_WIDTHS = [390, 1280]
#: What a page of another origin sends; the unit tests' allow-list names it.
NEWS = "https://news.example"

#: Runs in every document before its own scripts (the CSP does not apply to it).
RECORDER = """
(() => {
  const record = { violations: [], shifts: [] };
  Object.defineProperty(window, "__record", { value: record });
  document.addEventListener("securitypolicyviolation", (event) => {
    record.violations.push(event.effectiveDirective + " " + event.blockedURI);
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { record.shifts.push(entry.value); }
  }).observe({ type: "layout-shift", buffered: true });
})();
"""

#: The element's own strip in its shadow root: visible text, language, direction, theme.
SHADOW_STRIP = """
(element) => {
  const strip = element.shadowRoot && element.shadowRoot.querySelector(".ticker[part='strip']");
  if (!strip) { return null; }
  return {
    text: strip.innerText, lang: strip.lang, dir: strip.dir,
    direction: getComputedStyle(strip).direction, theme: strip.dataset.theme,
    background: getComputedStyle(strip).backgroundColor,
  };
}
"""

#: How the element stands: its height, upgraded or not, what its shadow root holds, and
#: the included fragment (light DOM) as drawn.
ELEMENT_STATE = """
(element) => {
  const fragment = element.querySelector(":scope > .ticker");
  const shadow = element.shadowRoot;
  return {
    height: element.getBoundingClientRect().height,
    headline: document.querySelector("h1").getBoundingClientRect().top,
    defined: customElements.get("ticker-strip") !== undefined,
    slot: Boolean(shadow && shadow.querySelector("slot")),
    own: Boolean(shadow && shadow.querySelector(".ticker")),
    fragmentDrawn: Boolean(fragment && fragment.getClientRects().length),
    fragmentHeight: fragment ? fragment.getBoundingClientRect().height : null,
    fragmentText: fragment ? fragment.innerText : null,
  };
}
"""

#: Import the module the way a site's own module would, and say what it exports.
IMPORT_MODULE = """
async (url) => {
  const module = await import(url);
  return {
    named: typeof module.TickerStrip,
    isDefault: module.default === module.TickerStrip,
    defined: customElements.get("ticker-strip") === module.TickerStrip,
  };
}
"""

#: Import the module and report the error, if any.
IMPORT_ERROR = """
async (url) => {
  try { await import(url); return null; } catch (error) { return error.name; }
}
"""


# --- the two forms, as served -------------------------------------------------------------


@pytest.fixture
async def client(aiohttp_client, filled_store: Store):
    """The reference deployment, any origin allowed (the default)."""
    return await aiohttp_client(create_app(make_settings(), store=filled_store, clock=lambda: NOW))


@pytest.fixture
async def listed(aiohttp_client, filled_store: Store):
    """The reference deployment readable from one origin only."""
    settings = make_settings(SETTINGS_YAML + f"server: {{cors_origins: [{NEWS!r}]}}\n")
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


async def test_module_is_served_like_the_script(client):
    """/widget.mjs is JavaScript with the script's caching, CSP, nosniff and open CORS."""
    script = await client.get("/widget.js")
    module = await client.get("/widget.mjs", headers={"Origin": NEWS})
    assert module.status == 200
    assert (module.content_type, module.charset) == ("text/javascript", "utf-8")
    for name in ("Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"):
        assert module.headers[name] == script.headers[name], name
    assert module.headers["Cache-Control"] == ASSET_CACHE_CONTROL
    assert module.headers["Content-Security-Policy"] == DATA_CSP
    assert module.headers["X-Content-Type-Options"] == "nosniff"
    assert module.headers["Access-Control-Allow-Origin"] == "*"
    assert module.headers["ETag"] != script.headers["ETag"]


async def test_module_is_revalidated_with_its_etag(client):
    """A module held by the browser is answered 304, with its caching and CORS headers."""
    first = await client.get("/widget.mjs")
    again = await client.get(
        "/widget.mjs", headers={"If-None-Match": first.headers["ETag"], "Origin": NEWS}
    )
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == ASSET_CACHE_CONTROL
    assert again.headers["Access-Control-Allow-Origin"] == "*"


async def test_module_takes_no_parameters(client):
    """A query on /widget.mjs is a 400 naming it, as on /widget.js."""
    response = await client.get("/widget.mjs", params={"v": "2"})
    assert response.status == 400
    assert (await response.json())["parameter"] == "v"


async def test_both_forms_are_one_source(client):
    """The module is the script with only its prologue and epilogue lines replaced."""
    script = (await (await client.get("/widget.js")).text()).splitlines()
    module = (await (await client.get("/widget.mjs")).text()).splitlines()
    assert (
        module
        == [
            MODULE_PROLOGUE if line.endswith("// ticker:prologue") else line
            for line in script
            if not line.endswith("// ticker:epilogue")
        ]
        + MODULE_EPILOGUE.splitlines()
    )
    assert "document.currentScript" not in "\n".join(module)
    assert "export { TickerStrip };" in module
    assert not any("import.meta" in line or line.startswith("export") for line in script)


def test_module_form_needs_each_marked_line_once():
    """A script without its marked prologue, or with it twice, is refused, not half-built."""
    with pytest.raises(ValueError, match="0 lines marked"):
        module_form("(function () {\n})();\n")
    twice = "(function () {  // ticker:prologue\n  // ticker:prologue\n})();  // ticker:epilogue\n"
    with pytest.raises(ValueError, match="2 lines marked"):
        module_form(twice)


async def test_module_knows_the_configured_widget(aiohttp_client, filled_store):
    """widget.preset, theme and overflow reach the module as they reach the script."""
    settings = make_settings(
        "widget: {preset: reference, theme: dark, overflow: scroll}\n" + SETTINGS_YAML
    )
    client = await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))
    module = await (await client.get("/widget.mjs")).text()
    for line in ('var PRESET = "reference";', 'var THEME = "dark";', 'var OVERFLOW = "scroll";'):
        assert line in module


@pytest.mark.parametrize("path", ["/widget.js", "/widget.mjs"])
async def test_scripts_write_no_markup_and_run_no_strings(client, path):
    """Neither form uses eval, new Function, innerHTML or a style attribute."""
    script = await (await client.get(path)).text()
    forbidden = (
        "eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML",
        "document.write", "style=", '"style"', ".style.",
    )  # fmt: skip
    assert [word for word in forbidden if word in script] == []


@pytest.mark.parametrize("path", ["/widget.js", "/widget.mjs", "/widget.css"])
async def test_assets_name_a_listed_origin_and_vary_on_it(listed, path):
    """With an allow-list, a listed origin is named (on a 304 too), others get no CORS header,
    and every answer varies on Origin."""
    allowed = await listed.get(path, headers={"Origin": NEWS})
    other = await listed.get(path, headers={"Origin": "https://elsewhere.example"})
    revalidated = await listed.get(
        path, headers={"Origin": NEWS, "If-None-Match": allowed.headers["ETag"]}
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == NEWS
    assert "Access-Control-Allow-Origin" not in other.headers
    assert revalidated.status == 304
    assert revalidated.headers["Access-Control-Allow-Origin"] == NEWS
    for response in (allowed, other, revalidated):
        assert "Origin" in [name.strip() for name in response.headers.get("Vary", "").split(",")]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="no node executable on PATH")
async def test_both_forms_parse(client, tmp_path):
    """Node parses /widget.js as a script and /widget.mjs as a module."""
    for path, name in (("/widget.js", "widget.cjs"), ("/widget.mjs", "widget.mjs")):
        (tmp_path / name).write_bytes(await (await client.get(path)).read())
        run = await asyncio.to_thread(
            subprocess.run, ["node", "--check", str(tmp_path / name)],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr


# --- in a browser ---------------------------------------------------------------------------


def element_csp(*origins: str) -> str:
    """The brief's strict policy: nothing inline, no eval, ``origins`` only where needed."""
    allowed = " ".join(origins)
    return (
        f"default-src 'none'; script-src {allowed}; style-src {allowed}; "
        f"connect-src {allowed}; img-src {allowed}"
    )


def element_page(
    ticker: str, *, element: str = "<ticker-strip></ticker-strip>", form: str | None = "module"
) -> str:
    """A news page holding ``element``, the ticker's stylesheet linked and its script in
    ``form`` (``module``, ``classic`` or None for none)."""
    script = {
        "module": f'<script type="module" src="{ticker}/widget.mjs"></script>',
        "classic": f'<script src="{ticker}/widget.js" defer></script>',
        None: "",
    }[form]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>The Steppe Courier</title><link rel="stylesheet" href="{ticker}/widget.css">'
        f"{script}</head><body><header>{element}</header><main>"
        "<h1>The tenge holds steady as the National Bank publishes its daily rates</h1>"
        "<p>The official rates in the strip above come from the National Bank of Kazakhstan;"
        " the weather is Astana's range for today.</p></main></body></html>"
    )


class Site:
    """A news site on an origin of its own: pages a test puts up, under a strict policy."""

    def __init__(self) -> None:
        self.url = ""
        self.pages: dict[str, tuple[str, str]] = {}

    def put(self, path: str, html: str, csp: str) -> str:
        """Serve ``html`` at ``path`` under ``csp``; the page's URL."""
        self.pages[path] = (html, csp)
        return self.url + path

    async def page(self, request: web.Request) -> web.Response:
        """GET a page put up by the test."""
        html, csp = self.pages[request.path]
        response = web.Response(text=html, content_type="text/html", charset="utf-8")
        response.headers["Content-Security-Policy"] = csp
        return response


async def serve_site(aiohttp_server) -> Site:
    """Start a news site on 127.0.0.1, on a port of its own."""
    site = Site()
    app = web.Application()
    app.router.add_get("/{name}", site.page)
    server = await aiohttp_server(app, host="127.0.0.1")
    site.url = str(server.make_url("")).rstrip("/")
    return site


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


@pytest.fixture
async def site(aiohttp_server) -> Site:
    """The news site, on another origin than the ticker's."""
    return await serve_site(aiohttp_server)


class Tab:
    """One browser tab, with what it logged and the /v1/strip requests it made and got."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        self.strip_requests: list[str] = []
        #: The status of each /v1/strip answer, as its headers arrived.
        self.strip_answers: list[int] = []
        page.on("console", lambda message: self.console.append(message.text))
        page.on("request", self._requested)
        page.on("response", self._answered)

    def _requested(self, request) -> None:
        if "/v1/strip" in request.url:
            self.strip_requests.append(request.url)

    def _answered(self, response) -> None:
        if "/v1/strip" in response.url:
            self.strip_answers.append(response.status)

    @property
    def element(self):
        """The page's first <ticker-strip>."""
        return self.page.locator("ticker-strip").first

    async def ready(self) -> None:
        """Wait until the element shows its own strip."""
        await self.page.wait_for_selector("ticker-strip[data-ticker-ready]", timeout=10_000)

    async def shadow(self) -> dict | None:
        """The element's own strip as drawn, or None before it has one."""
        result: dict | None = await self.element.evaluate(SHADOW_STRIP)
        return result

    async def violations(self) -> list[str]:
        """Every policy violation, from the event and from the console."""
        record = await self.page.evaluate("() => window.__record")
        events: list[str] = record["violations"]
        return events + [text for text in self.console if "Content Security Policy" in text]

    async def shifted(self) -> float:
        """The page's cumulative layout shift so far."""
        await self.page.evaluate(SETTLE)
        return float(sum((await self.page.evaluate("() => window.__record"))["shifts"]))


@contextlib.asynccontextmanager
async def tab(
    browser,
    url: str | None = None,
    *,
    width: int = 1280,
    clock: bool = False,
    before: Callable[[object], Awaitable[None]] | None = None,
) -> AsyncIterator[Tab]:
    """A fresh context ``width`` px wide, recorder installed, on ``url`` once it has loaded.

    ``clock`` installs playwright's fake clock (timers move when the test says);
    ``before`` is called with the context before the page opens (to add routes).
    """
    context = await browser.new_context(viewport={"width": width, "height": 420}, locale="en-US")
    try:
        await context.add_init_script(RECORDER)
        if clock:
            await context.clock.install()
        if before is not None:
            await before(context)
        opened = Tab(await context.new_page())
        if url is not None:
            await opened.page.goto(url)
        yield opened
    finally:
        await context.close()


def expected_text(strip: dict) -> str:
    """The whole strip as the element shows it: rates, separator, weather, credits."""
    credits = ["ⓘ" for credit in strip["sources"] if re.match(r"https?://", credit["url"])]
    parts = [expected_rates(strip), "·", expected_weather(strip), *credits]
    return words(" ".join(parts))


async def fragment(ticker_url: str, lang: str) -> str:
    """The server-rendered fragment, as a server-side include puts it in the page."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{ticker_url}/widget", params={"lang": lang}) as response,
    ):
        response.raise_for_status()
        return await response.text()


async def usd_becomes(ticker_url: str, text: str, seconds: float = 10) -> None:
    """Wait until the service's Russian strip shows USD at ``text``."""
    for _ in range(int(seconds * 10)):
        if (await strip_json(ticker_url, "ru"))["rates"][0]["text"] == text:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the service never showed USD at {text}")


@pytest.mark.slow
@needs_chromium
async def test_element_shows_the_api_values_in_every_language(browser, ticker, site):
    """In every language, on a phone and a desktop, under the strict policy, the element upgrades
    the included fragment and its shadow strip says what /v1/strip says (right to left in
    kk-Arab), with no violation and no layout shift."""
    problems = []
    for lang in LANGUAGES:
        strip = await strip_json(ticker.url, lang)
        expected = expected_text(strip)
        assert expected_weather(strip) == f"{ASTANA[lang]} +18+20℃"
        element = f'<ticker-strip lang="{lang}">{await fragment(ticker.url, lang)}</ticker-strip>'
        page = element_page(ticker.url, element=element)
        url = site.put(f"/element-{lang}", page, element_csp(ticker.url))
        direction = "rtl" if lang == "kk-Arab" else "ltr"
        for width in SCREENSHOT_WIDTHS:
            where = f"{lang} {width}px"
            async with tab(browser, url, width=width) as opened:
                await opened.ready()
                shown = await opened.shadow()
                assert shown is not None
                if words(shown["text"]) != expected:
                    problems.append(f"{where}: shows {words(shown['text'])!r}, not {expected!r}")
                if shown["lang"] != strip["lang"]:
                    problems.append(f"{where}: lang {shown['lang']!r}, not {strip['lang']!r}")
                if [shown["dir"], shown["direction"]] != [direction, direction]:
                    problems.append(f"{where}: runs {shown['dir']}/{shown['direction']}")
                problems += [f"{where}: {violation}" for violation in await opened.violations()]
                if (shift := await opened.shifted()) >= 0.001:
                    problems.append(f"{where}: the layout shifted by {shift}")
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                await opened.page.screenshot(path=SCREENSHOTS / f"element-{lang}-{width}.png")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@needs_chromium
async def test_module_exports_the_element_class(browser, ticker, site):
    """import() of /widget.mjs from another origin gives TickerStrip (named and default), the
    class it defined, and an element a script makes then renders with it."""
    page = element_page(ticker.url, element="", form=None)
    async with tab(browser, site.put("/bare", page, element_csp(ticker.url))) as opened:
        exported = await opened.page.evaluate(IMPORT_MODULE, f"{ticker.url}/widget.mjs")
        assert exported == {"named": "function", "isDefault": True, "defined": True}
        await opened.page.evaluate(
            """() => {
              const element = document.createElement("ticker-strip");
              element.setAttribute("lang", "kk-Arab");
              document.querySelector("header").append(element);
            }"""
        )
        await opened.ready()
        shown = await opened.shadow()
        assert shown is not None
        assert words(shown["text"]) == expected_text(await strip_json(ticker.url, "kk-Arab"))
        assert (shown["dir"], shown["direction"]) == ("rtl", "rtl")
        assert await opened.violations() == []


@pytest.mark.slow
@needs_chromium
async def test_classic_script_defines_the_element_and_fills_placeholders(browser, ticker, site):
    """/widget.js defines <ticker-strip> and still fills a data-ticker placeholder with the same
    strip; /widget.mjs imported after it defines nothing again and exports that class."""
    element = '<ticker-strip lang="ru"></ticker-strip><div data-ticker data-lang="ru"></div>'
    page = element_page(ticker.url, element=element, form="classic")
    async with tab(browser, site.put("/classic", page, element_csp(ticker.url))) as opened:
        await opened.ready()
        await opened.page.wait_for_selector("[data-ticker][data-ticker-ready]", timeout=10_000)
        placeholder = await opened.page.locator("[data-ticker] > .ticker").inner_text()
        shown = await opened.shadow()
        assert shown is not None
        assert words(shown["text"]) == words(placeholder)
        assert words(placeholder) == expected_text(await strip_json(ticker.url, "ru"))
        exported = await opened.page.evaluate(IMPORT_MODULE, f"{ticker.url}/widget.mjs")
        assert exported["defined"] is True
        assert await opened.violations() == []


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("lang", ["ru", "kk-Arab"], ids=["ru", "kk-Arab"])
async def test_upgrade_keeps_the_height_and_moves_nothing(browser, ticker, site, lang):
    """The included fragment shows before the module runs and through the element's slot after
    it; the element's own strip then replaces it at the same height, the headline never
    moves, and the layout shift is 0."""
    element = f'<ticker-strip lang="{lang}">{await fragment(ticker.url, lang)}</ticker-strip>'
    url = site.put("/upgrade", element_page(ticker.url, element=element), element_csp(ticker.url))
    script_sent, answer_sent = asyncio.Event(), asyncio.Event()

    async def hold(context) -> None:
        async def hold_script(route) -> None:
            await script_sent.wait()
            await route.continue_()

        async def hold_answer(route) -> None:
            await answer_sent.wait()
            await route.continue_()

        await context.route(f"{ticker.url}/widget.mjs", hold_script)
        await context.route(re.compile(r".*/v1/strip.*"), hold_answer)

    async with tab(browser, before=hold) as opened:
        page = opened.page
        await page.goto(url, wait_until="commit")
        await page.wait_for_function(
            "() => document.readyState !== 'loading'"
            " && getComputedStyle(document.querySelector('ticker-strip')).display === 'block'"
        )
        before = await opened.element.evaluate(ELEMENT_STATE)
        script_sent.set()
        await page.wait_for_function("() => customElements.get('ticker-strip') !== undefined")
        upgraded = await opened.element.evaluate(ELEMENT_STATE)
        answer_sent.set()
        await opened.ready()
        after = await opened.element.evaluate(ELEMENT_STATE)
        shown = await opened.shadow()
        shift = await opened.shifted()
        assert await opened.violations() == []

    assert (before["defined"], before["slot"], before["fragmentDrawn"]) == (False, False, True)
    assert before["height"] > 0
    assert before["fragmentHeight"] == before["height"]
    assert (upgraded["slot"], upgraded["own"], upgraded["fragmentDrawn"]) == (True, False, True)
    assert (after["slot"], after["own"], after["fragmentDrawn"]) == (False, True, False)
    assert before["height"] == upgraded["height"] == after["height"]
    assert before["headline"] == upgraded["headline"] == after["headline"]
    assert shown is not None
    assert words(shown["text"]) == words(before["fragmentText"])
    assert shift < 0.001


@pytest.mark.slow
@needs_chromium
async def test_refresh_at_max_age_shows_the_new_value(browser, tmp_path, site):
    """The element asks again once its answer's max-age has passed, not before, and then
    shows the value the service has by then."""
    config = write_config(tmp_path)
    async with running_service(config) as service:
        await poll_strip(service.url)
        page = element_page(service.url, element='<ticker-strip lang="ru"></ticker-strip>')
        url = site.put("/refresh", page, element_csp(service.url))
        async with tab(browser, url, clock=True) as opened:
            await opened.ready()
            assert "usd/kzt 445.99" in words((await opened.shadow() or {})["text"])
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{service.url}/v1/strip", params={"lang": "ru"}) as response,
            ):
                found = re.search(r"max-age=(\d+)", response.headers["Cache-Control"])
            assert found is not None
            max_age = int(found[1])
            assert max_age > 60

            settings = yaml.safe_load(config.read_text(encoding="utf-8"))
            settings["rates"]["sources"][0]["rates"]["USD"] = "446.10"
            config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
            service.process.send_signal(signal.SIGHUP)
            await usd_becomes(service.url, "446.10")

            await opened.page.clock.fast_forward((max_age - 20) * 1000)
            await asyncio.sleep(0.5)
            assert len(opened.strip_requests) == 1, "asked again before max-age"
            assert "usd/kzt 445.99" in words((await opened.shadow() or {})["text"])

            await opened.page.clock.fast_forward(int(max_age * 0.05 + 40) * 1000)
            await opened.page.wait_for_function(
                "(el) => el.shadowRoot.querySelector('.ticker').innerText.includes('446.10')",
                arg=await opened.element.element_handle(),
                timeout=10_000,
            )
            assert len(opened.strip_requests) == 2


class FakeApi:
    """A stand-in for the service's API whose answers the test lists, one per request."""

    def __init__(self, answers: list[tuple[int, dict | None, str]]) -> None:
        self.answers = answers
        self.requests = 0

    def app(self) -> web.Application:
        """The API's /v1/strip and the real widget.css."""
        app = web.Application()
        app.router.add_get("/v1/strip", self.strip)
        app.router.add_get("/widget.css", self.stylesheet)
        return app

    async def strip(self, request: web.Request) -> web.Response:
        """The next listed answer (a 503 once the list is done), readable from any origin."""
        self.requests += 1
        status, body, cache = self.answers.pop(0) if self.answers else (503, None, "no-store")
        headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": cache}
        return web.json_response(body or {"error": "down"}, status=status, headers=headers)

    async def stylesheet(self, request: web.Request) -> web.Response:
        """GET /widget.css."""
        return web.Response(body=STYLESHEET.read_bytes(), content_type="text/css")


@pytest.mark.slow
@needs_chromium
async def test_refresh_is_bounded_and_backs_off_keeping_what_is_shown(
    browser, ticker, site, aiohttp_server
):
    """A max-age of 1 s waits 10 s; errors keep the strip shown and are retried after 10 s,
    then 20 s; a max-age of years waits a day, after which the new value shows."""
    strip = await strip_json(ticker.url, "en")
    changed = json.loads(json.dumps(strip))
    changed["rates"][0]["text"] = "999.99"
    api = FakeApi(
        [
            (200, strip, "public, max-age=1"),
            (500, None, "no-store"),
            (503, None, "no-store"),
            (200, strip, "public, max-age=999999999"),
            (200, changed, "public, max-age=600"),
        ]
    )
    server = await aiohttp_server(api.app(), host="127.0.0.1")
    fake = str(server.make_url("")).rstrip("/")
    element = f'<ticker-strip lang="en" base="{fake}/some/../"></ticker-strip>'
    page = element_page(ticker.url, element=element)
    url = site.put("/bounded", page, element_csp(ticker.url, fake))

    async with tab(browser, url, clock=True) as opened:

        async def answers(count: int) -> None:
            """Wait until ``count`` answers have reached the element and it has acted on them."""
            for _ in range(100):
                if len(opened.strip_answers) >= count:
                    await asyncio.sleep(0.2)
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"only {api.requests} requests, not {count}")

        async def forward(seconds: float) -> int:
            """Move the page's clock on; the requests the API has seen soon after."""
            await opened.page.clock.fast_forward(int(seconds * 1000))
            await asyncio.sleep(0.5)
            return api.requests

        await opened.ready()
        await answers(1)
        # From here the page's time moves only when the test moves it.
        # Two seconds on from the answer: the clock runs in real time until paused, and
        # pausing at a moment it has already passed (a loaded machine) is refused.
        now = await opened.page.evaluate("() => Date.now()")
        await opened.page.clock.pause_at((now + 2000) / 1000)  # seconds, in playwright's Python
        shown = expected_text(strip)
        assert words((await opened.shadow() or {})["text"]) == shown
        assert await forward(7) == 1, "a max-age of 1 s was not held to 10 s"
        assert await forward(2) == 2
        await answers(2)
        assert await opened.element.get_attribute("data-ticker-offline") == ""
        assert words((await opened.shadow() or {})["text"]) == shown
        assert await forward(9) == 2
        assert await forward(4) == 3
        await answers(3)
        assert await forward(19) == 3, "the second retry did not back off"
        assert await forward(7) == 4
        await answers(4)
        assert words((await opened.shadow() or {})["text"]) == shown
        assert await opened.element.get_attribute("data-ticker-offline") is None
        assert await forward(86400 - 60) == 4
        assert await forward(86400 * 0.05 + 120) == 5, "a max-age of years was not held to a day"
        await answers(5)
        assert "usd/kzt 999.99" in words((await opened.shadow() or {})["text"])
        assert await opened.violations() == []


@pytest.mark.slow
@needs_chromium
async def test_attributes_rerender_the_element(browser, ticker, site):
    """theme= restyles at once without a request; lang= asks for and shows that language;
    with no lang the service negotiates from the browser's Accept-Language."""
    page = element_page(ticker.url, element='<ticker-strip lang="en" theme="light"></ticker-strip>')
    async with tab(browser, site.put("/attributes", page, element_csp(ticker.url))) as opened:
        await opened.ready()
        assert (await opened.shadow() or {})["theme"] == "light"
        await opened.element.evaluate("(el) => el.setAttribute('theme', 'dark')")
        shown = await opened.shadow() or {}
        assert (shown["theme"], shown["background"]) == ("dark", DARK_BACKGROUND)
        assert len(opened.strip_requests) == 1

        await opened.element.evaluate("(el) => el.setAttribute('lang', 'ru')")
        await opened.page.wait_for_function(
            "(el) => el.shadowRoot.querySelector('.ticker').lang === 'ru'",
            arg=await opened.element.element_handle(),
        )
        shown = await opened.shadow() or {}
        assert words(shown["text"]) == expected_text(await strip_json(ticker.url, "ru"))
        assert shown["theme"] == "dark"

        await opened.element.evaluate("(el) => el.removeAttribute('lang')")
        await opened.page.wait_for_function(
            "(el) => el.shadowRoot.querySelector('.ticker').lang === 'en'",
            arg=await opened.element.element_handle(),
        )
        assert opened.strip_requests[-1].endswith("/v1/strip")
        assert await opened.violations() == []


@pytest.mark.slow
@needs_chromium
async def test_module_loads_only_where_the_service_allows(browser, tmp_path, aiohttp_server):
    """With server.cors_origins listing one site, its page loads the module and the element
    renders; another site's page is refused the module, and its included fragment stays."""
    allowed, refused = await serve_site(aiohttp_server), await serve_site(aiohttp_server)
    config = write_config(tmp_path)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["server"]["cors_origins"] = [allowed.url]
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    async with running_service(config) as service:
        await poll_strip(service.url)
        module = f"{service.url}/widget.mjs"
        element = f'<ticker-strip lang="ru">{await fragment(service.url, "ru")}</ticker-strip>'
        page, csp = element_page(service.url, element=element), element_csp(service.url)
        expected = expected_text(await strip_json(service.url, "ru"))

        async with tab(browser, allowed.put("/page", page, csp)) as opened:
            await opened.ready()
            assert words((await opened.shadow() or {})["text"]) == expected
            assert (await opened.page.evaluate(IMPORT_MODULE, module))["defined"] is True
            assert await opened.violations() == []

        async with tab(browser, refused.put("/page", page, csp)) as opened:
            assert await opened.page.evaluate(IMPORT_ERROR, module) == "TypeError"
            state = await opened.element.evaluate(ELEMENT_STATE)
            assert (state["defined"], state["fragmentDrawn"]) == (False, True)
            assert words(state["fragmentText"]) == expected
            assert any("CORS policy" in line for line in opened.console), opened.console
            assert await opened.violations() == []
