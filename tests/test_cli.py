"""The ticker command: check-config, refresh, reload and their exit statuses."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from ticker._cli.main import EXIT_CONFIG, main

from ._running import free_port, running_service
from .conftest import SETTINGS_YAML

OFFLINE = Path(__file__).parents[1] / "examples" / "offline.yaml"


def offline_config(tmp_path: Path) -> Path:
    """examples/offline.yaml with its cache in this test's directory."""
    path = tmp_path / "offline.yaml"
    text = OFFLINE.read_text(encoding="utf-8")
    path.write_text(text.replace("./var/ticker-offline-cache", str(tmp_path / "cache")), "utf-8")
    return path


def test_check_config_accepts_the_examples(capsys):
    """Every shipped example config is valid."""
    for example in sorted((Path(__file__).parents[1] / "examples").glob("*.yaml")):
        assert main(["check-config", str(example)]) == 0, example
    assert "offline.yaml: ok" in capsys.readouterr().out


def test_check_config_names_file_and_key_and_fails(tmp_path, capsys):
    """A bad file exits non-zero with the file and the key path on stderr."""
    path = tmp_path / "bad.yaml"
    path.write_text(SETTINGS_YAML.replace("[USD, EUR, RUB, CNY]", "[USD, US]"), "utf-8")
    assert main(["check-config", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"invalid configuration: {path}" in err
    assert "rates.currencies[1]: 'US' is not an ISO 4217 code" in err


def test_check_config_says_whether_images_can_be_drawn(tmp_path, capsys):
    """check-config names the fonts found, or says the images will be 503s and why."""
    assert main(["check-config", str(OFFLINE)]) == 0
    assert "images: ok (" in capsys.readouterr().out
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    path = tmp_path / "site.yaml"
    path.write_text(SETTINGS_YAML + f"images:\n  fonts: [{empty}]\n", "utf-8")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "images: unavailable, /v1/strip.png and /v1/card.png will answer 503" in out
    assert "fonts-noto-core" in out


def test_serve_refuses_a_bad_config_before_starting(tmp_path, capsys):
    """serve validates first: a bad file never opens a port."""
    path = tmp_path / "bad.yaml"
    path.write_text("rates: {currencies: [USD]}\n", "utf-8")
    assert main(["serve", "--config", str(path)]) == EXIT_CONFIG
    assert "weather: required key is missing" in capsys.readouterr().err


def test_refresh_prints_the_strip(tmp_path, capsys):
    """One refresh of the offline example prints the whole strip line."""
    assert main(["refresh", "--config", str(offline_config(tmp_path)), "--lang", "ru"]) == 0
    assert capsys.readouterr().out.strip() == (
        "usd/kzt 445.99 eur/kzt 486.53 rub/kzt 5.78 cny/kzt 64.16 100 uzs/kzt 3.72 · Астана +18+20℃"
    )


def test_refresh_fails_when_a_source_fails(tmp_path, capsys):
    """An unreachable source makes refresh exit 1 and say which one and why."""
    text = SETTINGS_YAML.replace(
        'sources: [{adapter: static, rates: {USD: "445.99"}}]',
        f'sources: [{{adapter: nbk, url: "http://127.0.0.1:{free_port()}/", retries: 0}}]',
    )
    path = tmp_path / "ticker.yaml"
    path.write_text(f"cache: {{path: {tmp_path / 'cache'}}}\n{text}", "utf-8")
    assert main(["refresh", "--config", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("usd/kzt — ")
    assert "error: nbk: ClientConnectorError" in captured.err


def test_refresh_refuses_an_unconfigured_language(tmp_path, capsys):
    """--lang must be one of the configured languages."""
    path = tmp_path / "ticker.yaml"
    path.write_text(f"cache: {{path: {tmp_path / 'cache'}}}\n{SETTINGS_YAML}", "utf-8")
    assert main(["refresh", "--config", str(path), "--lang", "uz"]) == EXIT_CONFIG
    assert "'uz' is not one of" in capsys.readouterr().err


def test_met_no_without_user_agent_is_refused(tmp_path, capsys):
    """MET Norway's terms need an identifying User-Agent: without one the config is refused."""
    path = tmp_path / "met.yaml"
    text = SETTINGS_YAML.replace(
        "sources: [{adapter: static, cities: {astana: {temperature: 19, min: 18, max: 20}}}]",
        "sources: [{adapter: met-no}]",
    )
    path.write_text(text, "utf-8")
    assert main(["check-config", str(path)]) == EXIT_CONFIG
    assert main(["serve", "--config", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "weather.sources[0].user_agent: required by MET Norway's terms" in err


def test_openweathermap_needs_its_key_in_the_environment(tmp_path, capsys, monkeypatch):
    """The key's variable is named in the config; an unset variable is refused by name."""
    monkeypatch.delenv("TICKER_OWM_KEY", raising=False)
    path = tmp_path / "owm.yaml"
    text = SETTINGS_YAML.replace(
        "sources: [{adapter: static, cities: {astana: {temperature: 19, min: 18, max: 20}}}]",
        "sources: [{adapter: openweathermap, api_key_env: TICKER_OWM_KEY}]",
    )
    path.write_text(text, "utf-8")
    assert main(["check-config", str(path)]) == EXIT_CONFIG
    assert "TICKER_OWM_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("TICKER_OWM_KEY", "k3y-value")
    assert main(["check-config", str(path)]) == 0
    assert "k3y-value" not in capsys.readouterr().out


async def test_backfill_fills_the_history_politely(tmp_path, aiohttp_server):
    """ticker backfill asks the per-date endpoint day by day and /history then shows it."""
    import asyncio
    import sys

    from aiohttp import web

    from .conftest import FIXTURES

    asked: list[str] = []

    async def dated(request: web.Request) -> web.Response:
        asked.append(request.query["fdate"])
        return web.Response(body=(FIXTURES / "nbk_get_rates.xml").read_bytes())

    app = web.Application()
    app.router.add_get("/rss/get_rates.cfm", dated)
    server = await aiohttp_server(app)
    text = SETTINGS_YAML.replace(
        'sources: [{adapter: static, rates: {USD: "445.99"}}]',
        f'sources: [{{adapter: nbk, url: "{server.make_url("/rss/")}", retries: 0}}]',
    )
    path = tmp_path / "ticker.yaml"
    path.write_text(
        f"cache: {{path: {tmp_path / 'cache'}}}\nhistory: {{backfill_delay: 1s}}\n{text}", "utf-8"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ticker", "backfill", "--config", str(path), "--days", "3",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 0, out
    assert len(asked) == 3
    assert len(set(asked)) == 3


def test_reload_fails_without_a_readable_pid_file(tmp_path, capsys):
    """A missing, unreadable or garbled pid file is one line on stderr and status 1."""
    garbled = tmp_path / "garbled.pid"
    garbled.write_text("ticker\n", "utf-8")
    for pid_file in (tmp_path / "missing.pid", tmp_path, garbled):
        assert main(["reload", "--pid-file", str(pid_file)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"ticker: cannot reload: {pid_file} "), err
        assert err.count("\n") == 1, err


@pytest.mark.slow
def test_reload_fails_on_a_stale_pid_file(tmp_path, capsys):
    """A pid file left by a service that is gone says so instead of signalling anyone."""
    with subprocess.Popen([sys.executable, "-c", ""]) as gone:
        pass
    pid_file = tmp_path / "ticker.pid"
    pid_file.write_text(f"{gone.pid}\n", "utf-8")
    assert main(["reload", "--pid-file", str(pid_file)]) == 1
    assert f"process {gone.pid} is not running (a stale pid file?)" in capsys.readouterr().err


@pytest.mark.slow
def test_reload_leaves_a_process_that_is_not_ticker_alone(tmp_path, capsys):
    """A pid that now belongs to another program is refused, and that program is not signalled."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            pid_file = tmp_path / "ticker.pid"
            pid_file.write_text(f"{other.pid}\n", "utf-8")
            assert main(["reload", "--pid-file", str(pid_file)]) == 1
            assert f"process {other.pid} is not a ticker service" in capsys.readouterr().err
            assert other.poll() is None  # SIGHUP would have ended it
        finally:
            other.kill()


@pytest.mark.slow
async def test_reload_says_whether_the_service_took_the_settings(tmp_path, capsys):
    """`ticker reload` waits for the answer: 0 when the service took the file, 1 when refused."""
    config = offline_config(tmp_path)
    pid_file = tmp_path / "ticker.pid"
    reload = ["reload", "--pid-file", str(pid_file)]
    async with running_service(config, "--pid-file", str(pid_file)) as service:
        pid = service.process.pid
        assert await asyncio.to_thread(main, reload) == 0
        assert capsys.readouterr().out == f"process {pid} reloaded its settings\n"
        config.write_text("rates: {currencies: [US]}\n", "utf-8")
        assert await asyncio.to_thread(main, reload) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"ticker: process {pid} refused the new settings and keeps the old:")
        assert "weather: required key is missing" in err
    assert not pid_file.exists()  # the service removes its pid file when it stops


@pytest.mark.slow
async def test_reload_fails_when_the_service_does_not_answer(tmp_path, capsys):
    """A ticker service that never confirms (it was not given the pid file) is a failure."""
    pid_file = tmp_path / "ticker.pid"
    async with running_service(offline_config(tmp_path)) as service:
        pid_file.write_text(f"{service.process.pid}\n", "utf-8")
        reload = ["reload", "--pid-file", str(pid_file), "--wait", "0.5"]
        assert await asyncio.to_thread(main, reload) == 1
    assert f"process {service.process.pid} did not confirm the reload within 0.5 s" in (
        capsys.readouterr().err
    )
