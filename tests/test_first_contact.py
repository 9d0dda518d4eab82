"""First contact: what an operator meets in the first minutes with ticker.

One ERROR line when every source fails at start (checked against a real
``ticker serve`` with dead upstreams), "did you mean" for a mistyped key,
``TICKER_CONFIG``, a description and examples in every subcommand's ``--help``,
``ticker backfill``'s progress and its stop after five failures in a row, and the
``/docs`` page's example request, ``curl`` line and answer per endpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema_rs
import pytest
from aiohttp import web

from ticker import create_app
from ticker._cli.main import CONFIG_ENV, EXIT_CONFIG, _config_from_environment, _parser, main
from ticker._config import with_suggestions
from ticker._data.backfill import (
    MAX_FAILURES_IN_A_ROW,
    BackfillReport,
    backfill,
    terminal_progress,
)
from ticker._data.cache import Store
from ticker._data.history import History
from ticker._exceptions import ConfigError
from ticker._serving.app import FirstContact
from ticker._strip.docs_page import example_request
from ticker.sources import build_sources

from ._running import free_port, running_service
from .conftest import FIXTURES, NOW, SETTINGS_YAML, make_settings

OFFLINE_YAML = Path(__file__).parent.parent / "examples" / "offline.yaml"

# -- did you mean --------------------------------------------------------------------


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        make_settings(text)
    return caught.value.problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("languages:", "langauges: [en]\nlanguages:", ("langauges", "'languages'")),
        ("  refresh: 1h", "  refrsh: 1h", ("rates.refrsh", "'refresh'")),
        (
            "      latitude:", "      lattitude: 1\n      latitude:",
            ("weather.cities[0].lattitude", "'latitude'"),
        ),
        ("weather:", "server: {prot: 8080}\nweather:", ("server.prot", "'port'")),
    ],
    ids=["top level", "a section", "an item of a list", "a nested model"],
)  # fmt: skip
def test_an_unknown_key_gets_the_closest_known_one(old, new, expected):
    """A mistyped key is named with its path and the closest key of that place."""
    path, suggestion = expected
    assert _problems(SETTINGS_YAML.replace(old, new, 1)) == [
        (path, f"unknown key; did you mean {suggestion}?")
    ]


def test_an_unknown_key_like_no_other_gets_no_suggestion():
    """A key that resembles nothing known is only said to be unknown."""
    text = SETTINGS_YAML.replace("  refresh: 1h", "  refresh: 1h\n  zzzzzz: 2", 1)
    assert _problems(text) == [("rates.zzzzzz", "unknown key")]


def test_a_source_entry_key_gets_the_common_keys_suggested(tmp_path, capsys):
    """An adapter refusing 'retires' gets 'retries' suggested, naming the file and the path."""
    path = tmp_path / "site.yaml"
    path.write_text(
        SETTINGS_YAML.replace('{adapter: static, rates: {USD: "445.99"}}',
                              '{adapter: static, rates: {USD: "445.99"}, retires: 2}'),
        "utf-8",
    )  # fmt: skip
    assert main(["check-config", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"invalid configuration: {path}" in err
    assert "rates.sources[0].retires: unknown key; did you mean 'retries'?" in err


def test_suggestions_leave_other_problems_alone():
    """Only unknown keys are touched; other messages and unknown places pass as they are."""
    problems = [("rates.currencies[1]", "'US' is not an ISO 4217 code"), ("", "unknown key")]
    assert with_suggestions(problems) == problems


# -- TICKER_CONFIG -------------------------------------------------------------------


def _commands() -> dict[str, Any]:
    parser = _parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)


@pytest.mark.parametrize(
    "argv",
    [["serve"], ["refresh"], ["backfill"], ["convert", "1", "USD", "KZT"], ["check-config"]],
    ids=lambda argv: argv[0],
)
def test_ticker_config_names_the_settings_file_of_every_command(argv, monkeypatch):
    """Without --config (or check-config's FILE), $TICKER_CONFIG is the settings file."""
    monkeypatch.setenv(CONFIG_ENV, "/etc/ticker/site.yaml")
    args = _parser().parse_args(argv)
    _config_from_environment(args)
    assert args.config == "/etc/ticker/site.yaml"


def test_every_settings_file_option_says_it_defaults_to_ticker_config():
    """Each subcommand taking a settings file says in --help that $TICKER_CONFIG is the default."""
    with_config = {
        name: next(a for a in sub._actions if a.dest == "config")
        for name, sub in _commands().items()
        if any(a.dest == "config" for a in sub._actions)
    }
    assert set(with_config) >= {"serve", "refresh", "backfill", "convert", "check-config"}
    for name, action in with_config.items():
        assert "$TICKER_CONFIG" in (action.help or ""), name


def test_config_option_wins_over_the_environment(monkeypatch, capsys):
    """--config is used even when $TICKER_CONFIG names another (here a missing) file."""
    monkeypatch.setenv(CONFIG_ENV, "/nonexistent/ticker.yaml")
    assert main(["check-config", str(OFFLINE_YAML)]) == 0
    assert f"{OFFLINE_YAML}: ok" in capsys.readouterr().out


def test_ticker_config_is_read_and_named_in_errors(tmp_path, monkeypatch, capsys):
    """A bad file named by $TICKER_CONFIG is refused naming that file."""
    bad = tmp_path / "site.yaml"
    bad.write_text(SETTINGS_YAML.replace("  refresh: 1h", "  refrsh: 1h"), "utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(bad))
    assert main(["refresh"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"invalid configuration: {bad}" in err
    assert "rates.refrsh: unknown key; did you mean 'refresh'?" in err


def test_check_config_without_a_file_or_environment_is_a_usage_error(monkeypatch, capsys):
    """check-config with neither FILE nor $TICKER_CONFIG says what it needs."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["check-config"])
    assert exited.value.code == 2
    assert "TICKER_CONFIG" in capsys.readouterr().err


# -- --help --------------------------------------------------------------------------


def test_every_subcommand_has_a_description_and_examples():
    """Each subcommand's --help has a description and an examples section running it."""
    for name, sub in _commands().items():
        text = sub.format_help()
        assert sub.description, name
        assert re.search(rf"^examples:\n(  .*\n?)*  (\S+=\S+ )?ticker {name}\b", text, re.M), name


def test_the_main_help_names_the_environment_variable_and_an_example():
    """ticker --help says where the settings come from and shows the offline example."""
    text = _parser().format_help()
    assert "$TICKER_CONFIG" in text
    assert "ticker serve --config examples/offline.yaml" in text


# -- backfill ------------------------------------------------------------------------


def _dead_settings_text(cache: Path) -> str:
    """Settings whose bank is a port nothing listens on: every request is refused at once."""
    dead = f"http://127.0.0.1:{free_port()}"
    return f"cache: {{path: {cache}}}\nhistory: {{backfill_delay: 1s}}\n" + SETTINGS_YAML.replace(
        'sources: [{adapter: static, rates: {USD: "445.99"}}]',
        f'sources: [{{adapter: nbk, url: "{dead}/rss/", retries: 0, timeout: 2s}}]',
    )


async def test_backfill_stops_after_five_failures_in_a_row(tmp_path, store: Store):
    """A dead bank is asked five dates, then the run stops and says how many were not asked."""
    settings = make_settings(_dead_settings_text(tmp_path / "cache"))
    history = History(store.backend, settings.history, clock=lambda: NOW)
    told: list[int] = []

    async def no_wait(seconds: float) -> None:
        pass

    async with aiohttp.ClientSession() as session:
        report = await backfill(
            settings, build_sources(settings), history, session, days=30, today=NOW.date(),
            delay=dt.timedelta(seconds=1), sleep=no_wait,
            progress=lambda report: told.append(report.days_asked),
        )  # fmt: skip
    assert report.days_asked == MAX_FAILURES_IN_A_ROW == 5
    assert (report.failed, report.skipped, report.stopped) == (5, 25, True)
    assert told == [1, 2, 3, 4, 5]
    assert report.summary().endswith("; stopped after 5 failures in a row, 25 day(s) not asked")


async def test_backfill_goes_on_through_failures_that_are_not_in_a_row(aiohttp_server, store):
    """Four failures, a success, four failures: every date is asked."""
    served = 0

    async def flaky(request: web.Request) -> web.Response:
        nonlocal served
        served += 1
        if served % 5:
            return web.Response(status=503, text="maintenance")
        return web.Response(body=(FIXTURES / "nbk_get_rates.xml").read_bytes())

    app = web.Application()
    app.router.add_get("/rss/get_rates.cfm", flaky)
    server = await aiohttp_server(app, host="127.0.0.1")
    settings = make_settings(
        SETTINGS_YAML.replace(
            'sources: [{adapter: static, rates: {USD: "445.99"}}]',
            f'sources: [{{adapter: nbk, url: "{server.make_url("/rss/")}", retries: 0}}]',
        )
    )
    history = History(store.backend, settings.history, clock=lambda: NOW)

    async def no_wait(seconds: float) -> None:
        pass

    async with aiohttp.ClientSession() as session:
        report = await backfill(
            settings, build_sources(settings), history, session, days=10, today=NOW.date(),
            delay=dt.timedelta(seconds=1), sleep=no_wait,
        )  # fmt: skip
    assert (report.days_asked, report.failed, report.stopped) == (10, 8, False)


def test_ticker_backfill_against_a_dead_bank_stops_quickly_naming_the_file(tmp_path, capsys):
    """The command stops after five refused dates in seconds, naming the file and the source."""
    path = tmp_path / "site.yaml"
    path.write_text(_dead_settings_text(tmp_path / "cache"), "utf-8")
    started = time.monotonic()
    assert main(["backfill", "--config", str(path), "--days", "30"]) == 1
    assert time.monotonic() - started < 15  # 5 refused requests, 4 pauses of 1 s
    captured = capsys.readouterr()
    assert "5 day(s) asked" in captured.out
    assert "25 day(s) not asked" in captured.out
    assert f"rates.sources[0] (nbk) in {path}" in captured.err
    assert "stopped after 5 failed days in a row" in captured.err
    assert "━" not in captured.err  # not a terminal: no progress bar


def test_backfill_progress_is_drawn_on_a_terminal_only():
    """A terminal gets a bar counting the dates; any other stream gets nothing at all."""
    report = BackfillReport(source="nbk")
    terminal = io.StringIO()
    with terminal_progress(terminal, days=3, terminal=True) as progress:
        assert progress is not None
        for day in (dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)):
            report.asked.append(day)
            progress(report)
    assert "3/3" in terminal.getvalue()
    assert "2026-12-03" in terminal.getvalue()
    piped = io.StringIO()
    with terminal_progress(piped, days=3) as progress:
        assert progress is None
    assert piped.getvalue() == ""


# -- every source failed at start ----------------------------------------------------


def test_one_error_line_when_every_source_fails_first(caplog):
    """The first failure of every configured source makes one ERROR line naming the example."""
    watch = FirstContact(make_settings())
    with caplog.at_level(logging.ERROR, logger="ticker.service"):
        watch.fetched("rates", "static", error="static: refused", items=0, seconds=0.1)
        assert not caplog.records  # weather has not been tried yet
        watch.fetched("weather", "static", error="static: refused", items=0, seconds=0.1)
        watch.fetched("weather", "static", error="static: refused", items=0, seconds=0.1)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "every source failed" in message
    assert "ticker serve --config examples/offline.yaml" in message
    assert "ticker example offline" in message
    assert "static: refused" in message


def test_no_error_line_when_a_source_answers(caplog):
    """One source answering first means the service works: nothing is said at ERROR."""
    watch = FirstContact(make_settings())
    with caplog.at_level(logging.ERROR, logger="ticker.service"):
        watch.fetched("weather", "static", error=None, items=1, seconds=0.1)
        watch.fetched("rates", "static", error="static: refused", items=0, seconds=0.1)
    assert not caplog.records


@pytest.mark.slow
async def test_ticker_serve_with_no_upstream_says_so_at_error(tmp_path):
    """A real ticker serve whose upstreams are all dead logs one ERROR naming offline.yaml."""
    dead = f"http://127.0.0.1:{free_port()}"
    config = tmp_path / "ticker.yaml"
    config.write_text(
        f"cache: {{path: {tmp_path / 'cache'}}}\n"
        + SETTINGS_YAML.replace(
            'sources: [{adapter: static, rates: {USD: "445.99"}}]',
            f'sources: [{{adapter: nbk, url: "{dead}/rss/", retries: 0, timeout: 2s}}]',
        ).replace(
            "sources: [{adapter: static, cities: {astana: {temperature: 19, min: 18, max: 20}}}]",
            f'sources: [{{adapter: open-meteo, url: "{dead}/", retries: 0, timeout: 2s}}]',
        ),
        "utf-8",
    )
    async with running_service(config) as service:
        for _ in range(200):
            if " ERROR " in service.log():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # a second line would come with the same refresh
        log = service.log()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, log
    assert "every source failed (nbk, open-meteo)" in errors[0]
    assert "examples/offline.yaml" in errors[0]


# -- /docs examples ------------------------------------------------------------------


@pytest.fixture
async def client(aiohttp_client, settings, filled_store):
    """The service over the reference values, at a frozen time."""
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, item["get"]) for path, item in document["paths"].items()]


async def test_docs_show_an_example_request_curl_and_answer_per_endpoint(client):
    """Every endpoint's section has its example request, the curl line and the answer."""
    document = await (await client.get("/openapi.json")).json()
    page = await (await client.get("/docs")).text()
    for path, operation in _operations(document):
        section = page.split(f'<section id="{operation["operationId"]}">', 1)[1]
        section = section.split("</section>", 1)[0]
        target = example_request(path, operation)
        assert f"<pre><code>GET {target.replace('&', '&amp;')}</code></pre>" in section, path
        assert f"curl -i &#x27;http://127.0.0.1:8080{target.replace('&', '&amp;')}&#x27;" in (
            section
        ), path
        assert "<p>Answer: <code>2" in section, path


async def test_every_example_in_the_document_fits_its_schema(client):
    """Each parameter's and each answer's example validates against the schema it illustrates."""
    document = await (await client.get("/openapi.json")).json()
    defs = document["components"]["schemas"]

    def check(schema: dict[str, Any], value: object, where: str) -> None:
        text = json.dumps({**schema, "$defs": defs}).replace("#/components/schemas/", "#/$defs/")
        validator = jsonschema_rs.validator_for(json.loads(text))
        assert validator.is_valid(value), (where, value)

    examples = 0
    for path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if "example" in parameter:
                check(parameter["schema"], parameter["example"], f"{path} {parameter['name']}")
                examples += 1
            elif parameter["required"]:
                pytest.fail(f"{path}: required {parameter['name']} has no example")
        for status, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                if "example" in content:
                    check(content["schema"], content["example"], f"{path} {status}")
                    examples += 1
                elif status.startswith("2"):
                    assert media_type != "application/json", f"{path}: no example answer"
    assert examples > len(document["paths"])


async def test_example_requests_are_answered(client):
    """The documented example requests are served with a success (not a 400 or a 5xx)."""
    document = await (await client.get("/openapi.json")).json()
    # The audit's moment is a fixed example; the frozen clock's window may not hold it.
    dated = {"/v1/audit"}
    for path, operation in _operations(document):
        response = await client.get(example_request(path, operation))
        assert response.status < 500, path
        if path not in dated:
            assert response.status in (200, 503 if path.endswith(".png") else 200), path
