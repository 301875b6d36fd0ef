"""What kind of document it is: one of :data:`kb.records.DOC_TYPES`.

Strong phrases ("local child safeguarding practice review", "annual report") settle the
type wherever they stand on the title or cover; weaker words ("guidance", "policy") count
only in a title. Failing those: a statutory-guidance declaration, a review type named in
the body, the file name, the publisher's usual type, and "report" in the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kb.describe.pages import COVER_LINES, HEAD_PAGES, page_lines, title_from_file_name
from kb.describe.wordlists import table, word_list

# How many opening pages may hold a statutory-guidance declaration.
DECLARATION_PAGES = 12

# Phrases that settle the type wherever they stand on a cover, in order of precedence.
STRONG_TYPE_RULES: tuple[tuple[str, str], ...] = (
    (
        r"\b(?:rapid\s+reviews?|local\s+child\s+safeguarding\s+practice\s+reviews|serious\s+case"
        r"\s+reviews|LCSPRs|SCRs)\s+(?:analysis|themes|learning\s+review)"
        r"|\banalysis\s+of\s+(?:\w+\s+){0,3}(?:rapid|serious\s+case|practice)\s+reviews"
        r"|\b(?:triennial|biennial)\s+(?:analysis|review)",
        "review_analysis",
    ),
    (
        r"\binspection\s+framework|\bcommon\s+inspection\s+framework|\binspection\s+handbook"
        r"|\bframework\s+for\s+(?:the\s+)?inspection",
        "inspection_framework",
    ),
    (r"\bannual\s+report|\byearly\s+report", "annual_report"),
    (r"(?:^|\n)[ \t]*research\s+report[ \t]*(?=\n|$)", "research_report"),  # DfE's label
    (r"\bthematic\s+(?:review|report|analysis|learning)|\bthemed\s+review", "thematic_review"),
    (
        r"\bnational\s+(?:child\s+safeguarding\s+practice\s+)?review\b"
        r"|\bPanel\s+commissioned\s+this\s+review|\bcommissioned\s+by\s+the\s+(?:Child\s+"
        r"Safeguarding\s+Practice\s+Review\s+)?Panel\b",
        "national_review",
    ),
    (
        r"\blocal\s+child\s+safeguarding\s+practice\s+review|\bLCSPR\b|\bserious\s+case\s+review"
        r"|\bchild\s+safeguarding\s+practice\s+review\b(?!\s+panel)|\bsafeguarding\s+practice"
        r"\s+review\b(?!\s+panel)|\bdomestic\s+homicide\s+review|\bchild\s+practice\s+review"
        r"|\blearning\s+review\b",
        "local_review",
    ),
    (r"(?<!non)(?<!non-)(?<!non\s)\bstatutory\s+guidance", "statutory_guidance"),
    (
        r"\bfocused\s+visit|\bmonitoring\s+visit|\binspection\s+of\s+(?:local\s+authority|\w+"
        r"\s+children)|\bjoint\s+targeted\s+area\s+inspection|\bJTAI\b|\binspection\s+report"
        r"|\binspection\s+findings",
        "inspection_report",
    ),
    (r"\b(?:7|seven)[- ]minute\s+briefing|\b(?:practice|learning)\s+briefing", "practice_briefing"),
)
# Words that only mean something in a title (or, failing that, in the file name).
WEAK_TYPE_RULES: tuple[tuple[str, str], ...] = (
    (r"\bbriefing\b", "practice_briefing"),
    (r"\binspection\b", "inspection_report"),
    (r"\bpolicy\b", "policy"),
    (r"\bprotocols?\b|\bprocedures?\b|\blocal\s+arrangements\b", "local_procedure"),
    (
        r"\btraining\b|\binformation\s+pack\b|\blearning\s+pack\b|\bworkbook\b|\bcourse\b",
        "training_material",
    ),
    (
        r"\bevaluation\b|\bresearch\b|\bsurvey\b|\bstudy\b|\binquiry\b|\bfindings\b"
        r"|\bwhat\s+(?:children|young\s+people)\s+(?:said|told\s+us|think)\b",
        "research_report",
    ),
    (
        r"\bguidance\b|\bguide\b|\badvice\b|\bthresholds?\b|\bfact\s?sheet\b|\bchecklist\b"
        r"|\bflow\s?chart\b|\bframework\b|\btoolkit\b|\bmatrix\b|\bcontinuum\s+of\s+needs?\b"
        r"|\bhandbook\b|\bleaflet\b|\brisk\s+assessment\b|\bpathway\b",
        "practice_guidance",
    ),
)
# How statutory guidance describes its own status.
STATUTORY_DECLARATION_RE = re.compile(
    r"\bthis\s+is\s+statutory\s+guidance\b|\bthis\s+guidance\s+is\s+issued\s+under\b"
    r"|\bthis\s+(?:document|guidance)\s+is\s+statutory\b"
    r"|\bmust\s+have\s+regard\s+to\s+(?:this|any)\s+guidance\s+(?:given|issued)\s+by\s+the"
    r"\s+Secretary\s+of\s+State",
    re.IGNORECASE,
)
BODY_TYPES = frozenset(word_list("body_types"))
# The type a publisher's documents usually are, when nothing else tells.
PUBLISHER_DEFAULT_TYPES: tuple[tuple[str, str], ...] = tuple(
    (row["publisher"], row["doc_type"]) for row in table("publisher_default_types")
)


def doc_type(titles: Sequence[str], pages: Sequence[str], file_name: str, publisher: str) -> str:
    """Strong phrases on the title or cover, then title words, body, file name, publisher."""
    cover = "\n".join(page_lines(pages[0])[:COVER_LINES]) if pages else ""
    for text in [*titles, cover]:
        found = first_rule(STRONG_TYPE_RULES, text)
        if found:
            return found
    # Contents lines name the chapters ("Local child safeguarding practice reviews 112"),
    # not what the document is.
    body_lines = [
        line
        for line in page_lines("\n".join(pages[:DECLARATION_PAGES]))
        if not re.search(r"(?:\.{3,}|\s)\d{1,3}$", line)
    ]
    found = ""
    for text in titles:
        found = first_rule(WEAK_TYPE_RULES, text)
        if found:
            break
    # Statutory guidance is guidance that says so in its status section, which may follow
    # a cover calling it only "a guide"; a policy or a procedure quoting statute is not.
    if found in ("", "practice_guidance") and STATUTORY_DECLARATION_RE.search(" ".join(body_lines)):
        return "statutory_guidance"
    if found:
        return found
    body = "\n".join(body_lines[: COVER_LINES * HEAD_PAGES])
    found = first_rule(STRONG_TYPE_RULES, body)
    if found in BODY_TYPES:
        return found
    found = first_rule(STRONG_TYPE_RULES + WEAK_TYPE_RULES, title_from_file_name(file_name))
    if found:
        return found
    for name, default in PUBLISHER_DEFAULT_TYPES:
        if publisher == name:
            return default
    if re.search(r"\breport\b", " ".join(titles), re.IGNORECASE):
        return "research_report"
    return "other"


def first_rule(rules: Iterable[tuple[str, str]], text: str) -> str:
    """The type whose phrase occurs earliest in ``text`` (first rule wins a tie)."""
    best: tuple[int, int, str] | None = None
    for order, (pattern, found) in enumerate(rules):
        m = re.search(pattern, text, re.IGNORECASE)
        if m and (best is None or (m.start(), order) < best[:2]):
            best = (m.start(), order, found)
    return best[2] if best else ""
