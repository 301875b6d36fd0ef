"""Which organisation published a document, and what organisation names look like.

Every organisation the text names earns points by where and how often it appears: on the
cover, in the colophon, in the PDF's Author entry, as a copyright holder or a web address,
after "published by". The best scorer wins if it scored enough; else the field stays empty.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.describe.pages import COVER_CHARS, COVER_LINES, HEAD_PAGES, URL_RE, page_lines
from kb.describe.wordlists import word_list
from kb.describe.year import COPYRIGHT_RE

LETTERHEAD_LINES = 15
MIN_PUBLISHER_SCORE = 6.0

_APOS = "['’]"
# Canonical name -> pattern for bodies that publish safeguarding material nationally.
KNOWN_PUBLISHERS: tuple[tuple[str, str], ...] = (
    (
        "Department for Education",
        r"Department\s+for\s+Education|\bDfE\b|contact-dfe|educationgovuk",
    ),
    ("Ofsted", r"\bOfsted\b|Office\s+for\s+Standards\s+in\s+Education"),
    (
        "Children's Commissioner for England",
        rf"Children{_APOS}?s\s+Commissioner(?:\s+for\s+England)?|childrenscommissioner",
    ),
    (
        "Child Safeguarding Practice Review Panel",
        r"Child\s+Safeguarding\s+Practice\s+Review\s+Panel",
    ),
    (
        "Association of Directors of Children's Services",
        rf"Association\s+of\s+Directors\s+of\s+Children{_APOS}?s\s+Services|\bADCS\b",
    ),
    ("SafeLives", r"\bSafeLives\b"),
    ("NSPCC", r"\bNSPCC\b|National\s+Society\s+for\s+the\s+Prevention\s+of\s+Cruelty"),
    ("Home Office", r"\bHome\s+Office\b"),
    (
        "Department of Health and Social Care",
        r"Department\s+of\s+Health(?:\s+and\s+Social\s+Care)?",
    ),
    ("Ministry of Justice", r"Ministry\s+of\s+Justice"),
    ("Care Quality Commission", r"Care\s+Quality\s+Commission"),
    ("Local Government Association", r"Local\s+Government\s+Association"),
    ("Research in Practice", r"Research\s+in\s+Practice"),
    (
        "Foundations",
        r"\bFoundations\b(?=.{0,40}What\s+Works)|What\s+Works\s+Centre\s+for\s+Children",
    ),
    ("Barnardo's", rf"\bBarnardo{_APOS}?s\b"),
    ("NHS England", r"\bNHS\s+England\b"),
    ("Youth Endowment Fund", r"Youth\s+Endowment\s+Fund"),
)
CROWN_BODIES = word_list("crown_bodies")
# Web addresses in a cover or colophon say whose document it is.
DOMAIN_PUBLISHERS: tuple[tuple[str, str], ...] = (
    ("Children's Commissioner for England", r"childrenscommissioner\.gov\.uk"),
    ("Association of Directors of Children's Services", r"adcs\.org\.uk"),
    ("Ofsted", r"ofsted\.gov\.uk|organisations/ofsted"),
    ("SafeLives", r"safelives\.org\.uk"),
    ("NSPCC", r"nspcc\.org\.uk"),
    ("Department for Education", r"gov\.uk/contact-dfe|@educationgovuk"),
)
# "<Place> Safeguarding Children Partnership", "... Safeguarding Children Board" and kin.
_PLACE_WORD = r"(?:[A-Z][a-z][\w'’.&-]*|St\.?)"
PARTNERSHIP_RE = re.compile(
    # Place words stay on one line, so a banner above a letterhead is not read as a place.
    rf"(?P<place>{_PLACE_WORD}(?:,?[ \t]+(?:{_PLACE_WORD}|and|&|of|upon|on|the)){{0,4}}?)\s+"
    rf"(?P<kind>(?:Local\s+)?Safeguarding\s+Children{_APOS}?s?\s+(?:Multi-Agency\s+)?"
    rf"(?:Partnership|Board)"
    rf"|Children{_APOS}?s\s+Safeguarding\s+(?:Partnership|Board)"
    rf"|Safeguarding\s+(?:Children\s+and\s+Adults\s+)?Partnership)"
)
GENERIC_PLACE_WORDS = frozenset(word_list("generic_place_words"))
# A letterhead line: "Anytown Borough Council", "Northvale NHS Foundation Trust (NFT)".
ORG_LINE_RE = re.compile(
    r"^(?:The\s+)?(?:[A-Z][\w'’&.-]*\s+|(?:of|and|for|&)\s+){1,6}"
    r"(?:Council|Trust|Police|Constabulary|Partnership|Board|Academy|School|College|Service"
    r"|Services|Department|Agency|Charity|Foundation|Association|Society|Authority|Commissioner"
    r"|Group|Network)(?:\s+\([A-Z]{2,}\))?$"
)
ORG_WORDS_RE = re.compile(
    r"\b(?:Department|Commissioner|Council|Partnership|Board|Trust|Agency|Ofsted|Office|NHS"
    r"|Police|Association|Society|Foundation|Panel|Ministry|Authority|Borough|County|Charity"
    r"|Commission|Inspectorate|Government|Institute|Centre|University|Services)\b"
)
# "This document describes the policy of Silver Line Homes": a provider's own policy.
OWN_POLICY_RE = re.compile(
    r"\b(?:describes|sets\s+out|outlines|is)\s+the\s+(?:\w+\s+)?(?:policy|procedures?)\s+of\s+"
    r"(?P<org>[A-Z][\w&'’]+(?:\s+(?:[A-Z][\w&'’]+|of|and|&)){0,5})"
)
PUBLISHED_BY_RE = re.compile(
    r"\b(?:(?:published|produced|issued|commissioned|carried\s+out)\s+by"
    r"|(?:statutory\s+)?(?:guidance|advice)\s+from)\s+(?:the\s+)?"
    r"(?P<org>[A-Z][\w&'’]+(?:\s+(?:[A-Z][\w&'’]+|of|for|and|&)){0,7})"
)


class _Scores(dict[str, float]):
    """Points per organisation name, in the order the names were first met."""

    def add(self, name: str, score: float) -> None:
        if name:
            self[name] = self.get(name, 0.0) + score


def publisher(texts: Sequence[str], author: str) -> str:
    """Score organisations by where and how often they are named; keep the best."""
    if not texts:
        return _org_author(author)
    cover = "\n".join(page_lines(texts[0])[:COVER_LINES])[:COVER_CHARS]
    colophon = "\n".join(page_lines(texts[-1])[-COVER_LINES:]) if len(texts) > 1 else ""
    body = "\n".join(texts)
    scores = _Scores()
    _score_known(scores, body, cover, colophon, author)
    _score_local(scores, body, cover, texts[0])
    org = _org_author(author)
    if org and org not in scores:
        scores.add(org, 15)
    _score_colophon(scores, body, f"{cover}\n{colophon}")
    _score_statements(scores, texts, colophon, body)
    if not scores:
        return ""
    best, score = max(scores.items(), key=lambda kv: (kv[1], len(kv[0])))
    return best if score >= MIN_PUBLISHER_SCORE else ""


def _score_known(scores: _Scores, body: str, cover: str, colophon: str, author: str) -> None:
    """National bodies, by how often the text names them and where."""
    for name, pattern in KNOWN_PUBLISHERS:
        # Case matters: "research in practice" is a phrase, "Research in Practice" a charity.
        rx = re.compile(pattern)
        count = len(rx.findall(body))
        if count:
            scores.add(name, min(count, 10.0))
        if rx.search(cover):
            scores.add(name, 8)
        if colophon and rx.search(colophon):
            scores.add(name, 4)
        if author and rx.search(author):
            scores.add(name, 15)


def _score_local(scores: _Scores, body: str, cover: str, first_page: str) -> None:
    """Safeguarding partnerships, and organisations on a letterhead."""
    for name, count in partnerships(body).items():
        # Local documents rarely name another area's partnership, so one mention counts.
        scores.add(name, min(count, 10.0) + 5)
        place = name.split(" Safeguarding")[0].split(" Children")[0]
        place_hits = len(re.findall(rf"\b{re.escape(place)}\b", body))
        scores.add(name, min(max(place_hits - count, 0), 10) / 2)
        # Partnerships call themselves "the LSCP" far more often than by name.
        acronym = re.escape(_acronym(name))
        if len(acronym) >= 3:
            hits = len(re.findall(rf"\b{acronym}\b", body))
            on_cover = 6 if re.search(rf"\b{acronym}\b", cover) else 0
            scores.add(name, min(hits, 10) / 2 + on_cover)
    for name in partnerships(cover):
        scores.add(name, 8)
    for line in page_lines(first_page)[:LETTERHEAD_LINES]:
        if ORG_LINE_RE.match(line) and line.split()[0].lower() not in GENERIC_PLACE_WORDS:
            scores.add(canonical(re.sub(r"\s+\([A-Z]+\)$", "", line)), 7)


def _score_colophon(scores: _Scores, body: str, ends: str) -> None:
    """A copyright holder or web address on the cover or colophon says whose it is."""
    # A web address on a line of its own is a logo or a contact block, not a citation.
    sites = "\n".join(
        line for line in ends.split("\n") if URL_RE.search(line) and len(line.split()) <= 4
    )
    crown = bool(re.search(r"\bCrown\s+copyright\b", body, re.IGNORECASE))
    for cm in COPYRIGHT_RE.finditer(ends):
        holder = cm.group("holder").strip(" .,")
        if re.search(r"\bcrown\b", holder, re.IGNORECASE):
            crown = True
        elif holder:
            scores.add(canonical(holder), 12)
    if crown:
        named = [n for n in CROWN_BODIES if scores.get(n)]
        if named:
            scores.add(max(named, key=lambda n: scores[n]), 10)
    for name, pattern in DOMAIN_PUBLISHERS:
        if re.search(pattern, sites, re.IGNORECASE):
            scores.add(name, 8)


def _score_statements(scores: _Scores, texts: Sequence[str], colophon: str, body: str) -> None:
    """What the document says about itself: "published by", "the policy of", a signature."""
    for by in PUBLISHED_BY_RE.finditer("\n".join([*texts[:HEAD_PAGES], colophon])):
        name = canonical(by.group("org"))
        # "Produced by Jane Smith" names the reviewer, not the publisher.
        if name in scores or ORG_WORDS_RE.search(name):
            scores.add(name, 15)
    own = OWN_POLICY_RE.search(texts[0][:3000])
    if own:
        scores.add(canonical(own.group("org")), 10)
    # Ofsted letters are signed by "His Majesty's Inspector" and may never say "Ofsted".
    if re.search(rf"His\s+Majesty{_APOS}s\s+Inspectors?\b", body):
        scores.add("Ofsted", 6)


def canonical(name: str) -> str:
    """One spelling per organisation: known bodies by their full name, partnerships tidied."""
    name = " ".join(name.split()).strip(" .,;:")
    name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    for known, pattern in KNOWN_PUBLISHERS:
        if re.fullmatch(rf"(?:{pattern})", name, re.IGNORECASE):
            return known
    m = PARTNERSHIP_RE.fullmatch(name)
    if m:
        return partnership_name(m) or name
    # "SafeLives 2019. Please acknowledge..." leaves trailing words on a holder.
    return name


def is_org_line(line: str) -> bool:
    """A line that is only an organisation's name (a logo or letterhead)."""
    # "Brent Safeguarding Children Partnership (BSCP)": the acronym is part of the logo.
    stripped = re.sub(r"\s*\([^)]*\)$", "", line).strip(" .,:")
    for _name, pattern in KNOWN_PUBLISHERS:
        if re.fullmatch(rf"(?:the\s+)?(?:{pattern})", stripped, re.IGNORECASE):
            return True
    m = PARTNERSHIP_RE.fullmatch(stripped)
    return bool(m and partnership_name(m)) or bool(ORG_LINE_RE.match(line))


