"""What drawing the strip and the day's card as images costs, beside the HTML fragment.

Usage::

    python -m benchmarks.images            # every language, 30 SVG and 10 PNG runs each
    python -m benchmarks.images --quick    # every language, 5 and 2 runs: a few seconds
    python -m benchmarks.images --runs 50 --png-runs 20 --lang en --lang kk-Arab

In one process, on the reference strip in each language (four rates, Astana and
Almaty, the credits): the median milliseconds and the bytes of the strip's SVG
(960 px) and PNG (2x), of the card's SVG and PNG (1200x630), and, measured in the
same run as the reference, of the HTML fragment of the same strip
(:func:`ticker._strip.markup.render_fragment`), with each kind's ratio to it.  The
first render of a language is reported apart: it shapes every word once, which
the later renders find measured.  Loading the fonts is timed once.  Tables go to
stdout and to ``test-artifacts/benchmarks-images.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from benchmarks._report import Figure, Report, Section
from ticker import Rate, Weather, build_strip, parse_settings
from ticker._config import DEFAULT_FONT_DIRS
from ticker._data.cache import Stamp
from ticker._languages import LANGUAGES
from ticker._models import Direction
from ticker._serving.catalogue import FORMS
from ticker._serving.snapshot import Snapshot, render_snapshot
from ticker._strip.images import Fonts, card_svg, strip_svg, svg_to_png
from ticker._strip.markup import render_fragment
from ticker._wire import Strip
from ticker.sources import attributions

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "test-artifacts" / "benchmarks-images.md"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
DAY = NOW.date()

SETTINGS = """
languages: [en, ru, kk, kk-Latn, kk-Arab, zh, uz, uz-Latn, ky, tg]
rates:
  currencies: [USD, EUR, RUB, CNY]
  sources: [{adapter: nbk}]
weather:
  cities:
    - id: astana
      name: {en: Astana, ru: Астана, kk: Астана, zh: 阿斯塔纳, uz-Latn: Astana, tg: Остона}
      latitude: 51.1694
      longitude: 71.4491
      timezone: Asia/Almaty
    - id: almaty
      name: {en: Almaty, ru: Алматы, kk: Алматы, zh: 阿拉木图, uz-Latn: Olmaota}
      latitude: 43.2220
      longitude: 76.8512
      timezone: Asia/Almaty
  sources: [{adapter: open-meteo}]
"""
#: The reference strip's rates: published value, change, direction.
RATES = {
    "USD": ("445.99", "1.02", Direction.UP),
    "EUR": ("486.53", "-0.86", Direction.DOWN),
    "RUB": ("5.78", "0.00", Direction.FLAT),
    "CNY": ("64.16", "0.11", Direction.UP),
}
#: The kinds measured, in the order of the table.
KINDS = ("strip svg", "strip png", "card svg", "card png")


def reference_values() -> tuple[dict[str, Rate], dict[str, Weather]]:
    """The reference rates and two cities' weather, as the cache would hold them."""
    rates = {
        code: Rate.from_published(
            code=code, base="KZT", published=Decimal(value), quant=1, change=Decimal(change),
            direction=direction, date=DAY, source="nbk", fetched_at=NOW,
        )
        for code, (value, change, direction) in RATES.items()
    }  # fmt: skip
    cities = {
        city: Weather(
            city=city, temperature=low + 1, min=low, max=high, code=code, date=DAY,
            observed_at=NOW, source="open-meteo", fetched_at=NOW,
        )
        for city, low, high, code in (("astana", 17.6, 19.5, 2), ("almaty", -3.2, 4.6, 61))
    }  # fmt: skip
    return rates, cities


def reference_strip(lang: str) -> Strip:
    """The reference values as the service would build them in ``lang``."""
    settings = parse_settings(SETTINGS, source="benchmarks/images.py")
    rates, cities = reference_values()
    return build_strip(
        settings, rates, cities, lang=lang, now=NOW, attributions=attributions(settings)
    )


def timed(render: Callable[[], str | bytes], runs: int) -> tuple[float, float, int]:
    """The first call's milliseconds, the median of ``runs`` more, and the result's bytes."""
    started = time.perf_counter()
    result = render()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        render()
        times.append((time.perf_counter() - started) * 1000)
    size = len(result.encode() if isinstance(result, str) else result)
    return first, statistics.median(times), size


