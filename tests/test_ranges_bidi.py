"""Temperature ranges that read as ranges, and text that keeps its order right to left.

The visual order is checked with ``python-bidi`` (the Rust ``unicode-bidi`` crate, which
implements the isolates of UAX #9): what a bidi renderer draws from a kk-Arab line must
show every number, label and range as it is written.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from bidi import get_display

from ticker import Store, Weather, build_strip, create_app
from ticker._strip.build import format_range, format_temperature, weather_value_text
from ticker._strip.i18n import LANGUAGES, RTL_LANGUAGES
from ticker._strip.markup import render_fragment, render_text
from ticker._wire import Strip

from .conftest import NOW, REFERENCE_RATES, SETTINGS_YAML, make_settings, rate, weather

#: The reference deployment with UZS (quoted per 100) and every language.
ALL_LANGUAGES_YAML = SETTINGS_YAML.replace(
    "languages: [en, ru, kk, zh]", f"languages: [{', '.join(LANGUAGES)}]"
).replace("currencies: [USD, EUR, RUB, CNY]", "currencies: [USD, EUR, RUB, CNY, UZS]")
CACHED_RATES = {r.code: r for r in [*REFERENCE_RATES, rate("UZS", "3.72", quant=100)]}
LTR_LANGUAGES = [lang for lang in LANGUAGES if lang not in RTL_LANGUAGES]
#: Invisible bidi controls: LRM, RLM, ALM and the embeddings, overrides and isolates.
CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
STYLESHEET = Path(__file__).parents[1] / "ticker" / "static" / "widget.css"


def reading(low: float, high: float) -> Weather:
    """Astana's weather today between ``low`` and ``high``."""
    return weather(temperature=(low + high) / 2, low=low, high=high)


# -- the range rule ------------------------------------------------------------------

RANGES = [
    (17.6, 19.5, "+18+20"),
    (-7.5, -0.4, "-8…0"),
    (0.0, 0.0, "0"),
    (-12.0, 0.2, "-12…0"),
    (-0.4, 0.4, "0"),
    (-0.5, 0.4, "-1…0"),
    (-0.4, 0.5, "0…+1"),
    (-0.5, 0.5, "-1+1"),
    (0.0, 1.6, "0…+2"),
    (-0.0, 2.0, "0…+2"),
    (4.6, 5.4, "+5"),
    (5.0, 5.0, "+5"),
    (-8.4, -7.5, "-8"),
    (-8.0, -3.0, "-8-3"),
    (-2.0, 3.0, "-2+3"),
    (-7.5, -2.5, "-8-3"),
    (2.5, 17.49, "+3+17"),
]


@pytest.mark.parametrize(
    ("low", "high", "text"), RANGES, ids=[f"{low}..{high}" for low, high, _ in RANGES]
)
def test_a_range_reads_as_a_range(low: float, high: float, text: str):
    """Whole signed degrees; one value when the ends agree; an ellipsis beside a lone 0."""
    assert format_range(low, high) == text
    assert weather_value_text(reading(low, high)) == text + "℃"


@pytest.mark.parametrize(
    ("celsius", "text"),
    [(-0.4, "0"), (-0.5, "-1"), (0.5, "+1"), (-0.0, "0"), (-7.5, "-8"), (18.5, "+19")],
    ids=["-0.4", "-0.5", "0.5", "-0.0", "-7.5", "18.5"],
)
def test_one_end_rounds_half_away_from_zero_and_zero_is_never_signed(celsius: float, text: str):
    """-0.5 is -1 and 0.5 is +1 (not Python's half to even); -0.4 is 0, never -0."""
    assert format_temperature(celsius) == text


def test_a_source_without_a_range_shows_the_current_temperature_by_the_same_rule():
    """No min and max: the current temperature alone, rounded and signed as an end is."""
    alone = Weather(
        city="astana", temperature=-0.4, date=dt.date(2026, 11, 28), observed_at=NOW,
        source="openweathermap", fetched_at=NOW,
    )  # fmt: skip
    assert weather_value_text(alone) == "0℃"


@pytest.mark.parametrize("lang", LANGUAGES, ids=LANGUAGES)
def test_every_language_shows_the_same_range(lang: str):
    """The range is one rule, whatever the language and its numbers."""
    for numbers in ("plain", "locale"):
        settings = make_settings(ALL_LANGUAGES_YAML + f"widget: {{numbers: {numbers}}}\n")
        strip = build_strip(settings, {}, {"astana": reading(-7.5, -0.4)}, lang=lang, now=NOW)
        assert CONTROLS.sub("", strip.weather[0].text) == "-8…0℃", numbers
        assert "-8…0℃" in strip.text


async def test_every_form_of_the_service_shows_the_range(aiohttp_client, store: Store):
    """JSON items and halves, plain text, the fragment and the frame all say -8…0℃."""
    store.put_rates(list(CACHED_RATES.values()))
    store.put_weather([reading(-7.5, -0.4)])
    app = create_app(make_settings(ALL_LANGUAGES_YAML), store=store, clock=lambda: NOW)
    client = await aiohttp_client(app)
    for lang in LANGUAGES:
        strip = await (await client.get("/v1/strip", params={"lang": lang})).json()
        half = await (await client.get("/v1/weather", params={"lang": lang})).json()
        texts = [
            strip["text"],
            strip["weather"][0]["text"],
            half["text"],
            half["weather"][0]["text"],
        ]
        for path in ("/v1/strip.txt", "/widget", "/widget/frame"):
            texts.append(await (await client.get(path, params={"lang": lang})).text())
        assert all("-8…0℃" in CONTROLS.sub("", text) for text in texts), lang
        assert not any("-80℃" in text for text in texts), lang


