"""The static export: every variant the service answers, as files nginx or a CDN can serve.

``ticker serve --export DIR`` writes them after each new snapshot, ``ticker export DIR``
once (for cron).  The bodies are the snapshot's, rendered at the stamp's time like every
process's, so each file is byte for byte what the service answers at its ``url``::

    DIR/manifest.json              every file: its URL, ETag, type, language; the stamp
    DIR/<tag>/v1/strip.json        /v1/strip?lang=<tag>, and .gz and .br beside it
    DIR/<tag>/v1/strip.txt         /v1/strip.txt?lang=<tag>
    DIR/<tag>/v1/rates.json        /v1/rates?lang=<tag>   (weather.json likewise)
    DIR/<tag>/widget.html          /widget?lang=<tag>
    DIR/<tag>/widget/frame.html    /widget/frame?lang=<tag>
    DIR/<tag>/v1/strip.svg         the images at their default size, the configured theme
    DIR/v1/strip.json ...          the default language's copies, at the URL's own path
    DIR/widget.js, widget.mjs, widget.css

Why this layout: each URL path is one file, with an extension added only where the path
has none, so nginx's ``types`` gives the Content-Type and ``gzip_static`` finds the twin
beside it; the language is one directory, the tag the service says in
``Content-Language``, so that nginx's ``map`` yields it and a language dropped from the
settings is a directory removed; the default copies sit at the URL's own path, what a
bucket or CDN serves as is.  The assets get twins too (the service sends them identity).

Every file is written to a temporary name in its own directory, flushed to disk and
renamed over the old one (``os.replace``, atomic on POSIX), so a reader sees the old
file or the new one, never part of one; a file whose bytes did not change is left
alone (nginx's ETag, from its mtime, stays valid).  The manifest is written last, the
same way; files no longer exported (a language removed, a twin of a body that became
too small to compress) are removed after it is in place, twins that would go stale
before their file is replaced.  One lock file serializes the writers (the workers of
``ticker serve --workers``, a cron ``ticker export``); a snapshot older than the one the
manifest describes is never written over it.  The standard library does all of it:
``atomicwrites``, the usual package, is archived by its author (2022) and does one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from ticker._config import LiveSettings, Settings
from ticker._data.cache import Store
from ticker._data.history import History
from ticker._languages import LANGUAGE_TAGS, language_tag
from ticker._serving.catalogue import BY_NAME, FORMS, Form, VariantKey
from ticker._serving.drawing import DRAWER_KEY, Drawer
from ticker._serving.routes import ASSETS_KEY, Assets
from ticker._serving.snapshot import UNREAD, Snapshot, Unrenderable, Variant, build_snapshot
from ticker.sources import attributions

__all__ = [
    "ASSET_NAMES",
    "EXPORTER_KEY",
    "MANIFEST",
    "Export",
    "ExportReport",
    "ExportedFile",
    "Exporter",
    "ServiceApp",
    "attach_exporter",
    "export_once",
    "file_name",
    "prepare_directory",
    "read_manifest",
    "snapshot_export",
    "write_export",
]

log = logging.getLogger("ticker.export")

MANIFEST = "manifest.json"
#: The version of the manifest's format, for whoever syncs the files elsewhere.
MANIFEST_FORMAT = 1
#: The lock the writers of one directory take in turn.
LOCK = ".ticker-export.lock"
#: The assets, exported at the directory's top.
ASSET_NAMES = ("widget.js", "widget.mjs", "widget.css")
#: Each twin's suffix and the Content-Encoding it is sent with.
TWINS = ((".br", "br"), (".gz", "gzip"))
#: An extension for the paths that have none, by media type.
_EXTENSIONS = {"application/json": ".json", "text/html": ".html"}
#: A manifest read back is outside input: at most this big, and paths of this shape only.
MANIFEST_MAX_BYTES = 4 * 1024 * 1024
_SAFE_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,63}){0,3}")
#: A manifest dated further ahead than this was written by a wrong clock: not "newer".
MANIFEST_AHEAD = dt.timedelta(days=1)
#: How long the first export waits for the rendering process to draw its images.
RENDERER_WAIT = 30.0
#: Temporary files of an export that died: ``.<name>.<pid>.<hex>.tmp``.
_TEMPORARY = re.compile(r"\..+\.[0-9]+\.[0-9a-f]{8}\.tmp")


def file_name(form: Form) -> str:
    """The file of ``form`` under a language's directory (``/v1/strip`` -> ``v1/strip.json``)."""
    path = form.path.removeprefix("/")
    if "." not in path.rsplit("/", 1)[-1]:
        path += _EXTENSIONS[form.media_type]
    return path


