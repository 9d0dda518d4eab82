"""The static export: `ticker export DIR`, `ticker serve --export DIR`, examples/nginx-static.conf.

Every exported file is compared byte for byte with what the real app answers at its URL;
writes are checked for atomicity with a reader racing them; nginx is started on
127.0.0.1 with a copy of the example config (the slow tier), as the benchmark does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gzip
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import brotli
import pytest

from benchmarks._nginx import find_nginx, nginx_command
from benchmarks.static_export import static_export_config
from ticker import Settings, Store, create_app
from ticker._cli import export as export_command
from ticker._cli.main import main
from ticker._config import LiveSettings
from ticker._data.cache import Stamp
from ticker._exceptions import ConfigError
from ticker._serving import export as export_module
from ticker._serving.export import (
    LOCK,
    MANIFEST,
    Export,
    ExportedFile,
    attach_exporter,
    export_once,
    snapshot_export,
    write_export,
)
from ticker._serving.responses import etag_of
from ticker._serving.routes import Assets
from ticker._serving.snapshot import render_snapshot

from ._running import free_port, running_service
from .conftest import NOW, REFERENCE_RATES, SETTINGS_YAML, make_settings, rate, weather

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
STAMP = Stamp(version="stamp-1", generated_at=NOW, next_refresh_at=NOW + dt.timedelta(hours=1))
#: Settings whose images cannot be drawn: the exports of the fast tests carry none.
NO_IMAGES = "images:\n  fonts: [/nonexistent/fonts]\n"


def _no_image_settings(languages: str = "[en, ru, kk, zh]") -> Settings:
    text = SETTINGS_YAML.replace("languages: [en, ru, kk, zh]", f"languages: {languages}")
    return make_settings(text + NO_IMAGES)


@pytest.fixture
def stamped_store(filled_store: Store) -> Store:
    """The reference values, stamped at NOW as a refresh would."""
    filled_store.put_stamp(STAMP)
    return filled_store


def _manifest(directory: Path) -> dict:
    return json.loads((directory / MANIFEST).read_text("utf-8"))


def _on_disk(directory: Path) -> set[str]:
    """Every file under ``directory`` but the manifest and the lock."""
    return {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.name not in (MANIFEST, LOCK)
    }


def _snapshot(settings: Settings, minute: int, temperature: float):
    """A snapshot of the reference rates at NOW + ``minute``, Astana at ``temperature``."""
    at = NOW + dt.timedelta(minutes=minute)
    stamp = Stamp(version=f"stamp-{minute}", generated_at=at)
    rates = {r.code: r for r in REFERENCE_RATES}
    reading = weather(temperature=temperature, low=temperature - 1, high=temperature + 1)
    return render_snapshot(settings, stamp, rates, {"astana": reading})


def _export_of(settings: Settings, minute: int, temperature: float = 19.2) -> Export:
    return snapshot_export(_snapshot(settings, minute, temperature), Assets(LiveSettings(settings)))


async def _service_answer(client, url: str, encoding: str | None):
    """The service's body and headers for ``url`` asked with ``encoding`` (or none)."""
    headers = {"Accept-Encoding": {"gzip": "gzip", "br": "br"}.get(encoding or "", "identity")}
    response = await client.get(url, headers=headers)
    assert response.status == 200, (url, await response.text())
    return await response.read(), response.headers


