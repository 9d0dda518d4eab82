"""Real upstream responses saved by others, read in place beside the repository.

They are never copied into the project; every test that reads them skips, saying
why, where the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream-samples"


def sample_files(*folders: str) -> list:
    """One parameter per file in the sample folders, or a skipped one for a folder not there."""
    params = []
    for folder in folders:
        path = SAMPLES / folder
        if not path.is_dir():
            reason = f"no upstream samples at {path.resolve()}"
            params.append(pytest.param(None, id=f"{folder}-absent", marks=pytest.mark.skip(reason)))
            continue
        params.extend(
            pytest.param(file, id=file.name) for file in sorted(path.iterdir()) if file.is_file()
        )
    return params


def sample(folder: str, name: str) -> Path:
    """One saved response, or a skip when it is absent."""
    path = SAMPLES / folder / name
    if not path.is_file():
        pytest.skip(f"upstream sample {folder}/{name} is absent")
    return path
