"""Packaging: the distribution's name, version and license, `ticker example`, and the
wheel and sdist that `scripts/wheel-check` builds, installs and serves from.

The slow tests run scripts/wheel-check once (about 40 s with a warm pip cache): it needs
PyPI, through pip, for the build backend and the wheel's dependencies; nothing else.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from ticker._cli.example import EXIT_NOT_WRITTEN, EXIT_UNKNOWN, example_files
from ticker._cli.main import main
from ticker._config import load_settings
from ticker._version import DISTRIBUTION

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]

#: The only import packages the wheel may install: ours, under names no other PyPI
#: project uses (``adapters`` is one: https://pypi.org/project/adapters/).
TOP_LEVEL = {"ticker", "ticker_adapters"}


def test_version_prints_the_distribution_name_and_version(capsys):
    """`ticker --version` says `ticker-strip 0.1.0`: pyproject's name and version."""
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"{PROJECT['name']} {PROJECT['version']}\n"
    assert PROJECT["name"] == DISTRIBUTION == "ticker-strip"
    assert version(DISTRIBUTION) == PROJECT["version"]  # the installed metadata is this tree's


def test_license_is_an_spdx_expression_with_its_file():
    """MIT as a PEP 639 string, the LICENSE file named, no License classifier beside it."""
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 ")
    assert "WITHOUT WARRANTY OF ANY KIND" in text
    # PEP 639 metadata needs setuptools 77 (77.0.3 fixed its first regressions).
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77.0.3"]


def test_changelog_keeps_an_unreleased_section_first():
    """CHANGELOG.md is Keep a Changelog: a title, then Unreleased, with typed subsections."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[(.+?)\]", text, flags=re.MULTILINE)
    assert text.startswith("# Changelog\n")
    assert versions[0] == "Unreleased"
    kinds = set(re.findall(r"^### (\w+)$", text, flags=re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_every_package_of_the_tree_is_in_the_wheel_list():
    """Each folder with an __init__.py is listed: one left out is missing from the wheel."""
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("ticker", "adapters", "ticker_adapters")
        for init in (ROOT / top).glob("**/__init__.py")
    }
    assert on_disk <= set(SETUPTOOLS["packages"])


def test_every_example_file_is_package_data():
    """Every file in examples/ matches a package-data pattern, so the wheel carries it."""
    assert SETUPTOOLS["package-dir"]["ticker._examples"] == "examples"
    patterns = [*SETUPTOOLS["package-data"]["ticker._examples"], "*.py"]
    for path in EXAMPLES.iterdir():
        if path.is_file():
            assert any(fnmatch.fnmatch(path.name, p) for p in patterns), path.name


def test_example_prints_the_file_as_it_is(capsys):
    """`ticker example offline` prints examples/offline.yaml exactly."""
    assert main(["example", "offline"]) == 0
    assert capsys.readouterr().out == (EXAMPLES / "offline.yaml").read_text(encoding="utf-8")


def test_example_out_writes_a_settings_file_that_loads(tmp_path):
    """`--out FILE` writes the same bytes, and the settings in them load."""
    out = tmp_path / "site.yaml"
    assert main(["example", "offline", "--out", str(out)]) == 0
    assert out.read_bytes() == (EXAMPLES / "offline.yaml").read_bytes()
    assert load_settings(str(out)).rates.sources[0].adapter == "static"


def test_example_out_never_replaces_a_file_without_force(tmp_path, capsys):
    """An existing FILE is kept (exit 1, naming --force); with --force it is replaced."""
    out = tmp_path / "site.yaml"
    out.write_text("mine\n", encoding="utf-8")
    assert main(["example", "offline", "--out", str(out)]) == EXIT_NOT_WRITTEN
    assert out.read_text(encoding="utf-8") == "mine\n"
    assert "--force" in capsys.readouterr().err
    assert main(["example", "offline", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() == (EXAMPLES / "offline.yaml").read_bytes()


def test_example_names_are_stems_unless_two_files_share_one(capsys):
    """`nginx` is nginx.conf; `ticker` is two files, so each is called by its file name."""
    names = example_files()
    assert names["offline"].name == "offline.yaml"
    assert names["nginx"].name == "nginx.conf"
    assert "ticker" not in names
    assert {"ticker.yaml", "ticker.service"} <= set(names)
    assert main(["example", "ticker"]) == EXIT_UNKNOWN
    err = capsys.readouterr().err
    assert "did you mean" in err
    assert "ticker.yaml" in err
    assert "ticker.service" in err
    assert main(["example", "offline.yaml"]) == 0  # a file name works for any example


def test_example_unknown_name_suggests_the_close_one(capsys):
    """A misspelt name exits 2 with the nearest name and the whole list."""
    assert main(["example", "ofline"]) == EXIT_UNKNOWN
    err = capsys.readouterr().err
    assert "no example 'ofline'; did you mean offline?" in err
    assert "uzbekistan" in err


def test_example_without_a_name_lists_every_example_with_its_purpose(capsys):
    """`ticker example` lists every file of examples/ with its opening comment's line."""
    assert main(["example"]) == 0
    out = capsys.readouterr().out
    for path in EXAMPLES.iterdir():
        if path.is_file():
            assert Path(path.name).stem in out, path.name
    assert re.search(r"^  offline +The full strip with no network at all", out, re.MULTILINE)


