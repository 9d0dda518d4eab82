"""Business days from the ``holidays`` package: staleness across real public holidays.

A rate is stale only once it is dated before its bank's last business day; the
public holidays of the bank's country (Kazakhstan, Uzbekistan, Kyrgyzstan,
Tajikistan, Russia) are no business days, and ``rates.holidays`` puts another
country's in their place.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zoneinfo

import pytest

from ticker import ConfigError
from ticker._models import KAZAKHSTAN, Calendar, public_holidays
from ticker._staleness import rate_staleness
from ticker.sources import calendar_of, load_adapter

from .conftest import SETTINGS_YAML, make_settings, rate

NBK = SETTINGS_YAML.replace('[{adapter: static, rates: {USD: "445.99"}}]', "[{adapter: nbk}]")
CBR = SETTINGS_YAML.replace('[{adapter: static, rates: {USD: "445.99"}}]', "[{adapter: cbr}]")


def _at_9_in(zone: str, day: dt.date) -> dt.datetime:
    """09:00 of ``day`` in ``zone``, in UTC: a morning reader's moment."""
    return dt.datetime.combine(day, dt.time(9), zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC)


def _due(settings_yaml: str, source: str, base: str, dated: dt.date, now: dt.datetime):
    """Why a rate of ``source`` dated ``dated`` is stale at ``now``, or None."""
    settings = make_settings(settings_yaml).rates
    shown = rate("USD", "445.99", source=source, base=base, date=dated, fetched_at=now)
    return rate_staleness(shown, 0, settings, now)


@pytest.mark.parametrize("country", ["KZ", "UZ", "KG", "TJ", "RU"])
def test_the_package_knows_each_bank_s_country(country):
    """Every country of our banks has its New Year's Day among its holidays."""
    assert dt.date(2026, 1, 1) in public_holidays(country, 2026)


@pytest.mark.parametrize(
    ("adapter", "country"),
    [("nbk", "KZ"), ("cbu", "UZ"), ("nbkr", "KG"), ("nbt", "TJ"), ("cbr", "RU")],
    ids=["nbk", "cbu", "nbkr", "nbt", "cbr"],
)
def test_each_bank_adapter_keeps_its_country_s_holidays(adapter, country):
    """A bank adapter's calendar names the country whose holidays are its days off."""
    assert load_adapter("rates", adapter).calendar.country == country


def test_monday_s_rate_is_current_the_day_after_independence_day():
    """On Wednesday 17 December 2025, after Tuesday's Independence Day, Monday's rate is current."""
    now = _at_9_in("Asia/Almaty", dt.date(2025, 12, 17))
    assert _due(NBK, "nbk", "KZT", dt.date(2025, 12, 15), now) is None
    # Without holidays the same rate would be outdated: Tuesday's was due.
    reason = _due(NBK.replace("  refresh: 1h", "  refresh: 1h\n  holidays: false"),
                  "nbk", "KZT", dt.date(2025, 12, 15), now)  # fmt: skip
    assert reason is not None
    assert reason.values["expected"] == dt.date(2025, 12, 16)


def test_the_last_rate_of_the_year_is_current_after_the_new_year_holidays():
    """On Monday 5 January 2026, after 1-2 January and a weekend, 31 December's rate is current."""
    now = _at_9_in("Asia/Almaty", dt.date(2026, 1, 5))
    assert _due(NBK, "nbk", "KZT", dt.date(2025, 12, 31), now) is None
    reason = _due(NBK, "nbk", "KZT", dt.date(2025, 12, 30), now)
    assert reason is not None
    assert reason.values["expected"] == dt.date(2025, 12, 31)


def test_friday_s_rate_is_current_on_a_holiday_monday_and_the_tuesday_after():
    """Friday 6 March 2026's rate is current on the holiday Monday 9 March and on Tuesday 10."""
    for day in (dt.date(2026, 3, 9), dt.date(2026, 3, 10)):
        now = _at_9_in("Asia/Almaty", day)
        assert _due(NBK, "nbk", "KZT", dt.date(2026, 3, 6), now) is None, day
    assert KAZAKHSTAN.last_publication_before(dt.date(2026, 3, 10)) == dt.date(2026, 3, 6)


