"""The ``/docs`` page: the service's OpenAPI document as plain, readable HTML.

A pure function of the document (a JSON-like mapping), so the page is rendered
where every other piece of markup is, and serving only sends it.  Each endpoint
shows an example request, the ``curl`` line that sends it and an example answer,
all read from the document: :func:`with_examples` gives every required parameter
and every JSON body that has none an example made from its schema (an enum's first
value, a date, a model's fields...), so ``/openapi.json`` carries them too.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["render_docs", "with_examples"]

#: How the document refers to a model's schema.
SCHEMA_PREFIX = "#/components/schemas/"
#: The date and moment examples are made of (ISO 8601, with an offset for a moment).
EXAMPLE_DATE = "2026-12-01"
EXAMPLE_MOMENT = "2026-12-01T12:00:00+05:00"
#: Values tried, in order, for a string that must match a pattern.
PATTERN_TRIES = ("100", "12.50", "1", "USD", "en", "kzt")
#: How deep models nest in an example before the rest is left out (a cycle's guard).
EXAMPLE_DEPTH = 8


class _None:
    """No example can be made (unlike ``None``, the example ``null``)."""


NO_EXAMPLE = _None()


def _example(
    schema: Mapping[str, Any],
    schemas: Mapping[str, Any],
    *,
    avoid: Sequence[object] = (),
    depth: int = 0,
) -> object:
    """A value of ``schema`` (``$ref`` resolved in ``schemas``), unlike ``avoid``'s if it can."""
    if depth > EXAMPLE_DEPTH:
        return NO_EXAMPLE
    if schema.get("examples"):
        return schema["examples"][0]
    if "$ref" in schema:
        target = schemas.get(schema["$ref"].removeprefix(SCHEMA_PREFIX), {})
        return _example(target, schemas, avoid=avoid, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("default") is not None:
        return schema["default"]
    if "enum" in schema:
        fresh = [value for value in schema["enum"] if value not in avoid]
        return (fresh or schema["enum"])[0]
    for union in ("anyOf", "oneOf"):
        for part in schema.get(union, ()):
            if part.get("type") != "null":
                found = _example(part, schemas, avoid=avoid, depth=depth)
                if found is not NO_EXAMPLE:
                    return found
        if union in schema:
            return None if {"type": "null"} in schema[union] else NO_EXAMPLE
    return _typed_example(schema, schemas, depth)


def _typed_example(schema: Mapping[str, Any], schemas: Mapping[str, Any], depth: int) -> object:
    kind = schema.get("type")
    if kind == "object":
        properties: Mapping[str, Any] = schema.get("properties", {})
        found = {key: _example(value, schemas, depth=depth) for key, value in properties.items()}
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, Mapping):
            found = {"en": _example(extra, schemas, depth=depth)}
        made = {key: value for key, value in found.items() if value is not NO_EXAMPLE}
        return made if set(schema.get("required", ())) <= made.keys() else NO_EXAMPLE
    if kind == "array":
        item = _example(schema.get("items", {}), schemas, depth=depth)
        return [] if item is NO_EXAMPLE else [item]
    if kind == "string":
        return _string_example(schema)
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    return None if kind == "null" else NO_EXAMPLE


def _string_example(schema: Mapping[str, Any]) -> object:
    if schema.get("format") == "date":
        return EXAMPLE_DATE
    if schema.get("format") == "date-time":
        return EXAMPLE_MOMENT
    if schema.get("format") == "binary":
        return NO_EXAMPLE
    if schema.get("format") == "uri":
        return "https://example.org/"
    pattern = schema.get("pattern")
    if pattern is None:
        return "text"
    return next((text for text in PATTERN_TRIES if re.search(pattern, text)), NO_EXAMPLE)


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with an example for each required parameter and each success's JSON
    body lacking one.

    Two required parameters of one operation that take the same values get different
    ones where they can (``from=KZT&to=USD``, not ``from=KZT&to=KZT``).
    """
    schemas: Mapping[str, Any] = document["components"]["schemas"]
    for item in document["paths"].values():
        for operation in item.values():
            used: list[object] = []
            for parameter in operation.get("parameters", ()):
                if "example" not in parameter and parameter.get("required"):
                    found = _example(parameter.get("schema", {}), schemas, avoid=used)
                    if found is not NO_EXAMPLE:
                        parameter["example"] = found
                if "example" in parameter:
                    used.append(parameter["example"])
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue  # the errors are one model, described once
                for media_type, content in response.get("content", {}).items():
                    if "example" not in content and media_type == "application/json":
                        found = _example(content.get("schema", {}), schemas)
                        if found is not NO_EXAMPLE:
                            content["example"] = found
    return document


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


def example_request(path: str, operation: Mapping[str, Any]) -> str:
    """The example request's path and query: every parameter with an example, in order."""
    query = []
    for parameter in operation.get("parameters", ()):
        if "example" not in parameter:
            continue
        value = parameter["example"]
        text = value if isinstance(value, str) else json.dumps(value)
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", urllib.parse.quote(text, safe=""))
        elif parameter["in"] == "query":
            query.append((parameter["name"], text))
    return path + ("?" + urllib.parse.urlencode(query) if query else "")


def _example_answer(operation: Mapping[str, Any]) -> str:
    """The first success's status, media type and example body, as HTML."""
    for status, response in operation["responses"].items():
        if not status.startswith("2"):
            continue
        for media_type, content in response.get("content", {}).items():
            said = f"<p>Answer: <code>{_escape(status)}</code> <code>{_escape(media_type)}</code>"
            if "example" in content:
                body = json.dumps(content["example"], ensure_ascii=False, indent=1)
                return f"{said}, for example:</p>\n<pre><code>{_escape(body)}</code></pre>"
            what = "an image" if media_type.startswith("image/") else "a body"
            return f"{said}: {what} as described below.</p>"
        return f"<p>Answer: <code>{_escape(status)}</code>, no body.</p>"
    return ""


def _example_section(path: str, method: str, operation: Mapping[str, Any], base: str) -> str:
    target = example_request(path, operation)
    quoted = "'" + (base + target).replace("'", "'\\''") + "'"  # always quoted: & and ?
    curl = f"curl -i {quoted}"
    return "\n".join(
        [
            "<h4>Example</h4>",
            f"<pre><code>{_escape(method.upper())} {_escape(target)}</code></pre>",
            f"<pre><code>{_escape(curl)}</code></pre>",
            _example_answer(operation),
        ]
    )


def _operation_section(path: str, method: str, operation: Mapping[str, Any], base: str = "") -> str:
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
    parts.append(_example_section(path, method, operation, base))
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


def render_docs(document: Mapping[str, Any], *, base: str = "http://127.0.0.1:8080") -> str:
    """A static HTML page describing ``document``: no script, every text escaped.

    ``base`` is the service's address in the ``curl`` lines.
    """
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
            *(_operation_section(path, method, op, base) for path, method, op in operations),
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
