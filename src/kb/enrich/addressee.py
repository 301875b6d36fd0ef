"""Who a recommendation asks to act, at which level, and whom a question is for.

A recommendation names its addressee as the subject of its ask ("NHS England
should ...", "... the local authority should ...") or after "recommends that"
("We recommend that safeguarding partners make sure ..."). The subject, not any
body mentioned later, decides the level: "The board should write to the
Department for Education" is a local recommendation. National bodies are a
closed list (government departments, inspectorates, national health and justice
bodies, the Panel); anything else that is named is local, and a section heading
("National recommendations", "Recommendations for local areas") decides when
the subject is not recognised.
"""

from __future__ import annotations

import re

NATIONAL = "national"
LOCAL = "local"

_NATIONAL_BODY = re.compile(
    r"\b(?:department (?:for|of)\b|dfe\b|dhsc\b|home office|ministry (?:of|for)\b"
    r"|nhs england|nhs improvement|ofsted|cafcass|care quality commission|cqc\b"
    r"|hm (?:government|treasury|inspectorate|prison)|hmicfrs|government\b"
    r"|secretary of state|ministers?\b|parliament|cabinet office"
    r"|(?:child safeguarding practice )?review panel|the panel\b|national panel"
    r"|youth justice board|college of policing|national police chiefs|npcc\b"
    r"|uk health security agency|ukhsa|public health england|health education england"
    r"|social work england|crown prosecution service|probation service"
    r"|ofqual|what works centre|national (?:health|crime|institute|safeguarding)"
    r"|welsh government|scottish government|general medical council|royal college)",
    re.IGNORECASE,
)
_LOCAL_BODY = re.compile(
    r"\b(?:partnerships?|partners|board|lscbs?|lscps?|authorit(?:y|ies)|council"
    r"|children'?s (?:social care|services)|adult (?:social care|services)|police"
    r"|constabulary|schools?|academ(?:y|ies)|health visit\w*|midwi\w*|gps?\b|camhs"
    r"|trusts?\b|hospitals?|clinical commissioning|icbs?\b|integrated care|lado"
    r"|practitioners|agencies|services?\b|directors?|commissioners|providers?|teams?"
    r"|managers|leaders)",
    re.IGNORECASE,
)
# A section heading that says which level its recommendations are for.
_NATIONAL_HEADING = re.compile(r"\bnational\b|\bgovernment\b|\bfor the department", re.I)
_LOCAL_HEADING = re.compile(r"\blocal\b|\bpartnerships?\b|\bagenc(?:y|ies)\b|\barea", re.I)

# What precedes the addressee in a recommendation.
_LEAD = re.compile(
    r"^\s*(?:(?:key )?recommendation\s*\d*[a-z]?\s*[:.)\u2013-]\s*|r\d+[:.)]\s*"
    r"|\(?\d{1,2}(?:\.\d+)+[.)]?\s+|\(?\d{1,2}[.)]\s+|[a-z][.)]\s+|[-\u2022*]\s+)+",
    re.IGNORECASE,
)
_RECOMMEND_THAT = re.compile(
    r"\b(?:we|the panel|panel|this review|the review|the report|this report|the partnership"
    r"|the board|the authors?|it is|the analysis)\s+(?:also\s+|therefore\s+|further\s+)?"
    r"(?:recommends?|is recommended|recommend)\s+(?:that\s*:?\s+)?",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"\s+(?:should|must|shall|will|needs? to|is asked to|are asked to|is invited to"
    r"|are invited to|is requested to|are requested to|to consider)\b",
    re.IGNORECASE,
)
# The verb after "recommend that X ...": X ends before the first of these.
_VERB = re.compile(
    r"\s+(?:should|must|is|are|will|shall|make|makes|set|sets|work|works|test|tests|ensure"
    r"|ensures|require|requires|keep|keeps|record|records|review|reviews|consider|considers"
    r"|develop|develops|commission|commissions|establish|establishes|introduce|introduces"
    r"|produce|produces|provide|provides|publish|publishes|agree|agrees|undertake"
    r"|undertakes|take|takes|seek|seeks|use|uses|give|gives|issue|issues|amend|amends"
    r"|update|updates|write|writes|lead|leads|include|includes|hold|holds|assure|assures"
    r"|strengthen|strengthens|convene|convenes|promote|promotes|explore|explores|create"
    r"|creates|adopt|adopts|extend|extends|audit|audits|bring|brings|raise|raises"
    r"|consult|consults|continue|continues|embed|embeds|improve|improves|monitor|monitors"
    r"|put|puts|share|shares|do|does|act|acts|train|trains|ask|asks|offer|offers)\b",
    re.IGNORECASE,
)
_MAX_ADDRESSEE_WORDS = 14
_AGENT = re.compile(r"\s+by\s+((?:the\s+)?[A-Z][^,;.()]*?)(?=\s+(?:to|in|for|with)\b|[,;.(]|$)")
_TO_VERB = re.compile(r"^(?:[Ff]or\s+(?=[a-z]))?([A-Za-z][^,;:.]{1,80}?)\s+to\s+[a-z]+\b")
_PASSIVE = re.compile(
    r"\s+(?:also\s+|always\s+|only\s+|never\s+)?be\s+\w+(?:ed|en|wn|un|lt|t)\b", re.I
)
# Plural nouns that name bodies, so "local authorities, schools ... work" is not
# cut at "authorities" as if it were a verb in -s.
_PLURAL_BODY = re.compile(
    r"(?:authorities|partners|partnerships|schools|services|agencies|practitioners|trusts"
    r"|boards|forces|councils|professionals|providers|commissioners|leaders|managers|teams"
    r"|nurses|visitors|midwives|colleges|academies|hospitals|settings|homes|bodies"
    r"|organisations|organizations|departments|areas|lscps|lscbs|icbs|gps|officers"
    r"|workers|staff|directors|colleagues|clinicians|paediatricians|inspectorates|courts)"
)