def test_the_bank_of_russia_s_december_rate_lasts_through_the_new_year_holidays():
    """Russia's New Year holidays (1-9 January 2026) set no rate: 31 December's is current on
    Tuesday 13 January; the rate dated Tuesday is set on Monday 12, the first working day."""
    now = _at_9_in("Europe/Moscow", dt.date(2026, 1, 13))
    assert _due(CBR, "cbr", "KZT", dt.date(2025, 12, 31), now) is None
    cbr = load_adapter("rates", "cbr").calendar
    assert [day for day in range(1, 15) if cbr.publishes_for(dt.date(2026, 1, day))] == [13, 14]
    # Without Russia's holidays, Saturday 10 January's rate would have been due.
    reason = _due(CBR.replace("  refresh: 1h", "  refresh: 1h\n  holidays: false"),
                  "cbr", "KZT", dt.date(2025, 12, 31), now)  # fmt: skip
    assert reason is not None
    assert reason.values["expected"] == dt.date(2026, 1, 10)


def test_no_rate_is_dated_the_day_after_a_russian_holiday():
    """Defender of the Fatherland Day (Monday 23 February 2026) sets no rate for Tuesday 24."""
    cbr = load_adapter("rates", "cbr").calendar
    assert not cbr.publishes_for(dt.date(2026, 2, 24))
    assert not cbr.works_on(dt.date(2026, 2, 23))
    assert cbr.last_publication_before(dt.date(2026, 2, 25)) == dt.date(2026, 2, 21)


def test_rates_holidays_overrides_the_adapter_s_country():
    """``rates.holidays: KZ`` gives a source with no country Kazakhstan's holidays."""
    settings = make_settings(
        SETTINGS_YAML.replace("  refresh: 1h", "  refresh: 1h\n  holidays: kz")
    )
    assert settings.rates.holidays == "KZ"
    calendar = calendar_of(settings.rates.sources, "static", holidays=settings.rates.holidays)
    assert calendar.is_holiday(dt.date(2025, 12, 16))
    assert not calendar_of(settings.rates.sources, "static").is_holiday(dt.date(2025, 12, 16))


def test_rates_holidays_false_leaves_weekends_alone():
    """``rates.holidays: false`` drops the adapter's holidays."""
    settings = make_settings(NBK.replace("  refresh: 1h", "  refresh: 1h\n  holidays: false"))
    calendar = calendar_of(settings.rates.sources, "nbk", holidays=settings.rates.holidays)
    assert calendar.country is None
    assert calendar.publishes_for(dt.date(2025, 12, 16))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("XX", "'XX' is not a country code the holidays package knows"),
        ("true", "expected a country code such as KZ, or false for no holidays"),
        ("Kazakhstan", "expected a country code such as KZ"),
    ],
    ids=["unknown-code", "true", "a-name"],
)
def test_a_wrong_holidays_country_is_a_config_error(value, message):
    """A country the package does not know is refused, naming the key."""
    with pytest.raises(ConfigError) as caught:
        make_settings(SETTINGS_YAML.replace("  refresh: 1h", f"  refresh: 1h\n  holidays: {value}"))
    assert [path for path, _ in caught.value.problems] == ["rates.holidays"]
    assert message in caught.value.problems[0][1]


def test_a_calendar_without_a_country_knows_only_weekends():
    """A source that names no country keeps weekdays alone: 16 December is a business day."""
    calendar = Calendar("Asia/Almaty")
    assert not calendar.is_holiday(dt.date(2025, 12, 16))
    assert calendar.last_publication_before(dt.date(2025, 12, 17)) == dt.date(2025, 12, 16)


def test_the_client_does_not_load_the_holidays_package():
    """``from ticker import TickerClient`` never imports ``holidays`` (a third of a second)."""
    probe = "import sys; from ticker import TickerClient; print('holidays' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