def _content_type(form: Form, variant: Variant) -> str:
    """The Content-Type the service sends this variant with (as :mod:`.answers` does)."""
    return f"{variant.content_type}; charset=utf-8" if form.text else variant.content_type


@dataclass(frozen=True)
class ExportedFile:
    """One exported file: its bytes and what the service answers them with."""

    path: str
    body: bytes
    url: str
    etag: str
    content_type: str
    language: str | None
    encoding: str | None = None

    def entry(self) -> dict[str, Any]:
        """The file's line of the manifest."""
        return {
            "url": self.url, "etag": self.etag, "content_type": self.content_type,
            "language": self.language, "encoding": self.encoding, "size": len(self.body),
        }  # fmt: skip


def _with_twins(
    path: str, url: str, variant: Variant, content_type: str, language: str | None
) -> list[ExportedFile]:
    """The file of ``variant`` and its compressed twins (a body too small has none)."""
    files = [ExportedFile(path, variant.body, url, variant.etag, content_type, language)]
    packed = {"br": (variant.brotli, variant.brotli_etag),
              "gzip": (variant.gzipped, variant.gzip_etag)}  # fmt: skip
    for suffix, coding in TWINS:
        body, etag = packed[coding]
        if body is not None:
            files.append(ExportedFile(path + suffix, body, url, etag, content_type, language,
                                      coding))  # fmt: skip
    return files


@dataclass(frozen=True)
class Export:
    """Everything one snapshot exports, and when it was rendered."""

    stamp: str
    generated_at: dt.datetime
    rendered_at: dt.datetime
    fresh_until: dt.datetime | None
    default_language: str
    languages: tuple[str, ...]
    files: tuple[ExportedFile, ...]

    def manifest(self) -> bytes:
        """The manifest's bytes: the stamp and every file, sorted."""
        document = {
            "format": MANIFEST_FORMAT,
            "stamp": self.stamp,
            "generated_at": _instant(self.generated_at),
            "rendered_at": _instant(self.rendered_at),
            "fresh_until": _instant(self.fresh_until) if self.fresh_until else None,
            "default_language": self.default_language,
            "languages": list(self.languages),
            "files": {file.path: file.entry() for file in sorted(self.files, key=_by_path)},
        }
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def _by_path(file: ExportedFile) -> str:
    return file.path


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def export_keys(snapshot: Snapshot) -> list[VariantKey]:
    """Every variant an export of ``snapshot`` holds: each form in each language, as asked
    for with ``lang`` alone (the configured theme, metric, the images' default size)."""
    return [snapshot.key(form.name, lang) for lang in snapshot.strips for form in FORMS]


