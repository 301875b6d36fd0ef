"""Tests for kb.describe.wordlists: the packaged data files load and agree with the code."""

from __future__ import annotations

from importlib import resources

import pytest

from kb.describe.doctype import BODY_TYPES, PUBLISHER_DEFAULT_TYPES
from kb.describe.publisher import CROWN_BODIES, GENERIC_PLACE_WORDS, KNOWN_PUBLISHERS
from kb.describe.title import GENERIC_HEADINGS, SMALL_WORDS
from kb.describe.wordlists import DATA_PARTS, data_file, table, word_list
from kb.errors import ConfigError
from kb.records import DOC_TYPES

WORD_LISTS = ("body_types", "crown_bodies", "generic_headings", "generic_place_words")


@pytest.mark.parametrize("name", [*WORD_LISTS, "small_words"])
def test_word_lists_load_without_comments_or_repeats(name: str) -> None:
    words = word_list(name)
    assert words, f"{name}.txt is empty"
    assert len(set(words)) == len(words), f"{name}.txt repeats an entry"
    assert not any(w.startswith("#") or w != w.strip() for w in words)


def test_every_data_file_is_read_by_the_code() -> None:
    folder = resources.files("kb").joinpath(*DATA_PARTS)
    shipped = {entry.name for entry in folder.iterdir()}
    assert data_file("small_words.txt").is_file()
    assert shipped == {f"{n}.txt" for n in (*WORD_LISTS, "small_words")} | {
        "publisher_default_types.csv"
    }


def test_a_missing_data_file_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"describe/no_such_list.txt is missing.*reinstall"):
        data_file("no_such_list.txt")


def test_lower_case_lists_are_lower_case() -> None:
    # The code compares them with ``word.lower()``, so a capital would never match.
    for words in (GENERIC_PLACE_WORDS, GENERIC_HEADINGS, SMALL_WORDS):
        assert all(w == w.lower() for w in words)


def test_types_and_bodies_name_what_the_code_knows() -> None:
    assert BODY_TYPES.issubset(DOC_TYPES)
    assert {doc_type for _name, doc_type in PUBLISHER_DEFAULT_TYPES} <= set(DOC_TYPES)
    known = {name for name, _pattern in KNOWN_PUBLISHERS}
    assert set(CROWN_BODIES) <= known
    assert {name for name, _type in PUBLISHER_DEFAULT_TYPES} <= known
    assert CROWN_BODIES[0] == "Department for Education"  # file order is kept: ties go first


def test_table_rows_are_keyed_by_the_header() -> None:
    rows = table("publisher_default_types")
    assert rows[0] == {
        "publisher": "Children's Commissioner for England",
        "doc_type": "research_report",
    }
