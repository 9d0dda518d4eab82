"""Display rules: published digits, quant labels, signed whole degrees, staleness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ticker import build_strip
from ticker._strip.build import format_published, format_temperature, rate_label

from .conftest import NOW, REFERENCE_RATES, rate, weather

REFERENCE_LINE = "usd/kzt 445.99 eur/kzt 486.53 rub/kzt 5.78 cny/kzt 64.16 · Astana +18+20℃"


@pytest.mark.parametrize(
    ("celsius", "text"),
    [
        (18.5, "+19"),
        (-7.5, "-8"),
        (0.0, "0"),
        (-0.0, "0"),
        (-0.4, "0"),
        (0.4, "0"),
        (0.5, "+1"),
        (-0.5, "-1"),
        (17.49, "+17"),
        (2.5, "+3"),
        (-12.51, "-13"),
        (20.0, "+20"),
    ],
    ids=lambda v: str(v),
)
def test_temperatures_round_half_away_from_zero_with_a_sign(celsius: float, text: str):
    """Whole degrees, half away from zero, signed, and zero never signed."""
    assert format_temperature(celsius) == text


@pytest.mark.parametrize(
    ("published", "text"),
    [
        ("445.99", "445.99"),
        ("258.1", "258.10"),
        ("5.78", "5.78"),
        ("3", "3.00"),
        ("0.0372", "0.0372"),
    ],
    ids=["two-decimals", "trailing-zero-dropped", "small", "integer", "more-decimals-kept"],
)
def test_rates_show_the_published_digits(published: str, text: str):
    """At least two decimals, and never fewer digits than were published."""
    assert format_published(Decimal(published)) == text


def test_quant_goes_into_the_label():
    """A currency quoted per 100 units says so, as the National Bank does."""
    assert rate_label("UZS", 100) == "100 uzs/kzt"
    assert rate_label("USD", 1) == "usd/kzt"


def test_reference_strip_line(settings):
    """The reference values give exactly the reference line."""
    strip = build_strip(
        settings,
        {r.code: r for r in REFERENCE_RATES},
        {"astana": weather()},
        lang="en",
        now=NOW,
    )
    assert strip.text == REFERENCE_LINE


def test_city_name_follows_the_language(settings):
    """The city is named in the requested language."""
    strip = build_strip(settings, {}, {"astana": weather()}, lang="ru", now=NOW)
    assert strip.weather[0].name == "Астана"
    assert strip.text.endswith("Астана +18+20℃")


def test_quoted_per_hundred_shows_per_hundred(settings):
    """UZS at 3.72 per 100 shows as 100 uzs/kzt 3.72 and rates 0.0372 per sum."""
    text = settings.model_copy(
        update={"rates": settings.rates.model_copy(update={"currencies": ["UZS"]})}
    )
    strip = build_strip(text, {"UZS": rate("UZS", "3.72", quant=100)}, {}, lang="en", now=NOW)
    item = strip.rates[0]
    assert (item.label, item.text, item.rate, item.quant) == (
        "100 uzs/kzt",
        "3.72",
        Decimal("0.0372"),
        100,
    )


def test_missing_items_are_marked_not_dropped(settings):
    """An empty cache still gives every configured item, marked missing."""
    strip = build_strip(settings, {}, {}, lang="en", now=NOW)
    assert [item.code for item in strip.rates] == ["USD", "EUR", "RUB", "CNY"]
    assert all(item.missing and item.rate is None for item in strip.rates)
    assert strip.weather[0].missing
    assert strip.text == "usd/kzt — eur/kzt — rub/kzt — cny/kzt — · Astana —"


def test_values_older_than_one_and_a_half_refreshes_are_stale(settings):
    """A rate not refreshed for over 1.5 intervals is flagged, with its age and why."""
    old = rate("USD", "445.99", fetched_at=NOW - dt.timedelta(hours=2, seconds=1))
    fresh = rate("EUR", "486.53", fetched_at=NOW - dt.timedelta(hours=1))
    strip = build_strip(settings, {"USD": old, "EUR": fresh}, {}, lang="en", now=NOW)
    assert (strip.rates[0].stale, strip.rates[0].age) == (True, 7201)
    assert strip.rates[0].reason == "last refreshed 2 hours ago"
    assert strip.rates[0].reason_code == "not_refreshed"
    assert (strip.rates[1].stale, strip.rates[1].age) == (False, 3600)


def test_cross_rate_is_quoted_per_power_of_ten_and_rounded_for_display(settings):
    """A rate computed through RUB keeps every digit but shows two decimals per its quant."""
    from ticker import Rate

    uzs = Rate.cross(
        code="UZS",
        rate=Decimal(100) / Decimal("2688.17"),
        date=dt.date(2026, 11, 28),
        source="cbr",
        fetched_at=NOW,
    )
    assert (uzs.quant, uzs.derived) == (100, True)
    assert uzs.rate == Decimal(100) / Decimal("2688.17")
    assert format_published(uzs.published, derived=True) == "3.72"
    rub = Rate.cross(
        code="RUB", rate=Decimal("5.7849"), date=NOW.date(), source="cbr", fetched_at=NOW
    )
    assert (rub.quant, format_published(rub.published, derived=True)) == (1, "5.78")


def test_weather_without_a_day_range_shows_the_current_temperature(settings):
    """A source that gives no min/max shows the current temperature alone."""
    from ticker import Weather

    reading = Weather(
        city="astana",
        temperature=-7.5,
        date=dt.date(2026, 11, 28),
        observed_at=NOW,
        source="openweathermap",
        fetched_at=NOW,
    )
    strip = build_strip(settings, {}, {"astana": reading}, lang="en", now=NOW)
    assert strip.weather[0].text == "-8℃"


@pytest.mark.parametrize(
    "changes",
    [{"temperature": 120.0}, {"min": -150.0}, {"temperature": float("nan")}, {"max": float("inf")}],
    ids=["too-hot", "too-cold", "nan", "infinite"],
)
def test_weather_outside_physical_bounds_is_rejected(changes):
    """A temperature no thermometer on Earth reads is a broken value, not weather."""
    from pydantic import ValidationError

    from ticker import Weather

    fields = weather().model_dump() | changes
    with pytest.raises(ValidationError):
        Weather.model_validate(fields)


@pytest.mark.parametrize(
    ("today", "dated", "stale"),
    [
        ("2026-11-28", "2026-11-27", False),
        ("2026-11-30", "2026-11-27", False),
        ("2026-11-30", "2026-11-30", False),
        ("2026-12-01", "2026-11-27", True),
        ("2026-11-27", "2026-11-25", True),
    ],
    ids=["saturday-shows-friday", "monday-shows-friday", "monday-shows-monday",
         "tuesday-shows-friday", "friday-shows-wednesday"],
)  # fmt: skip
def test_rates_follow_the_publication_calendar(settings, today, dated, stale):
    """A rate is current if dated on or after the last business day before today (Astana)."""
    now = dt.datetime.fromisoformat(f"{today}T10:00:00+05:00")
    usd = rate("USD", "445.99", fetched_at=now, date=dt.date.fromisoformat(dated))
    item = build_strip(settings, {"USD": usd}, {}, lang="en", now=now).rates[0]
    assert item.stale is stale
    if stale:
        assert item.reason_code == "outdated"
        assert item.reason.startswith(f"dated {dt.date.fromisoformat(dated):%B} ")


def test_items_past_max_age_are_hidden_and_say_why(settings):
    """After max_age without a refresh a value is no longer shown; the item explains."""
    old = NOW - settings.rates.max_age - dt.timedelta(seconds=1)
    strip = build_strip(
        settings,
        {"USD": rate("USD", "445.99", fetched_at=old)},
        {"astana": weather(fetched_at=NOW - dt.timedelta(hours=7))},
        lang="en",
        now=NOW,
    )
    usd, astana = strip.rates[0], strip.weather[0]
    assert (usd.missing, usd.rate, usd.text) == (True, None, "—")
    assert usd.reason == "hidden as too old: last refreshed 4 days ago"
    assert astana.missing
    assert astana.reason == "hidden as too old: last refreshed 7 hours ago"
    assert (usd.reason_code, astana.reason_code) == ("hidden", "hidden")


def test_a_held_jump_marks_the_shown_rate_stale(settings):
    """While a jump is held back the previous rate is shown, stale, with the reason."""
    held = {"USD": rate("USD", "600.00")}
    item = build_strip(
        settings, {"USD": REFERENCE_RATES[0]}, {}, lang="en", now=NOW, held=held
    ).rates[0]
    assert (item.text, item.stale) == ("445.99", True)
    assert item.reason == "nbk published 600.00, held back until a second source agrees"
    assert item.reason_code == "held_jump"


def test_yesterdays_range_is_stale(settings):
    """A reading whose min/max belong to another local date is flagged."""
    reading = weather().model_copy(update={"date": dt.date(2026, 11, 27)})
    item = build_strip(settings, {}, {"astana": reading}, lang="en", now=NOW).weather[0]
    assert item.stale
    assert item.reason == "the range is for November 27, 2026, not today (November 28, 2026)"
    assert item.reason_code == "outdated"


def _unvalidated(good, **fields):
    """``good`` with ``fields`` set without validation, as a value from elsewhere could be."""
    return type(good).model_construct(**{**dict(good), **fields})


@pytest.mark.parametrize(
    "fields",
    [
        {"change": Decimal("1E+30")},
        {"published": Decimal("1E+999990"), "rate": Decimal("1E+999990")},
        {"published": Decimal("1E-200000"), "rate": Decimal("1E-200000")},
        {"published": Decimal("NaN")},
    ],
    ids=["change-1e30", "published-1e999990", "published-1e-200000", "nan"],
)
def test_a_value_that_cannot_be_shown_is_missing_and_the_rest_renders(settings, fields, caplog):
    """One unshowable rate is missing with a reason, logged once; every other item renders."""
    from ticker._strip.build import _log_unshowable

    _log_unshowable.cache_clear()  # once per process: start this test's count afresh
    cached = {r.code: r for r in REFERENCE_RATES}
    cached["USD"] = _unvalidated(cached["USD"], **fields)
    for _ in range(3):
        strip = build_strip(settings, cached, {"astana": weather()}, lang="en", now=NOW)
    usd = strip.rates[0]
    assert (usd.missing, usd.text, usd.rate, usd.reason) == (
        True,
        "—",
        None,
        "the value cannot be shown",
    )
    assert strip.text == REFERENCE_LINE.replace("usd/kzt 445.99", "usd/kzt —")
    assert len(strip.model_dump_json()) < 10_000
    logged = [r for r in caplog.records if "USD cannot be shown" in r.getMessage()]
    assert len(logged) == 1


def test_a_reading_that_cannot_be_shown_is_missing_and_the_rest_renders(settings):
    """A temperature no model would accept shows the city missing; the rates still render."""
    cached = {"astana": _unvalidated(weather(), temperature=1e308, min=None, max=None)}
    strip = build_strip(settings, {r.code: r for r in REFERENCE_RATES}, cached, lang="en", now=NOW)
    assert (strip.weather[0].missing, strip.weather[0].reason) == (
        True,
        "the value cannot be shown",
    )
    assert strip.text == REFERENCE_LINE.replace("Astana +18+20℃", "Astana —")


def test_a_pin_beyond_the_bounds_is_missing_not_a_crash(settings):
    """A pin of 1E+30 cannot be shown: that item is missing, the others render.

    The settings refuse such a pin (tests/test_editorial.py); built past them, the
    render still costs only its item.
    """
    from ticker._config import Pin

    pin = Pin.model_construct(
        item="USD", value=Decimal("1E+30"), temperature=None, min=None, max=None,
        reason="typo", until=NOW + dt.timedelta(hours=1),
    )  # fmt: skip
    editorial = settings.editorial.model_copy(update={"pins": [pin]})
    pinned = settings.model_copy(update={"editorial": editorial})
    strip = build_strip(
        pinned, {r.code: r for r in REFERENCE_RATES}, {"astana": weather()}, lang="en", now=NOW
    )
    assert (strip.rates[0].missing, strip.rates[1].text) == (True, "486.53")


def test_a_process_wide_decimal_context_does_not_change_the_strip(settings):
    """Three digits of precision and traps on rounding elsewhere leave every number as it was."""
    import decimal

    cached = {r.code: r for r in REFERENCE_RATES}
    cached["EUR"] = rate("EUR", "12345.67", change="-1234.56")
    context = decimal.Context(prec=3, traps=[decimal.Inexact, decimal.Rounded])
    with decimal.localcontext(context):
        strip = build_strip(settings, cached, {"astana": weather()}, lang="en", now=NOW)
        assert format_published(Decimal("5.035087719298245614035087719"), derived=True) == "5.04"
        assert format_temperature(18.5) == "+19"
    assert strip.text == REFERENCE_LINE.replace("486.53", "12345.67")
    assert strip.rates[1].change_text == "-1234.56"
    assert not any(item.missing for item in strip.rates)


@pytest.mark.parametrize(
    "value",
    [Decimal("1E+999990"), Decimal("1E-200000"), Decimal("1" * 100)],
    ids=["1e999990", "1e-200000", "100-digits"],
)
def test_formatting_refuses_a_value_beyond_the_bounds(value):
    """format_published raises ValueError rather than write out 200,000 digits."""
    with pytest.raises(ValueError, match="has more than"):
        format_published(value)
