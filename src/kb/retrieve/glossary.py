"""The query glossary, kept as data in ``kb/data/glossary.yaml``.

The glossary widens a query for the sparse (BM25) side of search: acronyms are
expanded to their long forms and long forms contracted to their acronyms, and a
lay phrase pulls in the practice terms that reviews and guidance actually use
(and the other way round). The file is parsed once into frozen records whose
regular expressions are compiled at construction, so matching is a pure
function of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kb.data import phrases, read_yaml
from kb.errors import ConfigError
from kb.text.phrases import WORD_EDGE_AFTER, WORD_EDGE_BEFORE, phrase_body

# Query drift: every added phrase dilutes BM25 scores of the words the person typed.
MAX_PER_GROUP = 4
MAX_ADDED = 12



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
    """One phrase, the pattern that finds it, and a piece of it any match contains."""

    phrase: str
    pattern: re.Pattern[str]
    # Lowercase; a match of ``pattern`` always contains it, in some case. Checked
    # first: a question names a handful of the glossary's ~430 phrases, and running
    # every pattern cost ~2.5 ms a search.
    literal: str = ""

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        """``pattern``'s matches in ``text`` (``lowered`` is ``text.lower()``)."""
        if self.literal not in lowered:
            return iter(())
        return self.pattern.finditer(text)


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
        low = query.lower()
        for index, short in enumerate(self._short_terms):
            hits += [(m.start(), m.end(), "short", index) for m in short.finditer(query, low)]
        for index, longs in enumerate(self._long_terms):
            for term in longs:
                hits += [(m.start(), m.end(), "long", index) for m in term.finditer(query, low)]
        for index, group in enumerate(self._groups):
            for term in group:
                hits += [(m.start(), m.end(), "group", index) for m in term.finditer(query, low)]

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
    data = read_yaml(path)
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
        expansions = phrases(path, f"acronym {short!r}", longs)
        if not expansions:
            raise ConfigError(f"{path}: acronym {short!r} has no long form")
        acronyms.append(Acronym(short=short.strip(), expansions=expansions))

    raw_groups = data.get("synonyms", [])
    if not isinstance(raw_groups, list):
        raise ConfigError(f"{path}: 'synonyms' must be a list of phrase lists")
    groups: list[tuple[str, ...]] = []
    for index, raw in enumerate(raw_groups, start=1):
        group = phrases(path, f"synonym group {index}", raw)
        if len(group) < 2:
            raise ConfigError(f"{path}: synonym group {index} needs at least two phrases")
        groups.append(group)
    return Glossary(acronyms=tuple(acronyms), synonyms=tuple(groups))


def _term(phrase: str, *, acronym: bool = False) -> _Term:
    return _Term(
        phrase=phrase, pattern=_glossary_pattern(phrase, acronym=acronym), literal=_literal(phrase)
    )


def _literal(phrase: str) -> str:
    """The longest piece of ``phrase`` that every match of its pattern contains, lowercased:
    between spaces, dashes and apostrophes (which the pattern lets vary), ``*`` stripped."""
    pieces = re.split(r"[\s\-\u2010\u2011\u2013'\u2019*]+", phrase.lower())
    return max(pieces, key=len)


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
        return re.compile(f"{WORD_EDGE_BEFORE}(?:{body}){suffix}{WORD_EDGE_AFTER}", flags)
    body = phrase_body(phrase)
    if phrase[-1].isalpha():
        # Groups list the singular; "foster carers" should find "foster carer".
        body += "(?:s|es)?"
    return re.compile(f"{WORD_EDGE_BEFORE}{body}{WORD_EDGE_AFTER}", re.IGNORECASE)


def _looks_like_acronym(phrase: str) -> bool:
    """One token with two or more capitals: "CSE", "DoLS", "A&E", "S47"."""
    if any(ch.isspace() for ch in phrase):
        return False
    return sum(ch.isupper() for ch in phrase) >= 2 or (
        phrase[:1].isupper() and any(ch.isdigit() for ch in phrase)
    )