@dataclass
class WheelCheck:
    """One run of scripts/wheel-check and the sdist and wheel it built."""

    returncode: int
    output: str
    dist: Path

    def wheel(self) -> zipfile.ZipFile:
        """The built wheel (the test fails, with the run's output, if none was built)."""
        wheels = sorted(self.dist.glob("ticker_strip-*.whl"))
        assert wheels, f"no wheel was built:\n{self.output}"
        return zipfile.ZipFile(wheels[0])

    def sdist(self) -> tarfile.TarFile:
        """The built sdist."""
        sdists = sorted(self.dist.glob("ticker_strip-*.tar.gz"))
        assert sdists, f"no sdist was built:\n{self.output}"
        return tarfile.open(sdists[0])


@pytest.fixture(scope="module")
def wheel_check(tmp_path_factory) -> WheelCheck:
    """Run scripts/wheel-check once, keeping what it built."""
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [str(ROOT / "scripts" / "wheel-check"), "--dist", str(dist)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return WheelCheck(done.returncode, done.stdout + done.stderr, dist)


@pytest.mark.slow
def test_wheel_check_serves_the_offline_example_from_a_fresh_virtualenv(wheel_check):
    """The wheel installs, `ticker --version` names it and the offline strip is served."""
    assert wheel_check.returncode == 0, wheel_check.output
    assert f"ticker --version: ticker-strip {PROJECT['version']}" in wheel_check.output
    assert "/v1/strip: usd/kzt 445.99 eur/kzt 486.53" in wheel_check.output
    assert "wheel-check: ok" in wheel_check.output


@pytest.mark.slow
def test_wheel_installs_no_top_level_adapters(wheel_check):
    """The wheel's import packages are ticker's own: none called `adapters`."""
    names = {
        name.split("/")[0]
        for name in wheel_check.wheel().namelist()
        if not name.split("/")[0].endswith((".dist-info", ".data"))
    }
    assert "adapters" not in names
    assert names <= TOP_LEVEL


@pytest.mark.slow
def test_wheel_carries_every_file_of_the_core_the_license_and_the_examples(wheel_check):
    """Every file of ticker/ in the tree, LICENSE in dist-info, examples/ as ticker/_examples."""
    wheel = wheel_check.wheel()
    names = set(wheel.namelist())
    tree = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "ticker").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert tree - names == set()
    info = f"ticker_strip-{PROJECT['version']}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    examples = {p.name for p in EXAMPLES.iterdir() if p.is_file()}
    assert {f"ticker/_examples/{name}" for name in examples} <= names
    metadata = wheel.read(f"{info}/METADATA").decode("utf-8")
    assert "Name: ticker-strip\n" in metadata
    assert "License-Expression: MIT\n" in metadata
    assert "License-File: LICENSE\n" in metadata


@pytest.mark.slow
def test_sdist_carries_the_license_the_readme_and_the_examples(wheel_check):
    """The sdist builds the same wheel on its own: license, README, examples and pyproject."""
    top = f"ticker_strip-{PROJECT['version']}"
    names = set(wheel_check.sdist().getnames())
    assert {f"{top}/LICENSE", f"{top}/README.md", f"{top}/pyproject.toml"} <= names
    assert f"{top}/examples/offline.yaml" in names
