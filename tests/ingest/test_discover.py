"""kb.ingest.discover: what an ingest passes over is reported, and nothing blocks on a named pipe.

Unreadable files and folders need a process that permissions apply to. Tests
run as root in CI, where chmod 000 stops nothing, so those cases run ``kb`` in
a user namespace (``unshare --user``): the process keeps its uid outside it but
loses the capability to override file permissions.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import kb
from conftest import REVIEW_PAGES, write_pdf
from kb.cli import cli
from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.ingest.run import Ingestor
from kb.records import IngestReport
from kb.store.edge import EdgeStore

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def reasons(failures: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {Path(f.path).name: f.reason for f in failures}


@pytest.fixture
def unix_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "corpus" / "kb.sock.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Bound by relative name: socket paths are limited to about 100 bytes.
    monkeypatch.chdir(path.parent)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path.name)
        monkeypatch.undo()
        yield path


def run_in_thread(ingestor: Ingestor, paths: list[Path]) -> IngestReport:
    """``ingestor.run(paths)``, failing the test instead of hanging if it blocks."""
    out: list[IngestReport] = []
    worker = threading.Thread(target=lambda: out.append(ingestor.run(paths)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "ingest blocked (opened a named pipe?)"
    return out[0]


@needs_fifo
def test_special_files_in_a_folder_are_skipped_with_a_reason(
    tmp_path: Path,
    edge_store: EdgeStore,
    hash_embedder: HashEmbedder,
    settings: Settings,
    unix_socket: Path,
) -> None:
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "good.pdf", REVIEW_PAGES)
    os.mkfifo(corpus / "pipe.pdf")
    os.mkfifo(corpus / "pipe-without-suffix")
    expected = {
        "pipe.pdf": "not a regular file (named pipe)",
        "pipe-without-suffix": "not a regular file (named pipe)",
        "kb.sock.pdf": "not a regular file (socket)",
    }
    try:
        os.mknod(corpus / "null.pdf", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        expected["null.pdf"] = "not a regular file (character device)"
    except (PermissionError, AttributeError):
        pass  # no CAP_MKNOD here: the pipe and the socket still cover the rule
    ingestor = Ingestor(edge_store, hash_embedder, settings.ingest, settings.parse)
    report = run_in_thread(ingestor, [corpus])
    assert [Path(p).name for p in report.added] == ["good.pdf"]
    assert reasons(report.skipped) == expected
    assert report.failed == [] and report.exit_code == 0


@needs_fifo
def test_named_pipe_given_explicitly_is_that_files_failure(tmp_path: Path) -> None:
    good = write_pdf(tmp_path / "corpus" / "good.pdf", REVIEW_PAGES)
    pipe = tmp_path / "corpus" / "pipe.pdf"
    os.mkfifo(pipe)
    dangling = tmp_path / "corpus" / "gone.pdf"
    dangling.symlink_to(tmp_path / "nowhere.pdf")
    env = {"KB_STORE_DIR": str(tmp_path / ".kb"), "KB_EMBEDDER": "hash", "KB_OCR": "false"}
    result = CliRunner().invoke(
        cli, ["ingest", "--quiet", str(pipe), str(dangling), str(good)], env=env
    )
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[1:] == [
        f"  failed: {pipe}: not a regular file (named pipe)",
        f"  failed: {dangling}: no such file or folder",
    ]
    assert result.stdout.startswith("added 1,")


@needs_fifo
def test_hashing_a_file_that_became_a_named_pipe_fails_at_once(tmp_path: Path) -> None:
    from kb.files import file_sha256

    pipe = tmp_path / "swapped.pdf"
    os.mkfifo(pipe)
    errors: list[OSError] = []

    def hash_it() -> None:
        try:
            file_sha256(pipe)
        except OSError as exc:
            errors.append(exc)

    worker = threading.Thread(target=hash_it, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "file_sha256 blocked on a named pipe"
    assert [e.strerror for e in errors] == ["not a regular file"]


def test_prune_keeps_a_document_it_cannot_look_at(tmp_path: Path) -> None:
    from kb.ingest.run import _gone

    assert _gone(tmp_path / "missing.pdf") and _gone(tmp_path / "file.pdf" / "below")
    assert not _gone(tmp_path)
    (tmp_path / "file.pdf").write_bytes(b"%PDF-")
    assert not _gone(tmp_path / "file.pdf")


# --------------------------------------------------------------------------- permissions


def _unprivileged_prefix() -> list[str] | None:
    """How to run a command that file permissions apply to, or None."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run([unshare, "--user", "true"], capture_output=True)
    return [unshare, "--user"] if probe.returncode == 0 else None


@pytest.mark.slow
def test_unreadable_file_and_folder_are_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    prefix = _unprivileged_prefix()
    if prefix is None:
        pytest.skip("running as root without user namespaces: permissions cannot be denied")
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "good.pdf", REVIEW_PAGES)
    locked = write_pdf(corpus / "locked.pdf", REVIEW_PAGES[:1])
    closed = corpus / "closed"
    inner = write_pdf(closed / "inner.pdf", REVIEW_PAGES[1:])
    shut = tmp_path / "shut"  # a folder named on the command line that cannot be listed
    write_pdf(shut / "hidden-away.pdf", REVIEW_PAGES)
    for path in (locked, closed, shut):
        path.chmod(0)
    try:
        src = str(Path(kb.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": src, "KB_STORE_DIR": str(tmp_path / ".kb"),
               "KB_EMBEDDER": "hash", "KB_OCR": "false", "HF_HUB_OFFLINE": "1"}
        env.pop("QDRANT_URL", None)
        env.pop("KB_QDRANT_URL", None)
        command = [*prefix, sys.executable, "-m", "kb.cli", "ingest", "--quiet"]
        # The locked file is named on the command line: before, click refused
        # the whole batch as a usage error (exit 2).
        proc = subprocess.run(
            [*command, str(corpus), str(locked), str(shut)], capture_output=True, text=True,
            env=env, timeout=300,
        )
    finally:
        for path, mode in ((locked, 0o644), (closed, 0o755), (shut, 0o755)):
            path.chmod(mode)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("added 1, updated 0, unchanged 0, removed 0, failed 2"), lines
    assert sorted(lines[1:]) == [
        f"  failed: {locked}: cannot read: Permission denied",
        f"  failed: {shut}: cannot read folder: Permission denied",
        f"  skipped: {closed}: cannot read folder: Permission denied",
    ]
    assert inner.is_file()
