"""Condition icons (ticker._strip.icons): one drawn SVG picture per WMO code, day and night.

Every code from 0 to 99 and none draws a well-formed, named, self-contained SVG; the
inline icon and the image group draw the same shapes and differ only in how colour
is given; widget.css colours the parts with the palettes' colours.  The slow tests
draw every picture with resvg into test-artifacts/icons/contact-sheet.png (to be
looked at) and check the stylesheet's colours in Chromium under a strict CSP.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import resvg_py
from defusedxml import ElementTree
from PIL import Image

from ticker._strip.i18n import LANGUAGES, condition_name
from ticker._strip.icons import (
    DARK,
    LABEL_LIMIT,
    LIGHT,
    IconPalette,
    icon_group,
    icon_kind,
    icon_svg,
)

ROOT = Path(__file__).parents[1]
WIDGET_CSS = ROOT / "ticker" / "static" / "widget.css"
ARTIFACTS = ROOT / "test-artifacts" / "icons"
SVG = "{http://www.w3.org/2000/svg}"
CODES: list[int | None] = [*range(100), None]
ROLES = ("sun", "moon", "cloud", "rain", "snow", "bolt", "fog")
#: Markup no icon may hold: styles (a strict CSP refuses them), scripts, references, text.
FORBIDDEN = ("style", "script", "href", "<text", "font", "url(", "<image", "<use", "foreign")
#: A code that draws each kind (day and night), for the pictures themselves.
SAMPLES = {icon_kind(code, night=night): (code, night) for code in CODES for night in (False, True)}


def parse(markup: str) -> ElementTree.Element:
    """The markup parsed as XML (defusedxml: no entities, no external references)."""
    return ElementTree.fromstring(markup)


def shapes(root) -> list[tuple[str, dict[str, str]]]:
    """The drawn elements of a picture with their geometry, colour and paint left out."""
    paint = {"fill", "stroke", "class"}
    return [
        (element.tag, {k: v for k, v in element.attrib.items() if k not in paint})
        for element in root.iter()
        if element.tag in (f"{SVG}circle", f"{SVG}path")
    ]


def painted(root) -> set[str]:
    """Every colour a picture's fill and stroke attributes name."""
    return {
        value
        for element in root.iter()
        for key, value in element.attrib.items()
        if key in ("fill", "stroke") and value != "none"
    }


def standalone(group: str, size: int = 96) -> str:
    """A group of ``size`` px wrapped as an SVG image, as the day's card embeds it."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">{group}</svg>'
    )


def render(svg: str) -> Image.Image:
    """``svg`` drawn by resvg, as RGBA pixels."""
    png = bytes(resvg_py.svg_to_bytes(svg_string=svg))
    return Image.open(io.BytesIO(png)).convert("RGBA")


def rgb(colour: str) -> tuple[int, int, int]:
    """``#f2a900`` as numbers."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


# --- The inline icon -------------------------------------------------------------------


@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
@pytest.mark.parametrize("code", CODES, ids=[str(code) for code in CODES])
def test_every_code_draws_a_named_self_contained_svg(code, night):
    """Any code, known or not, gives well-formed SVG named by its label, with nothing foreign."""
    markup = icon_svg(code, night=night, label="Weather", size=20)
    root = parse(markup)
    kind = icon_kind(code, night=night)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 24 24"
    assert (root.get("width"), root.get("height")) == ("20", "20")
    assert root.get("class") == f"ticker-icon ticker-icon-{kind}"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Weather"
    assert root.find(f"{SVG}title").text == "Weather"
    assert shapes(root)
    assert not [word for word in FORBIDDEN if word in markup.lower()]
    assert not [name for element in root.iter() for name in element.attrib if name[:2] == "on"]


@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
@pytest.mark.parametrize("code", CODES, ids=[str(code) for code in CODES])
def test_parts_are_coloured_by_class_not_by_attribute(code, night):
    """Every painted part is in a ticker-icon-<role> group and paints only currentColor."""
    root = parse(icon_svg(code, night=night, label="Weather"))
    groups = root.findall(f"{SVG}g")
    assert groups
    assert {group.get("class") for group in groups} <= {f"ticker-icon-{role}" for role in ROLES}
    assert painted(root) == {"currentColor"}


def test_an_icon_stays_under_a_kilobyte_with_the_longest_label():
    """With the longest condition name of any language as its label, every icon is < 1 KB."""
    names = [condition_name(code, lang) or "" for code in range(100) for lang in LANGUAGES]
    longest = max(names, key=lambda name: len(name.encode()))
    sizes = {
        kind: len(icon_svg(code, night=night, label=longest).encode())
        for kind, (code, night) in SAMPLES.items()
    }
    assert max(sizes.values()) < 1024, sizes


