"""The theme taxonomy, kept as data in ``kb/data/taxonomy.yaml``.

It lists safeguarding themes (grouped) with keyword rules, so passages can be
tagged without a model (``kb.enrich.themes`` adds the model's evidence). The
file is parsed once into frozen records whose patterns are compiled then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kb.data import list_of_mappings, phrases, read_yaml, text_field
from kb.errors import ConfigError
from kb.text.phrases import WORD_EDGE_AFTER, WORD_EDGE_BEFORE, phrase_body

TAXONOMY_VERSION = 1
# A stem shorter than this ("ab*") would match far too many words to mean anything.
MIN_STEM = 3


@dataclass(frozen=True)
class ThemeGroup:
    """A family of themes: practice, harm, context, agency, age."""

    id: str
    label: str


@dataclass(frozen=True)
class Theme:
    """A safeguarding theme with the keyword rule that tags passages with it."""

    id: str
    group: str
    label: str
    description: str  # written like a review passage, for embedding similarity
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    min_hits: int = 1


@dataclass(frozen=True)
class _ThemeMatcher:
    theme_id: str
    keywords: re.Pattern[str]
    exclude: re.Pattern[str] | None
    min_hits: int


@dataclass(frozen=True)
class Taxonomy:
    """Theme groups and themes, in file order, with keyword patterns compiled once."""

    groups: tuple[ThemeGroup, ...]
    themes: tuple[Theme, ...]
    version: int = TAXONOMY_VERSION

    @cached_property
    def _matchers(self) -> tuple[_ThemeMatcher, ...]:
        # Compiled on first tagging, not on load: the app reads the taxonomy for its
        # labels on a fresh server's first page, and the patterns took 0.35 s there (cProfile).
        return tuple(_matcher(t) for t in self.themes)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    def get(self, theme_id: str) -> Theme:
        """The theme called ``theme_id``; KeyError if there is none."""
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def in_group(self, group_id: str) -> tuple[Theme, ...]:
        return tuple(t for t in self.themes if t.group == group_id)


def keyword_themes(text: str, taxonomy: Taxonomy) -> tuple[str, ...]:
    """Ids of the themes whose keyword rule fires on ``text``, in taxonomy order.

    A keyword occurrence counts unless it overlaps an ``exclude`` phrase (so "abuse or
    neglect", a stock phrase, does not make a passage about neglect); a theme fires
    once its counted occurrences reach ``min_hits``.
    """
    lowered = text.lower()
    return tuple(m.theme_id for m in taxonomy._matchers if _hits(m, lowered) >= m.min_hits)


def keyword_hits(text: str, taxonomy: Taxonomy) -> dict[str, int]:
    """Counted keyword occurrences per theme (themes with none are left out)."""
    lowered = text.lower()
    counts = {m.theme_id: _hits(m, lowered) for m in taxonomy._matchers}
    return {k: v for k, v in counts.items() if v}


def load_taxonomy(path: Path) -> Taxonomy:
    """Read ``taxonomy.yaml`` (``version``, ``groups`` and ``themes``)."""
    data = read_yaml(path)
    version = data.get("version", TAXONOMY_VERSION)
    if isinstance(version, bool) or version != TAXONOMY_VERSION:
        raise ConfigError(f"{path}: version {version!r} is not supported (want 1)")

    groups: list[ThemeGroup] = []
    for raw in list_of_mappings(path, data, "groups"):
        group_id = text_field(path, raw, "id", "group")
        label = text_field(path, raw, "label", f"group {group_id!r}")
        groups.append(ThemeGroup(id=group_id, label=label))
    group_ids = {g.id for g in groups}
    if len(group_ids) != len(groups):
        raise ConfigError(f"{path}: duplicate group id")

    themes: list[Theme] = []
    seen: set[str] = set()
    for raw in list_of_mappings(path, data, "themes"):
        theme_id = text_field(path, raw, "id", "theme")
        where = f"theme {theme_id!r}"
        if theme_id in seen:
            raise ConfigError(f"{path}: duplicate {where}")
        seen.add(theme_id)
        group = text_field(path, raw, "group", where)
        if group not in group_ids:
            raise ConfigError(f"{path}: {where} names unknown group {group!r}")
        keywords = _keywords(path, f"{where} keywords", raw.get("keywords"))
        if not keywords:
            raise ConfigError(f"{path}: {where} has no keywords")
        exclude = _keywords(path, f"{where} exclude", raw.get("exclude", []))
        min_hits = raw.get("min_hits", 1)
        if isinstance(min_hits, bool) or not isinstance(min_hits, int) or min_hits < 1:
            raise ConfigError(f"{path}: {where} min_hits must be a whole number >= 1")
        themes.append(
            Theme(
                id=theme_id,
                group=group,
                label=text_field(path, raw, "label", where),
                description=" ".join(text_field(path, raw, "description", where).split()),
                keywords=keywords,
                exclude=exclude,
                min_hits=min_hits,
            )
        )
    return Taxonomy(groups=tuple(groups), themes=tuple(themes), version=version)


def _matcher(theme: Theme) -> _ThemeMatcher:
    return _ThemeMatcher(
        theme_id=theme.id,
        keywords=_alternation(theme.keywords),
        exclude=_alternation(theme.exclude) if theme.exclude else None,
        min_hits=theme.min_hits,
    )


def _alternation(phrases: Iterable[str]) -> re.Pattern[str]:
    """One pattern for lowercase phrases, to run on lowercased text.

    Lowering the text once is several times faster than re.IGNORECASE over dozens of
    alternatives, and tagging runs on every chunk of the corpus.
    """
    lowered = {p.lower() for p in phrases}
    # Longest first, so "child protection plan" wins over "child protection".
    bodies = [phrase_body(p) for p in sorted(lowered, key=len, reverse=True)]
    return re.compile(f"{WORD_EDGE_BEFORE}(?:{'|'.join(bodies)}){WORD_EDGE_AFTER}")


def _hits(matcher: _ThemeMatcher, text: str) -> int:
    """Counted keyword occurrences in ``text``, which must already be lowercased."""
    found = [m.span() for m in matcher.keywords.finditer(text)]
    if not found or matcher.exclude is None:
        return len(found)
    # Most passages match no keyword of a theme: only then is the veto scan needed.
    vetoes = [m.span() for m in matcher.exclude.finditer(text)]
    return sum(
        1
        for start, end in found
        if not any(start < v_end and v_start < end for v_start, v_end in vetoes)
    )


def _keywords(path: Path, where: str, raw: Any) -> tuple[str, ...]:
    found = tuple(p.lower() for p in phrases(path, where, raw))
    for phrase in found:
        for word in re.split(r"[\s-]+", phrase):
            if "*" in word[:-1] or (word.endswith("*") and len(word) - 1 < MIN_STEM):
                raise ConfigError(
                    f"{path}: {where}: {phrase!r} may only end a word of at least "
                    f"{MIN_STEM} letters with '*'"
                )
    return found