def measure_language(lang: str, fonts: Fonts, runs: int, png_runs: int) -> list[list[str]]:
    """The rows of one language: each kind's figures and its ratio to the fragment.

    Each SVG's first render is the language's first: its words are shaped then.
    """
    strip = reference_strip(lang)
    _, fragment, fragment_bytes = timed(lambda: render_fragment(strip), max(runs, 100))
    rows = [[lang, "html fragment", "—", f"{fragment:.3f}", str(fragment_bytes), "1"]]
    images: dict[str, str] = {}

    def draw_strip() -> str:
        images["strip"] = strip_svg(strip, fonts=fonts)
        return images["strip"]

    def draw_card() -> str:
        images["card"] = card_svg(strip, fonts=fonts, day=DAY)
        return images["card"]

    renders: list[tuple[str, Callable[[], str | bytes], int]] = [
        ("strip svg", draw_strip, runs),
        ("strip png", lambda: svg_to_png(images["strip"], fonts=fonts, scale=2), png_runs),
        ("card svg", draw_card, runs),
        ("card png", lambda: svg_to_png(images["card"], fonts=fonts), png_runs),
    ]
    for kind, render, count in renders:
        first, median, size = timed(render, count)
        ratio = f"{median / fragment:.0f}"
        rows.append([lang, kind, f"{first:.1f}", f"{median:.3f}", str(size), ratio])
    return rows


def measure_snapshot(runs: int) -> Section:
    """A snapshot of every language: its text and HTML forms alone, then with every image.

    As the service makes one after a refresh (:func:`ticker._serving.snapshot.render_snapshot`):
    eager forms of every language, then each image variant a reader asked for (here all
    four images of every language, in the default theme, units and size).
    """
    settings = parse_settings(SETTINGS, source="benchmarks/images.py")
    rates, weather = reference_values()
    credits = attributions(settings)
    stamp = Stamp(version="bench", generated_at=NOW)
    images = [form.name for form in FORMS if form.lazy]

    def text_only() -> Snapshot:
        return render_snapshot(settings, stamp, rates, weather, credits=credits)

    def with_images() -> Snapshot:
        snapshot = text_only()
        snapshot.render(snapshot.key(form, lang) for lang in settings.languages for form in images)
        return snapshot

    rows = []
    for name, make in (("text and HTML forms", text_only), ("with every image", with_images)):
        with_images()  # every word shaped once, as in a running process
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            snapshot = make()
            times.append((time.perf_counter() - started) * 1000)
        size = sum(len(variant.body) for variant in snapshot.variants.values())
        rows.append([name, str(len(snapshot.variants)), f"{statistics.median(times):.1f}",
                     str(size)])  # fmt: skip
    notes = [
        f"{len(settings.languages)} languages; median of {runs} snapshots; the images are"
        " the strip (960 px, SVG and 2x PNG) and the card (1200x630, SVG and PNG) of each"
    ]
    return Section("snapshot", ["snapshot", "variants", "median ms", "bytes"], rows, notes,
                   right_from=1)  # fmt: skip


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _machine(fonts_ms: float) -> Section:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows = [
        ["nproc", str(usable)],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["resvg-py", _version("resvg-py")],
        ["uharfbuzz", _version("uharfbuzz")],
        ["fonts loaded in", f"{fonts_ms:.0f} ms (once per process)"],
        ["load average at start", " ".join(f"{load:.2f}" for load in os.getloadavg())],
    ]
    return Section("machine", ["", ""], rows, right_from=2)


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 SVG and 2 PNG runs")
    parser.add_argument("--runs", type=int, default=30, help="SVG renders per median")
    parser.add_argument("--png-runs", type=int, default=10, help="PNG renders per median")
    parser.add_argument("--lang", action="append", choices=LANGUAGES, help="default: every one")
    parser.add_argument("--snapshot-runs", type=int, default=5, help="snapshots per median")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    options = parser.parse_args(argv)
    if options.quick:
        options.runs, options.png_runs, options.snapshot_runs = 5, 2, 1
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every kind in every language asked; the exit status."""
    options = _options(argv)
    report = Report(
        "python -m benchmarks.images " + " ".join(sys.argv[1:] if argv is None else argv)
    )
    started = time.perf_counter()
    fonts = Fonts.load(list(DEFAULT_FONT_DIRS))
    report.add(_machine((time.perf_counter() - started) * 1000))
    columns = ["lang", "kind", "first ms", "median ms", "bytes", "x fragment"]
    rows = [
        row
        for lang in options.lang or LANGUAGES
        for row in measure_language(lang, fonts, options.runs, options.png_runs)
    ]
    notes = [
        f"median of {options.runs} SVG and {options.png_runs} PNG renders after a first one;"
        " the strip 960 px wide (PNG at 2x), the card 1200x630;"
        " 'x fragment': the median over the HTML fragment's, measured in the same run"
    ]
    figures = [
        Figure(f"{kind}, median over languages", _median_of(rows, kind), "ms") for kind in KINDS
    ]
    figures.append(
        Figure(
            "html fragment, median over languages", _median_of(rows, "html fragment") * 1000, "us"
        )
    )
    snapshot = measure_snapshot(options.snapshot_runs)
    figures += [Figure(f"snapshot, {row[0]}", float(row[2]), "ms") for row in snapshot.rows]
    return report.finish(
        [Section("images", columns, rows, notes, right_from=2), snapshot],
        figures,
        options.output,
    )


def _median_of(rows: list[list[str]], kind: str) -> float:
    return statistics.median(float(row[3]) for row in rows if row[1] == kind)


if __name__ == "__main__":
    raise SystemExit(main())
