"""Safeguarding glossary and theme taxonomy, both kept as data in ``corpus/*.yaml``.

The glossary widens a query for the sparse (BM25) side of search: acronyms are
expanded to their long forms and long forms contracted to their acronyms, and a
lay phrase pulls in the practice terms that reviews and guidance actually use
(and the other way round). The taxonomy lists safeguarding themes with keyword
rules so passages can be tagged without a model.

Both files are parsed once into frozen records whose regular expressions are
compiled at construction, so matching is a pure function of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.errors import ConfigError

# Query drift: every added phrase dilutes BM25 scores of the words the person typed.
MAX_PER_GROUP = 4
MAX_ADDED = 12

TAXONOMY_VERSION = 1
# A stem shorter than this ("ab*") would match far too many words to mean anything.
MIN_STEM = 3

# Dashes seen in extracted PDF text besides the ASCII hyphen.
_DASHES = "\\-\u2010\u2011\u2013"
_APOSTROPHE = "['\u2019]?"
_WORD_EDGE_BEFORE = r"(?<![\w&])"
_WORD_EDGE_AFTER = r"(?![\w&])"


# --------------------------------------------------------------------------- glossary


@dataclass(frozen=True)
class Acronym:
    """An acronym as written in England's safeguarding practice, with its long forms."""

    short: str
    expansions: tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    """A query plus the phrases the glossary added to it."""

    text: str  # the query followed by the added phrases, for the sparse side
    added: tuple[str, ...]


