"""``ticker example``: print or write one of the example files shipped with ticker.

Usage::

    ticker example                              # list the examples
    ticker example offline                      # print examples/offline.yaml
    ticker example offline --out site.yaml      # write it, to edit and serve
    ticker serve --config site.yaml

The wheel carries the repository's ``examples/`` folder as ``ticker/_examples``
(``pyproject.toml`` maps it), so an installed ticker has the same files a checkout has.
Only the standard library is used: ``importlib.resources`` finds the packaged folder.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = [
    "EXIT_NOT_WRITTEN",
    "EXIT_UNKNOWN",
    "ExampleError",
    "example_files",
    "find_example",
    "register",
]

#: An example name that is none of them (as argparse's own usage errors).
EXIT_UNKNOWN = 2
#: ``--out`` names a file that exists (and no ``--force``), or it cannot be written.
EXIT_NOT_WRITTEN = 1


class ExampleError(Exception):
    """No example by that name, or the examples cannot be found."""


def _folder() -> Traversable:
    """The folder of example files: the wheel's ``ticker/_examples`` or a checkout's."""
    packaged = files("ticker").joinpath("_examples")
    if packaged.is_dir():
        return packaged
    # A source checkout (an editable install, or the tree on sys.path) has no
    # ticker/_examples: only a wheel does. Its files are the repository's examples/.
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "examples").is_dir():
        return checkout / "examples"
    raise ExampleError("the example files are not installed (ticker/_examples is missing)")


def example_files() -> dict[str, Traversable]:
    """Every example by its name: the file's stem (``offline``), or its name if shared."""
    found = sorted(
        (entry for entry in _folder().iterdir() if entry.is_file() and _is_example(entry.name)),
        key=lambda entry: entry.name,
    )
    stems = [Path(entry.name).stem for entry in found]
    names: dict[str, Traversable] = {}
    for entry, stem in zip(found, stems, strict=True):
        names[stem if stems.count(stem) == 1 else entry.name] = entry
    return names


def _is_example(name: str) -> bool:
    # Byte-compiled twins of client.py and editor leftovers are no examples.
    return not name.startswith((".", "_")) and not name.endswith((".pyc", "~"))


def find_example(name: str) -> Traversable:
    """The example called ``name`` (its listed name or its full file name)."""
    examples = example_files()
    by_file = {entry.name: entry for entry in examples.values()}
    found = examples.get(name) or by_file.get(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(name, list(examples), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ExampleError(f"no example {name!r}{hint} (examples: {', '.join(examples)})")


def _describe(entry: Traversable) -> str:
    """The first line of the file's opening comment, as the listing's description."""
    for line in entry.read_text(encoding="utf-8").splitlines()[:5]:
        text = line.strip().lstrip("#").strip().removeprefix("<!--").removeprefix("/*")
        text = text.strip().strip('"').strip()
        if text and not text.startswith("<!doctype"):
            return text if len(text) <= 90 else text[:89] + "…"
    return ""


def _list() -> int:
    examples = example_files()
    width = max(map(len, examples))
    print("Examples (ticker example NAME [--out FILE]):")
    for name, entry in examples.items():
        print(f"  {name:<{width}}  {_describe(entry)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    """Print the example, write it to ``--out``, or list them all."""
    try:
        if args.name is None:
            return _list()
        body = find_example(args.name).read_bytes()
    except ExampleError as exc:
        print(f"ticker: {exc}", file=sys.stderr)
        return EXIT_UNKNOWN
    if args.out is None:
        sys.stdout.write(body.decode("utf-8"))
        return 0
    out = Path(args.out)
    try:
        # "x" refuses an existing file: a mistyped --out never replaces a site's settings.
        with out.open("wb" if args.force else "xb") as file:
            file.write(body)
    except FileExistsError:
        print(f"ticker: {out} exists; --force replaces it", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    except OSError as exc:
        print(f"ticker: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    print(f"wrote {out}", file=sys.stderr)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``example`` to the ``ticker`` command's subcommands (an argparse subparsers)."""
    example = commands.add_parser(
        "example",
        help="print or write an example settings file (e.g. `ticker example offline`)",
        description="Print one of the example files shipped with ticker (the repository's\n"
        "examples/, in the wheel too), or write it to a file to edit. Without a NAME,\n"
        "list them.",
        epilog="examples:\n  ticker example offline --out site.yaml\n"
        "  ticker serve --config site.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    example.add_argument("name", nargs="?", metavar="NAME", help="e.g. offline, ticker.yaml, nginx")
    example.add_argument("--out", metavar="FILE", help="write the example here instead of printing")
    example.add_argument("--force", action="store_true", help="replace FILE if it exists")
    example.set_defaults(run=_run)