def snapshot_export(snapshot: Snapshot, assets: Assets) -> Export:
    """The files of ``snapshot`` and the assets (renders what it still lacks, blocking).

    An image that cannot be drawn (no fonts) is left out, with a warning, and so is
    left to the service.
    """
    keys = export_keys(snapshot)
    snapshot.render(keys)
    settings = snapshot.settings
    default = settings.default_language
    files: list[ExportedFile] = []
    unrendered: list[str] = []
    for key in keys:
        variant = snapshot.variants.get(key)
        form, tag = BY_NAME[key.form], language_tag(key.lang)
        if variant is None:
            unrendered.append(f"{form.path}?lang={tag}")
            continue
        content_type, name = _content_type(form, variant), file_name(form)
        files += _with_twins(f"{tag}/{name}", f"{form.path}?lang={tag}", variant, content_type,
                             tag)  # fmt: skip
        if key.lang == default:
            files += _with_twins(name, form.path, variant, content_type, tag)
    if unrendered:
        shown = ", ".join(unrendered[:4]) + (", ..." if len(unrendered) > 4 else "")
        log.warning("%d variants not exported, the service answers them: %s", len(unrendered),
                    shown)  # fmt: skip
    for name in ASSET_NAMES:
        body, headers = assets.get(name)
        variant = Variant.of(body, headers["Content-Type"])
        files += _with_twins(name, f"/{name}", variant, headers["Content-Type"], None)
    stamp = snapshot.stamp
    return Export(
        stamp.version, stamp.generated_at, snapshot.rendered_at, _fresh_until(snapshot),
        language_tag(default), tuple(language_tag(lang) for lang in snapshot.strips),
        tuple(files),
    )  # fmt: skip


def _fresh_until(snapshot: Snapshot) -> dt.datetime | None:
    """Until when the service calls these bodies fresh: the next refresh or change."""
    moments = [m for m in (snapshot.stamp.next_refresh_at, snapshot.next_change_at) if m]
    return min(moments) if moments else None


# -- writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportReport:
    """What one export did."""

    directory: Path
    files: int = 0
    written: int = 0
    removed: int = 0
    seconds: float = 0.0
    #: Why nothing was written (``unchanged``, ``older``), else None.
    skipped: str | None = None
    stamp: str = ""

    def summary(self) -> str:
        """One line for the terminal and the log."""
        if self.skipped == "older":
            return f"{self.directory}: not exported, it holds a newer snapshot than {self.stamp}"
        if self.skipped == "unchanged":
            return f"{self.directory}: up to date ({self.files} files, snapshot {self.stamp})"
        return (
            f"{self.directory}: {self.files} files of snapshot {self.stamp}, {self.written} "
            f"written, {self.removed} removed, in {self.seconds * 1000:.0f} ms"
        )


