"""Tests for kb.sources' fetch against a local GOV.UK stand-in (tests/govuk_stub.py).

Every test runs under ``LoopbackGuard``: a connection to, or lookup of, anything but
127.0.0.1 fails the test, so nothing here can reach the real GOV.UK.
"""

from __future__ import annotations

import csv
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govuk_stub import ASSET_ORIGIN, GovukStub, LoopbackGuard, sample_pdf
from kb.config import Settings
from kb.errors import ConfigError, FetchError
from kb.sources import (
    METADATA_FIELDS,
    METADATA_FILE,
    STATE_FILE,
    TEMP_PREFIX,
    FetchFailure,
    FetchReport,
    Publication,
    download_url,
    fetch,
    load_manifest,
    pdf_attachments,
    resolve_asset_url,
    safe_filename,
    user_agent,
)

REVIEW = Publication(
    path="/government/publications/local-review-child-a",
    title="Local child safeguarding practice review: Child A",
    publisher="Northshire Safeguarding Children Partnership",
    year=2022,
    doc_type="local_review",
)
ANNUAL = Publication(
    path="/government/publications/panel-annual-report-2022-to-2023",
    title="Child Safeguarding Practice Review Panel annual report 2022 to 2023",
    publisher="Child Safeguarding Practice Review Panel",
    year=2023,
    doc_type="annual_report",
)
REVIEW_PDF = "/media/aaa111/child-a-review.pdf"
REPORT_PDF = "/media/bbb222/annual-report-2022-23.pdf"
BRIEFING_PDF = "/media/ccc333/practice-briefing.pdf"
SENTENCE = "The blue heron protocol was reviewed by the night duty team."


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackGuard]:
    guard = LoopbackGuard()
    guard.install(monkeypatch)
    yield guard
    guard.check()


@pytest.fixture
def stub() -> Iterator[GovukStub]:
    with GovukStub() as server:
        yield server


@pytest.fixture
def corpus(stub: GovukStub) -> GovukStub:
    """Two publications: one PDF (absolute asset URL), and two PDFs plus things to skip."""
    stub.add_asset(REVIEW_PDF, sample_pdf(SENTENCE))
    stub.add_asset(REPORT_PDF, sample_pdf("The panel received many notifications."))
    stub.add_asset(BRIEFING_PDF, sample_pdf("Briefings help practitioners reflect."))
    stub.add_publication(
        REVIEW.path, REVIEW.title, attachments=[stub.attachment(REVIEW_PDF, "Child A review")]
    )
    csv_attachment = {
        "url": ASSET_ORIGIN + "/media/ddd444/data.csv",
        "title": "Data tables",
        "content_type": "text/csv",
        "filename": "data.csv",
    }
    stub.add_publication(
        ANNUAL.path,
        ANNUAL.title,
        attachments=[stub.attachment(REPORT_PDF, "Annual report", absolute=False), csv_attachment],
        documents=[
            f'<div class="attachment"><h3><a href="{ASSET_ORIGIN}{BRIEFING_PDF}">'
            "Practice <b>briefing</b></a></h3>"
            f'<a href="{ASSET_ORIGIN}{REPORT_PDF}">Annual report again</a>'
            '<a href="/government/organisations/panel">Panel</a>'
            '<a href="https://example.org/elsewhere.pdf">Off-site PDF</a></div>'
        ],
    )
    return stub


def settings_for(base: str, **changes: Any) -> Settings:
    return Settings.of(govuk_base=base, **changes)


def run(
    manifest: tuple[Publication, ...],
    cache: Path,
    settings: Settings,
    **kwargs: Any,
) -> FetchReport:
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("timeout", 5.0)
    return fetch(manifest, cache, settings.fetch, **kwargs)


def metadata(cache: Path) -> dict[str, dict[str, str]]:
    with (cache / METADATA_FILE).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == METADATA_FIELDS
        return {row["file"]: row for row in reader}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


