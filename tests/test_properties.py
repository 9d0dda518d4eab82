"""Property-based checks: no query gets a 500, no body makes an adapter raise the wrong error."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from ticker import City, SourceSettings, UpstreamFormatError, create_app
from ticker.sources import adapter_names, load_adapter

from .conftest import FIXTURES, NOW

ASTANA = City(
    id="astana", name={"en": "Astana"}, latitude=51.1694, longitude=71.4491, timezone="Asia/Almaty"
)

#: Keys each adapter needs to be built; the rest take only `adapter`.
ADAPTER_KEYS: dict[str, dict[str, Any]] = {
    "static": {},
    "met-no": {"user_agent": "ticker-tests/1.0 ops@news.example"},
    "openweathermap": {"api_key_env": "TICKER_TEST_OWM_KEY"},
}
STATIC_OPTIONS = {
    "rates": {"rates": {"USD": "445.99"}},
    "weather": {"cities": {"astana": {"temperature": 1, "min": 0, "max": 2}}},
}

query_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
queries = st.lists(st.tuples(query_text, query_text), max_size=4)
paths = st.sampled_from(["/v1/strip", "/v1/rates", "/v1/weather", "/widget", "/healthz"])


@pytest.fixture
async def client(aiohttp_client, settings, filled_store):
    """The real app serving the reference values."""
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=paths, query=queries)
async def test_any_query_gets_a_well_formed_answer(client, path, query):
    """Whatever the query string, the answer is 200 or 400, well formed, never a traceback."""
    response = await client.get(URL(path).with_query(query))
    body = await response.read()
    assert response.status in {200, 400}, body
    assert b"Traceback" not in body
    if response.status == 400:
        error = json.loads(body)
        assert error["error"] == "bad_request"
        assert isinstance(error["allowed"], list)


raw_queries = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=80)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=raw_queries)
async def test_any_raw_query_gets_a_well_formed_answer(client, raw):
    """Raw, possibly malformed percent-encoding after ``?`` never produces a 500."""
    response = await client.get(URL(f"/v1/strip?{raw}", encoded=True))
    assert response.status in {200, 400}


def _adapters() -> list[Any]:
    """Every registered adapter, as (kind, name) parameters."""
    return [
        pytest.param(kind, name, id=f"{kind}-{name}")
        for kind in ("rates", "weather")
        for name in adapter_names(kind)
    ]


def _build(kind: str, name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TICKER_TEST_OWM_KEY", "not-a-real-key")
    keys = ADAPTER_KEYS.get(name, {}) | (STATIC_OPTIONS[kind] if name == "static" else {})
    return load_adapter(kind, name)(SourceSettings(adapter=name, **keys))


def _parse(adapter: Any, kind: str, body: bytes) -> object:
    if kind == "rates":
        return adapter.parse(body, fetched_at=NOW)
    return adapter.parse(body, city=ASTANA, fetched_at=NOW)


#: Our own fixtures in every upstream format: good bodies to mutate.
SEEDS = [path.read_bytes() for path in sorted(Path(FIXTURES).iterdir()) if path.is_file()]


@pytest.mark.parametrize(("kind", "name"), _adapters())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_parse_raises_only_format_errors(kind, name, monkeypatch, data):
    """Arbitrary, truncated or corrupted bodies either parse or raise UpstreamFormatError."""
    adapter = _build(kind, name, monkeypatch)
    seed = data.draw(st.sampled_from(SEEDS))
    body = data.draw(
        st.one_of(
            st.binary(max_size=300),
            st.integers(0, len(seed)).map(lambda n: seed[:n]),
            st.tuples(st.integers(0, max(0, len(seed) - 1)), st.binary(min_size=1, max_size=8)).map(
                lambda cut: seed[: cut[0]] + cut[1] + seed[cut[0] + len(cut[1]) :]
            ),
        )
    )
    with contextlib.suppress(UpstreamFormatError):
        _parse(adapter, kind, body)


def test_fetched_at_is_the_only_clock(monkeypatch):
    """parse is pure: the same body and time give the same result twice."""
    adapter = _build("rates", "nbk", monkeypatch)
    body = (FIXTURES / "nbk_rates_all.xml").read_bytes()
    assert _parse(adapter, "rates", body) == _parse(adapter, "rates", body)
    assert all(rate.fetched_at == NOW for rate in _parse(adapter, "rates", body))
