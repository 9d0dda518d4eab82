"""nginx configurations: the same bytes served from files, and a copy of the example cache.

nginx runs in the foreground (``daemon off``) with every path it writes (pid, logs,
temporary files, cache) in the benchmark's folder, so it needs no root and leaves
nothing behind.  Run as root, nginx's workers switch to an unprivileged user, so the
folder must be readable by others (``run`` makes it so).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["cache_config", "find_nginx", "nginx_command", "nginx_version", "static_config"]

#: Where the package managers put nginx; /usr/sbin is often missing from a user's PATH.
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
#: Headers nginx writes itself, or that describe the body it sends.
_OWN_HEADERS = frozenset({"content-type", "content-length", "date", "server", "connection"})


def find_nginx() -> str | None:
    """The nginx binary, if installed."""
    return shutil.which("nginx", path=_SEARCH_PATH)


def nginx_version(binary: str) -> str:
    """What ``nginx -v`` says, e.g. ``nginx/1.22.1``."""
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    return done.stderr.strip().removeprefix("nginx version: ")


def nginx_command(binary: str, folder: Path, config: Path) -> list[str]:
    """nginx in the foreground with ``folder`` as its prefix."""
    return [binary, "-p", f"{folder}/", "-c", str(config), "-g", "daemon off;"]


def _temp_paths(folder: Path) -> str:
    """Temporary files in ``folder``: the compiled-in ones need root."""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    return "\n".join(f"    {kind}_temp_path {folder}/{kind}_temp;" for kind in kinds)


def _quoted(value: str) -> str:
    if "$" in value:  # nginx would read a variable; ticker's headers never hold one
        raise ValueError(f"cannot write {value!r} in an nginx string")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _location(path: str, body: Path, headers: Sequence[tuple[str, str]]) -> str:
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "text/plain")
    added = "".join(
        f"            add_header {name} {_quoted(value)};\n"
        for name, value in headers
        if name.lower() not in _OWN_HEADERS
    )
    return (
        f"        location = {path} {{\n"
        f"            types {{ }}\n"
        f"            default_type {_quoted(content_type)};\n"
        f"            alias {body};\n"
        f"{added}"
        f"        }}\n"
    )


def static_config(
    folder: Path,
    port: int,
    routes: Mapping[str, tuple[Path, Sequence[tuple[str, str]]]],
    *,
    workers: str,
) -> str:
    """nginx answering each path of ``routes`` from its file, with ticker's headers."""
    locations = "".join(_location(path, body, headers) for path, (body, headers) in routes.items())
    return f"""worker_processes {workers};
pid {folder}/nginx.pid;
error_log stderr warn;

events {{ worker_connections 4096; }}

http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    # aiohttp keeps a connection for any number of requests; so does this reference.
    keepalive_requests 1000000;
    server_tokens off;
    etag off;  # the ETag is ticker's, added below
{_temp_paths(folder)}

    server {{
        listen 127.0.0.1:{port};
{locations}    }}
}}
"""


def _replace_once(text: str, pattern: str, replacement: str) -> str:
    """Replace the one uncommented line part matching ``pattern``, or say what changed."""
    changed, count = re.subn(rf"^(?!\s*#)(.*?){pattern}", rf"\g<1>{replacement}", text, flags=re.M)
    if count != 1:
        raise ValueError(f"examples/nginx.conf: expected one line matching {pattern!r}")
    return changed


def cache_config(example: str, folder: Path, *, port: int, upstream_port: int) -> str:
    """examples/nginx.conf with its upstream, listen port and paths moved; nothing else."""
    text = _replace_once(example, r"pid \S+;", f"pid {folder}/nginx.pid;")
    text = _replace_once(text, r"server 127\.0\.0\.1:\d+", f"server 127.0.0.1:{upstream_port}")
    text = _replace_once(text, r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{port};")
    text = _replace_once(text, r"proxy_cache_path \S+", f"proxy_cache_path {folder}/cache")
    return _replace_once(text, r"http \{", "http {\n" + _temp_paths(folder))