def _org_author(author: str) -> str:
    """The Author entry when it names an organisation rather than a person."""
    author = author.strip()
    if not author or "," in author or "(" in author or "@" in author:
        return ""
    for known, pattern in KNOWN_PUBLISHERS:
        if re.search(pattern, author, re.IGNORECASE):
            return known
    return author if ORG_WORDS_RE.search(author) else ""


def partnerships(text: str) -> dict[str, int]:
    """Each safeguarding partnership the text names, with how often it names it."""
    counts: dict[str, int] = {}
    for m in PARTNERSHIP_RE.finditer(text):
        name = partnership_name(m)
        if name:
            counts[name] = counts.get(name, 0) + 1
    return counts


def partnership_name(m: re.Match[str]) -> str:
    """The tidied name of a :data:`PARTNERSHIP_RE` match, or "" when it names no place."""
    words = m.group("place").split()
    # Drop leading words that name no place: "the", "Local", "Each", "all".
    while words and words[0].lower().strip("'’") in GENERIC_PLACE_WORDS:
        words = words[1:]
    # Keep only the capitalised run next to "Safeguarding": "in Lambeth" -> "Lambeth".
    keep: list[str] = []
    for word in reversed(words):
        if word[:1].isupper() or word.lower() in ("and", "&", "of", "upon", "on"):
            keep.insert(0, word)
        else:
            break
    while keep and not keep[0][:1].isupper():
        keep = keep[1:]
    if not keep or keep[0].lower() in GENERIC_PLACE_WORDS:
        return ""
    kind = " ".join(m.group("kind").split())
    kind = re.sub(rf"Children{_APOS}s?\s+Safeguarding", "Children's Safeguarding", kind)
    kind = re.sub(rf"Safeguarding\s+Children{_APOS}s?\s", "Safeguarding Children ", kind)
    return f"{' '.join(keep)} {kind}"


def _acronym(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())