@dataclass(frozen=True)
class Manifest:
    """What a manifest on disk says, as far as the next export needs it."""

    rendered_at: dt.datetime
    files: Mapping[str, str] = field(default_factory=dict)  # path -> ETag


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest in ``directory``; None when absent or unreadable (then it is rewritten)."""
    path = directory / MANIFEST
    try:
        with path.open("rb") as opened:
            raw = opened.read(MANIFEST_MAX_BYTES + 1)
        if len(raw) > MANIFEST_MAX_BYTES:
            raise ValueError(f"larger than {MANIFEST_MAX_BYTES} bytes")
        document = json.loads(raw)
        rendered_at = dt.datetime.fromisoformat(document["rendered_at"])
        if rendered_at.tzinfo is None:
            raise ValueError("rendered_at has no offset")
        files = {
            name: str(entry.get("etag", ""))
            for name, entry in document["files"].items()
            if isinstance(name, str) and _SAFE_PATH.fullmatch(name) and isinstance(entry, dict)
        }
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("%s cannot be read, writing it anew: %s", path, exc)
        return None
    return Manifest(rendered_at, files)


def prepare_directory(directory: Path) -> Path:
    """Create ``directory`` if needed; raises ``OSError`` when it cannot be written."""
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f".probe.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    _write_atomically(probe, b"", durable=False)
    probe.unlink()
    return directory


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """The directory's export lock, held until the block ends."""
    descriptor = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``.

    The file is created with the umask's permissions (0644 usually), not the 0600 of
    ``tempfile``: nginx's workers run as another user and must read it.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as opened:
            opened.write(data)
            opened.flush()
            if durable:  # renamed before its bytes are on disk, a crash could leave it empty
                os.fsync(opened.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _unchanged(path: Path, data: bytes) -> bool:
    """Whether ``path`` holds ``data`` already."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _sync_directory(directory: Path) -> None:
    """Make the renames in ``directory`` durable."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _ours() -> tuple[set[str], set[str]]:
    """Every file an export may have written (in any language), and every folder."""
    names = [file_name(form) for form in FORMS]
    prefixes = ["", *(f"{tag}/" for tag in LANGUAGE_TAGS.values())]
    files = {prefix + name for prefix in prefixes for name in names}
    files |= set(ASSET_NAMES)
    files |= {name + suffix for name in list(files) for suffix, _ in TWINS}
    folders = {str(Path(name).parent) for name in files} - {"."}
    folders |= set(LANGUAGE_TAGS.values())
    return files, folders


def _sweep_temporaries(directory: Path, folders: Iterable[str]) -> None:
    """Remove what an export that died left half-written (under the lock: none is live)."""
    for folder in (directory, *(directory / name for name in folders)):
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                if entry.is_file() and _TEMPORARY.fullmatch(entry.name):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def write_export(
    directory: Path, export: Export, *, now: dt.datetime | None = None
) -> ExportReport:
    """Write ``export`` into ``directory`` atomically, the manifest last (blocking)."""
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    report = ExportReport(directory, files=len(export.files), stamp=export.stamp)
    with _locked(directory):
        previous = read_manifest(directory)
        now = now or dt.datetime.now(dt.UTC)
        ahead = now + MANIFEST_AHEAD
        if previous is not None and export.rendered_at < previous.rendered_at <= ahead:
            return _done(report, started, skipped="older")
        wanted = {file.path: file.etag for file in export.files}
        if (
            previous is not None
            and previous.files == wanted
            and all((directory / path).is_file() for path in wanted)
        ):
            return _done(report, started, skipped="unchanged")
        ours, folders = _ours()
        _sweep_temporaries(directory, folders)
        written = _write_files(directory, export.files, set(wanted))
        _write_atomically(directory / MANIFEST, export.manifest())
        _sync_directory(directory)
        stale = (ours | set(previous.files if previous else ())) - set(wanted) - {MANIFEST}
        removed = _remove(directory, stale, folders)
    return _done(report, started, written=written, removed=removed)


def _done(report: ExportReport, started: float, **changes: Any) -> ExportReport:
    return replace(report, seconds=time.perf_counter() - started, **changes)


def _write_files(directory: Path, files: Iterable[ExportedFile], paths: set[str]) -> int:
    """Write each file that changed; a twin that is no longer made goes before its file.

    Otherwise nginx's ``gzip_static`` would go on sending the old twin of a new file.
    """
    written = 0
    touched: set[Path] = set()
    for file in files:
        target = directory / file.path
        if file.encoding is None:
            for suffix, _ in TWINS:
                if file.path + suffix not in paths:
                    with contextlib.suppress(FileNotFoundError):
                        (directory / (file.path + suffix)).unlink()
        if _unchanged(target, file.body):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, file.body)
        touched.add(target.parent)
        written += 1
    for folder in touched:
        _sync_directory(folder)
    return written


def _remove(directory: Path, stale: Iterable[str], folders: Iterable[str]) -> int:
    """Remove the files no longer exported, then the folders they leave empty."""
    removed = 0
    for path in stale:
        if not _SAFE_PATH.fullmatch(path):
            continue
        try:
            (directory / path).unlink()
        except FileNotFoundError:
            continue
        removed += 1
    for folder in sorted(folders, key=lambda name: -name.count("/")):
        with contextlib.suppress(OSError):  # not empty, or not there: kept
            (directory / folder).rmdir()
    return removed


# -- once, and after every snapshot ------------------------------------------------------


def export_once(
    settings: Settings,
    store: Store,
    directory: Path,
    *,
    clock: Callable[[], dt.datetime],
) -> ExportReport:
    """Read the cache, render its snapshot as the service does, write it (blocking)."""
    history = History(store.backend, settings.history, clock=clock)
    snapshot = build_snapshot(settings, store, attributions(settings), clock=clock,
                              history=history)  # fmt: skip
    export = snapshot_export(snapshot, Assets(LiveSettings(settings)))
    return write_export(directory, export, now=clock())


