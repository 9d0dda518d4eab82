"""The bounds every number and date meets where it enters: the models and the cache's reads."""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ticker import Rate, Store, Weather
from ticker._models import (
    EARLIEST_DATE,
    MAX_QUANT,
    PUBLISHED_DIGITS,
    date_problem,
    out_of_bounds,
)

from .conftest import NOW, REFERENCE_RATES, rate, weather

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    "published",
    ["999999999999.9999999999", "0.0000000001", "445.99", "3"],
    ids=["12-integer-and-10-decimal-digits", "smallest", "usual", "integer"],
)
def test_published_values_within_the_bounds_are_accepted(published):
    """At most 12 integer digits and 10 decimals: every value a bank writes."""
    assert rate("USD", published).published == Decimal(published)


@pytest.mark.parametrize(
    ("published", "message"),
    [
        ("1000000000000", "more than 12 integer digits"),
        ("1E+30", "more than 12 integer digits"),
        ("1E+999990", "1E+999990 has more than 12 integer digits"),
        ("0.00000000001", "more than 10 decimals"),
        ("1E-200000", "1E-200000 has more than"),
        ("445.99000000000", "more than 10 decimals"),
        ("1" * 60, "a 60-digit number (exponent 0)"),
        ("Infinity", "finite number"),
        ("NaN", "finite number"),
        ("0", "positive"),
        ("-445.99", "positive"),
    ],
    ids=[
        "13-integer-digits",
        "1e30",
        "1e999990",
        "11-decimals",
        "1e-200000",
        "trailing-zeros-count",
        "60-digits-said-briefly",
        "infinity",
        "nan",
        "zero",
        "negative",
    ],
)
def test_published_values_beyond_the_bounds_are_refused(published, message):
    """A value beyond the bounds is a validation error naming why, never an arithmetic one."""
    with pytest.raises(ValidationError, match=re.escape(message)) as info:
        rate("USD", published)
    assert len(str(info.value)) < 2_000


@pytest.mark.parametrize(
    ("change", "accepted"),
    [
        ("-999999999999.99", True),
        ("0.00", True),
        ("+1.27", True),
        ("1E+27", False),
        ("-1E+30", False),
        ("0E-999999", False),
        ("0.00000000001", False),
    ],
    ids=["largest-fall", "zero", "usual", "1e27", "minus-1e30", "zero-1e-999999", "11-decimals"],
)
def test_a_change_is_bounded_like_a_published_value(change, accepted):
    """A change may be zero or negative, but has no more digits than a published value."""
    if accepted:
        assert rate("USD", "445.99", change=change).change == Decimal(change)
    else:
        with pytest.raises(ValidationError, match="change"):
            rate("USD", "445.99", change=change)


@pytest.mark.parametrize("quant", [1, 10, 100, 1000, 10000, MAX_QUANT])
def test_quants_are_powers_of_ten_up_to_a_million(quant):
    """1, 10, 100 ... 10**6 divide the published value exactly."""
    assert rate("UZS", "3.72", quant=quant).rate == Decimal("3.72") / quant


@pytest.mark.parametrize(
    "quant",
    [0, -10, 3, 250, 10 * MAX_QUANT, 10**4000],
    ids=["zero", "negative", "three", "250", "10-to-the-7", "10-to-the-4000"],
)
def test_other_quants_are_refused(quant):
    """A quant that is no power of ten from 1 to 10**6 is refused, briefly."""
    with pytest.raises(ValidationError, match="quant must be a power of ten") as info:
        rate("UZS", "3.72", quant=quant)
    assert len(str(info.value)) < 2_000


@pytest.mark.parametrize(
    ("day", "fetched_at", "message"),
    [
        (dt.date(1999, 12, 31), NOW, "before 2000-01-01"),
        (TODAY, dt.datetime(1999, 12, 31, tzinfo=dt.UTC), "is not between 2000 and 9000"),
        (TODAY, dt.datetime(9000, 1, 1, tzinfo=dt.UTC), "is not between 2000 and 9000"),
        (
            TODAY,
            dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
            "outside the range of dates",
        ),
    ],
    ids=["date-1999", "fetched-1999", "fetched-9000", "fetched-year-1-east-of-utc"],
)
def test_dates_and_instants_beyond_the_calendar_bounds_are_refused(day, fetched_at, message):
    """Dates before 2000 and instants outside 2000..9000 are refused as validation errors."""
    with pytest.raises(ValidationError, match=message):
        rate("USD", "445.99", date=day, fetched_at=fetched_at)


def test_the_earliest_date_is_accepted():
    """2000-01-01 itself is within the bounds."""
    assert rate("USD", "445.99", date=EARLIEST_DATE).date == EARLIEST_DATE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1E+13"), "more than 12 integer digits"),
        (Decimal("1E-200000"), "more than 66 decimals"),
        (Decimal("1e-12"), "worth less than 0.01 KZT"),
        (Decimal("NaN"), "must be a positive number"),
    ],
    ids=["1e13", "1e-200000", "1e-12", "nan"],
)
def test_cross_rates_beyond_the_bounds_are_refused(value, message):
    """A cross rate too large, too small to show or not finite raises ValueError naming it."""
    with pytest.raises(ValueError, match=message):
        Rate.cross(code="VND", rate=value, date=TODAY, source="cbr", fetched_at=NOW)


