"""The adapter toolkit: URL joining and the registry of adapters by name."""

from __future__ import annotations

import datetime as dt

import pytest

from ticker.sources import adapter_names, join_url

SHORT = dt.timedelta(seconds=0.3)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (None, "https://nationalbank.kz/rss/rates_all.xml"),
        ("http://127.0.0.1:8000/rss/", "http://127.0.0.1:8000/rss/rates_all.xml"),
        ("http://127.0.0.1:8000/rss", "http://127.0.0.1:8000/rss/rates_all.xml"),
        ("http://mirror.local/", "http://mirror.local/rates_all.xml"),
    ],
    ids=["default", "trailing-slash", "no-trailing-slash", "root"],
)
def test_join_url_keeps_the_base_path(base, expected):
    """Documented paths are joined under the configured base, slash or not."""
    assert str(join_url(base, "https://nationalbank.kz/rss/", "rates_all.xml")) == expected


def test_shipped_adapters_are_registered():
    """The entry points name every shipped adapter under its kind."""
    assert adapter_names("rates") == ["cbr", "cbu", "er-api", "nbk", "nbkr", "nbt", "static"]
    assert adapter_names("weather") == ["met-no", "open-meteo", "openweathermap", "static"]