@dataclass(frozen=True)
class _Term:
    """One phrase and the pattern that finds it."""

    phrase: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Glossary:
    """Acronyms and lay/practice synonym groups, with their patterns compiled once."""

    acronyms: tuple[Acronym, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    _short_terms: tuple[_Term, ...] = field(init=False, repr=False, compare=False)
    _long_terms: tuple[tuple[_Term, ...], ...] = field(init=False, repr=False, compare=False)
    _groups: tuple[tuple[_Term, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen dataclasses can only derive fields through object.__setattr__.
        object.__setattr__(
            self, "_short_terms", tuple(_term(a.short, acronym=True) for a in self.acronyms)
        )
        object.__setattr__(
            self,
            "_long_terms",
            tuple(tuple(_term(e) for e in a.expansions) for a in self.acronyms),
        )
        object.__setattr__(
            self, "_groups", tuple(tuple(_term(p) for p in group) for group in self.synonyms)
        )

    def expand(
        self, query: str, *, max_per_group: int = MAX_PER_GROUP, max_added: int = MAX_ADDED
    ) -> Expansion:
        """Add acronyms' long forms, long forms' acronyms and synonyms found in ``query``.

        Only the query as typed triggers expansions (never a phrase added here), so one
        expansion cannot set off a chain of ever looser ones.
        """
        added: list[str] = []
        seen_text = [query]

        def present(term: _Term) -> bool:
            return any(term.pattern.search(t) for t in seen_text)

        def add(phrase: str) -> bool:
            if len(added) >= max_added:
                return False
            added.append(phrase)
            seen_text.append(phrase)
            return True

        acronym_adds, groups = self._triggers(query)
        for terms in acronym_adds:
            for term in terms:
                if not present(term):
                    add(term.phrase)

        for group in groups:
            taken = 0
            for term in group:
                if taken >= max_per_group or len(added) >= max_added:
                    break
                if not present(term) and add(term.phrase):
                    taken += 1

        text = query if not added else f"{query} {' '.join(added)}"
        return Expansion(text=text, added=tuple(added))

    def _triggers(self, query: str) -> tuple[list[tuple[_Term, ...]], list[tuple[_Term, ...]]]:
        """What ``query`` mentions, earliest first: phrases owed to acronyms and long forms,
        and the synonym groups it touches.

        A phrase found inside a longer known phrase ("local authority" in "local authority
        designated officer", "child protection" in "child protection plan") names the
        longer concept only, so it triggers nothing of its own.
        """
        hits: list[tuple[int, int, str, int]] = []
        for index, short in enumerate(self._short_terms):
            hits += [(m.start(), m.end(), "short", index) for m in short.pattern.finditer(query)]
        for index, longs in enumerate(self._long_terms):
            for term in longs:
                hits += [(m.start(), m.end(), "long", index) for m in term.pattern.finditer(query)]
        for index, group in enumerate(self._groups):
            for term in group:
                hits += [(m.start(), m.end(), "group", index) for m in term.pattern.finditer(query)]

        spans = {(start, end) for start, end, _, _ in hits}

        def inside_longer(start: int, end: int) -> bool:
            return any(a <= start and end <= b and (a, b) != (start, end) for a, b in spans)

        acronym_adds: list[tuple[_Term, ...]] = []
        groups: list[tuple[_Term, ...]] = []
        done: set[tuple[str, int]] = set()
        for start, end, kind, index in sorted(hits):
            if (kind, index) in done or inside_longer(start, end):
                continue
            done.add((kind, index))
            if kind == "short":
                acronym_adds.append(self._long_terms[index])
            elif kind == "long":
                acronym_adds.append((self._short_terms[index],))
            else:
                groups.append(self._groups[index])
        return acronym_adds, groups


def load_glossary(path: Path) -> Glossary:
    """Read ``glossary.yaml`` (``acronyms`` mapping and ``synonyms`` groups)."""
    data = _read_yaml(path)
    raw_acronyms = data.get("acronyms", {})
    if not isinstance(raw_acronyms, Mapping):
        raise ConfigError(f"{path}: 'acronyms' must be a mapping of acronym to long forms")
    acronyms: list[Acronym] = []
    for short, longs in raw_acronyms.items():
        # YAML 1.1 turns bare NO/ON/YES keys into booleans; insist on strings.
        if not isinstance(short, str) or not short.strip():
            raise ConfigError(f"{path}: acronym {short!r} must be a non-empty string (quote it)")
        if isinstance(longs, str):
            longs = [longs]
        expansions = _phrases(path, f"acronym {short!r}", longs)
        if not expansions:
            raise ConfigError(f"{path}: acronym {short!r} has no long form")
        acronyms.append(Acronym(short=short.strip(), expansions=expansions))

    raw_groups = data.get("synonyms", [])
    if not isinstance(raw_groups, list):
        raise ConfigError(f"{path}: 'synonyms' must be a list of phrase lists")
    groups: list[tuple[str, ...]] = []
    for index, raw in enumerate(raw_groups, start=1):
        group = _phrases(path, f"synonym group {index}", raw)
        if len(group) < 2:
            raise ConfigError(f"{path}: synonym group {index} needs at least two phrases")
        groups.append(group)
    return Glossary(acronyms=tuple(acronyms), synonyms=tuple(groups))


def _term(phrase: str, *, acronym: bool = False) -> _Term:
    return _Term(phrase=phrase, pattern=_glossary_pattern(phrase, acronym=acronym))


def _glossary_pattern(phrase: str, *, acronym: bool = False) -> re.Pattern[str]:
    """Acronyms match only as written (or in capitals); other phrases in any case."""
    if acronym or _looks_like_acronym(phrase):
        forms = {re.escape(phrase), re.escape(phrase.upper())}
        body = "|".join(sorted(forms, key=len, reverse=True))
        # A plural or possessive ("IROs", "LADO's") still names the same role.
        suffix = "(?:s|['\u2019]s)?"
        flags = 0
        if not phrase.isalpha():
            # "s47" or "a&e" cannot be an ordinary word, so lowercase is safe to accept.
            flags = re.IGNORECASE
        return re.compile(f"{_WORD_EDGE_BEFORE}(?:{body}){suffix}{_WORD_EDGE_AFTER}", flags)
    body = _phrase_body(phrase)
    if phrase[-1].isalpha():
        # Groups list the singular; "foster carers" should find "foster carer".
        body += "(?:s|es)?"
    return re.compile(f"{_WORD_EDGE_BEFORE}{body}{_WORD_EDGE_AFTER}", re.IGNORECASE)


def _looks_like_acronym(phrase: str) -> bool:
    """One token with two or more capitals: "CSE", "DoLS", "A&E", "S47"."""
    if any(ch.isspace() for ch in phrase):
        return False
    return sum(ch.isupper() for ch in phrase) >= 2 or (
        phrase[:1].isupper() and any(ch.isdigit() for ch in phrase)
    )


# --------------------------------------------------------------------------- taxonomy


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
    _matchers: tuple[_ThemeMatcher, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen dataclasses can only derive fields through object.__setattr__.
        object.__setattr__(self, "_matchers", tuple(_matcher(t) for t in self.themes))

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
    data = _read_yaml(path)
    version = data.get("version", TAXONOMY_VERSION)
    if isinstance(version, bool) or version != TAXONOMY_VERSION:
        raise ConfigError(f"{path}: version {version!r} is not supported (want 1)")

    groups: list[ThemeGroup] = []
    for raw in _list_of_mappings(path, data, "groups"):
        group_id = _text(path, raw, "id", "group")
        label = _text(path, raw, "label", f"group {group_id!r}")
        groups.append(ThemeGroup(id=group_id, label=label))
    group_ids = {g.id for g in groups}
    if len(group_ids) != len(groups):
        raise ConfigError(f"{path}: duplicate group id")

    themes: list[Theme] = []
    seen: set[str] = set()
    for raw in _list_of_mappings(path, data, "themes"):
        theme_id = _text(path, raw, "id", "theme")
        where = f"theme {theme_id!r}"
        if theme_id in seen:
            raise ConfigError(f"{path}: duplicate {where}")
        seen.add(theme_id)
        group = _text(path, raw, "group", where)
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
                label=_text(path, raw, "label", where),
                description=" ".join(_text(path, raw, "description", where).split()),
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
    bodies = [_phrase_body(p) for p in sorted(lowered, key=len, reverse=True)]
    return re.compile(f"{_WORD_EDGE_BEFORE}(?:{'|'.join(bodies)}){_WORD_EDGE_AFTER}")


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
    phrases = tuple(p.lower() for p in _phrases(path, where, raw))
    for phrase in phrases:
        for word in re.split(r"[\s-]+", phrase):
            if "*" in word[:-1] or (word.endswith("*") and len(word) - 1 < MIN_STEM):
                raise ConfigError(
                    f"{path}: {where}: {phrase!r} may only end a word of at least "
                    f"{MIN_STEM} letters with '*'"
                )
    return phrases


# --------------------------------------------------------------------------- shared


def _phrase_body(phrase: str) -> str:
    """Regex for a phrase: any case of spacing and dashes, optional apostrophes, ``*`` stems.

    A hyphen in the phrase also matches a space or nothing ("co-sleeping", "co sleeping",
    "cosleeping"); a space matches any run of spaces or dashes, since extracted PDF
    text breaks lines and hyphenates unpredictably.
    """
    tokens = re.split(r"(\s+|-)", phrase.strip())
    parts: list[str] = []
    for token in tokens:
        if not token:
            continue
        if token == "-":
            # Room for a hyphen plus the line break that PDF text often puts after it.
            parts.append(f"[\\s{_DASHES}]{{0,3}}")
        elif token.isspace():
            parts.append(f"[\\s{_DASHES}]+")
        else:
            stem = token.endswith("*")
            word = token[:-1] if stem else token
            pieces = [re.escape(piece) for piece in re.split("['\u2019]", word)]
            parts.append(_APOSTROPHE.join(pieces) + (r"\w*" if stem else ""))
    return "".join(parts)


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{path}: malformed YAML: {reason}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _phrases(path: Path, where: str, raw: Any) -> tuple[str, ...]:
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


def _list_of_mappings(path: Path, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    raw = data.get(key)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: '{key}' must be a non-empty list")
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise ConfigError(f"{path}: {key} entry {index} must be a mapping")
    return raw


def _text(path: Path, raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {where} needs a non-empty '{key}'")
    return value.strip()