def test_a_cross_rate_keeps_its_digits_and_is_quoted_per_a_power_of_ten():
    """A tiny but showable rate is quoted per up to 10**6 units; the digits stay exact."""
    tiny = Decimal("0.0000123456789012345678901234567")
    crossed = Rate.cross(code="VND", rate=tiny, date=TODAY, source="cbr", fetched_at=NOW)
    assert (crossed.quant, crossed.published, crossed.rate) == (
        100000,
        Decimal("1.23456789012345678901234567"),
        tiny,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": 100}, "less than or equal to 99"),
        ({"code": -1}, "greater than or equal to 0"),
        ({"temperature": float("inf")}, "finite number"),
        ({"temperature": 1e308}, "less than or equal to 65"),
        ({"temperature": 10**4000}, "temperature"),
        ({"date": dt.date(1999, 12, 31)}, "before 2000-01-01"),
        (
            {
                "observed_at": dt.datetime(
                    9999, 12, 31, 23, tzinfo=dt.timezone(-dt.timedelta(hours=5))
                )
            },
            "outside the range of dates",
        ),
    ],
    ids=[
        "code-100",
        "code-minus-1",
        "infinity",
        "1e308",
        "a-4000-digit-integer",
        "1999",
        "year-10000",
    ],
)
def test_weather_numbers_and_times_beyond_the_bounds_are_refused(fields, message):
    """A reading's numbers and times out of bounds are validation errors, not overflows."""
    good = dict(weather())
    with pytest.raises(ValidationError, match=message):
        Weather.model_validate({**good, **fields})


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (TODAY, None),
        (dt.date(2026, 11, 29), None),
        (dt.date(2016, 4, 18), None),
        (dt.date(2026, 11, 30), "dated 2026-11-30, after 2026-11-29: in the future"),
        (dt.date(9999, 12, 31), "dated 9999-12-31, after 2026-11-29: in the future"),
        (dt.date(1999, 12, 31), "dated 1999-12-31, before 2000-01-01"),
    ],
    ids=["today", "tomorrow", "ten-years-back", "two-days-ahead", "9999", "1999"],
)
def test_the_date_window(day, problem):
    """From 2000-01-01 up to one day after today; old dates are stale, not refused."""
    assert date_problem(day, today=TODAY) == problem


def test_out_of_bounds_validates_a_value_built_without_validation():
    """A rate put together without validation is judged again, field by field."""
    careless = Rate.model_construct(**{**dict(REFERENCE_RATES[0]), "change": Decimal("1E+30")})
    problem = out_of_bounds(careless, now=NOW, zone=dt.UTC)
    assert "1E+30 has more than 12 integer digits" in (problem or "")
    assert out_of_bounds(REFERENCE_RATES[0], now=NOW, zone=dt.UTC) is None


def test_a_reading_observed_in_the_future_is_out_of_bounds():
    """A reading observed over a day after now is out of bounds, whatever its date says."""
    later = weather().model_copy(update={"observed_at": NOW + dt.timedelta(days=2)})
    assert "in the future" in (out_of_bounds(later, now=NOW, zone=dt.UTC) or "")


def test_the_bounds_are_checked_without_arithmetic():
    """A 10**6-digit value is judged on its digit count alone, before anything is computed."""
    huge = Decimal("9" * 1_000_000)
    with pytest.raises(ValueError, match="a 1000000-digit number"):
        PUBLISHED_DIGITS.check(huge)


def _poison(good: Rate, **fields: str) -> bytes:
    """``good``'s cached JSON with ``fields`` replaced, as an older version could have stored."""
    document = good.model_dump(mode="json")
    document.update(fields)
    return Rate.model_construct(**document).model_dump_json(warnings=False).encode()


@pytest.mark.parametrize(
    "fields",
    [
        {"change": "1E+30"},
        {"published": "1E+999990", "rate": "1E+999990"},
        {"published": "1E-200000", "rate": "1E-200000"},
        {"quant": 10**4000},
        {"date": "9999-12-31"},
    ],
    ids=["change-1e30", "published-1e999990", "published-1e-200000", "quant-10-to-4000", "9999"],
)
def test_a_bad_stored_value_reads_as_absent_for_its_item_only(store: Store, caplog, fields):
    """A poison value already in the cache is refused on read, logged once; the rest is read."""
    from ticker._data.cache import _log_refused

    _log_refused.cache_clear()  # once per process: start this test's count afresh
    store.put_rates(REFERENCE_RATES)
    store.backend.write({"rate:USD": _poison(REFERENCE_RATES[0], **fields)})
    with caplog.at_level(logging.WARNING, logger="ticker.cache"):
        for _ in range(3):
            cached = store.rates(["USD", "EUR", "RUB", "CNY"])
    assert sorted(cached) == ["CNY", "EUR", "RUB"]
    logged = [r for r in caplog.records if "rate:USD is unreadable" in r.getMessage()]
    assert len(logged) == 1
    assert len(logged[0].getMessage()) < 300


def test_a_bad_stored_reading_reads_as_absent(store: Store):
    """A cached reading of 1e308 degrees counts as no reading."""
    document = weather().model_dump(mode="json") | {"temperature": 1e308}
    store.backend.write(
        {
            "weather:astana": Weather.model_construct(**document)
            .model_dump_json(warnings=False)
            .encode()
        }
    )
    assert store.weather(["astana"]) == {}