def test_a_hostile_label_is_escaped():
    """A label that is markup stays text: escaped in the attribute and in the title."""
    label = '<script>"&'
    markup = icon_svg(0, night=False, label=label)
    assert "<script" not in markup
    assert 'aria-label="&lt;script&gt;&quot;&amp;"' in markup
    assert "<title>&lt;script&gt;&quot;&amp;</title>" in markup
    root = parse(markup)
    assert root.get("aria-label") == label
    assert root.find(f"{SVG}title").text == label


def test_a_label_is_one_bounded_line_of_text():
    """Controls and bidi overrides are taken out of a label, and a long one is cut."""
    root = parse(icon_svg(3, night=False, label="Over\u202ecast\x00\nnow"))
    assert root.get("aria-label") == "Overcast now"
    long = parse(icon_svg(3, night=False, label="x" * 5000)).get("aria-label")
    assert len(long) == LABEL_LIMIT
    assert long.endswith("…")


@pytest.mark.parametrize("size", [0, -16, 2000, True, 16.5], ids=str)
def test_an_inline_icon_needs_a_sensible_whole_size(size):
    """A size that is no whole number of pixels from 1 to 1024 is refused, not written."""
    with pytest.raises(ValueError, match="px"):
        icon_svg(0, night=False, label="Clear sky", size=size)


# --- Kinds -----------------------------------------------------------------------------

KINDS = [
    (0, "clear-day", "clear-night"),
    (1, "mainly-clear-day", "mainly-clear-night"),
    (2, "partly-cloudy-day", "partly-cloudy-night"),
    (3, "overcast", "overcast"),
    (45, "fog", "fog"),
    (48, "rime-fog", "rime-fog"),
    (53, "drizzle", "drizzle"),
    (57, "freezing-drizzle", "freezing-drizzle"),
    (63, "rain", "rain"),
    (66, "freezing-rain", "freezing-rain"),
    (73, "snow", "snow"),
    (77, "snow-grains", "snow-grains"),
    (81, "showers-day", "showers-night"),
    (86, "snow-showers-day", "snow-showers-night"),
    (95, "thunderstorm", "thunderstorm"),
    (99, "thunderstorm-hail", "thunderstorm-hail"),
]


@pytest.mark.parametrize(("code", "day", "night"), KINDS, ids=[str(row[0]) for row in KINDS])
def test_each_wmo_group_has_its_picture(code, day, night):
    """A code draws its group's picture: 95 a thunderstorm, 73 snow, 45 fog..."""
    assert icon_kind(code, night=False) == day
    assert icon_kind(code, night=True) == night


@pytest.mark.parametrize("code", [0, 1, 2, 80, 85], ids=str)
def test_the_sun_by_day_is_the_moon_by_night(code):
    """Where the sky shows, the day's icon has the sun and the night's the moon."""
    day = parse(icon_svg(code, night=False, label="Sky"))
    night = parse(icon_svg(code, night=True, label="Sky"))
    roles = [{group.get("class") for group in icon.iter(f"{SVG}g")} for icon in (day, night)]
    assert "ticker-icon-sun" in roles[0]
    assert "ticker-icon-moon" not in roles[0]
    assert "ticker-icon-moon" in roles[1]
    assert "ticker-icon-sun" not in roles[1]
    assert shapes(day) != shapes(night)


@pytest.mark.parametrize("code", [None, 4, 44, 100, -1, 10**12], ids=str)
def test_a_code_outside_the_table_draws_the_neutral_icon(code):
    """No code, or one Open-Meteo does not send, draws the thermometer, never an error."""
    assert icon_kind(code, night=False) == icon_kind(code, night=True) == "unknown"
    assert "ticker-icon-unknown" in icon_svg(code, night=True, label="Weather")


def test_the_icons_know_every_code_the_words_know():
    """A code has its own picture exactly when the strip has a name for it."""
    for code in range(100):
        named = condition_name(code, "en") is not None
        assert (icon_kind(code, night=False) != "unknown") is named, code


