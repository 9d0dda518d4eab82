"""The catalogue of the strip's forms: each one's path, media type, model, summary and parameters.

Everything that lists the forms is derived from :data:`FORMS`: the routes and the
fast path (:mod:`ticker._serving.routes`), the variants a snapshot renders
(:mod:`ticker._serving.snapshot`) and the OpenAPI description
(:mod:`ticker._serving.openapi`).  A new form is one entry here and its renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from ticker._wire import RatesHalf, Strip, WeatherHalf

__all__ = ["BY_NAME", "BY_PATH", "FORMS", "THEMES", "Form"]

#: The widget's colour schemes: the reader's preference, or fixed.
THEMES = ("auto", "light", "dark")


@dataclass(frozen=True)
class Form:
    """One served form of the strip."""

    name: str
    path: str
    media_type: str
    summary: str
    #: The JSON body's model; None for text and HTML.
    model: type[BaseModel] | None = None
    #: An HTML document or fragment: it gets the widget's CSP and takes ``theme``.
    page: bool = False

    @property
    def parameters(self) -> tuple[str, ...]:
        """The query parameters the form takes."""
        return ("lang", "theme") if self.page else ("lang",)

    @property
    def handler_name(self) -> str:
        """The name of the route's handler, as OpenAPI and logs show it."""
        return "get_" + self.name.replace(".", "_")


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
         "The strip as an HTML fragment, for a server-side include.", page=True),
    Form("frame", "/widget/frame", "text/html",
         "The strip as a complete HTML page, for an iframe (no script).", page=True),
)  # fmt: skip

BY_NAME: Mapping[str, Form] = {form.name: form for form in FORMS}
BY_PATH: Mapping[str, Form] = {form.path: form for form in FORMS}
