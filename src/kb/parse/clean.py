"""Text clean-up for extracted pages: pure functions, no I/O.

PDF text layers carry typesetting debris: ligature glyphs, words hyphenated
across line ends, running headers and footers, bare page numbers and ragged
whitespace. Each function here removes one kind of debris so it can be tested
on hand-made input.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
# Characters that only ever stand for a space or nothing in running text.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2009\u202f\u3000\t\f\v"), " ")
# pdfium marks a hyphen that the typesetter put at a line end with U+FFFE.
SOFT_BREAK = "\ufffe"

# A bare page number: "12", "Page 3 of 40", "iv". Not a year on its own line (a
# cover's "2023"), nor a word spelt with Roman-numeral letters ("ill", "civil").
_ROMAN = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    rf"^\s*(?:page\s+\d{{1,4}}|page\s+{_ROMAN}|(?!(?:19|20)\d\d\b)\d{{1,4}}|{_ROMAN})"
    r"(?:\s*(?:of|/)\s*\d{1,4})?\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]+")
_DIGITS = re.compile(r"\d+")
_BROKEN = re.compile(r"[A-Za-z]+(?:" + SOFT_BREAK + r"|-\n)\s*[A-Za-z]+")


def normalise_chars(text: str) -> str:
    """Expand ligatures, drop invisible characters and unify odd spaces."""
    for lig, plain in LIGATURES.items():
        text = text.replace(lig, plain)
    text = text.translate(_INVISIBLE).translate(_SPACES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # NFKC folds the remaining compatibility forms (full-width letters, etc.).
    return unicodedata.normalize("NFKC", text)


def vocabulary(pages: Iterable[str]) -> Counter[str]:
    """Lower-case word counts, used to decide how to join hyphenated words."""
    counts: Counter[str] = Counter()
    for page in pages:
        # Fragments of words broken at a line end would vote for themselves.
        whole = _BROKEN.sub(" ", page)
        counts.update(w.lower() for w in _WORD.findall(whole))
    return counts


def join_hyphenation(text: str, vocab: Counter[str] | None = None) -> str:
    """Rejoin words split across line ends.

    ``safe-\\nguarding`` becomes ``safeguarding``; ``extra-\\nfamilial`` stays
    ``extra-familial`` when the document itself never writes ``extrafamilial``.
    The document's own vocabulary is the arbiter because English compounds
    cannot be told from typesetter hyphens by shape alone.
    """
    vocab = vocab or Counter()

    def repl(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        joined = (left + right).lower()
        hyphenated_seen = vocab.get(left.lower(), 0) and vocab.get(right.lower(), 0)
        if vocab.get(joined, 0) > 0 or not hyphenated_seen:
            return left + right
        return f"{left}-{right}"

    text = re.sub(r"([A-Za-z]+)" + SOFT_BREAK + r"\s*([a-z]+)", repl, text)
    text = re.sub(r"([A-Za-z]+)-\n[ \t]*([a-z]+)", repl, text)
    return text.replace(SOFT_BREAK, "-")


def _signature(line: str) -> str:
    return _DIGITS.sub("#", line.strip().lower())


def repeated_margins(pages: Sequence[Sequence[str]], *, depth: int = 3) -> set[str]:
    """Line signatures that recur at the top or bottom of many pages.

    A running header or footer appears in the first or last ``depth`` lines of
    at least 40 % of pages (and at least 3); digits are ignored so "Page 4 of 9"
    matches "Page 5 of 9".
    """
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = [ln for ln in lines if ln.strip()]
        sigs = {_signature(ln) for ln in edge[:depth] + edge[-depth:]}
        counts.update(s for s in sigs if s and s != "#")
    threshold = max(3, int(0.4 * len(pages)))
    return {s for s, n in counts.items() if n >= threshold}


def strip_margins(lines: Sequence[str], repeated: set[str], *, depth: int = 3) -> list[str]:
    """Drop running headers/footers and bare page numbers from a page's edges."""
    out = list(lines)
    for _ in range(2):  # top then bottom
        kept: list[str] = []
        seen = 0
        for i, ln in enumerate(out):
            if seen >= depth:
                kept.extend(out[i:])
                break
            if not ln.strip():
                kept.append(ln)
                continue
            seen += 1
            if _signature(ln) in repeated or _PAGE_NUMBER.match(ln):
                continue
            kept.append(ln)
        out = kept[::-1]
    return out


def collapse_spaces(line: str) -> str:
    return re.sub(r"[ ]{2,}", " ", line).strip()


def clean_pages(raw_pages: Sequence[str]) -> list[list[str]]:
    """Clean every page of one document; returns each page as a list of lines.

    Returns lines rather than joined text so the structure detector can still
    see where the PDF broke lines.
    """
    normalised = [normalise_chars(p) for p in raw_pages]
    vocab = vocabulary(normalised)
    joined = [join_hyphenation(p, vocab) for p in normalised]
    split = [[collapse_spaces(ln) for ln in p.split("\n")] for p in joined]
    repeated = repeated_margins(split)
    cleaned = [strip_margins(lines, repeated) for lines in split]
    return [[ln for ln in lines if ln] for lines in cleaned]