# --- The image group -------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_the_image_group_draws_the_inline_icons_shapes(kind):
    """The group and the inline icon of a picture have the same shapes, in the same order."""
    code, night = SAMPLES[kind]
    inline = parse(icon_svg(code, night=night, label="Weather"))
    group = parse(standalone(icon_group(code, night=night, x=0, y=0, size=24, palette=LIGHT)))
    assert shapes(group) == shapes(inline)


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_the_image_group_paints_in_the_palettes_colours(palette):
    """A thunderstorm with hail is painted in the palette's cloud, bolt and snow colours."""
    root = parse(standalone(icon_group(96, night=False, x=0, y=0, size=24, palette=palette)))
    assert painted(root) == {palette.cloud, palette.bolt, palette.snow}
    assert "currentColor" not in ElementTree.tostring(root, encoding="unicode")


def test_the_image_group_is_placed_scaled_and_titled():
    """The group moves to (x, y), scales 24 units to ``size`` and carries an escaped title."""
    markup = icon_group(0, night=True, x=10, y=20.5, size=48, palette=DARK, label="<Ясно>")
    root = parse(markup)
    assert root.get("transform") == "translate(10 20.5) scale(2)"
    assert root.find("title").text == "<Ясно>"
    assert painted(root) == {DARK.moon}
    assert "<title>" not in icon_group(0, night=True, x=0, y=0, size=24, palette=DARK)


@pytest.mark.parametrize(
    ("x", "y", "size"), [(float("nan"), 0, 24), (0, float("inf"), 24), (0, 0, 0), (0, 0, -5)],
    ids=["nan", "inf", "zero", "negative"],
)  # fmt: skip
def test_the_image_group_needs_a_finite_place_and_a_positive_size(x, y, size):
    """A place or size that is not a finite number draws nothing: it is refused."""
    with pytest.raises(ValueError, match="finite"):
        icon_group(0, night=False, x=x, y=y, size=size, palette=LIGHT)


@pytest.mark.parametrize(
    "colour", ['red" onload="alert(1)', "url(#x)", "", "#12", "expression(alert(1))"]
)
def test_a_palette_takes_only_css_colours(colour):
    """A palette colour that is not a plain CSS colour is refused before it reaches markup."""
    with pytest.raises(ValueError, match="not a CSS colour"):
        IconPalette(sun=colour, moon="#fff", cloud="#ccc", rain="blue", snow="white",
                    bolt="rgb(255, 200, 0)", fog="hsl(0 0% 50%)")  # fmt: skip


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_resvg_draws_each_part_in_its_colour(kind):
    """resvg draws every picture, each of its roles' colours on the canvas."""
    code, night = SAMPLES[kind]
    svg = standalone(icon_group(code, night=night, x=0, y=0, size=96, palette=LIGHT))
    image = render(svg)
    colours = {pixel[:3] for _, pixel in image.getcolors(96 * 96) if pixel[3] == 255}
    assert {rgb(colour) for colour in painted(parse(svg))} <= colours


# --- widget.css ------------------------------------------------------------------------


def icon_rules() -> dict[str, dict[str, str]]:
    """The custom properties of widget.css's condition icons section, by selector."""
    css = WIDGET_CSS.read_text(encoding="utf-8")
    section = css[css.index("/* condition icons") :]
    section = re.sub(r"/\*.*?\*/", "", section, flags=re.DOTALL)
    section = re.sub(r"@media \(prefers-color-scheme: dark\) \{(.*)\}\s*(?=\.ticker-icon \{)",
                     lambda match: match.group(1).replace(".ticker[", "@dark .ticker["),
                     section, flags=re.DOTALL)  # fmt: skip
    rules: dict[str, dict[str, str]] = {}
    for selector, block in re.findall(r"([^{}]+)\{([^{}]*)\}", section):
        rules.setdefault(selector.strip(), {}).update(re.findall(r"(--[\w-]+):\s*([^;]+);", block))
    return rules


@pytest.mark.parametrize(
    ("selector", "palette", "prefix"),
    [(".ticker-icon", LIGHT, "--ticker-icon-"),
     ('.ticker[data-theme="dark"] .ticker-icon', DARK, "--ticker-dark-icon-"),
     ('@dark .ticker[data-theme="auto"] .ticker-icon', DARK, "--ticker-dark-icon-")],
    ids=["light", "dark", "auto-dark"],
)  # fmt: skip
def test_the_stylesheets_icon_colours_are_the_palettes(selector, palette, prefix):
    """Each theme of widget.css defaults every part to its palette's colour, overridable."""
    rules = icon_rules()[selector]
    for role in ROLES:
        assert rules[f"--_icon-{role}"] == f"var({prefix}{role}, {palette.colour(role)})"


