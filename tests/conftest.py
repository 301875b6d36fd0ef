"""Shared fixtures: generated PDFs, settings, the fake embedder and real stores.

PDFs are built at test time with fpdf2's core Helvetica font, so their text
must be latin-1. Stores are real: Qdrant Edge under a temporary folder and
qdrant-client's local mode standing in for a server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from kb.config import Settings
from kb.embed.contract import DIM
from kb.embed.hashing import HashEmbedder
from kb.embed.minilm import MiniLMEmbedder
from kb.library import Library
from kb.records import IngestReport
from kb.store.contract import Store
from kb.store.edge import EdgeStore
from kb.store.server import QdrantServerStore

REAL_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"

# Qdrant Edge fsyncs on every flush; on this disk one flush costs about 0.4 s and
# creating a store 1.5 s, on tmpfs almost nothing. Put pytest's temporary folders
# (tmp_path) in RAM when a tmpfs is available and the caller has not chosen a root.
# tmpfs is shared with every other process on the machine and a store really
# allocates its ~300 MB of preallocated files there, so fall back to the disk
# unless there is plenty of room: a full CI run failed once on a full /dev/shm.
_SHM = Path("/dev/shm")
_SHM_FREE_NEEDED = 6 * 1024**3


def _shm_has_room() -> bool:
    if not (_SHM.is_dir() and os.access(_SHM, os.W_OK)):
        return False
    stats = os.statvfs(_SHM)
    return stats.f_bavail * stats.f_frsize >= _SHM_FREE_NEEDED


if "PYTEST_DEBUG_TEMPROOT" not in os.environ and _shm_has_room():
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(_SHM)


def pytest_configure(config: pytest.Config) -> None:
    # qdrant-client's local mode warns that payload indexes are no-ops there.
    config.addinivalue_line("filterwarnings", "ignore:Payload indexes have no effect:UserWarning")


PageSpec = Sequence[str] | str
MakePdf = Callable[..., Path]


# --------------------------------------------------------------------------- PDFs


def write_pdf(
    path: Path,
    pages: Sequence[PageSpec],
    *,
    header: str | None = None,
    footer: str | None = None,
    page_numbers: bool = False,
    title: str | None = None,
) -> Path:
    """Write an A4 PDF with a text layer.

    Each page is either a list of lines (each written on its own line, exactly
    as given) or a string of paragraphs separated by blank lines (each wrapped
    by fpdf2). ``header``/``footer`` repeat on every page; ``page_numbers``
    adds "Page N of M" at the bottom.
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 20, 20)
    if title:
        pdf.set_title(title)
    total = len(pages)
    for number, page in enumerate(pages, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        if header:
            pdf.set_xy(20, 10)
            pdf.cell(0, 5, header)
        pdf.set_xy(20, 22)
        pdf.set_font("Helvetica", size=11)
        if isinstance(page, str):
            for para in page.split("\n\n"):
                pdf.multi_cell(0, 5.5, para.strip(), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(3)
        else:
            for line in page:
                pdf.cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        if footer:
            pdf.set_xy(20, 278)
            pdf.cell(0, 5, footer)
        if page_numbers:
            pdf.set_xy(20, 284)
            pdf.cell(0, 5, f"Page {number} of {total}")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


@pytest.fixture
def make_pdf(tmp_path: Path) -> MakePdf:
    """A factory: ``make_pdf(pages, name="doc.pdf", folder=tmp_path, **options) -> Path``.

    Options are those of ``write_pdf``: header, footer, page_numbers, title.
    """

    def make(
        pages: Sequence[PageSpec],
        name: str = "doc.pdf",
        *,
        folder: Path | None = None,
        **options: object,
    ) -> Path:
        return write_pdf((folder or tmp_path) / name, pages, **options)  # type: ignore[arg-type]

    return make


def write_image_only_pdf(path: Path) -> Path:
    """A one-page PDF that is only a picture (no text layer), like a scan."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (800, 400), color=255)
    draw = ImageDraw.Draw(image)
    for y in range(40, 360, 30):
        draw.rectangle((40, y, 760, y + 12), fill=0)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(image, x=10, y=20, w=190)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path, source: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(source))
    writer.encrypt("pw")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_bad_files(folder: Path, good_pdf: Path) -> dict[str, str]:
    """The five kinds of broken input, written into ``folder``.

    Returns file name -> a fragment the ParseError reason must contain.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "garbage.pdf").write_bytes(b"this is not a PDF at all\n" * 40)
    data = good_pdf.read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    write_encrypted_pdf(folder / "encrypted.pdf", good_pdf)
    write_image_only_pdf(folder / "scanned.pdf")
    return {
        "empty.pdf": "empty file",
        "garbage.pdf": "not a PDF",
        "truncated.pdf": "corrupt or truncated",
        "encrypted.pdf": "encrypted",
        "scanned.pdf": "no text layer",
    }


# Realistic, distinct review prose: each page's lines differ, so no body line
# looks like a running header.
REVIEW_PAGES: tuple[tuple[str, ...], ...] = (
    (
        "1 Introduction",
        "This local child safeguarding practice review considers the circumstances of",
        "Child Q, who was seriously harmed at home in the spring. The review was",
        "commissioned by the partnership after a rapid review meeting.",
        "2 Background",
        "The family had moved between three local authorities in two years. The",
        "mother was known to adult mental health services and the father had",
        "convictions for violence against a previous partner.",
    ),
    (
        "3 Findings",
        "The health visitor saw the baby twice in the first month and recorded no",
        "concerns, although the home was cold and the cot was shared with a dog.",
        "Police attended a domestic incident in the summer but did not make a",
        "referral to children's social care because the children were asleep.",
        "3.1 Information sharing",
        "The school nurse, the GP and the housing officer each held part of the",
        "picture, and nobody brought the pieces together at a strategy meeting.",
        "Each agency assumed that another one had already made the referral, so in",
        "the end none of them did, and the family slipped out of view for a year.",
    ),
    (
        "4 Recommendations",
        "The partnership should make sure that every agency can see the history of",
        "domestic abuse held by the police before it closes a case. Practitioners",
        "should think about the voice of the child and the fathers in the household.",
        "The review found one distinctive detail: a zebra-striped blanket in the cot.",
    ),
)


@pytest.fixture
def review_pages() -> list[list[str]]:
    return [list(p) for p in REVIEW_PAGES]


# --------------------------------------------------------------------------- settings and model


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.of(store_dir=tmp_path / ".kb", ocr=False, precision="auto")


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> MiniLMEmbedder:
    """The real all-MiniLM-L6-v2 (about 10 s to import and load): use sparingly."""
    return MiniLMEmbedder(Settings().embed)


# --------------------------------------------------------------------------- stores


@pytest.fixture
def edge_store(tmp_path: Path) -> Iterator[EdgeStore]:
    store = EdgeStore(tmp_path / "edge", DIM)
    yield store
    store.close()


def _qdrant_local(collection: str = "test") -> QdrantServerStore:
    from qdrant_client import QdrantClient

    return QdrantServerStore(QdrantClient(location=":memory:"), collection, DIM)


@pytest.fixture(params=["edge", "qdrant-local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same contract suite runs against both backends."""
    s: Store = EdgeStore(tmp_path / "edge", DIM) if request.param == "edge" else _qdrant_local()
    yield s
    s.close()


# --------------------------------------------------------------------------- real corpus


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    if not REAL_CORPUS.is_dir():
        pytest.skip("../shared/corpus/real not present")
    return REAL_CORPUS


@pytest.fixture(scope="session")
def _real_build(
    real_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Library, IngestReport]]:
    """The real corpus ingested once per test run with the real model (~1-2 min)."""
    store_dir = tmp_path_factory.mktemp("real-kb")
    library = Library(Settings.of(store_dir=store_dir, ocr=False))
    report = library.ingest([real_corpus])
    yield library, report
    library.close()


@pytest.fixture(scope="session")
def real_library(_real_build: tuple[Library, IngestReport]) -> Library:
    """A ``kb.library.Library`` over the ingested real corpus (read it, don't write)."""
    return _real_build[0]


@pytest.fixture(scope="session")
def real_ingest_report(_real_build: tuple[Library, IngestReport]) -> IngestReport:
    return _real_build[1]