def _decoded(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    return brotli.decompress(body) if encoding == "br" else body


# -- the files and the manifest ---------------------------------------------------------


async def test_every_exported_file_is_what_the_service_answers_byte_for_byte(
    aiohttp_client, settings, stamped_store, tmp_path
):
    """Each file, twins and images included, is the body the service sends at its URL."""
    client = await aiohttp_client(
        create_app(settings, store=stamped_store, clock=lambda: NOW), auto_decompress=False
    )
    report = export_once(settings, stamped_store, tmp_path / "out", clock=lambda: NOW)
    files = _manifest(tmp_path / "out")["files"]
    assert report.files == len(files)
    assert report.written == len(files)
    assert {"en/v1/card.png", "zh-Hans/v1/strip.svg.gz", "v1/strip.json", "widget.mjs.br"} <= set(
        files
    )
    for path, entry in files.items():
        exported = (tmp_path / "out" / path).read_bytes()
        body, headers = await _service_answer(client, entry["url"], entry["encoding"])
        assert headers["Content-Type"] == entry["content_type"], path
        if entry["language"] is None:  # an asset: the service sends it uncompressed
            assert _decoded(exported, entry["encoding"]) == body, path
            continue
        assert exported == body, path
        assert headers["ETag"] == entry["etag"], path
        assert headers["Content-Language"] == entry["language"], path
        assert headers.get("Content-Encoding") == entry["encoding"], path


async def test_the_manifest_lists_every_file_with_its_etag_type_and_language(
    settings, stamped_store, tmp_path
):
    """manifest.json names every file, its URL, strong ETag, type, language and encoding."""
    settings = _no_image_settings()
    out = tmp_path / "out"
    export_once(settings, stamped_store, out, clock=lambda: NOW)
    manifest = _manifest(out)
    assert manifest["stamp"] == "stamp-1"
    assert manifest["generated_at"] == manifest["rendered_at"] == "2026-11-28T10:00:00Z"
    assert manifest["default_language"] == "en"
    assert manifest["languages"] == ["en", "ru", "kk", "zh-Hans"]
    assert set(manifest["files"]) == _on_disk(out)
    for path, entry in manifest["files"].items():
        body = _decoded((out / path).read_bytes(), entry["encoding"])
        suffix = {"gzip": "-gz", "br": "-br"}.get(entry["encoding"], "")
        assert entry["etag"] == etag_of(body, suffix), path
        assert entry["size"] == (out / path).stat().st_size
    strip = manifest["files"]["zh-Hans/v1/strip.json"]
    assert strip["url"] == "/v1/strip?lang=zh-Hans"
    assert strip["content_type"] == "application/json; charset=utf-8"
    assert manifest["files"]["v1/strip.json"]["language"] == "en"  # the default copy
    assert manifest["files"]["v1/strip.json"]["url"] == "/v1/strip"
    assert manifest["files"]["widget.css"]["language"] is None


def test_exported_files_are_readable_by_the_web_servers_user(tmp_path):
    """Files get the umask's permissions (0644), not tempfile's 0600: nginx's workers read them."""
    previous = os.umask(0o022)
    try:
        write_export(tmp_path, _export_of(_no_image_settings(), 0))
    finally:
        os.umask(previous)
    modes = {(tmp_path / path).stat().st_mode & 0o777 for path in _on_disk(tmp_path)}
    assert modes == {0o644}
    assert (tmp_path / MANIFEST).stat().st_mode & 0o777 == 0o644


def test_images_that_cannot_be_drawn_are_left_to_the_service(tmp_path, caplog):
    """Without fonts every other file is exported, and the log names the images left out."""
    with caplog.at_level(logging.WARNING, "ticker.export"):
        write_export(tmp_path, _export_of(_no_image_settings(), 0))
    files = _manifest(tmp_path)["files"]
    assert "ru/v1/strip.json" in files
    assert "ru/widget/frame.html" in files
    assert not any(path.endswith((".png", ".svg")) for path in files)
    assert "16 variants not exported" in caplog.text


# -- atomic, ordered, never backwards ---------------------------------------------------


def test_a_reader_never_sees_a_partial_or_missing_file(tmp_path):
    """A reader racing ten exports of different bodies reads only whole files of some export."""
    settings = _no_image_settings("[en, ru]")
    exports = [_export_of(settings, minute, 10.0 + minute) for minute in range(10)]
    known = {file.etag for export in exports for file in export.files}
    write_export(tmp_path, exports[0])
    paths = list(exports[0].files)
    done = threading.Event()
    problems: list[str] = []
    reads = 0

    def read() -> None:
        nonlocal reads
        while not done.is_set():
            for file in paths:
                try:
                    data = (tmp_path / file.path).read_bytes()
                    suffix = {"gzip": "-gz", "br": "-br"}.get(file.encoding or "", "")
                    tag = etag_of(_decoded(data, file.encoding), suffix)
                except Exception as exc:  # a missing file, a truncated gzip...
                    problems.append(f"{file.path}: {type(exc).__name__}: {exc}")
                    continue
                reads += 1
                if tag not in known:
                    problems.append(f"{file.path}: bytes of no export ({len(data)} bytes)")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for export in exports[1:]:
            assert write_export(tmp_path, export).written > 0
    finally:
        done.set()
        reader.join()
    assert problems == []
    assert reads > len(paths)
    assert _manifest(tmp_path)["stamp"] == "stamp-9"


def test_files_of_a_language_no_longer_configured_go_after_the_new_manifest(tmp_path, monkeypatch):
    """Dropping kk from the settings removes its folder, once the manifest no longer lists it."""
    write_export(tmp_path, _export_of(_no_image_settings("[en, ru, kk]"), 0))
    assert (tmp_path / "kk" / "v1" / "strip.json").is_file()
    seen: list[list[str]] = []
    remove = export_module._remove

    def remove_after_manifest(directory, stale, folders):
        seen.append(_manifest(directory)["languages"])
        return remove(directory, stale, folders)

    monkeypatch.setattr(export_module, "_remove", remove_after_manifest)
    report = write_export(tmp_path, _export_of(_no_image_settings("[en, ru]"), 1))
    assert seen == [["en", "ru"]]
    assert not (tmp_path / "kk").exists()
    assert report.removed == sum(
        1 for path in _manifest(tmp_path)["files"] if path.startswith("ru/")
    )
    assert set(_manifest(tmp_path)["files"]) == _on_disk(tmp_path)


def _file(path: str, body: bytes, encoding: str | None = None) -> ExportedFile:
    return ExportedFile(path, body, "/v1/strip.txt?lang=en", etag_of(body), "text/plain", "en",
                        encoding)  # fmt: skip


def _export(minute: int, *files: ExportedFile) -> Export:
    at = NOW + dt.timedelta(minutes=minute)
    return Export(f"stamp-{minute}", at, at, None, "en", ("en",), files)


def test_a_twin_no_longer_made_goes_before_its_file_is_replaced(tmp_path, monkeypatch):
    """A body now too small to compress loses its .gz first: nginx never sends a stale twin."""
    large, small = b"x" * 300, b"short"
    packed = _file("en/v1/strip.txt.gz", gzip.compress(large), "gzip")
    write_export(tmp_path, _export(0, _file("en/v1/strip.txt", large), packed))
    twin = tmp_path / "en" / "v1" / "strip.txt.gz"
    assert twin.is_file()
    twin_when_written: list[bool] = []
    write = export_module._write_atomically

    def watching(path: Path, data: bytes, *, durable: bool = True) -> None:
        if path.name == "strip.txt":
            twin_when_written.append(twin.exists())
        write(path, data, durable=durable)

    monkeypatch.setattr(export_module, "_write_atomically", watching)
    write_export(tmp_path, _export(1, _file("en/v1/strip.txt", small)))
    assert twin_when_written == [False]
    assert (tmp_path / "en" / "v1" / "strip.txt").read_bytes() == small


def test_an_older_snapshot_never_overwrites_a_newer_export(tmp_path):
    """A worker still on the previous stamp finds the newer export and leaves it."""
    settings = _no_image_settings("[en]")
    write_export(tmp_path, _export_of(settings, 5, 25.0))
    before = (tmp_path / "en" / "v1" / "strip.json").read_bytes()
    report = write_export(tmp_path, _export_of(settings, 1, 11.0))
    assert report.skipped == "older"
    assert report.written == 0
    assert (tmp_path / "en" / "v1" / "strip.json").read_bytes() == before
    assert _manifest(tmp_path)["stamp"] == "stamp-5"


def test_an_unchanged_file_keeps_its_mtime_and_an_unchanged_export_writes_nothing(tmp_path):
    """Only changed bytes are rewritten, so nginx's mtime-based ETag stays valid for the rest."""
    settings = _no_image_settings("[en]")
    write_export(tmp_path, _export_of(settings, 0))
    script = tmp_path / "widget.js"
    os.utime(script, ns=(1_000_000_000, 1_000_000_000))
    again = write_export(tmp_path, _export_of(settings, 0))
    assert again.skipped == "unchanged"
    assert again.written == 0
    later = write_export(tmp_path, _export_of(settings, 30, 5.0))
    assert 0 < later.written < later.files
    assert script.stat().st_mtime_ns == 1_000_000_000
    assert _manifest(tmp_path)["stamp"] == "stamp-30"


def test_what_a_dead_export_left_half_written_is_swept(tmp_path):
    """A temporary file of an export killed mid-write is removed by the next export."""
    settings = _no_image_settings("[en]")
    write_export(tmp_path, _export_of(settings, 0))
    leftover = tmp_path / "en" / "v1" / ".strip.json.4242.0badc0de.tmp"
    leftover.write_bytes(b'{"half')
    write_export(tmp_path, _export_of(settings, 1, 3.0))
    assert not leftover.exists()


def test_an_unreadable_manifest_is_written_anew(tmp_path):
    """A manifest that is not JSON (or not ours) counts as absent, never as an error."""
    settings = _no_image_settings("[en]")
    (tmp_path / MANIFEST).write_text("{not json", "utf-8")
    report = write_export(tmp_path, _export_of(settings, 0))
    assert report.skipped is None
    assert _manifest(tmp_path)["stamp"] == "stamp-0"


# -- ticker serve --export ---------------------------------------------------------------


async def _poll(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true after {seconds}s")


async def test_the_service_exports_each_new_snapshot_it_serves(
    aiohttp_client, stamped_store, tmp_path
):
    """After start-up and after a new stamp, the files are those the service now answers."""
    settings = _no_image_settings()
    app = create_app(settings, store=stamped_store, clock=lambda: NOW)
    exporter = attach_exporter(app, tmp_path / "out")
    client = await aiohttp_client(app, auto_decompress=False)
    await _poll(lambda: (tmp_path / "out" / MANIFEST).is_file())
    await exporter.idle()
    assert _manifest(tmp_path / "out")["stamp"] == "stamp-1"
    stamped_store.put_rates([rate("USD", "450.01", change="+4.02")])
    later = NOW + dt.timedelta(minutes=5)
    stamped_store.put_stamp(Stamp(version="stamp-2", generated_at=later))
    await _poll(lambda: _manifest(tmp_path / "out")["stamp"] == "stamp-2")
    await exporter.idle()
    for path, entry in _manifest(tmp_path / "out")["files"].items():
        if entry["language"] is not None:
            body, _ = await _service_answer(client, entry["url"], entry["encoding"])
            assert (tmp_path / "out" / path).read_bytes() == body, path
    assert b"450.01" in (tmp_path / "out" / "ru" / "v1" / "strip.txt").read_bytes()


async def test_the_service_never_exports_before_it_read_the_cache(
    aiohttp_client, stamped_store, tmp_path
):
    """A service that cannot read its cache yet leaves the last export alone (no dashes)."""
    settings = _no_image_settings()
    export_once(settings, stamped_store, tmp_path, clock=lambda: NOW)
    before = (tmp_path / "ru" / "v1" / "strip.json").read_bytes()

    class Unreadable(Store):
        def stamp(self):
            raise OSError("the disk is gone")

    app = create_app(settings, store=Unreadable(stamped_store.backend), clock=lambda: NOW)
    exporter = attach_exporter(app, tmp_path)
    await aiohttp_client(app)
    await asyncio.sleep(0.3)
    await exporter.idle()
    assert (tmp_path / "ru" / "v1" / "strip.json").read_bytes() == before


def test_serve_export_to_a_folder_that_cannot_be_made_is_a_configuration_error(tmp_path):
    """`ticker serve --export` under a regular file fails before serving, naming the folder."""
    (tmp_path / "file").write_text("", "utf-8")
    app = create_app(make_settings(), store=None)
    args = argparse.Namespace(export=str(tmp_path / "file" / "export"))
    with pytest.raises(ConfigError) as caught:
        export_command.attach(app, args)
    assert caught.value.source == "--export"
    assert str(tmp_path / "file" / "export") in caught.value.problems[0][1]


def test_workers_are_told_the_export_folder():
    """A master with --workers passes --export on to each worker."""
    args = argparse.Namespace(export="/srv/export")
    assert export_command.serve_arguments(args) == ["--export", "/srv/export"]
    assert export_command.serve_arguments(argparse.Namespace(export=None)) == []


# -- ticker export -----------------------------------------------------------------------


def _offline_config(tmp_path: Path) -> Path:
    config = tmp_path / "offline.yaml"
    text = (EXAMPLES / "offline.yaml").read_text("utf-8")
    text = text.replace("./var/ticker-offline-cache", str(tmp_path / "cache"))
    config.write_text(text.replace("languages: [en, ru, kk, kk-Latn, kk-Arab, zh, uz, uz-Latn,"
                                   " ky, tg]", "languages: [en, ru]") + NO_IMAGES,
                      "utf-8")  # fmt: skip
    return config


def test_ticker_export_writes_the_cached_snapshot_once(tmp_path, capsys):
    """`ticker export DIR` after a refresh writes the stamped snapshot and says what it did."""
    config = _offline_config(tmp_path)
    assert main(["refresh", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["export", str(tmp_path / "out"), "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    manifest = _manifest(tmp_path / "out")
    assert f"files of snapshot {manifest['stamp']}" in printed
    assert manifest["languages"] == ["en", "ru"]
    assert main(["export", str(tmp_path / "out"), "--config", str(config)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_ticker_export_refuses_an_empty_cache(tmp_path, capsys):
    """With nothing refreshed yet, `ticker export` exits 1 and writes nothing over an export."""
    config = _offline_config(tmp_path)
    assert main(["export", str(tmp_path / "out"), "--config", str(config)]) == 1
    assert "ticker refresh" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- nginx and the real service (slow) --------------------------------------------------


@pytest.fixture
def nginx_folder() -> Iterator[Path]:
    """A folder nginx's workers can read (they run as nobody when the test runs as root)."""
    folder = Path(tempfile.mkdtemp(prefix="ticker-export-nginx-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def _nginx(folder: Path, root: Path, upstream_port: int) -> AsyncIterator[str]:
    binary = find_nginx()
    if binary is None:
        pytest.skip("nginx is not installed")
    port = free_port()
    config = folder / "nginx.conf"
    text = static_export_config(
        (EXAMPLES / "nginx-static.conf").read_text("utf-8"), folder, port=port,
        upstream_port=upstream_port, root=root,
    )  # fmt: skip
    config.write_text(text, "utf-8")
    log = (folder / "nginx.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *nginx_command(binary, folder, config), stdout=log, stderr=log
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz"):
                        break
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
        log.close()


#: (query, Accept-Language, whether nginx answers from a file) with the languages
#: [ru, en, kk-Arab, kk, zh, uz-Latn, ky]: the others (kk-Latn, uz, tg) are not exported.
NEGOTIATION_CASES = [
    ("lang=ru", None, True), ("lang=RU-cyrl", None, True), ("lang=zh", None, True),
    ("lang=zh-hans", None, True), ("lang=KK-ARAB", None, True), ("lang=uz-Latn", None, True),
    ("lang=ky-Cyrl", None, True), ("lang=tg", None, False), ("lang=fr", None, False),
    ("lang=ru&lang=en", None, False), ("lang=ru&theme=dark", None, False),
    ("", "en-US,en;q=0.9", True), ("", "ru-RU,ru;q=0.9,en-US;q=0.8", True),
    ("", "kk-KZ,kk;q=0.9,ru;q=0.8", True), ("", "kk-CN", True), ("", "zh-CN,zh;q=0.9", True),
    ("", "uz-Latn-UZ", True), ("", "ky-KG", True), ("", "tg-TJ,ru;q=0.5", False),
    ("", "uz", False), ("", "zh-TW", False), ("", "en;q=0, *", False),
    ("", "ru, ru-RU;q=0", False), ("", "de-DE,de;q=0.9,en;q=0.8", False), ("", None, False),
    ("", "kk-Latn", False), ("", "ru;q=0.8", False),
]  # fmt: skip


@pytest.mark.slow
async def test_nginx_serves_the_export_as_the_service_answers(
    aiohttp_server, stamped_store, tmp_path, nginx_folder
):
    """Through examples/nginx-static.conf every answer is the service's body and language,
    from a file where nginx can tell the language, from the service otherwise."""
    settings = _no_image_settings("[ru, en, kk-Arab, kk, zh, uz-Latn, ky]")
    server = await aiohttp_server(create_app(settings, store=stamped_store, clock=lambda: NOW))
    export_once(settings, stamped_store, nginx_folder / "export", clock=lambda: NOW)
    service = f"http://127.0.0.1:{server.port}"
    async with (
        _nginx(nginx_folder, nginx_folder / "export", server.port) as nginx,
        aiohttp.ClientSession(auto_decompress=False) as session,
    ):
        for path in ("/v1/strip", "/v1/strip.txt", "/widget/frame"):
            for query, accept, from_file in NEGOTIATION_CASES:
                headers = {"Accept-Encoding": "identity"}
                if accept is not None:
                    headers["Accept-Language"] = accept
                url = f"{path}?{query}" if query else path
                async with session.get(nginx + url, headers=headers) as got:
                    body, answered = await got.read(), got.headers
                async with session.get(service + url, headers=headers) as expected:
                    assert body == await expected.read(), (url, accept)
                    assert got.status == expected.status, (url, accept)
                    for name in ("Content-Language", "Content-Type", "Vary"):
                        assert answered.get(name) == expected.headers.get(name), (url, accept, name)
                etag = answered.get("ETag", "")
                assert ("-" in etag and "Last-Modified" in answered) is from_file, (url, accept)


@pytest.mark.slow
async def test_nginx_sends_gzip_when_asked_and_the_rest_to_the_service(
    aiohttp_server, stamped_store, tmp_path, nginx_folder
):
    """gzip_static sends the exported twin; CORS, policies and assets are the service's;
    a preflight, /healthz and the history go to the service."""
    settings = _no_image_settings("[en, ru]")
    server = await aiohttp_server(create_app(settings, store=stamped_store, clock=lambda: NOW))
    export_once(settings, stamped_store, nginx_folder / "export", clock=lambda: NOW)
    twin = (nginx_folder / "export" / "ru" / "widget.html.gz").read_bytes()
    async with (
        _nginx(nginx_folder, nginx_folder / "export", server.port) as nginx,
        aiohttp.ClientSession(auto_decompress=False) as session,
    ):
        headers = {"Accept-Encoding": "gzip, br"}
        async with session.get(f"{nginx}/widget?lang=ru", headers=headers) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert await response.read() == twin
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert response.headers["Content-Security-Policy"].startswith(
                "default-src 'none'; style"
            )
            assert response.headers["Cache-Control"].startswith("public, max-age=30,")
            etag = response.headers["ETag"]
        async with session.get(
            f"{nginx}/widget?lang=ru", headers={**headers, "If-None-Match": etag}
        ) as response:
            assert response.status == 304
        async with session.get(f"{nginx}/widget.js", headers=headers) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            script = gzip.decompress(await response.read())
            assert response.headers["Cache-Control"].startswith("public, max-age=3600")
        async with session.get(f"http://127.0.0.1:{server.port}/widget.js") as response:
            assert script == await response.read()
        preflight = {"Origin": "https://news.example", "Access-Control-Request-Method": "GET"}
        async with session.options(f"{nginx}/v1/strip?lang=ru", headers=preflight) as response:
            assert response.status == 204
            assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
        for path in ("/healthz", "/v1/rates/USD/history?from=2026-11-20", "/openapi.json"):
            async with session.get(nginx + path) as response:
                assert response.status == 200, path
                assert "Last-Modified" not in response.headers, path


@pytest.mark.slow
async def test_ticker_serve_export_writes_what_it_serves(tmp_path):
    """A real `ticker serve --export`: every file (images drawn in its rendering process) is
    what it answers, without delaying its start-up."""
    config = tmp_path / "offline.yaml"
    config.write_text(
        (EXAMPLES / "offline.yaml")
        .read_text("utf-8")
        .replace("./var/ticker-offline-cache", str(tmp_path / "cache")),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    async with (
        running_service(config, "--export", str(out)) as service,
        aiohttp.ClientSession(auto_decompress=False) as session,
    ):
        for _ in range(400):
            async with session.get(f"{service.url}/healthz") as response:
                snapshot = (await response.json())["snapshot"]
            if (out / MANIFEST).is_file():
                manifest = _manifest(out)
                if manifest["stamp"] == snapshot and "tg/v1/card.png" in manifest["files"]:
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"no complete export of the snapshot served:\n{service.log()}")
        assert len(manifest["languages"]) == 10
        for path, entry in manifest["files"].items():
            if entry["language"] is None:
                continue
            accept = {"gzip": "gzip", "br": "br"}.get(entry["encoding"] or "", "identity")
            async with session.get(service.url + entry["url"],
                                   headers={"Accept-Encoding": accept}) as response:  # fmt: skip
                assert (out / path).read_bytes() == await response.read(), path
        assert "cannot export" not in service.log()
        assert "drawing here" not in service.log()


@pytest.mark.slow
def test_static_export_benchmark_quick_mode_prints_the_ratios(tmp_path):
    """`python -m benchmarks.static_export --quick` runs in seconds and prints both ratios."""
    if find_nginx() is None:
        pytest.skip("nginx is not installed")
    command = [sys.executable, "-m", "benchmarks.static_export", "--quick", "--output",
               str(tmp_path / "report.md")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {"export / plain file c64", "export / plain file c256"}
    assert all(value > 0 for value in figures.values())
    assert "ratio: export / plain file" in (tmp_path / "report.md").read_text("utf-8")
