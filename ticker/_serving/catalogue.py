"""The catalogue of the strip's forms: each one's path, media type, model, summary and parameters.

Everything that lists the forms is derived from :data:`FORMS`: the routes and the
fast path (:mod:`ticker._serving.routes`), the variants a snapshot renders
(:mod:`ticker._serving.snapshot`) and the OpenAPI description
(:mod:`ticker._serving.openapi`).  A new form is one entry here and its renderer.

A variant of a form is named by a :class:`VariantKey`: the form, the language, the
theme, the temperature units and, for the images, their size.  The text and HTML
forms are rendered for every language as soon as a snapshot is made; the images
(``lazy``) only when first asked for, then kept for the snapshot's life.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from pydantic import BaseModel

from ticker._wire import RatesHalf, Strip, WeatherHalf

__all__ = [
    "BY_NAME",
    "BY_PATH",
    "CARD_SIZES",
    "DEFAULT_CARD_SIZE",
    "DEFAULT_UNITS",
    "DEFAULT_WIDTH",
    "FORMS",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "THEMES",
    "UNITS",
    "Form",
    "VariantKey",
]

#: The widget's colour schemes: the reader's preference, or fixed.
THEMES = ("auto", "light", "dark")
#: Temperatures in degrees Celsius (metric) or Fahrenheit (imperial).
UNITS = ("metric", "imperial")
DEFAULT_UNITS = "metric"
#: The strip image's width in CSS pixels: its bounds and its default.
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 320, 2400, 960
#: The day's card: 1200x630 for link previews (og:image), 1080x1080 for Telegram and Instagram.
CARD_SIZES = ("1200x630", "1080x1080")
DEFAULT_CARD_SIZE = CARD_SIZES[0]


class VariantKey(NamedTuple):
    """One rendered body: a form in a language, theme, units and (for the images) size."""

    form: str
    lang: str
    theme: str
    units: str = DEFAULT_UNITS
    #: ``width`` of a strip image (``"960"``), ``size`` of a card (``"1200x630"``), else "".
    size: str = ""


@dataclass(frozen=True)
class Form:
    """One served form of the strip."""

    name: str
    path: str
    media_type: str
    summary: str
    #: The JSON body's model; None for text, HTML and images.
    model: type[BaseModel] | None = None
    #: An HTML document or fragment: it gets the widget's CSP.
    page: bool = False
    #: The query parameters the form takes.
    parameters: tuple[str, ...] = ("lang", "units")
    #: Rendered when first asked for (an image), not with every snapshot.
    lazy: bool = False
    #: The parameter naming the variant's size (``width`` or ``size``), if any.
    sized_by: str | None = None

    @property
    def handler_name(self) -> str:
        """The name of the route's handler, as OpenAPI and logs show it."""
        return "get_" + self.name.replace(".", "_")

    @property
    def themed(self) -> bool:
        """Whether the form takes ``theme``."""
        return "theme" in self.parameters

    @property
    def default_size(self) -> str:
        """The size of the variant asked for without one."""
        if self.sized_by == "width":
            return str(DEFAULT_WIDTH)
        return DEFAULT_CARD_SIZE if self.sized_by == "size" else ""

    @property
    def text(self) -> bool:
        """Whether the body is text (sent with a charset)."""
        return not self.media_type.startswith("image/") or self.media_type == "image/svg+xml"


_PAGE = ("lang", "theme", "units")

FORMS: tuple[Form, ...] = (
    Form(
        "strip", "/v1/strip", "application/json",
        "The whole strip as JSON: rates, weather, their text and credits.", Strip,
    ),
    Form("strip.txt", "/v1/strip.txt", "text/plain", "The whole strip as one line of plain text."),
    Form("rates", "/v1/rates", "application/json", "The rates half of the strip as JSON.",
         RatesHalf),
    Form("weather", "/v1/weather", "application/json", "The weather half of the strip as JSON.",
         WeatherHalf),
    Form("widget", "/widget", "text/html",
         "The strip as an HTML fragment, for a server-side include.", page=True,
         parameters=_PAGE),
    Form("frame", "/widget/frame", "text/html",
         "The strip as a complete HTML page, for an iframe (no script).", page=True,
         parameters=_PAGE),
    Form("strip.svg", "/v1/strip.svg", "image/svg+xml",
         "The strip as an SVG image: the widget's items and colours, wrapped to `width`.",
         parameters=(*_PAGE, "width"), lazy=True, sized_by="width"),
    Form("strip.png", "/v1/strip.png", "image/png",
         "The strip as a PNG image at twice `width` in pixels, for mail.",
         parameters=(*_PAGE, "width"), lazy=True, sized_by="width"),
    Form("card.svg", "/v1/card.svg", "image/svg+xml",
         "The day's card as an SVG image: the date, every rate and city, the credits.",
         parameters=(*_PAGE, "size"), lazy=True, sized_by="size"),
    Form("card.png", "/v1/card.png", "image/png",
         "The day's card as a PNG image (og:image, Telegram, Instagram).",
         parameters=(*_PAGE, "size"), lazy=True, sized_by="size"),
)  # fmt: skip

BY_NAME: Mapping[str, Form] = {form.name: form for form in FORMS}
BY_PATH: Mapping[str, Form] = {form.path: form for form in FORMS}
