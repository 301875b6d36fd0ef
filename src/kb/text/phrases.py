"""Phrases as regular expressions that survive PDF text: any spacing, dashes and apostrophes.

The query glossary (``kb.retrieve.glossary``) and the theme taxonomy
(``kb.enrich.taxonomy``) both match phrases this way.
"""

from __future__ import annotations

import re

# Dashes seen in extracted PDF text besides the ASCII hyphen.
_DASHES = "\\-\u2010\u2011\u2013"
_APOSTROPHE = "['\u2019]?"
WORD_EDGE_BEFORE = r"(?<![\w&])"
WORD_EDGE_AFTER = r"(?![\w&])"


def phrase_body(phrase: str) -> str:
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