# --------------------------------------------------------------------------- manifest


def write_manifest(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


ANNUAL_PATH = (
    "/government/publications/child-safeguarding-practice-review-panel-annual-report-2022-to-2023"
)


def test_load_manifest_reads_publications(tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path,
        f"""
publications:
  - path: {ANNUAL_PATH}
    title: >
      Child Safeguarding Practice Review Panel
      annual report 2022 to 2023
    publisher: Child Safeguarding Practice Review Panel
    year: 2023
    doc_type: annual_report
  - path: /government/publications/working-together-to-safeguard-children--2
    title: Working together to safeguard children
""",
    )
    annual, guidance = load_manifest(path)
    assert annual == Publication(
        path=ANNUAL_PATH,
        title="Child Safeguarding Practice Review Panel annual report 2022 to 2023",
        publisher="Child Safeguarding Practice Review Panel",
        year=2023,
        doc_type="annual_report",
    )
    assert annual.source_url == "https://www.gov.uk" + annual.path
    assert (guidance.publisher, guidance.year, guidance.doc_type) == ("", None, "other")


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("path: /government/../../etc/passwd\n    title: T", "'..'"),
        ("path: /government/publications/./x\n    title: T", "'.'"),
        ("path: government/publications/x\n    title: T", "must start with '/'"),
        ("path: //evil.example.com/x\n    title: T", "not a URL"),
        ("path: /government/%2e%2e/%2e%2e/etc\n    title: T", "may only contain"),
        ("path: '/government/a\\\\..\\\\b'\n    title: T", "may only contain"),
        ("path: /government/publications/x", "missing 'title'"),
        ("path: /government/publications/x\n    title: '   '", "missing 'title'"),
        ("title: No path", "missing 'path'"),
        ("path: /government/publications/x\n    title: T\n    year: soon", "'year'"),
        ("path: /government/publications/x\n    title: T\n    year: yes", "'year'"),
        ("path: /government/publications/x\n    title: T\n    doc_type: blog", "doc_type"),
    ],
)
def test_load_manifest_rejects_bad_entries(tmp_path: Path, entry: str, problem: str) -> None:
    good = "  - path: /government/publications/fine\n    title: Fine\n"
    path = write_manifest(tmp_path, f"publications:\n{good}  - {entry}\n")
    with pytest.raises(ConfigError) as caught:
        load_manifest(path)
    message = str(caught.value)
    assert str(path) in message
    assert "entry 2" in message
    assert problem in message


def test_load_manifest_names_the_offending_path(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, "publications:\n  - path: /x/../../etc\n    title: T\n")
    with pytest.raises(ConfigError, match=r"manifest\.yaml: publications entry 1 \('/x/\.\./"):
        load_manifest(path)


@pytest.mark.parametrize(
    "text",
    [
        "publications: [\n",  # not YAML
        "- just a list\n",
        "publications: nothing\n",
        "publications:\n  - just a string\n",
        "publications:\n  - {path: /a, title: A}\n  - {path: /a, title: B}\n",  # duplicate
    ],
)
def test_load_manifest_rejects_malformed_files(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="manifest.yaml"):
        load_manifest(write_manifest(tmp_path, text))


def test_load_manifest_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read manifest"):
        load_manifest(tmp_path / "absent.yaml")


def test_publication_refuses_traversal_even_when_built_directly() -> None:
    with pytest.raises(ConfigError, match=r"'\.\.'"):
        Publication(path="/government/../../etc/passwd", title="T")


