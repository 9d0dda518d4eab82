"""The settings file: strict validation, clear messages, a usable default."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ticker import ConfigError, build_sources, load_settings, parse_settings
from ticker._config import format_duration, parse_duration

from .conftest import SETTINGS_YAML, make_settings


def problems_of(text: str) -> list[tuple[str, str]]:
    """The (key path, message) pairs a settings text is refused with."""
    with pytest.raises(ConfigError) as caught:
        build_sources(parse_settings(text, source="site.yaml"), config_source="site.yaml")
    assert str(caught.value).startswith("site.yaml: ")
    return caught.value.problems


def test_default_config_is_the_reference_strip():
    """The built-in config shows USD, EUR, RUB, CNY from NBK and Astana from Open-Meteo."""
    settings = load_settings(None)
    assert settings.rates.currencies == ["USD", "EUR", "RUB", "CNY"]
    assert [s.adapter for s in settings.rates.sources] == ["nbk"]
    assert [c.id for c in settings.weather.cities] == ["astana"]
    assert settings.weather.cities[0].timezone == "Asia/Almaty"
    assert [s.adapter for s in settings.weather.sources] == ["open-meteo"]
    assert settings.cache.directory.name == "ticker"
    sources = build_sources(settings)
    assert [s.name for s in sources.rates] == ["nbk"]


def test_loads_a_file_and_keeps_order(tmp_path: Path):
    """A file on disk loads into typed settings, currencies in the order written."""
    path = tmp_path / "ticker.yaml"
    path.write_text(SETTINGS_YAML, encoding="utf-8")
    settings = load_settings(path)
    assert settings.languages == ["en", "ru", "kk", "zh"]
    assert settings.rates.refresh == dt.timedelta(hours=1)
    assert settings.weather.refresh == dt.timedelta(minutes=15)
    assert settings.weather.cities[0].display_name("zh") == "阿斯塔纳"


def test_bad_currency_names_the_key_path():
    """A code that is not ISO 4217 is refused at rates.currencies[1]."""
    text = SETTINGS_YAML.replace("[USD, EUR, RUB, CNY]", "[USD, US]")
    assert problems_of(text) == [("rates.currencies[1]", "'US' is not an ISO 4217 code")]


def test_unknown_key_is_refused():
    """A misspelt key is an error, not silently ignored."""
    text = SETTINGS_YAML.replace("  refresh: 1h", "  refresh: 1h\n  refersh: 2h")
    assert problems_of(text) == [("rates.refersh", "unknown key; did you mean 'refresh'?")]


def test_missing_section_is_named():
    """A config without weather: says which key is missing."""
    text = SETTINGS_YAML.split("weather:")[0]
    assert problems_of(text) == [("weather", "required key is missing")]


def test_every_problem_is_listed_at_once():
    """Several mistakes are reported together, each with its own path."""
    text = SETTINGS_YAML.replace("refresh: 15m", "refresh: soon").replace(
        "Asia/Almaty", "Asia/Atlantis"
    )
    paths = [path for path, _ in problems_of(text)]
    assert paths == ["weather.refresh", "weather.cities[0].timezone"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), (45, 45)],
    ids=["seconds", "minutes", "hours", "days", "combined", "bare-integer"],
)
def test_durations_parse(text: str | int, seconds: int):
    """Durations are written the way operators write them."""
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1x", "h", "0s", "-5m", "1.5h"], ids=repr)
def test_bad_durations_are_refused(text: str):
    """Anything that is not a positive whole duration is an error."""
    assert problems_of(SETTINGS_YAML.replace("refresh: 1h", f"refresh: {text!r}"))[0][0] == (
        "rates.refresh"
    )


def test_durations_round_trip():
    """A duration prints the way it is written."""
    assert format_duration(dt.timedelta(minutes=90)) == "1h30m"


def test_bad_yaml_names_line_and_column():
    """Broken YAML is reported with where it broke."""
    problems = problems_of("rates: [USD\nweather: {")
    assert len(problems) == 1
    assert problems[0][1].startswith("invalid YAML at line")


def test_unreadable_file_names_the_file(tmp_path: Path):
    """A missing file is a ConfigError naming that file."""
    with pytest.raises(ConfigError, match=r"nowhere\.yaml"):
        load_settings(tmp_path / "nowhere.yaml")


def test_duplicate_currency_is_refused():
    """Listing a currency twice is a mistake worth reporting."""
    text = SETTINGS_YAML.replace("[USD, EUR, RUB, CNY]", "[USD, EUR, USD]")
    assert problems_of(text) == [("rates.currencies", "'USD' is listed twice")]


def test_unsupported_language_lists_the_allowed_ones():
    """Only the languages the strip is written in are accepted."""
    text = SETTINGS_YAML.replace("[en, ru, kk, zh]", "[en, fr]")
    path, message = problems_of(text)[0]
    assert path == "languages[1]"
    assert "'kk-Arab'" in message


def test_unknown_adapter_lists_the_available_ones():
    """An adapter name that is not registered for the kind names the ones that are."""
    text = SETTINGS_YAML.replace("adapter: static, rates", "adapter: open-meteo, rates")
    assert problems_of(text) == [
        (
            "rates.sources[0].adapter",
            "'open-meteo' is not a rates adapter; available: "
            "cbr, cbu, er-api, nbk, nbkr, nbt, static",
        )
    ]


def test_adapter_options_are_validated_with_their_path():
    """An adapter's own keys are checked too, with the entry's path."""
    text = SETTINGS_YAML.replace('rates: {USD: "445.99"}', 'ratez: {USD: "445.99"}')
    paths = [path for path, _ in problems_of(text)]
    assert "rates.sources[0].ratez" in paths


def test_sources_need_distinct_names():
    """Two entries recorded under one source name would be indistinguishable."""
    text = SETTINGS_YAML.replace(
        'sources: [{adapter: static, rates: {USD: "445.99"}}]',
        'sources: [{adapter: nbk}, {adapter: nbk, url: "http://127.0.0.1:9/"}]',
    )
    path, message = problems_of(text)[0]
    assert path == "rates.sources"
    assert "'nbk'" in message


def test_source_url_must_be_http():
    """A base URL is an http(s) URL."""
    text = SETTINGS_YAML.replace(
        "{adapter: static, rates", "{adapter: static, url: 'ftp://x', rates"
    )
    assert problems_of(text)[0][0] == "rates.sources[0].url"


def test_a_city_without_a_kyrgyz_or_tajik_name_shows_its_russian_one():
    """ky and tg readers read Cyrillic: the Russian name, before the English one."""
    settings = make_settings(SETTINGS_YAML)
    city = settings.weather.cities[0]
    assert (city.display_name("ky"), city.display_name("tg")) == ("Астана", "Астана")
    named = city.model_copy(update={"name": {**city.name, "tg": "Остона"}})
    assert named.display_name("tg") == "Остона"
