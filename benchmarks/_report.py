"""Tables for the terminal and for Markdown, figures against targets, the machine."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

import ticker

__all__ = ["Figure", "Report", "Section", "Target", "machine"]


@dataclass(frozen=True)
class Target:
    """A bound a figure should stay under."""

    limit: float
    unit: str
    at_least: bool = False

    def met_by(self, value: float) -> bool:
        """Whether ``value`` is within the target."""
        return value >= self.limit if self.at_least else value < self.limit

    def __str__(self) -> str:
        return f"{'>=' if self.at_least else '<'} {self.limit:g} {self.unit}".rstrip()


@dataclass(frozen=True)
class Figure:
    """One figure of the summary: its value, and its target if it has one."""

    name: str
    value: float
    unit: str
    target: Target | None = None

    def row(self) -> list[str]:
        """Name, value, target and pass/miss."""
        value = f"{self.value:.3g} {self.unit}".strip()
        if self.target is None:
            return [self.name, value, "—", "—"]
        verdict = "pass" if self.target.met_by(self.value) else "MISS"
        return [self.name, value, str(self.target), verdict]


@dataclass
class Section:
    """A titled table with notes under it."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Columns from this one on are right-aligned in the terminal (numbers).
    right_from: int = 1

    def text(self) -> str:
        """The section as aligned plain text."""
        lines = [f"== {self.title} =="]
        if self.rows:
            table = [self.columns, *self.rows] if any(self.columns) else self.rows
            widths = [max(len(row[i]) for row in table) for i in range(len(self.columns))]
            for row in table:
                aligned = (
                    cell.rjust(width) if i >= self.right_from else cell.ljust(width)
                    for i, (cell, width) in enumerate(zip(row, widths, strict=True))
                )
                lines.append("  ".join(aligned).rstrip())
        lines += self.notes
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        """The section as Markdown."""
        lines = [f"## {self.title}", ""]
        if self.rows:
            lines.append("| " + " | ".join(self.columns) + " |")
            rule = ("---:" if i >= self.right_from else "---" for i in range(len(self.columns)))
            lines.append("|" + "|".join(rule) + "|")
            lines += ["| " + " | ".join(row) + " |" for row in self.rows]
            lines.append("")
        lines += [f"{note}  " for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


class Report:
    """The sections of a run: printed as each completes, written as Markdown at the end."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.sections: list[Section] = []

    def add(self, section: Section) -> None:
        """Keep ``section`` and print it."""
        self.sections.append(section)
        print(section.text(), flush=True)

    def write_markdown(self, path: Path) -> None:
        """Every section, as one Markdown document."""
        path.parent.mkdir(parents=True, exist_ok=True)
        parts = ["# ticker benchmarks", "", f"`{self.command}`", ""]
        parts += [section.markdown() for section in self.sections]
        path.write_text("\n".join(parts), encoding="utf-8")

    def finish(self, sections: list[Section], figures: list[Figure], path: Path) -> int:
        """Print ``sections`` and the figures' summary, write it all to ``path``: status 0."""
        for section in sections:
            self.add(section)
        summary = Section(
            "summary", ["figure", "value", "target", "result"], [f.row() for f in figures]
        )
        self.add(summary)
        self.write_markdown(path)
        print(f"written: {path}")
        return 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version_of(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip().splitlines()[0].split(" Copyright")[0] if done.stdout else wrk


def _usable_cpus() -> int:
    """What ``nproc`` prints: the CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def machine(wrk: str | None, nginx_version: str | None) -> Section:
    """What the figures were measured on."""
    uvloop = _version_of("uvloop")
    rows = [
        ["nproc", str(_usable_cpus())],
        ["CPU", _cpu_model()],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["aiohttp", aiohttp.__version__],
        ["uvloop", f"yes ({uvloop})" if uvloop else "no"],
        ["ticker", ticker.__version__],
        ["load", _wrk_version(wrk) if wrk else "python (aiohttp): wrk not installed"],
        ["nginx", nginx_version or "not installed"],
        ["kernel", platform.release()],
        ["load average at start", " ".join(f"{load:.2f}" for load in os.getloadavg())],
    ]
    return Section("machine", ["", ""], rows, right_from=2)
