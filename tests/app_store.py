"""A small store for the app's tests: the fictional reviews plus one hostile PDF.

Built once per test process with the real model, because the app opens its
Library from ``Settings.from_env()`` and so embeds questions with the real
model: passages embedded any other way would never match. The hostile PDF's
text carries HTML and script, to prove the app shows document text escaped.

``add_beacons`` adds two documents whose title, publisher and file name are
Markdown images and links to ``beacon.invalid``: shown as Markdown rather than
as text, they would make the reader's browser fetch that address.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from conftest import write_pdf
from fictional_library import FICTIONAL, fictional_library, keyword_only_taxonomy
from kb.config import Settings
from kb.library import Library

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
HOSTILE_MARKUP = "<script>alert('kb')</script>"
HOSTILE_IMG = "<img src=x onerror=alert(2)>"
HOSTILE_PAGES = [
    "Local Child Safeguarding Practice Review: Child Z\n\n"
    "1. Findings\n\n"
    "The caseworker recorded the zebra-striped blanket in the nursery as a sign of care. "
    f"The note in the file read {HOSTILE_MARKUP} and then {HOSTILE_IMG} in the margin. "
    "Nobody asked the grandmother what the zebra-striped blanket meant to the family.\n\n"
    "This document is fictional and was written to test software.",
]
ANSWERABLE = "How many times had Child R been reported missing before he was stabbed?"
NONSENSE = "zxqv blorf wibble quantum marmalade teapot"

BEACON_HOST = "beacon.invalid"
BEACON_TITLE = (
    f"![t](http://{BEACON_HOST}/t.png) Lighthouse harbour review of the keeper's daughter "
    f"and [the ferry](http://{BEACON_HOST}/l) :material/warning: $x$"
)
BEACON_PUBLISHER = f"![p](http://{BEACON_HOST}/p.png) Harbour Board (fictional)"
BEACON_PDF = "harbour-review.pdf"
BEACON_DOCX = f"![f](https:{BEACON_HOST}) x.docx"
BEACON_QUESTION = (
    "How many times was the lighthouse keeper's daughter seen at the harbour clinic? "
    f"![q](http://{BEACON_HOST}/q.png)"
)
BEACON_COLLECTION = f":red[![c](http://{BEACON_HOST}/c.png)] Harbour panel"

_BUILT: dict[str, Path] = {}


def app_store(factory: Any, embedder: Any) -> Path:
    """The store folder (built on first use in this process; reuse it read-only)."""
    if "store" in _BUILT:
        return _BUILT["store"]
    root: Path = factory.mktemp("app-store")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in FICTIONAL.iterdir():
        if path.suffix in (".pdf", ".csv"):
            shutil.copy(path, corpus / path.name)
    write_pdf(corpus / "hostile-child-z.pdf", HOSTILE_PAGES)
    settings = Settings.of(
        store_dir=root / ".kb",
        ocr=False,
        parse_timeout=0,
        taxonomy_path=keyword_only_taxonomy(root / "taxonomy"),
    )
    library = Library(settings, embedder=embedder)
    try:
        report = library.ingest([corpus])
    finally:
        library.close()
    assert not report.failed, report.failed
    assert len(report.added) == 13, report.added  # 12 fictional + the hostile one
    _BUILT["store"] = settings.store.store_dir
    return settings.store.store_dir


def add_beacons(store: Path, root: Path, embedder: Any) -> None:
    """Ingest the two beacon documents (a PDF and a DOCX) into ``store``."""
    import docx

    corpus = root / "beacons"
    corpus.mkdir(parents=True)
    # The cover prints the title too: kb trusts a PDF's Title entry only when
    # the first pages carry its words.
    write_pdf(
        corpus / BEACON_PDF,
        [
            f"{BEACON_TITLE}\n\n1. Findings\n\n"
            "The lighthouse keeper's daughter was seen at the harbour clinic eleven times "
            "before anyone asked about the bruises on her arms. The ferry crew noticed first.\n\n"
            "This document is fictional and was written to test software."
        ],
        title=BEACON_TITLE,
    )
    (corpus / "metadata.csv").write_text(
        f'file,publisher,year,fictional\n{BEACON_PDF},"{BEACON_PUBLISHER}",2024,true\n',
        encoding="utf-8",
    )
    document = docx.Document()
    document.add_heading("The harbour ferry review", level=1)
    document.add_paragraph(
        "The lighthouse keeper's daughter was seen at the harbour clinic twice more in the "
        "winter, the ferry log shows, and nobody at the harbour school asked why she was absent. "
        "This document is fictional and was written to test software."
    )
    document.save(str(corpus / BEACON_DOCX))
    settings = Settings.of(store_dir=store, ocr=False, parse_timeout=0)
    library = Library(settings, embedder=embedder)
    try:
        report = library.ingest([corpus])
    finally:
        library.close()
    assert not report.failed and len(report.added) == 2, report.to_dict()


def copy_store(store: Path, target: Path) -> Path:
    """A private copy: the embedded store admits one process at a time."""
    shutil.copytree(store, target, ignore=shutil.ignore_patterns("collections", "uploads"))
    return target


def hash_store(factory: Any) -> dict[str, str]:
    """The app's environment over the fictional corpus embedded with the hashing
    embedder (built on first use in this process; reuse it read-only).

    Quick to build and to open, for tests of what the app counts and lays out;
    its search results mean little, so answers are tested on ``app_store``."""
    if "hash" not in _BUILT:
        root: Path = factory.mktemp("hash-app-store")
        library, report = fictional_library(root)
        library.close()
        assert not report.failed and len(report.added) == 12, report.to_dict()
        _BUILT["hash"] = root
    root = _BUILT["hash"]
    return {
        "KB_STORE_DIR": str(root / ".kb"),
        "KB_EMBEDDER": "hash",
        "KB_TAXONOMY_PATH": str(root / "taxonomy" / "taxonomy.yaml"),
        "KB_OCR": "false",
        "KB_PARSE_TIMEOUT": "0",
    }
