"""The anatomy of a review at ingest: each passage's role and the learning items in it.

A passage is cut into blocks (``kb.enrich.blocks``); each block is read in its
section (``kb.enrich.sections``) and by its own words:

- a run-in label ("Finding 2:", "Learning point 3:", "Recommendation 4:") makes a
  block a finding or a recommendation wherever it is;
- a recommending sentence ("We recommend that X ...", "The partnership should ...")
  is a recommendation anywhere, and in a recommendations section any block that
  asks someone to act is one; its addressee and level come from
  ``kb.enrich.addressee``;
- a question is a reflective question in a reflective questions section, or in a
  list after a lead-in that speaks of asking or reflecting; one item per question;
- own words alone never make good practice: guidance says "it is good practice to";
- in a findings, practice episodes or good practice section every paragraph or list
  item is an item of that part, except a lead-in ("The review found:") and the
  introduction straight under the part's heading when the part has sub-sections
  or numbered items; a paragraph that follows a labelled item continues it.

The passage's ``role`` is the part most of its text belongs to. Only roles whose
precision on the hand labels reaches 0.85 are stored (``SHIPPED``; measured by
``bench/roles.py``, figures in ``docs/quality.md``); any other becomes ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kb.enrich.addressee import addressee_of, audience_in_question, audience_of, level_of
from kb.enrich.blocks import LABEL, Block, blocks_of
from kb.enrich.kinds import detect_kind
from kb.enrich.sections import (
    BACKGROUND,
    FINDING,
    GOOD_PRACTICE,
    LEARNING_ROLES,
    OTHER,
    PRACTICE_EPISODE,
    RECOMMENDATION,
    REFLECTIVE_QUESTION,
    Section,
    enter,
    heading_role,
    section_of_path,
)
from kb.records import Chunk, LearningItem

# Document types without a review's anatomy (kb.records.DOC_TYPES).
NOT_REVIEWS = frozenset(
    {
        "statutory_guidance",
        "practice_guidance",
        "local_procedure",
        "inspection_framework",
        "training_material",
        "policy",
        "practice_briefing",
        # Research and inspection reports have findings of their own kind (survey
        # figures, inspection judgements), not a review's learning: measured on the
        # real corpus, their section-given findings were right for 15 of 20.
        "research_report",
        "inspection_report",
    }
)
# Roles whose measured precision reached 0.85 (bench/roles.py, docs/quality.md).
SHIPPED = frozenset(LEARNING_ROLES) | {BACKGROUND, OTHER}

# "Finding 2: Men ...", "Key finding: ...", "Lesson 1: ...": a label, then the finding
# itself (not "findings: Children's social care in England 2024" in a reference list).
_FINDING_LABEL = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?(?:key\s+)?(?:finding|learning\s+point|lesson)\s*(?:\d{1,2}"
    r"[a-z]?)?\s*[:\u2013]\s*(?-i:[A-Z\"'\u2018\u201c])",
    re.IGNORECASE,
)
_RECOMMENDATION_LABEL = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?(?:recommendation\s*\d{0,2}[a-z]?\s*[:\u2013.]|r\d{1,2}[:.)])",
    re.IGNORECASE,
)
_RECOMMENDS = re.compile(
    r"\b(?:we|the\s+panel|this\s+review|the\s+review|this\s+report|the\s+partnership|the\s+board)"
    r"\s+(?:also\s+|therefore\s+|further\s+)?recommends?\b",
    re.IGNORECASE,
)
# Asking someone to act, in a recommendations section ("The Panel makes six
# recommendations" asks nothing).
_DIRECTIVE = re.compile(
    r"\bshould\b|\bmust\b|\bneeds? to\b|\brecommends? that\b|\bensure\b|\bis asked to\b"
    r"|\bare asked to\b"
    r"|\bto (?:develop|review|consider|ensure|establish|introduce|provide|agree|commission)\b",
    re.IGNORECASE,
)
# A lead-in that introduces questions to reflect on ("Leaders may wish to consider:",
# "Practitioners might ask themselves:"), not questions to put to a family.
_QUESTION_LEAD = re.compile(
    r"\breflect|\bask (?:themselves|yourself|yourselves|ourselves)\b|\bwish to (?:ask|consider)"
    r"|\bwant to (?:ask|consider)|\bmight (?:ask|consider)|\bto consider\b|\bconsider:"
    r"|\bquestions? (?:for|to) (?:consider|reflect|discuss|practitioners|leaders|managers"
    r"|partnerships?|boards?|discussion|teams?)",
    re.I,
)
_QUESTION_SPLIT = re.compile(r"(?<=\?)\s+(?=[A-Z\"'\u2018\u201c])")
_MERGING = (FINDING, PRACTICE_EPISODE)
_LEAD_MAX_WORDS = 16
_PAGE_NUMBER = re.compile(r"[A-Za-z)]\s\d{1,3}(?=\s+[A-Z]|$)")
_SENTENCE_END = re.compile(r"[a-z]{2}[.!?](?:\s|$)")
_MIN_ITEM_WORDS = 3  # "3." or "Safe" alone is a fragment of the layout, not an item
_ASK_WORDS = ("should", "must", "need", "recommend", "learning", "asked")
# A contents line: a short title ending in its page number, or dotted leaders.
_CONTENTS_LINE = re.compile(r"^(?=.{3,90}$)\D.*\s\d{1,3}$|\.{5,}")


@dataclass
class _Reader:
    """Reads one document's blocks in order, keeping the open item."""

    known: frozenset[str]
    parents: frozenset[str]  # headings that have sub-sections
    labelled: frozenset[str]  # roles whose items this document labels ("Finding 1:")
    anatomy: bool = True  # whether sections give roles (not in guidance: see tag_roles)
    items: list[LearningItem] = field(default_factory=list)
    open_item: int | None = None  # index in items that a continuation joins
    lead: str = ""  # the last lead-in line ("... may want to ask themselves:")

    def read(self, section: Section, block: Block) -> tuple[Section, str]:
        """The section after ``block`` and the role of the block's text."""
        if block.heading and not _labelled(block.text):
            self.open_item, self.lead = None, ""
            section = enter(section, block.text, known_child=block.text in self.known)
            if section.role == PRACTICE_EPISODE and not section.under_anchor:
                self._add(PRACTICE_EPISODE, block.text, section, merge=True)
            return section, section.role
        if block.heading:  # a labelled heading: "4.1 Finding 1: ...", opens its item
            section = enter(section, block.text, known_child=block.text in self.known)
        return section, self._body(section, block)

    def _body(self, section: Section, block: Block) -> str:
        text = block.text
        if text.endswith(":") and len(text.split()) <= _LEAD_MAX_WORDS:
            # "We recommend that:" or "Partnerships may want to ask:" introduces a list.
            self.lead, self.open_item = text, None
            return section.role if section.role not in LEARNING_ROLES else OTHER
        if _contents(text) or len(text.split()) < _MIN_ITEM_WORDS:
            return OTHER  # "What worked well 40": a contents page, not the part
        if _FINDING_LABEL.match(text):
            self._add(FINDING, text, section, merge=True)
            return FINDING
        listed = heading_role(self.lead) if block.bullet and self.lead else None
        section_rec = self.anatomy and (listed == RECOMMENDATION or _recommends(text, section))
        if section_rec or _RECOMMENDATION_LABEL.match(text) or _own_recommendation(text):
            self._recommendation(text, section)
            return RECOMMENDATION
        if text.rstrip().endswith("?") and self._asks(section, block):
            for question in _QUESTION_SPLIT.split(text):
                if question.rstrip().endswith("?"):
                    self._question(question.strip(), section)
            return REFLECTIVE_QUESTION
        if text.rstrip().endswith(":"):
            self.lead, self.open_item = text, None
            return section.role if section.role not in LEARNING_ROLES else OTHER
        if listed in (FINDING, GOOD_PRACTICE) and self.anatomy:
            # "Examples of good practice that reviews described include:" then a list.
            self._add(listed, text, section, merge=False)
            return listed
        return self._in_section(section, block)

    def _in_section(self, section: Section, block: Block) -> str:
        role = section.role
        if not self.anatomy and role in LEARNING_ROLES and role != RECOMMENDATION:
            return OTHER
        if role in _MERGING and self.open_item is not None and not block.bullet:
            self._extend(block.text)
            return role
        if role in (FINDING, PRACTICE_EPISODE, GOOD_PRACTICE):
            if self._introduction(section, block):
                return OTHER
            # An unlabelled finding is one paragraph; an episode runs to the next heading.
            self._add(role, block.text, section, merge=role == PRACTICE_EPISODE)
            return role
        if role == RECOMMENDATION and self.open_item is not None and not block.bullet:
            # (only reached in a review: elsewhere a recommendation is never open here)
            self._extend(block.text)  # a recommendation's second paragraph
            return role
        return role if role not in LEARNING_ROLES else OTHER

    def _introduction(self, section: Section, block: Block) -> bool:
        """Straight under a part's heading that has sub-sections, or in a part whose
        items are labelled ("Finding 2: ..."), an unlabelled paragraph that continues
        no item introduces them (or ends an item begun in the previous passage);
        a list item is always an item."""
        if block.bullet or not section.under_anchor or _labelled(section.anchor):
            return False
        return section.anchor in self.parents or section.role in self.labelled

    def _asks(self, section: Section, block: Block) -> bool:
        if not self.anatomy:
            return False
        if section.role == REFLECTIVE_QUESTION:
            return True
        return block.bullet and bool(self.lead) and bool(_QUESTION_LEAD.search(self.lead))

    def _question(self, text: str, section: Section) -> None:
        audience = (
            (audience_of(self.lead) if self.lead else None)
            or section.audience
            or audience_in_question(text)
        )
        self.items.append(
            LearningItem(REFLECTIVE_QUESTION, text, section.heading, audience=audience)
        )
        self.open_item = None

    def _recommendation(self, text: str, section: Section) -> None:
        if self.open_item is not None and self.items[self.open_item].text.endswith(":"):
            self._extend(text)  # "The partnership should:" then its list
            return
        addressee = addressee_of(text) or addressee_of(f"{self.lead} {text}")
        level = level_of(addressee, section.headings)
        self.items.append(LearningItem(RECOMMENDATION, text, section.heading, level, addressee))
        self.open_item = len(self.items) - 1

    def _add(self, role: str, text: str, section: Section, *, merge: bool) -> None:
        self.items.append(LearningItem(role, text, section.heading))
        self.open_item = len(self.items) - 1 if merge else None

    def _extend(self, text: str) -> None:
        assert self.open_item is not None
        item = self.items[self.open_item]
        self.items[self.open_item] = replace(item, text=f"{item.text} {text}")


