"""Data files: reading kb's YAML tables (the glossary, the taxonomy, calibrations).

The files kb ships live in this package (``kb/data/*.yaml``) and are found with
``importlib.resources``, so an installed kb finds them wherever it is; a file
that is missing or broken is a ``ConfigError`` naming it, never a silent fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from kb.errors import ConfigError


def shipped(name: str) -> Path:
    """The path of a data file kb ships (``taxonomy.yaml``, ``glossary.yaml``, …)."""
    path = Path(str(files("kb.data").joinpath(name)))
    if not path.is_file():
        raise ConfigError(f"kb's data file {name} is missing from {path.parent}: reinstall kb")
    return path


def existing(path: Path | None, default: str) -> Path:
    """``path`` if given (it must exist), else the shipped file ``default``."""
    if path is None:
        return shipped(default)
    if not Path(path).is_file():
        raise ConfigError(f"{path}: no such file")
    return Path(path)


# libyaml's safe loader when PyYAML was built with it: the same documents, ~10x
# faster than the pure-Python one (the taxonomy took 0.19 s to read with that).
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{path}: malformed YAML: {reason}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def phrases(path: Path, where: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: {where} must be a list of phrases")
    out: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{path}: {where} has a non-text or empty phrase {item!r}")
        phrase = " ".join(item.split())
        if phrase not in out:
            out.append(phrase)
    return tuple(out)


def list_of_mappings(path: Path, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    raw = data.get(key)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: '{key}' must be a non-empty list")
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise ConfigError(f"{path}: {key} entry {index} must be a mapping")
    return raw


def text_field(path: Path, raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {where} needs a non-empty '{key}'")
    return value.strip()
