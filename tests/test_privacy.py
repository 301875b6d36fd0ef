"""Privacy: no outbound network while ingesting local files, searching or running
the app; Streamlit telemetry off; queries written nowhere unless opted in.

For the whole module, every socket operation that would leave the machine is
refused and recorded (loopback and Unix sockets still work): DNS lookups,
``connect``/``connect_ex`` and ``create_connection``. The real MiniLM model is
loaded inside that fence, so these tests also prove it loads offline. Ingest
runs both ways: parsing in the guarded worker (the default; the worker fences
itself, see test_hostile) and in-process, so the parsers' own imports and
calls (unstructured phones home unless told not to) happen under the fence.
A failed attempt is still a failure: the libraries involved swallow their
network errors, so the record, not an exception, is what the tests check.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import shutil
import socket
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import write_pdf
from kb.config import Settings
from kb.library import Library
from kb.workspace.querylog import FILE_NAME

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
FICTIONAL = REPO / "corpus" / "fictional"
QUESTIONS = (
    "What went wrong with information sharing between agencies?",
    "safe sleeping advice for a baby",
    "Which recommendations were made about fathers?",
)
SECRET_QUESTION = "Did anyone ask Kestrel-Unique-7731 about the bruising on Tuesday?"


@dataclass
class Fence:
    """The refused attempts, as "what host:port"."""

    attempts: list[str] = field(default_factory=list)

    def refuse(self, what: str) -> None:
        self.attempts.append(what)


def _loopback(host: Any) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="module")
def fence() -> Iterator[Fence]:
    """Refuse and record every non-loopback network operation in this process."""
    record = Fence()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            record.refuse(f"getaddrinfo {host}:{port}")
            raise socket.gaierror(socket.EAI_NONAME, "network access blocked by test_privacy")
        return real_getaddrinfo(host, port, *args, **kwargs)

    def allowed(sock: socket.socket, address: Any, how: str) -> bool:
        if sock.family == socket.AF_UNIX:
            return True
        host = address[0] if isinstance(address, tuple) else address
        if _loopback(host):
            return True
        record.refuse(f"{how} {address}")
        return False

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(self, address, "connect"):
            raise ConnectionRefusedError("network access blocked by test_privacy")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(self, address, "connect_ex"):
            return 111  # ECONNREFUSED
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _loopback(address[0]):
            record.refuse(f"create_connection {address}")
            raise ConnectionRefusedError("network access blocked by test_privacy")
        return real_create_connection(address, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        mp.setattr(socket, "create_connection", create_connection)
        # What kb's parse path sets for itself; restored afterwards for other tests.
        for name in ("DO_NOT_TRACK", "SCARF_NO_ANALYTICS"):
            mp.delenv(name, raising=False)
        yield record


@dataclass(frozen=True)
class Built:
    store_dir: Path
    library: Library


def _corpus(folder: Path) -> Path:
    """The fictional PDFs plus a DOCX and an HTML page, so every parser runs."""
    import docx

    folder.mkdir(parents=True)
    for path in FICTIONAL.iterdir():
        if path.suffix in (".pdf", ".csv"):
            shutil.copy(path, folder / path.name)
    document = docx.Document()
    document.add_heading("Learning from a fictional review of Child P", level=1)
    document.add_paragraph(
        "Practitioners did not share information about the family's moves between "
        "three areas, so nobody saw the whole picture. This document is fictional."
    )
    document.save(str(folder / "fictional-child-p.docx"))
    (folder / "fictional-briefing.html").write_text(
        "<html><head><title>Fictional briefing</title></head><body><h1>Safe sleep</h1>"
        "<p>Safe sleeping advice was given to the mother but not to the father, who "
        "often looked after the baby at night. This page is fictional.</p></body></html>",
        encoding="utf-8",
    )
    write_pdf(folder / "fictional-child-q.pdf", ["Child Q was seen by the school nurse twice."])
    return folder


@pytest.fixture(scope="module", params=["parse-worker", "parse-in-process"])
def built(
    request: pytest.FixtureRequest, fence: Fence, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    root = tmp_path_factory.mktemp(f"privacy-{request.param}")
    corpus = _corpus(root / "corpus")
    settings = Settings.of(
        store_dir=root / ".kb",
        parse_timeout=0 if request.param == "parse-in-process" else 300,
    )
    library = Library(settings)  # the real model, loaded lazily: inside the fence
    report = library.ingest([corpus])
    assert report.failed == [], report.failed
    assert len(report.added) == 15  # 12 fictional PDFs + DOCX, HTML and one PDF
    library.close()
    library = Library(settings, embedder=library.embedder)
    yield Built(settings.store.store_dir, library)
    library.close()


# --------------------------------------------------------------------------- the fence


def test_the_fence_refuses_and_records(fence: Fence) -> None:
    before = len(fence.attempts)
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with pytest.raises(OSError):
        socket.getaddrinfo("example.org", 443)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, pytest.raises(OSError):
        s.connect(("8.8.8.8", 53))
    assert len(fence.attempts) == before + 3
    del fence.attempts[before:]  # these were ours
    # Loopback still works: a server on 127.0.0.1 accepts our connection.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


# --------------------------------------------------------------------------- ingest and search


def test_ingest_and_search_stay_offline(built: Built, fence: Fence) -> None:
    library = built.library
    for question in QUESTIONS:
        result = library.retrieve(question, top_k=5)
        assert result.hits, question
    assert library.search("safe sleeping", mode="sparse", top_k=3)
    answer = library.ask(QUESTIONS[0])
    assert answer is not None
    assert fence.attempts == []


def test_queries_are_not_logged_by_default(
    built: Built, fence: Fence, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    assert not built.library.settings.app.log_queries
    built.library.retrieve(SECRET_QUESTION, top_k=3)
    built.library.search(SECRET_QUESTION, top_k=3)
    assert not (built.store_dir / FILE_NAME).exists()
    assert "Kestrel-Unique-7731" not in caplog.text
    out, err = capfd.readouterr()
    assert "Kestrel-Unique-7731" not in out + err
    needle = b"Kestrel-Unique-7731"
    for path in built.store_dir.rglob("*"):
        if path.is_file() and path.stat().st_size < 200_000_000:
            assert needle not in path.read_bytes(), path
    assert fence.attempts == []


def test_queries_are_logged_when_opted_in(built: Built, tmp_path: Path) -> None:
    settings = built.library.settings.with_(log_queries=True, store_dir=tmp_path / "logged")
    logged = Library(settings, embedder=built.library.embedder, store=built.library.store)
    logged.retrieve(SECRET_QUESTION, top_k=3)
    logged.search("second question", top_k=3, mode="sparse")
    lines = (tmp_path / "logged" / FILE_NAME).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["query"] for r in records] == [SECRET_QUESTION, "second question"]
    assert [r["mode"] for r in records] == ["hybrid", "sparse"]
    assert all(r["time"].endswith("+00:00") for r in records)


def test_log_queries_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).app.log_queries is False
    assert Settings.from_env({"KB_LOG_QUERIES": "true"}).app.log_queries is True


# --------------------------------------------------------------------------- the app


def test_streamlit_config_keeps_telemetry_off_and_the_server_local() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    # With an explicit address Streamlit never probes for its external IP
    # (an HTTP request to checkip.amazonaws.com) when it starts.
    assert config["server"]["address"] == "localhost"
    assert config["server"]["headless"] is True


def test_the_app_answers_without_network(
    built: Built, fence: Fence, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from streamlit.testing.v1 import AppTest

    # The embedded store admits one process at a time: the app gets its own copy.
    built.library.close()
    store_dir = tmp_path / "app-store"
    shutil.copytree(built.store_dir, store_dir)
    monkeypatch.setenv("KB_STORE_DIR", str(store_dir))
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.query_params["q"] = QUESTIONS[1]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert fence.attempts == []
