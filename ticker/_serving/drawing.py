"""The images of the strip, drawn off the serving loop, once per snapshot and variant.

An image (:data:`~ticker._serving.catalogue.FORMS` marks them ``lazy``) is drawn the
first time a snapshot is asked for it, then kept and answered like every other
variant (:mod:`ticker._serving.answers`: strong ETag, 304, Cache-Control).  resvg
holds the GIL for the whole of a drawing (~25 ms for a strip, ~80 ms for a card), so
a drawing in a thread would stall every request of the process: with ``ticker serve``
the rendering child process draws it (:class:`~ticker._serving.offload.ChildRenderer`),
and a thread only where there is no child (an app made by ``create_app`` alone).
Requests for an image being drawn wait for that one drawing.  The next snapshot draws
every image its predecessor served before it is swapped in (in the child, or in the
thread that renders it), so only an image never asked for before waits.

A snapshot keeps at most :data:`~ticker._serving.snapshot.LAZY_BUDGET` images, those
being drawn counted: past it, a new variant is a 503 with ``Retry-After``, so that a
client asking for every width of every language costs a few drawings, not the CPU.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from ticker._serving.answers import Answers
from ticker._serving.catalogue import Form, VariantKey
from ticker._serving.metrics import Metrics
from ticker._serving.offload import ChildRenderer
from ticker._serving.responses import QueryError, bad_query, error_answer
from ticker._serving.snapshot import (
    Snapshot,
    SnapshotHolder,
    Unrenderable,
    Variant,
    render_image,
)

__all__ = ["DRAWER_KEY", "Drawer", "asked_for", "image_answer", "refusal"]

log = logging.getLogger("ticker.images")

#: How many times a request follows a snapshot replaced while its image was drawn.
FOLLOW_SNAPSHOTS = 3


class Drawer:
    """Draws the images snapshots are asked for, each once, off the serving loop."""

    def __init__(self, holder: SnapshotHolder, renderer: ChildRenderer | None = None) -> None:
        self.holder = holder
        self.renderer = renderer
        self._drawing: dict[tuple[Snapshot, VariantKey], asyncio.Future[Variant]] = {}

    async def ensure(self, key: VariantKey) -> None:
        """Make the current snapshot hold the image ``key``; raises :class:`Unrenderable`."""
        for _ in range(FOLLOW_SNAPSHOTS):
            snapshot = self.holder.current
            if key in snapshot.variants:
                return
            snapshot.keep(key, await self._draw(snapshot, key))

    def _in_flight(self, snapshot: Snapshot, key: VariantKey) -> int:
        return sum(1 for drawn, other in self._drawing if drawn is snapshot and other != key)

    async def _draw(self, snapshot: Snapshot, key: VariantKey) -> Variant:
        token = (snapshot, key)
        drawing = self._drawing.get(token)
        if drawing is None:
            snapshot.admit(key, pending=self._in_flight(snapshot, key))
            drawing = asyncio.ensure_future(self._render(snapshot, key))
            self._drawing[token] = drawing
            drawing.add_done_callback(lambda _: self._drawing.pop(token, None))
        return await asyncio.shield(drawing)

    async def _render(self, snapshot: Snapshot, key: VariantKey) -> Variant:
        settings, strip = snapshot.settings, snapshot.strip(key.lang, key.units)
        renderer = self.renderer
        if renderer is not None and renderer.ready:
            try:
                return await renderer.image(settings, strip, key)
            except Unrenderable:
                raise
            except Exception as exc:  # the child died: it is replaced at the next call
                log.warning("the rendering process could not draw %s (%s); drawing here",
                            key.form, exc)  # fmt: skip
        return await asyncio.to_thread(render_image, settings, strip, key)


DRAWER_KEY = web.AppKey("drawer", Drawer)


def asked_for(answers: Answers, request: web.BaseRequest, form: Form) -> tuple[VariantKey, bool]:
    """The variant a request asks for, and whether its language was negotiated."""
    lang, negotiated = answers.language(request, form.parameters)
    return answers.key(request, form, lang), negotiated


def refusal(answers: Answers, request: web.BaseRequest, exc: Exception) -> web.Response:
    """The 400 of a bad query, or the 503 of an image that cannot be made now."""
    origin = request.headers.get("Origin")
    if isinstance(exc, QueryError):
        return bad_query(answers.settings, exc, origin=origin)
    response = error_answer(answers.settings, 503, "unavailable", str(exc), origin=origin)
    if isinstance(exc, Unrenderable) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def image_answer(
    answers: Answers, metrics: Metrics, drawer: Drawer, request: web.BaseRequest, form: Form
) -> web.Response:
    """An image's answer: drawn first if the snapshot does not hold it yet."""
    started = time.perf_counter()
    try:
        key, negotiated = asked_for(answers, request, form)
        await drawer.ensure(key)
        response = answers.respond(request, key, negotiated=negotiated)
    except (QueryError, Unrenderable) as exc:
        response = refusal(answers, request, exc)
    metrics.answered(form.name, response.status, started)
    return response