def test_the_stylesheet_colours_every_part_class():
    """widget.css gives each part class its colour, and the icon a fixed box."""
    css = WIDGET_CSS.read_text(encoding="utf-8")
    for role in ROLES:
        assert f".ticker-icon .ticker-icon-{role} {{ color: var(--_icon-{role}); }}" in css
    box = re.search(r"\.ticker-icon \{\s*display[^}]*\}", css)
    assert box is not None
    assert "inline-block" in box.group()
    assert "vertical-align: middle" in box.group()
    assert "width: 1.25em; height: 1.25em" in box.group()


# --- Looked at -------------------------------------------------------------------------


def contact_sheet(size: int = 96) -> str:
    """Every picture, day and night, on a light and on a dark background, as one SVG."""
    cell, columns = size * 6 // 5, 6
    kinds = sorted(SAMPLES, key=lambda kind: (kind.endswith("-night"), list(SAMPLES).index(kind)))
    rows = -(-len(kinds) // columns)
    width, height = cell * columns, cell * rows * 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for panel, (palette, background) in enumerate([(LIGHT, "#ffffff"), (DARK, "#14171a")]):
        top = panel * cell * rows
        parts.append(
            f'<rect y="{top}" width="{width}" height="{cell * rows}" fill="{background}"/>'
        )
        for index, kind in enumerate(kinds):
            code, night = SAMPLES[kind]
            x = index % columns * cell + (cell - size) / 2
            y = top + index // columns * cell + (cell - size) / 2
            parts.append(
                icon_group(code, night=night, x=x, y=y, size=size, palette=palette, label=kind)
            )
    return "".join([*parts, "</svg>"])


@pytest.mark.slow
def test_contact_sheet_of_every_picture():
    """resvg draws every picture at 96 px into test-artifacts/icons/contact-sheet.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image = render(contact_sheet())
    image.save(ARTIFACTS / "contact-sheet.png")
    image_small = render(contact_sheet(size=16))
    image_small.save(ARTIFACTS / "contact-sheet-16px.png")
    cell = 96 * 6 // 5
    assert image.size == (cell * 6, cell * 8)
    assert len(SAMPLES) == 22


CHROMIUM = shutil.which("chromium")
PAGE = "https://ticker.test/"
#: The widget's policy: our stylesheet only, no inline style, no script.
CSP = "default-src 'none'; style-src https://ticker.test/widget.css; img-src 'none'"


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable on PATH")
@pytest.mark.parametrize(
    ("theme", "scheme", "palette"),
    [("light", "dark", LIGHT), ("dark", "light", DARK), ("auto", "light", LIGHT),
     ("auto", "dark", DARK)],
    ids=["light", "dark", "auto-light", "auto-dark"],
)  # fmt: skip
async def test_chromium_colours_the_parts_from_widget_css(theme, scheme, palette):
    """Under a strict CSP, widget.css paints each part in its theme's colour, 1.25em square."""
    playwright_api = pytest.importorskip("playwright.async_api")
    icons = "".join(
        icon_svg(code, night=night, label=kind) for kind, (code, night) in sorted(SAMPLES.items())
    )
    html = (
        '<!doctype html><html lang="en"><head><link rel="stylesheet" href="/widget.css"></head>'
        f'<body><div class="ticker" data-theme="{theme}">{icons}</div></body></html>'
    )
    refused: list[str] = []
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page(color_scheme=scheme)
            page.on("console", lambda message: refused.append(message.text))

            async def serve(route):
                if route.request.url.endswith("/widget.css"):
                    await route.fulfill(body=WIDGET_CSS.read_bytes(), content_type="text/css")
                else:
                    headers = {"Content-Security-Policy": CSP}
                    await route.fulfill(body=html, content_type="text/html", headers=headers)

            await page.route("https://ticker.test/**", serve)
            await page.goto(PAGE)
            colours = await page.evaluate(
                """() => Object.fromEntries([...document.querySelectorAll('g[class]')].map(
                     g => [g.getAttribute('class').slice(12), getComputedStyle(g).color]))"""
            )
            box = await page.evaluate(
                """() => { const r = document.querySelector('.ticker-icon').getBoundingClientRect();
                           const f = parseFloat(getComputedStyle(document.querySelector('.ticker'))
                                                .fontSize);
                           return [r.width / f, r.height / f]; }"""
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / f"chromium-{theme}-{scheme}.png"
            await page.locator(".ticker").screenshot(path=shot)
        finally:
            await browser.close()
    assert colours == {role: "rgb({}, {}, {})".format(*rgb(palette.colour(role))) for role in ROLES}
    assert box == pytest.approx([1.25, 1.25])
    assert not [text for text in refused if "Content Security Policy" in text]