# --------------------------------------------------------------------------- URLs and names


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (ASSET_ORIGIN + "/media/abc/Child_A_review.pdf", "Child_A_review.pdf"),
        (ASSET_ORIGIN + "/media/abc/..%2F..%2Fetc%2Fpasswd.pdf", "etc_passwd.pdf"),
        (ASSET_ORIGIN + "/media/abc/..%5C..%5Cboot.ini", "boot.ini.pdf"),
        (ASSET_ORIGIN + "/media/abc/evil%0Aname%0D%00.pdf", "evil_name.pdf"),
        (ASSET_ORIGIN + "/media/abc/.hidden.PDF", "hidden.pdf"),
        (ASSET_ORIGIN + "/media/abc/-rf%20now.pdf", "rf_now.pdf"),
        (ASSET_ORIGIN + "/media/abc/R%C3%A9sum%C3%A9%20%E2%80%93%20final.pdf", "Resume_final.pdf"),
        ("https://example.org/report?id=3", "report.pdf"),
    ],
)
def test_safe_filename(url: str, name: str) -> None:
    assert safe_filename(url) == name


@pytest.mark.parametrize(
    "url",
    [
        ASSET_ORIGIN + "/media/abc/%2E%2E.pdf",
        ASSET_ORIGIN + "/media/abc/",
        ASSET_ORIGIN + "/media/abc/%0A%0A.pdf",
        ASSET_ORIGIN + "/media/abc/CON.pdf",
        ASSET_ORIGIN + "/media/abc/" + "x" * 500 + ".pdf",
    ],
)
def test_safe_filename_edge_cases_stay_safe(url: str) -> None:
    name = safe_filename(url)
    assert name.endswith(".pdf") and len(name) <= 120
    assert name[0].isalnum()
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert name.split(".")[0].upper() not in {"CON", "NUL"}


def test_asset_urls_are_kept_on_govuk_and_rewritten_for_a_mirror() -> None:
    page = "/government/publications/x"
    absolute = ASSET_ORIGIN + "/media/abc/report.pdf"
    assert resolve_asset_url(absolute, page) == absolute
    assert resolve_asset_url("/media/abc/report.pdf", page) == absolute
    assert resolve_asset_url("https://www.gov.uk/media/abc/report.pdf", page) == absolute
    assert (
        resolve_asset_url("files/x.pdf", page)
        == "https://www.gov.uk/government/publications/files/x.pdf"
    )
    assert resolve_asset_url("http://www.gov.uk/a b.pdf", page) == "https://www.gov.uk/a%20b.pdf"
    assert resolve_asset_url("https://example.org/x.pdf", page) is None
    assert resolve_asset_url("javascript:alert(1)//x.pdf", page) is None
    assert resolve_asset_url("file:///etc/passwd.pdf", page) is None

    assert download_url(absolute) == absolute
    assert (
        download_url(absolute, "http://127.0.0.1:8123")
        == "http://127.0.0.1:8123/media/abc/report.pdf"
    )
    assert download_url(absolute, "http://mirror.test/govuk/") == (
        "http://mirror.test/govuk/media/abc/report.pdf"
    )
    # A link straight to the mirror is fine; to any other host, ignored.
    mirror = "http://127.0.0.1:8123"
    assert resolve_asset_url(mirror + "/media/x.pdf", page, mirror) == mirror + "/media/x.pdf"
    assert resolve_asset_url("http://127.0.0.1:9999/media/x.pdf", page, mirror) is None


def test_pdf_attachments_reads_attachments_and_document_links() -> None:
    content = {
        "details": {
            "attachments": [
                {"url": "/media/1/a.pdf", "title": "A", "content_type": "application/pdf"},
                {"url": "/media/2/b", "title": "B", "content_type": "application/pdf"},
                {"url": "/media/3/c.PDF", "title": "C"},
                {"url": "/media/4/d.odt", "title": "D", "content_type": "application/vnd.oasis"},
                {"url": "/media/5/e", "title": "E", "filename": "e.pdf"},
                "junk",
                {"title": "no url"},
            ],
            "documents": [
                '<p><a href="/media/1/a.pdf">duplicate</a><a href="/media/6/f.pdf?x=1">F'
                '</a><a href="/guidance/x">not a pdf</a><a>no href</a>',
                42,
            ],
        }
    }
    found = pdf_attachments(content, "/government/publications/x")
    assert [(a.url.rsplit("/", 1)[-1], a.title) for a in found] == [
        ("a.pdf", "A"),
        ("b", "B"),
        ("c.PDF", "C"),
        ("e", "E"),
        ("f.pdf?x=1", "F"),
    ]
    assert pdf_attachments({"details": None}, "/x") == ()
    assert pdf_attachments([], "/x") == ()