class Exporter:
    """Writes the export of each new snapshot the service serves, off the event loop.

    :meth:`want` asks the snapshot about to be rendered for every exported variant, so
    that the rendering process draws the images with it; :meth:`offer` hands over the
    snapshot being served.  The first snapshot is rendered in the serving process before
    it listens: its images are drawn afterwards by the :class:`Drawer` (in the rendering
    process once that runs), so that exporting costs the start-up nothing.  One export
    runs at a time; a snapshot offered meanwhile is exported next, and any offered
    before it is skipped.  A failing write (a full disk) is logged and never stops the
    serving; the next snapshot tries again.
    """

    def __init__(self, directory: Path, assets: Assets, drawer: Drawer) -> None:
        self.directory = directory
        self.assets = assets
        self.drawer = drawer
        self._latest: Snapshot | None = None
        self._exported: Snapshot | None = None
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._closed = False
        #: The last export's report (None before the first).
        self.report: ExportReport | None = None

    def want(self, snapshot: Snapshot) -> None:
        """Make the snapshot rendered after ``snapshot`` render every exported variant."""
        if snapshot.stamp.version != UNREAD:  # the first render: see the class's docstring
            snapshot.served.update(export_keys(snapshot))

    def offer(self, snapshot: Snapshot) -> None:
        """Export ``snapshot`` soon, unless it is exported already or not read from the cache."""
        if self._closed or snapshot is self._latest or snapshot.stamp.version == UNREAD:
            return
        self._latest = snapshot
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="ticker-export")

    async def _run(self) -> None:
        while self._latest is not None and self._latest is not self._exported:
            snapshot = self._latest
            try:
                if await self._draw_missing(snapshot):
                    self.report = await asyncio.to_thread(self.export, snapshot)
            except Exception as exc:  # never stops the serving; the next snapshot tries again
                if not self._failing:
                    log.error("cannot export to %s: %s: %s", self.directory,
                              type(exc).__name__, exc)  # fmt: skip
                self._failing = True
            else:
                if self._failing:
                    log.info("exporting to %s again", self.directory)
                self._failing = False
            self._exported = snapshot

    async def _draw_missing(self, snapshot: Snapshot) -> bool:
        """Draw the images ``snapshot`` lacks, in the rendering process once it is up;
        False if another snapshot is served meanwhile (it is offered next)."""
        missing = [key for key in export_keys(snapshot)
                   if BY_NAME[key.form].lazy and key not in snapshot.variants]  # fmt: skip
        renderer = self.drawer.renderer
        waited = 0.0
        while missing and renderer is not None and not renderer.ready and waited < RENDERER_WAIT:
            await asyncio.sleep(0.1)
            waited += 0.1
        for key in missing:
            if self.drawer.holder.current is not snapshot:
                return False
            with contextlib.suppress(Unrenderable):  # left to the service, said when written
                await self.drawer.ensure(key)
        return True

    def export(self, snapshot: Snapshot) -> ExportReport:
        """Export ``snapshot`` now (blocking)."""
        report = write_export(self.directory, snapshot_export(snapshot, self.assets))
        log.debug("%s", report.summary())
        return report

    async def idle(self) -> None:
        """Wait until every snapshot offered so far is exported."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        """The app's cleanup context: at shutdown, the export under way is finished."""
        yield
        self._closed = True
        with contextlib.suppress(Exception):
            await self.idle()


EXPORTER_KEY = web.AppKey("exporter", Exporter)
#: The application :func:`attach_exporter` takes (``create_app``'s), named for the command.
ServiceApp = web.Application


def attach_exporter(app: web.Application, directory: Path) -> Exporter:
    """Make ``app`` (from ``create_app``, not started) export every snapshot to ``directory``.

    Raises ``OSError`` when the directory cannot be created or written.
    """
    exporter = Exporter(prepare_directory(directory), app[ASSETS_KEY], app[DRAWER_KEY])
    app[EXPORTER_KEY] = exporter
    app.cleanup_ctx.append(exporter.context)
    return exporter