def _labelled(text: str) -> bool:
    return bool(LABEL.match(text))


def _contents(text: str) -> bool:
    """A contents line, or several run together ("Appendix 2 - Proforma 61 Appendix 3 ...")."""
    if _CONTENTS_LINE.search(text):
        return True
    return len(_PAGE_NUMBER.findall(text)) >= 2 and not _SENTENCE_END.search(text)


def _own_recommendation(text: str) -> bool:
    """A recommendation in its own words, wherever it stands ("We recommend ...")."""
    return bool(_RECOMMENDS.search(text))


def _recommends(text: str, section: Section) -> bool:
    """A recommendation by its section: asking someone to act under a recommendations
    heading, or a recommending subject ("The partnership should ...") elsewhere."""
    if _RECOMMENDS.search(text):
        return True
    if section.role == RECOMMENDATION:
        return bool(_DIRECTIVE.search(text))
    if section.role in (BACKGROUND, REFLECTIVE_QUESTION):
        return False
    low = text.lower()
    # detect_kind's patterns are the cost: skip text without any word they need.
    return any(w in low for w in _ASK_WORDS) and detect_kind(text) == RECOMMENDATION


def tag_roles(chunks: Sequence[Chunk], doc_type: str = "other") -> list[Chunk]:
    """A document's chunks (in order) with ``role`` and ``items`` set.

    Guidance, procedures, frameworks and training material do not have a review's
    anatomy: their "Timeliness" or "Consent" section is no practice episode, and the
    questions they list are for families. In them only an item's own words count
    (a run-in label, a recommending sentence), never its section."""
    paths = [c.heading_path for c in chunks]
    known = frozenset(h for path in paths for h in path)
    parents = frozenset(p[i] for p in paths for i in range(len(p) - 1))
    blocks = [blocks_of(c.text, known) for c in chunks]
    labelled = _labelled_roles(blocks)
    seen: list[str] = []  # item texts of this document: an overlap repeats them
    out: list[Chunk] = []
    carried: Section | None = None
    previous_path: tuple[str, ...] | None = None
    for chunk, chunk_blocks in zip(chunks, blocks, strict=True):
        same = chunk.heading_path == previous_path and carried is not None
        section = carried if same and carried is not None else section_of_path(chunk.heading_path)
        reader = _Reader(known, parents, labelled, anatomy=doc_type not in NOT_REVIEWS)
        weights: dict[str, int] = {}
        for block in chunk_blocks:
            if block.heading and block.text in chunk.heading_path:
                continue  # the chunk's own heading line: already in its section
            section, role = reader.read(section, block)
            weights[role] = weights.get(role, 0) + len(block.text)
        carried, previous_path = section, chunk.heading_path
        items = _new_items(reader.items, seen)
        out.append(replace(chunk, role=_main_role(weights, chunk), items=items))
    return out


def _labelled_roles(blocks: list[list[Block]]) -> frozenset[str]:
    roles: set[str] = set()
    for chunk_blocks in blocks:
        for block in chunk_blocks:
            if _FINDING_LABEL.match(block.text):
                roles.add(FINDING)
            elif _RECOMMENDATION_LABEL.match(block.text):
                roles.add(RECOMMENDATION)
    return frozenset(roles)


def _new_items(items: list[LearningItem], seen: list[str]) -> tuple[LearningItem, ...]:
    """Items not already given by an earlier chunk (chunks overlap by a sentence or two)."""
    fresh: list[LearningItem] = []
    for item in items:
        if item.role not in SHIPPED:
            continue
        flat = " ".join(item.text.split())
        if any(flat in earlier for earlier in seen):
            continue
        seen.append(flat)
        fresh.append(item)
    return tuple(fresh)


def _main_role(weights: dict[str, int], chunk: Chunk) -> str:
    if not weights:
        role = section_of_path(chunk.heading_path).role
    else:
        role = max(weights.items(), key=lambda kv: kv[1])[0]
    return role if role in SHIPPED else OTHER