# -- bidi ----------------------------------------------------------------------------


def drawn(text: str, *, base_dir: str | None = None) -> str:
    """The text as a bidi renderer draws it, left to right, the invisible controls left out."""
    return CONTROLS.sub("", str(get_display(text, base_dir=base_dir)))


def reference_strip(lang: str = "kk-Arab") -> Strip:
    """The reference strip, with UZS, in ``lang``."""
    settings = make_settings(ALL_LANGUAGES_YAML)
    return build_strip(settings, CACHED_RATES, {"astana": weather()}, lang=lang, now=NOW)


def test_the_kazakh_arabic_line_keeps_every_left_to_right_run_as_written():
    """Rates, labels and the range read as written; items run right to left, weather last."""
    strip = reference_strip()
    for text in (strip.text, render_text(strip)):
        shown = drawn(text)
        runs = ["usd/kzt 445.99", "eur/kzt 486.53", "rub/kzt 5.78", "cny/kzt 64.16"]
        runs += ["100 uzs/kzt 3.72", "+18+20℃"]
        assert all(run in shown for run in runs), shown
        positions = [shown.index(run) for run in runs]
        assert positions == sorted(positions, reverse=True), shown  # the first is rightmost
        assert shown.index("+18+20℃") < shown.index("استانا"[::-1]) < shown.index("·")


def test_each_kazakh_arabic_value_reads_as_written_inside_right_to_left_text():
    """Every item's text and change text stays as written where the context is right to left."""
    strip = reference_strip()
    values = [item.text for item in strip.rates] + [item.text for item in strip.weather]
    values += [item.change_text for item in strip.rates if item.change_text]
    assert len(values) == 11
    for value in values:
        assert drawn(value, base_dir="R") == CONTROLS.sub("", value), value


async def test_every_kazakh_arabic_text_of_the_service_reads_as_written(
    aiohttp_client, store: Store
):
    """/v1/strip, its halves and /v1/strip.txt: every text field keeps its runs' order."""
    store.put_rates(list(CACHED_RATES.values()))
    store.put_weather([weather(low=-7.5, high=-0.4)])
    app = create_app(make_settings(ALL_LANGUAGES_YAML), store=store, clock=lambda: NOW)
    client = await aiohttp_client(app)
    params = {"lang": "kk-Arab"}
    strip = await (await client.get("/v1/strip", params=params)).json()
    rates = await (await client.get("/v1/rates", params=params)).json()
    weather_half = await (await client.get("/v1/weather", params=params)).json()
    line = await (await client.get("/v1/strip.txt", params=params)).text()

    rate_runs = ["usd/kzt 445.99", "eur/kzt 486.53", "rub/kzt 5.78", "cny/kzt 64.16"]
    rate_runs.append("100 uzs/kzt 3.72")
    for text in (strip["text"], line, rates["text"]):
        shown = drawn(text)
        positions = [shown.index(run) for run in rate_runs]
        assert positions == sorted(positions, reverse=True), shown
    for text in (strip["text"], line, weather_half["text"]):
        assert "-8…0℃" in drawn(text), text
    items = [*strip["rates"], *strip["weather"], *rates["rates"], *weather_half["weather"]]
    for item in items:
        for value in (item["text"], item.get("change_text")):
            if value:
                assert drawn(value, base_dir="R") == CONTROLS.sub("", value), value


def test_a_right_to_left_line_of_rates_alone_runs_right_to_left():
    """With no Arabic letter outside the numbers, the line still says it is right to left."""
    settings = make_settings(ALL_LANGUAGES_YAML)
    strip = build_strip(settings, CACHED_RATES, {}, lang="kk-Arab", now=NOW)
    shown = drawn(strip.text)
    assert shown.index("usd/kzt 445.99") > shown.index("100 uzs/kzt 3.72"), shown


@pytest.mark.parametrize("lang", LTR_LANGUAGES, ids=LTR_LANGUAGES)
def test_left_to_right_languages_get_no_bidi_controls(lang: str):
    """Outside right-to-left languages no text field holds an invisible control."""
    strip = reference_strip(lang)
    texts = [strip.text, *(item.text for item in [*strip.rates, *strip.weather])]
    texts += [item.change_text or "" for item in strip.rates]
    assert not any(CONTROLS.search(text) for text in texts)


def test_the_markup_isolates_with_attributes_not_controls():
    """The fragment isolates each run with dir="ltr" and holds no control character."""
    fragment = render_fragment(reference_strip())
    assert not CONTROLS.search(fragment)
    assert '<span class="ticker-label" dir="ltr">100 uzs/kzt</span>' in fragment
    assert '<span class="ticker-value" dir="ltr">3.72</span>' in fragment
    assert '<span class="ticker-value" dir="ltr">+18+20℃</span>' in fragment
    assert re.search(r'<span class="ticker-change" dir="ltr">.*?\+1\.02</span>', fragment)


def test_the_stylesheet_isolates_every_left_to_right_run():
    """Labels, values and changes are isolated even where a host page resets dir's default."""
    css = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(encoding="utf-8"), flags=re.DOTALL)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    isolated = {
        selector.strip()
        for selectors, body in rules
        if "unicode-bidi: isolate" in body
        for selector in selectors.split(",")
    }
    assert {".ticker-label", ".ticker-value", ".ticker-change"} <= isolated