_AUDIENCES = (
    (
        "partnerships",
        re.compile(r"\bpartnerships?\b|\bsafeguarding partners\b|\bboards?\b|\blscps?\b", re.I),
    ),
    (
        "leaders",
        re.compile(
            r"\bleaders?\b|\bmanagers?\b|\bleadership\b|\bsenior\b|\bstrategic\b|\bdirectors?\b",
            re.I,
        ),
    ),
    (
        "practitioners",
        re.compile(
            r"\bpractitioners?\b|\bfront-?line\b|\bstaff\b|\bprofessionals\b|\bworkers\b", re.I
        ),
    ),
)
_OWN_WORDS_AUDIENCE = re.compile(r"\b(?:your|our) (?:partnership|board|area)\b", re.I)


def addressee_of(text: str) -> str | None:
    """The body a recommendation asks to act, as the text names it, or None."""
    body = _LEAD.sub("", " ".join(text.split()), count=1)
    m = _RECOMMEND_THAT.search(body)
    if m:
        return _clean(_subject_before_verb(body[m.end() :]))
    ask = _ASK.search(body)
    if ask is None:
        # "Hartwell Council to review ..." / "For the LSCPs to work with ...".
        m = _TO_VERB.match(body)
        return _clean(m.group(1)) if m else None
    passive = _PASSIVE.match(body, ask.end())
    if passive:
        # "... must be established by DfE and NHS England": the agent is asked;
        # "Exclusions should be followed up" names nobody.
        agent = _AGENT.match(body, passive.end())
        return _clean(agent.group(1)) if agent else None
    subject = body[: ask.start()]
    # "When a parent asks ..., the local authority should": the clause before the ask.
    subject = re.split(r"[,;:]\s+|(?<=[a-z)])\.\s+", subject)[-1]
    return _clean(subject)


def _subject_before_verb(rest: str) -> str:
    """ "Ofsted looks at ..." -> "Ofsted": the words before the first verb, where a
    verb is a listed one or a lower-case word in -s that names no body ("checks",
    but not "partners" or "services")."""
    words = rest.split()
    for i, word in enumerate(words):
        bare = word.strip(",;:.")
        if i and _VERB.fullmatch(" " + bare):
            return " ".join(words[:i])
        plural = bare.endswith("s") and not bare.endswith(("'s", "ss"))
        if i and bare.islower() and plural and not _PLURAL_BODY.fullmatch(bare):
            return " ".join(words[:i])
    return ""


def _clean(phrase: str) -> str | None:
    words = phrase.strip(" ,;:.'\"").split()
    if not words or len(words) > _MAX_ADDRESSEE_WORDS:
        return None
    if words[0].lower() in {"it", "this", "that", "there", "they", "which", "who"}:
        return None
    phrase = " ".join(words)
    # A body, not a thing: "Exclusions should lead to ..." names nobody.
    capitals = sum(1 for w in words if w[:1].isupper() and w.lower() not in {"the", "a"})
    if _NATIONAL_BODY.search(phrase) or _LOCAL_BODY.search(phrase) or capitals >= 2:
        return phrase
    return None


def level_of(addressee: str | None, headings: tuple[str, ...] = ()) -> str:
    """``national`` or ``local``: the addressee when it is recognised, else the
    nearest heading that says, else local (most recommendations are)."""
    if addressee:
        if _NATIONAL_BODY.search(addressee) and not re.search(r"\blocal\b", addressee, re.I):
            return NATIONAL
        if _LOCAL_BODY.search(addressee):
            return LOCAL
    for heading in reversed(headings):
        national = bool(_NATIONAL_HEADING.search(heading))
        local = bool(_LOCAL_HEADING.search(heading))
        if national != local:
            return NATIONAL if national else LOCAL
    return LOCAL


def audience_of(context: str) -> str | None:
    """Whom a heading or lead-in addresses its questions to, when it says."""
    found = [name for name, pattern in _AUDIENCES if pattern.search(context)]
    return found[0] if len(found) == 1 else None


def audience_in_question(question: str) -> str | None:
    """A question that speaks of "your partnership" is for partnerships."""
    return "partnerships" if _OWN_WORDS_AUDIENCE.search(question) else None