# --------------------------------------------------------------------------- fetching


def test_fetch_downloads_pdfs_and_writes_metadata(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    messages: list[str] = []
    report = run((REVIEW, ANNUAL), cache, settings_for(corpus.base_url), progress=messages.append)

    assert sorted(report.downloaded) == [
        "annual-report-2022-23.pdf",
        "child-a-review.pdf",
        "practice-briefing.pdf",
    ]
    assert report.failed == () and report.unchanged == () and not report.offline
    assert report.cached == 3
    assert report.summary_line() == "fetched 3, unchanged 0, failed 0"
    assert report.exit_code == 0
    assert any("downloaded child-a-review.pdf" in m for m in messages)

    served = {
        "child-a-review.pdf": REVIEW_PDF,
        "annual-report-2022-23.pdf": REPORT_PDF,
        "practice-briefing.pdf": BRIEFING_PDF,
    }
    for name, asset_path in served.items():
        data = (cache / name).read_bytes()
        assert data.startswith(b"%PDF-")
        assert corpus.requests_for(asset_path)[0].status == 200
    # The CSV was not a PDF, and the off-site link was never followed.
    assert corpus.requests_for("/media/ddd444/data.csv") == []
    assert not (cache / "data.pdf").exists() and not (cache / "elsewhere.pdf").exists()

    rows = metadata(cache)
    assert rows["child-a-review.pdf"] == {
        "file": "child-a-review.pdf",
        "title": REVIEW.title,
        "publisher": REVIEW.publisher,
        "year": "2022",
        "doc_type": "local_review",
        "source_url": "https://www.gov.uk" + REVIEW.path,
        "fictional": "false",
    }
    assert rows["annual-report-2022-23.pdf"]["title"] == f"{ANNUAL.title} \u2013 Annual report"
    assert rows["practice-briefing.pdf"]["title"] == f"{ANNUAL.title} \u2013 Practice briefing"
    assert {row["source_url"] for row in rows.values()} == {REVIEW.source_url, ANNUAL.source_url}

    state = json.loads((cache / STATE_FILE).read_text())["files"]
    by_file = {entry["file"]: entry for entry in state.values()}

    assert (
        by_file["child-a-review.pdf"]["sha256"]
        == hashlib.sha256((cache / "child-a-review.pdf").read_bytes()).hexdigest()
    )
    assert ASSET_ORIGIN + REVIEW_PDF in state  # keyed by the GOV.UK URL, not the stub's
    assert not [p for p in cache.iterdir() if p.name.startswith(TEMP_PREFIX)]
    # Nor the temporaries of the atomic rewrites of metadata.csv and the state file.
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == [STATE_FILE]


def test_requests_identify_kb_politely(corpus: GovukStub, tmp_path: Path) -> None:
    run((REVIEW,), tmp_path / "cache", settings_for(corpus.base_url))
    agents = {r.header("User-Agent") for r in corpus.requests}
    assert agents == {user_agent()}
    assert user_agent().startswith("kb/") and "(+safeguarding review library)" in user_agent()
    api = corpus.requests_for("/api/content" + REVIEW.path)
    assert len(api) == 1 and api[0].header("Accept") == "application/json"


def test_second_fetch_downloads_nothing(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    settings = settings_for(corpus.base_url)
    run((REVIEW, ANNUAL), cache, settings)
    before = {p.name: p.stat().st_mtime_ns for p in cache.glob("*.pdf")}
    corpus.clear_log()

    report = run((REVIEW, ANNUAL), cache, settings)

    assert report.downloaded == () and report.failed == ()
    assert len(report.unchanged) == 3
    assert report.summary_line() == "fetched 0, unchanged 3, failed 0"
    assert report.exit_code == 0
    assert corpus.downloads() == []
    for asset_path in (REVIEW_PDF, REPORT_PDF, BRIEFING_PDF):
        (request,) = corpus.requests_for(asset_path)
        assert request.status == 304
        assert request.header(
            "If-None-Match",
        ) and request.header("If-Modified-Since")
    assert {p.name: p.stat().st_mtime_ns for p in cache.glob("*.pdf")} == before
    assert len(metadata(cache)) == 3


def test_changed_or_deleted_files_are_downloaded_again(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    settings = settings_for(corpus.base_url)
    run((REVIEW, ANNUAL), cache, settings)
    new_bytes = sample_pdf("A second edition replaced the first.")
    corpus.add_asset(REVIEW_PDF, new_bytes)
    (cache / "practice-briefing.pdf").unlink()
    corpus.clear_log()

    report = run((REVIEW, ANNUAL), cache, settings)

    assert sorted(report.downloaded) == ["child-a-review.pdf", "practice-briefing.pdf"]
    assert report.unchanged == ("annual-report-2022-23.pdf",)
    assert (cache / "child-a-review.pdf").read_bytes() == new_bytes
    # The missing file was asked for unconditionally.
    (briefing,) = corpus.requests_for(BRIEFING_PDF)
    assert briefing.header("If-None-Match") is None


def test_same_bytes_without_validators_count_as_unchanged(stub: GovukStub, tmp_path: Path) -> None:
    stub.add_asset(REVIEW_PDF, sample_pdf(SENTENCE), validators=False)
    stub.add_publication(REVIEW.path, REVIEW.title, attachments=[stub.attachment(REVIEW_PDF, "R")])
    cache = tmp_path / "cache"
    run((REVIEW,), cache, settings_for(stub.base_url))
    report = run((REVIEW,), cache, settings_for(stub.base_url))
    assert report.unchanged == ("child-a-review.pdf",) and report.downloaded == ()
    assert [r.status for r in stub.requests_for(REVIEW_PDF)] == [200, 200]


def test_server_errors_are_retried_with_backoff(corpus: GovukStub, tmp_path: Path) -> None:
    corpus.fail("/api/content" + REVIEW.path, 2, status=500)
    corpus.fail(REVIEW_PDF, 1, status=503)
    delays: list[float] = []

    report = run(
        (REVIEW,),
        tmp_path / "cache",
        settings_for(corpus.base_url),
        backoff=0.01,
        sleep=delays.append,
    )

    assert report.downloaded == ("child-a-review.pdf",) and report.exit_code == 0
    assert [r.status for r in corpus.requests_for("/api/content" + REVIEW.path)] == [500, 500, 200]
    assert [r.status for r in corpus.requests_for(REVIEW_PDF)] == [503, 200]
    # Exponential with jitter: base * 2**n plus up to as much again.
    assert 0.01 <= delays[0] <= 0.02
    assert 0.02 <= delays[1] <= 0.04
    assert 0.01 <= delays[2] <= 0.02


def test_rate_limiting_is_retried(corpus: GovukStub, tmp_path: Path) -> None:
    corpus.fail(REVIEW_PDF, 2, status=429)
    report = run((REVIEW,), tmp_path / "cache", settings_for(corpus.base_url))
    assert report.downloaded == ("child-a-review.pdf",)
    assert len(corpus.requests_for(REVIEW_PDF)) == 3


def test_retries_give_up_after_three_tries(corpus: GovukStub, tmp_path: Path) -> None:
    corpus.fail(REVIEW_PDF, 10, status=502)
    cache = tmp_path / "cache"
    report = run((REVIEW, ANNUAL), cache, settings_for(corpus.base_url))
    assert report.failed == (
        FetchFailure("child-a-review.pdf", "HTTP 502 Bad Gateway (after 3 tries)"),
    )
    assert len(corpus.requests_for(REVIEW_PDF)) == 3
    assert len(report.downloaded) == 2 and not report.offline
    assert report.exit_code == 1
    assert not (cache / "child-a-review.pdf").exists()
    assert "child-a-review.pdf" not in metadata(cache)


def test_dropped_connections_are_retried_and_are_not_offline(
    corpus: GovukStub, tmp_path: Path
) -> None:
    corpus.drop(REVIEW_PDF, 1)
    corpus.drop(REPORT_PDF, 5)
    report = run((REVIEW, ANNUAL), tmp_path / "cache", settings_for(corpus.base_url))
    assert not report.offline
    assert sorted(report.downloaded) == ["child-a-review.pdf", "practice-briefing.pdf"]
    ((failure),) = report.failed
    assert failure.item == "annual-report-2022-23.pdf"
    assert failure.reason.endswith("(after 3 tries)")
    assert report.summary_line() == "fetched 2, unchanged 0, failed 1"


def test_404_is_reported_and_the_rest_goes_through(corpus: GovukStub, tmp_path: Path) -> None:
    missing = Publication(path="/government/publications/withdrawn-review", title="Withdrawn")
    broken = Publication(path="/government/publications/broken-link", title="Broken link")
    corpus.add_publication(
        broken.path, broken.title, attachments=[corpus.attachment("/media/zzz/gone.pdf", "Gone")]
    )
    cache = tmp_path / "cache"

    report = run((missing, broken, REVIEW, ANNUAL), cache, settings_for(corpus.base_url))

    assert report.failed == (
        FetchFailure(missing.path, "not found (404)"),
        FetchFailure("gone.pdf", "not found (404)"),
    )
    assert len(report.downloaded) == 3
    assert report.summary_line() == "fetched 3, unchanged 0, failed 2"
    assert report.exit_code == 1
    assert len(corpus.requests_for("/api/content" + missing.path)) == 1  # 404 is not retried
    assert set(metadata(cache)) == set(report.downloaded)


def test_publication_without_pdfs_is_a_failure(stub: GovukStub, tmp_path: Path) -> None:
    stub.add_publication(REVIEW.path, REVIEW.title, documents=["<p>HTML only</p>"])
    report = run((REVIEW,), tmp_path / "cache", settings_for(stub.base_url))
    assert report.failed == (FetchFailure(REVIEW.path, "no PDF attachments found"),)


@pytest.mark.parametrize("send_length", [True, False], ids=["content-length", "streamed"])
def test_oversized_file_is_refused_and_leaves_nothing(
    corpus: GovukStub, tmp_path: Path, send_length: bool
) -> None:
    corpus.add_oversized(REVIEW_PDF, 300_000, send_length=send_length)
    cache = tmp_path / "cache"
    settings = settings_for(corpus.base_url, fetch_max_bytes=100_000)

    report = run((REVIEW, ANNUAL), cache, settings)

    assert report.failed == (FetchFailure("child-a-review.pdf", "refused: larger than 0.1 MB"),)
    assert len(report.downloaded) == 2  # the others are well under the cap
    assert len(corpus.requests_for(REVIEW_PDF)) == 1  # refusing is not retried
    assert not (cache / "child-a-review.pdf").exists()
    assert not [p for p in cache.iterdir() if p.name.startswith(TEMP_PREFIX)]
    # Nor the temporaries of the atomic rewrites of metadata.csv and the state file.
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == [STATE_FILE]
    assert "child-a-review.pdf" not in metadata(cache)


def test_oversized_replacement_keeps_the_cached_copy(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    settings = settings_for(corpus.base_url, fetch_max_bytes=100_000)
    run((REVIEW,), cache, settings)
    original = (cache / "child-a-review.pdf").read_bytes()
    corpus.add_oversized(REVIEW_PDF, 300_000, send_length=False)

    report = run((REVIEW,), cache, settings)

    assert report.failed[0].reason == "refused: larger than 0.1 MB"
    assert (cache / "child-a-review.pdf").read_bytes() == original
    assert "child-a-review.pdf" in metadata(cache)  # still cached, so still described


def test_a_reply_that_is_not_a_pdf_is_refused(stub: GovukStub, tmp_path: Path) -> None:
    stub.add_asset(REVIEW_PDF, b"<html>Sign in</html>", content_type="application/pdf")
    stub.add_publication(REVIEW.path, REVIEW.title, attachments=[stub.attachment(REVIEW_PDF, "R")])
    cache = tmp_path / "cache"
    report = run((REVIEW,), cache, settings_for(stub.base_url))
    assert report.failed == (FetchFailure("child-a-review.pdf", "not a PDF"),)
    assert list(cache.glob("*.pdf")) == []


def test_weird_attachment_names_never_write_outside_the_cache(
    stub: GovukStub, tmp_path: Path
) -> None:
    weird = {
        "/media/w1/..%2F..%2Fetc%2Fpasswd.pdf": "../../etc/passwd.pdf",
        "/media/w2/evil%0Aname%0D.pdf": "evil\nname.pdf",
        "/media/w3/.bashrc.pdf": ".bashrc.pdf",
        "/media/w4/..%5C..%5Cwindows%5Cwin.pdf": "..\\..\\windows\\win.pdf",
        "/media/w5/%2E%2E.pdf": "..",
        "/media/w6/CON.pdf": "CON.pdf",
        "/media/w7/" + "long" * 100 + ".pdf": "long.pdf",
        "/etc/shadow.pdf": "shadow.pdf",  # what /media/w8/../../etc/shadow.pdf resolves to
    }
    attachments = []
    for path, filename in weird.items():
        stub.add_asset(path, sample_pdf("Weird names are harmless."))
        if path != "/etc/shadow.pdf":
            attachments.append(stub.attachment(path, f"Title\n{filename}", filename=filename))
    documents = ['<a href="/media/w8/../../etc/shadow.pdf">shadow</a>']
    stub.add_publication(REVIEW.path, REVIEW.title, attachments=attachments, documents=documents)
    cache = tmp_path / "deep" / "cache"
    outside_before = all_files(tmp_path)

    report = run((REVIEW,), cache, settings_for(stub.base_url))

    assert report.failed == () and len(report.downloaded) == len(weird)
    written = all_files(tmp_path) - outside_before
    assert all(p.parent == cache for p in written), written
    names = {p.name for p in written} - {METADATA_FILE, STATE_FILE}
    assert names == set(report.downloaded)
    for name in names:
        assert name[0].isalnum() and name.endswith(".pdf") and len(name) <= 120
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert "etc_passwd.pdf" in names and "evil_name.pdf" in names and "bashrc.pdf" in names
    assert not (tmp_path / "etc").exists() and not (tmp_path / "deep" / "etc").exists()
    rows = metadata(cache)
    assert set(rows) == names
    assert all("\n" not in row["title"] for row in rows.values())


def test_same_base_name_from_two_urls_gets_two_files(stub: GovukStub, tmp_path: Path) -> None:
    first, second = "/media/one/report.pdf", "/media/two/report.pdf"
    stub.add_asset(first, sample_pdf("First report."))
    stub.add_asset(second, sample_pdf("Second report."))
    stub.add_publication(REVIEW.path, REVIEW.title, attachments=[stub.attachment(first, "1")])
    stub.add_publication(ANNUAL.path, ANNUAL.title, attachments=[stub.attachment(second, "2")])
    cache = tmp_path / "cache"
    report = run((REVIEW, ANNUAL), cache, settings_for(stub.base_url))
    assert report.downloaded[0] == "report.pdf"
    assert report.downloaded[1].startswith("report-") and len(report.downloaded) == 2
    again = run((ANNUAL, REVIEW), cache, settings_for(stub.base_url))  # order doesn't matter
    assert again.unchanged == report.downloaded[::-1]


def test_existing_metadata_rows_are_kept(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "Hand placed review.pdf").write_bytes(sample_pdf("Placed by hand."))
    with (cache / METADATA_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(METADATA_FIELDS)
        writer.writerow(
            [
                "Hand placed review.pdf",
                "Hand placed",
                "Someone",
                "2020",
                "other",
                "https://example.org/x",
                "false",
            ]
        )
        writer.writerow(["deleted.pdf", "Gone", "", "", "other", "", "false"])

    run((REVIEW,), cache, settings_for(corpus.base_url))

    rows = metadata(cache)
    assert set(rows) == {"Hand placed review.pdf", "child-a-review.pdf"}
    assert rows["Hand placed review.pdf"]["publisher"] == "Someone"


def test_unreadable_state_file_means_starting_afresh(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / STATE_FILE).write_text('{"version": 1, "files": {"x": {"file": "../../evil"')
    report = run((REVIEW,), cache, settings_for(corpus.base_url))
    assert report.downloaded == ("child-a-review.pdf",)
    assert json.loads((cache / STATE_FILE).read_text())["version"] == 1


def test_tampered_state_file_cannot_choose_the_file_name(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    state = {"version": 1, "files": {ASSET_ORIGIN + REVIEW_PDF: {"file": "../escape.pdf"}}}
    (cache / STATE_FILE).write_text(json.dumps(state))
    report = run((REVIEW,), cache, settings_for(corpus.base_url))
    assert report.downloaded == ("child-a-review.pdf",)
    assert not (tmp_path / "escape.pdf").exists()


def test_unwritable_cache_is_a_fetch_error(corpus: GovukStub, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("a file where the cache should be")
    with pytest.raises(FetchError, match="cannot write to the cache"):
        run((REVIEW,), not_a_dir, settings_for(corpus.base_url))


# --------------------------------------------------------------------------- offline


def test_offline_uses_the_cache(corpus: GovukStub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run((REVIEW, ANNUAL), cache, settings_for(corpus.base_url))
    delays: list[float] = []

    report = run((REVIEW, ANNUAL), cache, settings_for(closed_port_url()), sleep=delays.append)

    assert report.offline and report.cached == 3
    assert report.summary_line() == "offline: using 3 cached documents"
    assert report.exit_code == 1
    assert report.failed == () and report.downloaded == ()
    assert "cannot connect" in report.offline_reason
    assert len(delays) == 2  # three tries of the first request, then no more
    assert len(metadata(cache)) == 3  # the sidecar still describes the cache


def test_offline_with_an_empty_cache(tmp_path: Path) -> None:
    report = run((REVIEW,), tmp_path / "cache", settings_for(closed_port_url()), max_tries=1)
    assert report.offline and report.cached == 0
    assert report.summary_line() == "offline: using 0 cached documents"


def test_dns_failure_means_offline(loopback_only: LoopbackGuard, tmp_path: Path) -> None:
    # The guard answers every non-loopback lookup with gaierror, as an offline resolver would.
    loopback_only.allowed_lookups.add("govuk.invalid")
    report = run((REVIEW, ANNUAL), tmp_path / "cache", settings_for("http://govuk.invalid"))
    assert report.offline
    assert loopback_only.lookups == ["govuk.invalid"] * 3


def test_report_summary_and_exit_codes() -> None:
    assert FetchReport().exit_code == 0
    assert FetchReport(cached=1, offline=True).summary_line() == "offline: using 1 cached document"
    report = FetchReport(
        downloaded=("a.pdf",), unchanged=("b.pdf", "c.pdf"), failed=(FetchFailure("d.pdf", "x"),)
    )
    assert report.summary_line() == "fetched 1, unchanged 2, failed 1"
    assert report.exit_code == 1 and not report.ok
    assert report.to_dict()["failed"] == [{"item": "d.pdf", "reason": "x"}]
    assert str(report.failed[0]) == "d.pdf: x"
