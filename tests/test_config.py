"""kb.config: the one Settings, read from KB_* variables and from flat names."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.config import Settings
from kb.errors import ConfigError


def test_a_path_given_as_text_becomes_a_path() -> None:
    settings = Settings.of(store_dir="some/where", glossary_path="g.yaml", samples_dir="s")
    assert settings.store.store_dir == Path("some/where")
    assert settings.search.glossary_path == Path("g.yaml")
    assert Settings.from_env({}, store_dir="x").store.store_dir == Path("x")


def test_search_processes_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).search.search_processes == 0  # off unless asked for
    assert Settings.from_env({"KB_SEARCH_PROCESSES": "2"}).search.search_processes == 2
    with pytest.raises(ConfigError, match="KB_SEARCH_PROCESSES: expected a whole number"):
        Settings.from_env({"KB_SEARCH_PROCESSES": "many"})


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'stor_dir'"):
        Settings.of(stor_dir="x")
