"""The ``/docs`` page: the service's OpenAPI document as plain, readable HTML.

A pure function of the document (a JSON-like mapping), so the page is rendered
where every other piece of markup is, and serving only sends it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["render_docs"]

#: How the document refers to a model's schema.
SCHEMA_PREFIX = "#/components/schemas/"


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _model_link(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    return f'<a href="#model-{_escape(name)}">{_escape(name)}</a>'


def _schema_text(schema: Mapping[str, Any]) -> str:
    """A JSON schema in a few words of HTML: ``string (date-time) | null``, a model link..."""
    if "$ref" in schema:
        return _model_link(schema["$ref"])
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " | ".join(_schema_text(part) for part in schema[union])
    if "const" in schema:
        return f"<code>{_escape(json.dumps(schema['const'], ensure_ascii=False))}</code>"
    if "enum" in schema:
        return "one of " + ", ".join(f"<code>{_escape(value)}</code>" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + _schema_text(schema.get("items", {}))
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return "object of " + _schema_text(schema["additionalProperties"])
    text = _escape(kind)
    if "format" in schema:
        text += f" ({_escape(schema['format'])})"
    if "pattern" in schema:
        text += f" matching <code>{_escape(schema['pattern'])}</code>"
    return text


def _table(caption: str, head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; cells are HTML already escaped by the caller."""
    lines = [f"<table><caption>{_escape(caption)}</caption>"]
    lines.append("<tr>" + "".join(f"<th>{_escape(cell)}</th>" for cell in head) + "</tr>")
    lines.extend("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    lines.append("</table>")
    return "\n".join(lines)


def _bodies(response: Mapping[str, Any]) -> str:
    bodies = [
        f"<code>{_escape(media_type)}</code>: {_schema_text(content.get('schema', {}))}"
        for media_type, content in response.get("content", {}).items()
    ]
    return "<br>".join(bodies) or "none"


def _response_rows(responses: Mapping[str, Any]) -> Iterator[list[str]]:
    for status, response in responses.items():
        headers = ", ".join(f"<code>{_escape(name)}</code>" for name in response.get("headers", {}))
        yield [
            f"<code>{_escape(status)}</code>",
            _escape(response["description"]),
            _bodies(response),
            headers,
        ]


def _operation_section(path: str, method: str, operation: Mapping[str, Any]) -> str:
    parts = [
        f'<section id="{_escape(operation["operationId"])}">',
        f"<h3><code>{_escape(method.upper())} {_escape(path)}</code></h3>",
        f"<p>{_escape(operation.get('summary', ''))}</p>",
    ]
    if operation.get("description"):
        parts.append(f"<p>{_escape(operation['description'])}</p>")
    parameters = operation.get("parameters", [])
    if parameters:
        rows = (
            [
                f"<code>{_escape(p['name'])}</code>",
                _escape(p["in"]),
                "yes" if p.get("required") else "no",
                _schema_text(p.get("schema", {})),
                _escape(p.get("description", "")),
            ]
            for p in parameters
        )
        parts.append(_table("Parameters", ("name", "in", "required", "value", "meaning"), rows))
    responses = _response_rows(operation["responses"])
    parts.append(_table("Responses", ("status", "meaning", "body", "headers"), responses))
    parts.append("</section>")
    return "\n".join(parts)


def _model_section(name: str, schema: Mapping[str, Any]) -> str:
    parts = [f'<section id="model-{_escape(name)}">', f"<h3>{_escape(name)}</h3>"]
    if schema.get("description"):
        parts.append(f"<p>{_escape(schema['description'])}</p>")
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if properties:
        rows = (
            [
                f"<code>{_escape(key)}</code>",
                _schema_text(value),
                "yes" if key in required else "no",
                _escape(value.get("description", "")),
            ]
            for key, value in properties.items()
        )
        parts.append(_table("Fields", ("field", "type", "always", "meaning"), rows))
    else:
        parts.append(f"<p>{_schema_text(schema)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def render_docs(document: Mapping[str, Any]) -> str:
    """A static HTML page describing ``document``: no script, every text escaped."""
    info = document["info"]
    title = f"{info['title']} {info['version']}"
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    index = "\n".join(
        f'<li><a href="#{_escape(op["operationId"])}"><code>{_escape(method.upper())} '
        f"{_escape(path)}</code></a>: {_escape(op.get('summary', ''))}</li>"
        for path, method, op in operations
    )
    errors = document["components"]["responses"]
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_escape(title)}: HTTP API</title></head>",
            "<body>",
            f"<h1>{_escape(title)}: HTTP API</h1>",
            f"<p>{_escape(info.get('summary', ''))}</p>",
            f"<p>{_escape(info.get('description', ''))}</p>",
            '<p>The same, machine-readable: <a href="openapi.json">openapi.json</a>'
            f" (OpenAPI {_escape(document['openapi'])}).</p>",
            "<h2>Endpoints</h2>",
            f"<ul>\n{index}\n</ul>",
            *(_operation_section(path, method, op) for path, method, op in operations),
            "<h2>Errors</h2>",
            _table(
                "Every error",
                ("answer", "meaning", "body"),
                (
                    [_escape(name), _escape(error["description"]), _bodies(error)]
                    for name, error in errors.items()
                ),
            ),
            "<h2>Models</h2>",
            *(
                _model_section(name, schema)
                for name, schema in document["components"]["schemas"].items()
            ),
            "</body>",
            "</html>",
            "",
        ]
    )
