"""Document metadata: title, publisher, year and type, from a sidecar or the text itself.

Two sources, merged with :func:`merge`:

* a *sidecar* manifest that a person wrote next to the documents
  (``metadata.csv``, ``metadata.yaml`` or ``metadata.yml``), read by :func:`load_sidecar`;
* heuristics over what the file says about itself, in :func:`extract_metadata`: the PDF's
  own information dictionary when it is meaningful, else the cover page's title block,
  dates, copyright lines and organisation names, and the file name as a last resort.

The heuristics are tuned on UK child safeguarding publications (local child safeguarding
practice reviews, Panel reports, DfE guidance, Ofsted letters, partnership procedures)
and work on plain page text only, so any parser's output can feed them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kb.errors import ConfigError
from kb.records import DOC_TYPES

SIDECAR_NAMES = ("metadata.csv", "metadata.yaml", "metadata.yml")

# Only the opening pages carry a cover, a date line or a colophon worth reading; the rest
# is body text whose dates and names refer to other documents.
HEAD_PAGES = 3
TAIL_PAGES = 2
COVER_LINES = 40
COVER_CHARS = 1200
LETTERHEAD_LINES = 15
MAX_TITLE_LINES = 7
MAX_TITLE_CHARS = 220

MIN_YEAR = 1980

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_YEAR = r"(?:19[89]\d|20\d\d)"
_DAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?\d{1,2}(?:st|nd|rd|th)?"
# One date in any of the shapes covers use; group "y" is the year.
_DATE = (
    rf"(?:(?:{_DAY}\s+)?{_MONTH},?\s+(?P<y>{_YEAR})"
    rf"|\d{{1,2}}[./-]\d{{1,2}}[./-](?P<y2>{_YEAR})"
    rf"|(?P<y3>{_YEAR})-\d\d-\d\d)"
)
DATE_RE = re.compile(_DATE, re.IGNORECASE)
# A whole line that is only a date, maybe introduced by the word publishers put before it.
DATE_LINE_RE = re.compile(
    rf"^(?:(?:last\s+)?(?:updated|revised|issued|reissued|amended|published|dated?|version"
    rf"\s+[\w.]+|final|draft)\s*(?:on|in)?\s*[:\-–]?\s*)?(?:{_DATE}|(?P<y4>{_YEAR}))\s*\.?$",
    re.IGNORECASE,
)
PUBLISHED_RE = re.compile(
    rf"^(?:first\s+)?(?:published|publication\s+date|date\s+of\s+publication|date\s+published"
    rf"|date\s+of\s+issue|issue\s+date|date)(?:\s+(?:on|in))?\s*[:\-–]?\s*{_DATE}",
    re.IGNORECASE,
)
PUBLISHED_LABEL_RE = re.compile(
    r"^(?:first\s+)?(?:published|publication\s+date|date\s+published|date\s+of\s+publication)"
    r"\s*:?$",
    re.IGNORECASE,
)
COPYRIGHT_RE = re.compile(
    rf"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?P<holder>[^\n\d©]{{0,60}}?)\s*,?\s*(?P<y>{_YEAR})\b"
    rf"(?:\s*(?:-|–|to)\s*(?P<y_end>{_YEAR}))?",
    re.IGNORECASE,
)
YEAR_RE = re.compile(rf"(?<![\d/.-]){_YEAR}(?![\d])")
# "2023-2024", "2022/23", "2022 to 2023": a period the document covers, not when it appeared.
YEAR_RANGE_RE = re.compile(
    rf"(?<!\d)(?P<start>{_YEAR})\s*(?:-|–|—|/|to)\s*(?P<end>{_YEAR}|\d\d)(?!\d)", re.IGNORECASE
)
PDF_DATE_RE = re.compile(rf"^(?:D:)?(?P<y>{_YEAR})")
# Dates that are not when the document was published.
NOT_PUBLICATION_RE = re.compile(
    r"review\s+date|next\s+review|due\s+for\s+review|to\s+be\s+reviewed|review\s+due|expir"
    r"|valid\s+until|deadline|closes|closing\s+date|\bborn\b|\bdob\b|date\s+of\s+birth|\bdied\b",
    re.IGNORECASE,
)

# --- organisations -------------------------------------------------------------------------

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
# Bodies whose reports are Crown copyright; the colophon rarely names which one.
CROWN_BODIES = (
    "Department for Education",
    "Ofsted",
    "Home Office",
    "Department of Health and Social Care",
    "Ministry of Justice",
    "Child Safeguarding Practice Review Panel",
)
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
# Words that precede "Safeguarding Children Partnership" without naming a place.
# fmt: off
GENERIC_PLACE_WORDS = frozenset((
    "a", "an", "the", "local", "each", "every", "all", "any", "our", "your", "their", "this",
    "that", "these", "those", "multi", "multi-agency", "independent", "interim", "statutory",
    "new", "former", "previous", "relevant", "respective", "national", "regional", "lscp",
    "lscps", "named", "other", "three", "partner",
))
# fmt: on
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
MIN_PUBLISHER_SCORE = 6.0

# --- document types ------------------------------------------------------------------------

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
DECLARATION_PAGES = 12
# Review types that a body text can reveal when neither title nor cover did.
BODY_TYPES = frozenset(
    (
        "review_analysis",
        "national_review",
        "local_review",
        "annual_report",
        "thematic_review",
        "inspection_report",
    )
)
PUBLISHER_DEFAULT_TYPES: tuple[tuple[str, str], ...] = (
    ("Children's Commissioner for England", "research_report"),
    ("Association of Directors of Children's Services", "research_report"),
    ("Child Safeguarding Practice Review Panel", "national_review"),
    ("Ofsted", "inspection_report"),
)

# --- title clean-up ------------------------------------------------------------------------

JUNK_TITLE_RE = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint|excel)\b.*|untitled.*|document\d*|presentation\d*"
    r"|powerpoint\s+presentation|slide\s*\d*|title|no\s+title|draft|final|template.*"
    r"|new\s+document|report|guidance|policy|contents|page\s*\d*|\W*)$",
    re.IGNORECASE,
)
FILE_EXT_RE = re.compile(r"\.(?:docx?|pdf|pptx?|xlsx?|indd|rtf|odt|txt|html?)\b", re.IGNORECASE)
SITE_SUFFIX_RE = re.compile(r"\s+[-|–—]\s+(?:GOV\.UK|gov\.uk)\s*$")
# fmt: off
GENERIC_HEADINGS = frozenset((
    "contents", "table of contents", "introduction", "foreword", "preface", "executive summary",
    "summary", "background", "purpose", "scope", "key findings", "overview", "acknowledgements",
    "about this guidance", "about this document", "about this report", "glossary",
))
# fmt: on
META_KEY_RE = re.compile(
    r"^(?:authors?|written\s+by|prepared\s+by|independent\s+(?:author|reviewer)s?|lead\s+reviewers?"
    r"|reviewers?|published|publication\s+date|date|version|status|owner|document\s+owner"
    r"|approved(?:\s+by)?|review\s+date|classification|contact|ref(?:erence)?(?:\s+number)?"
    r"|chair|commissioned\s+by)\b\s*:",
    re.IGNORECASE,
)
# Capitalised notices above a cover's title: "DRAFT - NOT FOR CIRCULATION", "OFFICIAL".
BANNER_WORDS_RE = re.compile(
    r"\b(?:NOT|DRAFT|CONFIDENTIAL|EMBARGO(?:ED)?|SAMPLE|RESTRICTED|OFFICIAL|SENSITIVE"
    r"|PROTECTED|FICTIONAL|PRIVATE|REDACTED)\b"
)
CLASSIFICATION_RE = re.compile(
    r"^(?:research\s+report|policy\s+paper|government\s+response|consultation\s+outcome"
    r"|guidance|official(?:[\s-]+sensitive)?|protected|restricted|confidential|not\s+protectively"
    r"\s+marked|draft|final(?:\s+draft)?|for\s+publication|not\s+for\s+publication|easy\s+read"
    r"|hm\s+government|gov\.uk|logo)\W*$",
    re.IGNORECASE,
)
PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?$", re.IGNORECASE)
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|\b\S+\.(?:org|gov|co|ac|nhs)\.uk\b", re.IGNORECASE
)
BULLET_RE = re.compile(r"^(?:[•◼▪■●➢►✓☑\-–*]|o\s|\d+[.)]\s)")
# fmt: off
SMALL_WORDS = frozenset((
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on",
    "or", "the", "to", "up", "upon", "via", "with",
))
# fmt: on


@dataclass(frozen=True)
class DocMeta:
    """What kb knows about a document before it is chunked."""

    title: str
    publisher: str
    year: int | None
    doc_type: str
    source_url: str = ""


# === sidecars ==============================================================================


def load_sidecar(folder: Path) -> dict[str, dict[str, Any]]:
    """Read ``metadata.csv``/``metadata.yaml``/``metadata.yml`` in ``folder``, if any.

    Returns file name -> fields (``title``, ``publisher``, ``year``, ``doc_type``,
    ``source_url``, ``fictional``), each normalised: strings stripped, ``year`` an int or
    None, ``doc_type`` one of :data:`kb.records.DOC_TYPES` or ``""`` when left blank,
    ``fictional`` a bool. Unknown columns are ignored. A malformed manifest raises
    :class:`~kb.errors.ConfigError` naming the file and the row.
    """
    present = [folder / name for name in SIDECAR_NAMES if (folder / name).is_file()]
    if not present:
        return {}
    if len(present) > 1:
        # Two manifests could disagree silently; make the person pick one.
        names = ", ".join(p.name for p in present)
        raise ConfigError(f"{folder}: more than one metadata sidecar ({names}); keep one")
    path = present[0]
    rows = _read_csv(path) if path.suffix == ".csv" else _read_yaml(path)
    out: dict[str, dict[str, Any]] = {}
    for where, row in rows:
        file_name = str(row.get("file") or "").strip().removeprefix("./")
        if not file_name:
            raise ConfigError(f"{path.name}: {where}: no 'file' given")
        if file_name in out:
            raise ConfigError(f"{path.name}: {where}: {file_name!r} is listed twice")
        try:
            out[file_name] = normalise_fields(row)
        except ConfigError as exc:
            raise ConfigError(f"{path.name}: {where} ({file_name}): {exc}") from None
    return out


def normalise_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """Coerce one manifest row's known fields; raises ConfigError on a bad year or type."""
    fields: dict[str, Any] = {}
    for name in ("title", "publisher", "source_url"):
        value = row.get(name)
        fields[name] = " ".join(str(value).split()) if value is not None else ""
    fields["year"] = _coerce_year(row.get("year"))
    fields["doc_type"] = _coerce_doc_type(row.get("doc_type"))
    fields["fictional"] = _coerce_bool(row.get("fictional"))
    return fields


