"""District configuration files, one per district (`huangzhou.toml`); see README.md.

`tenderwatch setup --district NAME` loads `NAME.toml` (or `.yaml`) from here; `--district PATH`
loads any file.
"""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
SUFFIXES = (".toml", ".yaml", ".yml")


def packaged() -> list[str]:
    """Names of the district files shipped with tenderwatch."""
    return sorted(p.stem for p in DIRECTORY.iterdir() if p.suffix in SUFFIXES)


def find(name: str) -> Path | None:
    """The packaged file of district `name`, if there is one."""
    for suffix in SUFFIXES:
        path = DIRECTORY / f"{name}{suffix}"
        if path.is_file():
            return path
    return None