def _read_csv(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        # utf-8-sig: spreadsheets save a byte-order mark that would otherwise rename "file".
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            if "file" not in header:
                raise ConfigError(f"{path.name}: header has no 'file' column")
            rows: list[tuple[str, dict[str, Any]]] = []
            for raw in reader:
                clean = {(k or "").strip().lower(): v for k, v in raw.items() if isinstance(v, str)}
                if not any((v or "").strip() for v in clean.values()):
                    continue
                rows.append((f"row {reader.line_num}", clean))
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from exc


def _read_yaml(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from exc
    if data is None:
        return []
    rows: list[tuple[str, dict[str, Any]]] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            if value is None:
                value = {}
            if not isinstance(value, Mapping):
                raise ConfigError(f"{path.name}: entry {key!r}: expected a mapping of fields")
            rows.append((f"entry {key!r}", {**_lower_keys(value), "file": str(key)}))
    elif isinstance(data, list):
        for i, item in enumerate(data, start=1):
            if not isinstance(item, Mapping):
                raise ConfigError(f"{path.name}: item {i}: expected a mapping with a 'file' key")
            rows.append((f"item {i}", _lower_keys(item)))
    else:
        raise ConfigError(f"{path.name}: expected a mapping of file names or a list of entries")
    return rows


def _lower_keys(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in value.items()}


def _coerce_year(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"year {value!r} is not a four-digit year")
    if isinstance(value, int):
        year = value
    elif isinstance(value, date):
        year = value.year
    else:
        text = str(value).strip()
        if not text:
            return None
        if not re.fullmatch(r"\d{4}(?:\.0)?", text):
            raise ConfigError(f"year {text!r} is not a four-digit year")
        year = int(float(text))
    if not 1900 <= year <= 2100:
        raise ConfigError(f"year {year} is out of range")
    return year


def _coerce_doc_type(value: Any) -> str:
    text = str(value or "").strip().lower()
    if not text:
        return ""
    text = re.sub(r"[\s-]+", "_", text)
    if text not in DOC_TYPES:
        raise ConfigError(f"unknown doc_type {value!r} (expected one of: {', '.join(DOC_TYPES)})")
    return text


def _coerce_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "n", "off"):
        return False
    if text in ("1", "true", "yes", "y", "on"):
        return True
    raise ConfigError(f"fictional {value!r} is not true or false")


def merge(sidecar: Mapping[str, Any] | None, extracted: DocMeta) -> DocMeta:
    """Sidecar fields win over extracted ones wherever the sidecar gives a non-empty value."""
    if not sidecar:
        return extracted
    given = normalise_fields(sidecar)
    return DocMeta(
        title=given["title"] or extracted.title,
        publisher=given["publisher"] or extracted.publisher,
        year=given["year"] if given["year"] is not None else extracted.year,
        doc_type=given["doc_type"] or extracted.doc_type,
        source_url=given["source_url"] or extracted.source_url,
    )


# === extraction ============================================================================


def extract_metadata(
    file_name: str, pages: Sequence[str], pdf_info: Mapping[str, str] | None = None
) -> DocMeta:
    """Guess a document's title, publisher, year and type from its pages' text.

    ``pages`` is the text of each page in order (an HTML or DOCX file is one page);
    ``pdf_info`` is the PDF information dictionary as pypdfium2's ``get_metadata_dict()``
    returns it (``Title``, ``Author``, ``CreationDate``, ``ModDate``...). HTML callers can
    pass the ``<title>`` as ``Title``, and any document's publishing organisation as
    ``Author``. Never raises on odd input: a field it cannot find is left empty.
    """
    info = {str(k).lower(): " ".join(str(v).split()) for k, v in (pdf_info or {}).items() if v}
    texts = [_clean_page(p) for p in pages]
    head = texts[:HEAD_PAGES]
    tail = texts[-TAIL_PAGES:] if len(texts) > HEAD_PAGES else []

    text_title = _title_from_text(head, info.get("title", ""))
    info_title = _title_from_info(info.get("title", ""), head)
    if info_title and text_title and _comes_after(info_title, text_title, head):
        # A "Title" that the cover prints below another title block is a section heading
        # (parsers of DOCX and HTML report the first heading they meet).
        info_title = ""
    title = info_title or text_title or title_from_file_name(file_name)

    publisher = _publisher(texts, info.get("author", ""))
    year = _year(head, tail, info, title, text_title, file_name)
    titles = [t for t in (info_title, text_title) if t]
    doc_type = _doc_type(titles, texts[:DECLARATION_PAGES], file_name, publisher)
    return DocMeta(title=title, publisher=publisher, year=year, doc_type=doc_type)


def title_from_file_name(file_name: str) -> str:
    """``Some_file-name_2023.pdf`` -> ``Some file name 2023``."""
    stem = Path(file_name).stem
    words = re.sub(r"[_\-+.]+", " ", stem)
    return " ".join(words.split()) or file_name


def _clean_page(text: str) -> str:
    # pdfium marks soft hyphens with U+FFFE; CRLF and NBSP would spoil line matching.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufffe", "-").replace("\u00ad", "-").replace("\u00a0", " ")
    return text.replace("\x0c", "\n")


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n")]


# --- title ---------------------------------------------------------------------------------


def _title_from_info(raw: str, head: Sequence[str]) -> str:
    """The PDF's Title entry, unless it is a placeholder or belongs to another document."""
    title = SITE_SUFFIX_RE.sub("", raw).strip(" -–|")
    if not _meaningful_title(title):
        return ""
    # Templates carry the title of whatever document they were copied from; trust the entry
    # only if most of its words are on the first pages.
    words = _tokens(title)
    body = set(_tokens(" ".join(head)))
    if body and words and sum(w in body for w in words) / len(words) < 0.5:
        return ""
    return _tidy_title(title, head)


def _comes_after(info_title: str, text_title: str, head: Sequence[str]) -> bool:
    """True when the page prints ``info_title`` only below the whole ``text_title`` block."""
    page = " " + " ".join(_tokens(next((p for p in head if p.strip()), ""))) + " "
    text = " ".join(_tokens(text_title))
    at_info = page.find(" " + " ".join(_tokens(info_title)) + " ")
    at_text = page.find(" " + text + " ")
    return at_text >= 0 and at_text + len(text) < at_info


def _meaningful_title(title: str) -> bool:
    if len(title) < 4 or JUNK_TITLE_RE.match(title) or FILE_EXT_RE.search(title):
        return False
    if title.endswith(":") or title.lower() in GENERIC_HEADINGS:
        return False  # a section label such as "Policy Statement:"
    # One word ("Threshold", "Final-Report-2023") or a file name ("LSCP_Factsheet_v3").
    if len(title.split()) < 2 or "_" in title:
        return False
    # A bare type label ("Local Child Safeguarding Practice Review") left by a template.
    label = re.sub(rf"^(?:an?|the)\s+|\s*\b{_YEAR}\b", "", title, flags=re.IGNORECASE).strip()
    if any(
        re.fullmatch(rf"(?:{pattern})\w*", label, re.IGNORECASE)
        for pattern, _type in (*STRONG_TYPE_RULES, *WEAK_TYPE_RULES)
    ):
        return False
    letters = sum(c.isalpha() for c in title)
    return letters >= 0.6 * len(title.replace(" ", ""))


def _title_from_text(head: Sequence[str], info_title: str) -> str:
    if not head:
        return ""
    page_index = 0
    # An image-only cover leaves page 1 without text; the title is then on page 2.
    while page_index < len(head) - 1 and len(head[page_index].strip()) < 20:
        page_index += 1
    lines = _lines(head[page_index])[: COVER_LINES * 3]
    others = [_lines(p) for i, p in enumerate(head) if i != page_index]
    # Running headers such as "Revised Threshold Guidance 11/4/2022 FINAL" label a version,
    # not the title; a header that merely repeats the title carries no date and is kept.
    repeated = {
        line
        for other in others
        for line in other[:3] + other[-3:]
        if len(line) > 3 and re.search(r"\d", line)
    }

    letter = _letter_subject(lines, repeated)
    if letter:
        return _tidy_title(letter, head)

    block, end = _title_block(lines, 0, repeated)
    title = _join_title(block)
    if not title or _weak_block(block, lines, end):
        caps = _caps_title(lines)
        if caps:
            title = caps
    if not title:
        title = _expand_short_info_title(lines, info_title)
    return _tidy_title(title, head) if title else ""


def _letter_subject(lines: Sequence[str], repeated: set[str]) -> str:
    """Ofsted and other letters: the subject line follows the salutation."""
    for i, line in enumerate(lines[:COVER_LINES]):
        if re.match(r"^Dear\s+\S", line):
            block, _ = _title_block(lines, i + 1, repeated)
            return _join_title(block)
    return ""


def _skippable(line: str, repeated: set[str]) -> bool:
    """Lines that sit above a title on a cover: page numbers, markings, logos, dates."""
    if not line or not re.search(r"[A-Za-z]", line):
        return True
    if (
        PAGE_NUMBER_RE.match(line)
        or CLASSIFICATION_RE.match(line)
        or DATE_LINE_RE.match(line)
        or URL_RE.fullmatch(line)
        or line in repeated
    ):
        return True
    if re.match(r"^(?:©|\(c\)|copyright\b)", line, re.IGNORECASE):
        return True
    if _mostly_caps(line) and BANNER_WORDS_RE.search(line):
        return True
    # "12Figure", "v5": layout debris with no spaces, mixing digits and letters.
    if " " not in line and re.search(r"\d", line):
        return True
    if re.match(r"^(?:version|v)\s*\d", line, re.IGNORECASE):
        return True
    return _is_org_line(line)


def _is_org_line(line: str) -> bool:
    """A line that is only an organisation's name (a logo or letterhead)."""
    # "Brent Safeguarding Children Partnership (BSCP)": the acronym is part of the logo.
    stripped = re.sub(r"\s*\([^)]*\)$", "", line).strip(" .,:")
    for _name, pattern in KNOWN_PUBLISHERS:
        if re.fullmatch(rf"(?:the\s+)?(?:{pattern})", stripped, re.IGNORECASE):
            return True
    m = PARTNERSHIP_RE.fullmatch(stripped)
    return bool(m and _partnership_name(m)) or bool(ORG_LINE_RE.match(line))


def _title_block(lines: Sequence[str], start: int, repeated: set[str]) -> tuple[list[str], int]:
    """The first run of title-like lines from ``start``; returns it and where it stopped."""
    i = start
    while i < len(lines) and i < start + COVER_LINES and _skippable(lines[i], repeated):
        i += 1
    block: list[str] = []
    blanks = 0
    while i < len(lines) and len(block) < MAX_TITLE_LINES:
        line = lines[i]
        if not line:
            blanks += 1
            if block and blanks >= 3:
                break
            i += 1
            continue
        blanks = 0
        low = line.lower().strip(" :.")
        if low in GENERIC_HEADINGS or META_KEY_RE.match(line) or BULLET_RE.match(line):
            break
        if block and (re.fullmatch(_YEAR, line) or YEAR_RANGE_RE.fullmatch(line.strip("()"))):
            block.append(line)  # "Working Together to Safeguard Children / 2023", "2022/23"
            i += 1
            continue
        if block and (_skippable(line, repeated) or line.endswith(":")):
            break
        words = line.split()
        if len(words) > (16 if block else 25) or (line.endswith(".") and len(words) > 5):
            break
        if _starts_prose(lines, i):
            break
        if line.endswith("?"):
            if not block:
                block.append(line)
            break
        if SITE_SUFFIX_RE.search(line):
            block.append(SITE_SUFFIX_RE.sub("", line))  # an HTML page's <title>
            break
        block.append(line)
        if sum(len(b) + 1 for b in block) > MAX_TITLE_CHARS:
            break
        i += 1
    return block, i


def _starts_prose(lines: Sequence[str], i: int) -> bool:
    """A long line that wraps on into a sentence is body text, not a title."""
    line = lines[i]
    if len(line.split()) < 9:
        return False
    if line.endswith((".", ";")) or re.search(r"[a-z]\.\s+[A-Z]", line):
        return True
    following = [n for n in lines[i + 1 : i + 5] if n]
    if not following:
        return False
    if following[0][:1].islower():
        return True
    # "... the threshold for Police or" runs on; a sentence ends a line or two later.
    runs_on = line.endswith(",") or line.split()[-1].lower() in SMALL_WORDS
    return runs_on and any(
        n.endswith((".", ";")) or re.search(r"[a-z]\.\s+[A-Z]", n) for n in following[:3]
    )


def _weak_block(block: Sequence[str], lines: Sequence[str], end: int) -> bool:
    """A lone short line straight above prose is more likely a label than a title."""
    if len(block) != 1 or len(block[0].split()) > 6 or _mostly_caps(block[0]):
        return False
    nxt = next((n for n in lines[end : end + 2] if n), "")
    return len(nxt.split()) >= 10


def _caps_title(lines: Sequence[str]) -> str:
    """The first multi-word ALL-CAPS line on the page, as flowcharts and posters set titles."""
    for line in lines[: COVER_LINES * 2]:
        if (
            len(line.split()) >= 4
            and _mostly_caps(line)
            and not _skippable(line, set())
            and line.lower().strip(" :.") not in GENERIC_HEADINGS
        ):
            return line
    return ""


def _expand_short_info_title(lines: Sequence[str], info_title: str) -> str:
    """A one-word Title entry ("Threshold") often begins the real title line on the page."""
    word = info_title.strip()
    if not word or " " in word or len(word) < 4:
        return ""
    for line in lines:
        n = len(line.split())
        if 2 <= n <= 15 and line.lower().startswith(word.lower()) and not line.endswith("."):
            return line
    return ""


def _join_title(block: Sequence[str]) -> str:
    """Join a title block's lines, marking a subtitle with a colon.

    A title that already reads "Review: Child H" drops its subtitle, which only describes
    the case; otherwise the subtitle follows a colon ("... 2024: Statutory guidance for...").
    """
    text = ""
    for line in block:
        if not text:
            text = line
        elif text.endswith("-") and not text.endswith(" -"):
            # Split at a hyphen: "Multi-/Agency" keeps it, "safe-/guarding" was a line break.
            text = (text[:-1] if line[:1].islower() else text) + line
        elif _starts_subtitle(text, line):
            if ":" in text:
                break
            text = f"{text.rstrip(' :–-')}: {line}"
        else:
            text = f"{text} {line}"
    return text.strip(" :-–,;")


def _starts_subtitle(before: str, line: str) -> bool:
    """A sentence-case line after a complete phrase starts a subtitle."""
    last = before.split()[-1].lower() if before.split() else ""
    if last in SMALL_WORDS or before.endswith((",", "&", "-", "–")) or not line[:1].isupper():
        return False
    words = [w for w in line.split()[1:] if w.lower() not in SMALL_WORDS and w[:1].isalpha()]
    if len(words) < 2 or _mostly_caps(line):
        return False
    return sum(w[:1].islower() for w in words) >= 0.5 * len(words)


def _mostly_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _tidy_title(title: str, head: Sequence[str]) -> str:
    title = " ".join(title.split()).strip(" :-–,;")
    if not _mostly_caps(title):
        return title
    # Keep acronyms that the body writes in capitals inside ordinary sentences.
    acronyms = {
        w
        for line in _lines("\n".join(head))
        if not _mostly_caps(line)
        for w in re.findall(r"\b[A-Z]{2,}s?\b", line)
    }
    out: list[str] = []
    for i, word in enumerate(title.split()):
        core = word.strip("()[],:;.'’\"")
        if core in acronyms or core.rstrip("S") in acronyms:
            out.append(word)
        elif i > 0 and word.lower() in SMALL_WORDS:
            out.append(word.lower())
        else:
            out.append("-".join(p[:1].upper() + p[1:].lower() for p in word.split("-")))
    return " ".join(out)


# --- year ----------------------------------------------------------------------------------


def _year(
    head: Sequence[str],
    tail: Sequence[str],
    info: Mapping[str, str],
    title: str,
    text_title: str,
    file_name: str,
) -> int | None:
    """Score every dated clue and keep the best; ties go to the latest year."""
    latest = date.today().year + 1
    candidates: list[tuple[float, int]] = []

    def add(score: float, year: int | None) -> None:
        if year is not None and MIN_YEAR <= year <= latest:
            candidates.append((score, year))

    for page_no, text in enumerate([*head, *tail]):
        in_head = page_no < len(head)
        lines = _lines(text)
        if page_no == 0 and in_head:
            lines = lines[: COVER_LINES * 3]
        for i, line in enumerate(lines):
            if not line or NOT_PUBLICATION_RE.search(line):
                continue
            m = PUBLISHED_RE.match(line)
            if not m and PUBLISHED_LABEL_RE.match(line):
                # GOV.UK pages put "Published" and its date on separate lines.
                nxt = next((n for n in lines[i + 1 : i + 3] if n), "")
                m = DATE_LINE_RE.match(nxt)
            if m:
                add(100, _date_year(m))
                continue
            m = DATE_LINE_RE.match(line)
            if m and in_head:
                y = _date_year(m)
                add({0: 90.0, 1: 70.0}.get(page_no, 55.0), y)
                continue
            if in_head and page_no == 0:
                period = _period_end(line)
                if period:
                    add(45, period)
                for dm in DATE_RE.finditer(line):
                    if not _inside_range(line, dm.start(), dm.end()):
                        add(50, _date_year(dm))
        for cm in COPYRIGHT_RE.finditer(text):
            add(75, _int(cm.group("y_end")) or _int(cm.group("y")))

    for source in {title, text_title}:
        single = _single_year(source)
        if single:
            add(60, single)
        period = _period_end(source)
        if period:
            add(45, period)
    stem = Path(file_name).stem
    m = DATE_RE.search(stem.replace("_", " "))
    add(42, _date_year(m) if m else _single_year(re.sub(r"[_\-]+", " ", stem)))
    for key, score in (("creationdate", 40.0), ("moddate", 38.0)):
        pm = PDF_DATE_RE.match(info.get(key, ""))
        if pm:
            add(score, int(pm.group("y")))

    if not candidates:
        return None
    return max(candidates)[1]


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _date_year(m: re.Match[str]) -> int | None:
    for group in ("y", "y2", "y3", "y4"):
        value = m.groupdict().get(group)
        if value:
            return int(value)
    return None


def _inside_range(line: str, start: int, end: int) -> bool:
    """True when a date is one end of a period such as "April 2023 to March 2024"."""
    before = line[max(0, start - 4) : start]
    after = line[end : end + 5]
    return bool(re.search(r"(?:-|–|—|to)\s*$", before) or re.match(r"\s*(?:-|–|—|to)\s", after))


def _single_year(text: str) -> int | None:
    """A year standing alone in a title ("... 2024"), not one end of a period."""
    masked = YEAR_RANGE_RE.sub(" ", text)
    years = {int(y) for y in YEAR_RE.findall(masked)}
    return years.pop() if len(years) == 1 else None


def _period_end(text: str) -> int | None:
    m = YEAR_RANGE_RE.search(text)
    if not m:
        return None
    start, end = m.group("start"), m.group("end")
    end_year = int(start[:2] + end) if len(end) == 2 else int(end)
    return end_year if 0 < end_year - int(start) <= 5 else None


# --- publisher -----------------------------------------------------------------------------


def _publisher(texts: Sequence[str], author: str) -> str:
    """Score organisations by where and how often they are named; keep the best."""
    if not texts:
        return _org_author(author)
    scores: dict[str, float] = {}

    def add(name: str, score: float) -> None:
        if name:
            scores[name] = scores.get(name, 0.0) + score

    cover = "\n".join(_lines(texts[0])[:COVER_LINES])[:COVER_CHARS]
    colophon = "\n".join(_lines(texts[-1])[-COVER_LINES:]) if len(texts) > 1 else ""
    ends = f"{cover}\n{colophon}"
    # A web address on a line of its own is a logo or a contact block, not a citation.
    sites = "\n".join(
        line for line in ends.split("\n") if URL_RE.search(line) and len(line.split()) <= 4
    )
    body = "\n".join(texts)

    for name, pattern in KNOWN_PUBLISHERS:
        # Case matters: "research in practice" is a phrase, "Research in Practice" a charity.
        rx = re.compile(pattern)
        count = len(rx.findall(body))
        if count:
            add(name, min(count, 10.0))
        if rx.search(cover):
            add(name, 8)
        if colophon and rx.search(colophon):
            add(name, 4)
        if author and rx.search(author):
            add(name, 15)

    partnerships = _partnerships(body)
    for name, count in partnerships.items():
        # Local documents rarely name another area's partnership, so one mention counts.
        add(name, min(count, 10.0) + 5)
        place = name.split(" Safeguarding")[0].split(" Children")[0]
        place_hits = len(re.findall(rf"\b{re.escape(place)}\b", body))
        add(name, min(max(place_hits - count, 0), 10) / 2)
        # Partnerships call themselves "the LSCP" far more often than by name.
        acronym = re.escape(_acronym(name))
        if len(acronym) >= 3:
            hits = len(re.findall(rf"\b{acronym}\b", body))
            add(name, min(hits, 10) / 2 + (6 if re.search(rf"\b{acronym}\b", cover) else 0))
    for name in _partnerships(cover):
        add(name, 8)
    for line in _lines(texts[0])[:LETTERHEAD_LINES]:
        if ORG_LINE_RE.match(line) and line.split()[0].lower() not in GENERIC_PLACE_WORDS:
            add(_canonical(re.sub(r"\s+\([A-Z]+\)$", "", line)), 7)

    org = _org_author(author)
    if org and org not in scores:
        add(org, 15)

    # A copyright holder or web address on the cover or colophon says whose it is.
    crown = bool(re.search(r"\bCrown\s+copyright\b", body, re.IGNORECASE))
    for cm in COPYRIGHT_RE.finditer(ends):
        holder = cm.group("holder").strip(" .,")
        if re.search(r"\bcrown\b", holder, re.IGNORECASE):
            crown = True
        elif holder:
            add(_canonical(holder), 12)
    if crown:
        named = [n for n in CROWN_BODIES if scores.get(n)]
        if named:
            add(max(named, key=lambda n: scores[n]), 10)
    for name, pattern in DOMAIN_PUBLISHERS:
        if re.search(pattern, sites, re.IGNORECASE):
            add(name, 8)
    for by in PUBLISHED_BY_RE.finditer("\n".join([*texts[:HEAD_PAGES], colophon])):
        name = _canonical(by.group("org"))
        # "Produced by Jane Smith" names the reviewer, not the publisher.
        if name in scores or ORG_WORDS_RE.search(name):
            add(name, 15)
    own = OWN_POLICY_RE.search(texts[0][:3000])
    if own:
        add(_canonical(own.group("org")), 10)
    # Ofsted letters are signed by "His Majesty's Inspector" and may never say "Ofsted".
    if re.search(rf"His\s+Majesty{_APOS}s\s+Inspectors?\b", body):
        add("Ofsted", 6)

    if not scores:
        return ""
    best, score = max(scores.items(), key=lambda kv: (kv[1], len(kv[0])))
    return best if score >= MIN_PUBLISHER_SCORE else ""


def _canonical(name: str) -> str:
    name = " ".join(name.split()).strip(" .,;:")
    name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    for canonical, pattern in KNOWN_PUBLISHERS:
        if re.fullmatch(rf"(?:{pattern})", name, re.IGNORECASE):
            return canonical
    m = PARTNERSHIP_RE.fullmatch(name)
    if m:
        return _partnership_name(m) or name
    # "SafeLives 2019. Please acknowledge..." leaves trailing words on a holder.
    return name


def _org_author(author: str) -> str:
    """The Author entry when it names an organisation rather than a person."""
    author = author.strip()
    if not author or "," in author or "(" in author or "@" in author:
        return ""
    for canonical, pattern in KNOWN_PUBLISHERS:
        if re.search(pattern, author, re.IGNORECASE):
            return canonical
    return author if ORG_WORDS_RE.search(author) else ""


def _partnerships(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in PARTNERSHIP_RE.finditer(text):
        name = _partnership_name(m)
        if name:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _partnership_name(m: re.Match[str]) -> str:
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


# --- type ----------------------------------------------------------------------------------


def _doc_type(titles: Sequence[str], pages: Sequence[str], file_name: str, publisher: str) -> str:
    """Strong phrases on the title or cover, then title words, body, file name, publisher."""
    cover = "\n".join(_lines(pages[0])[:COVER_LINES]) if pages else ""
    for text in [*titles, cover]:
        found = _first_rule(STRONG_TYPE_RULES, text)
        if found:
            return found
    # Contents lines name the chapters ("Local child safeguarding practice reviews 112"),
    # not what the document is.
    body_lines = [
        line
        for line in _lines("\n".join(pages[:DECLARATION_PAGES]))
        if not re.search(r"(?:\.{3,}|\s)\d{1,3}$", line)
    ]
    found = ""
    for text in titles:
        found = _first_rule(WEAK_TYPE_RULES, text)
        if found:
            break
    # Statutory guidance is guidance that says so in its status section, which may follow
    # a cover calling it only "a guide"; a policy or a procedure quoting statute is not.
    if found in ("", "practice_guidance") and STATUTORY_DECLARATION_RE.search(" ".join(body_lines)):
        return "statutory_guidance"
    if found:
        return found
    body = "\n".join(body_lines[: COVER_LINES * HEAD_PAGES])
    found = _first_rule(STRONG_TYPE_RULES, body)
    if found in BODY_TYPES:
        return found
    found = _first_rule(STRONG_TYPE_RULES + WEAK_TYPE_RULES, title_from_file_name(file_name))
    if found:
        return found
    for name, doc_type in PUBLISHER_DEFAULT_TYPES:
        if publisher == name:
            return doc_type
    if re.search(r"\breport\b", " ".join(titles), re.IGNORECASE):
        return "research_report"
    return "other"


def _first_rule(rules: Iterable[tuple[str, str]], text: str) -> str:
    """The type whose phrase occurs earliest in ``text`` (first rule wins a tie)."""
    best: tuple[int, int, str] | None = None
    for order, (pattern, doc_type) in enumerate(rules):
        m = re.search(pattern, text, re.IGNORECASE)
        if m and (best is None or (m.start(), order) < best[:2]):
            best = (m.start(), order, doc_type)
    return best[2] if best else ""


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "").replace("'", ""))
