"""OCR for image-only PDF pages and conversion of legacy .doc files.

Both jobs shell out to external programs rather than Python bindings: the
``tesseract`` CLI (Debian: ``tesseract-ocr tesseract-ocr-eng``) and LibreOffice
(``soffice``). Each is optional; when one is missing, or fails, or hangs, the
caller gets a ParseError with a one-line reason instead of a traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kb.errors import ParseError

TESSERACT = "tesseract"
SOFFICE_NAMES = ("soffice", "libreoffice")
TESSERACT_LANG = "eng"
TESSERACT_PSM = 3  # fully automatic page segmentation, no orientation detection
DEFAULT_DPI = 200
MAX_RENDER_SIDE_PX = 5000  # <= 75 MB as RGB; a poster-sized page is scaled down to fit
OCR_TIMEOUT_S = 60.0
CONVERT_TIMEOUT_S = 120.0
VERSION_TIMEOUT_S = 10.0
MAX_REASON_CHARS = 200

MIN_TEXT_CHARS = 25
MIN_LETTER_RATIO = 0.4
MAX_JUNK_RATIO = 0.5

# pdfium writes glyphs it cannot map to Unicode as "(cid:NN)" (or U+FFFD), and
# symbol fonts often land in the Private Use Area: none of that is readable text.
_CID_RE = re.compile(r"\(cid:\d+\)")
_JUNK_CHARS_RE = re.compile("[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0e-\x1f]")
# Dot leaders ("Foreword ........ 4") would make every contents page look like
# punctuation soup; a run of one symbol counts as a single character.
_LEADER_RE = re.compile(r"([^\w\s]|_)\1{2,}")

NO_TESSERACT = "tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)"
NO_LIBREOFFICE = "legacy .doc needs LibreOffice to convert; install it or convert the file to DOCX"


def tesseract_available() -> bool:
    """True when a ``tesseract`` executable is on PATH."""
    return shutil.which(TESSERACT) is not None


def tesseract_version() -> str | None:
    """The installed tesseract's version (e.g. ``"5.3.0"``), or None if it is absent or broken."""
    exe = shutil.which(TESSERACT)
    if exe is None:
        return None
    try:
        stdout, stderr, code = _run([exe, "--version"], timeout=VERSION_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if code != 0:
        return None
    # Tesseract 3.x/4.0 printed the banner on stderr, later versions on stdout.
    banner = (stdout or stderr).decode("utf-8", errors="replace")
    match = re.search(r"tesseract\s+v?(\S+)", banner, flags=re.IGNORECASE)
    return match.group(1) if match else None


def libreoffice_available() -> bool:
    """True when LibreOffice's ``soffice`` (or ``libreoffice``) is on PATH."""
    return _find_soffice() is not None


def needs_ocr(text: str, *, min_chars: int = MIN_TEXT_CHARS) -> bool:
    """True when a page's extracted text is no usable text layer.

    That is: fewer than ``min_chars`` alphanumeric characters, or text that is
    mostly unmapped glyphs (``(cid:NN)``, U+FFFD, private-use or control
    characters), or text in which under 40% of the non-space, non-digit
    characters are letters (broken font encodings come out as punctuation soup).
    Digits and dot leaders are left out of that ratio so a page of figures or a
    contents page is not sent to OCR merely for its layout.
    """
    non_space = sum(not ch.isspace() for ch in text)
    if non_space == 0:
        return True
    junk = sum(len(m) for m in _CID_RE.findall(text))
    readable = _CID_RE.sub(" ", text)
    junk += len(_JUNK_CHARS_RE.findall(readable))
    if junk / non_space > MAX_JUNK_RATIO:
        return True
    readable = _JUNK_CHARS_RE.sub(" ", readable)
    if sum(ch.isalnum() for ch in readable) < min_chars:
        return True
    readable = _LEADER_RE.sub(r"\1", readable)
    letters = sum(ch.isalpha() for ch in readable)
    others = sum(not ch.isspace() and not ch.isdigit() for ch in readable)
    return others > 0 and letters / others < MIN_LETTER_RATIO


def ocr_pdf_page(
    pdf_path: Path,
    page_index: int,
    *,
    dpi: int = DEFAULT_DPI,
    timeout: float = OCR_TIMEOUT_S,
) -> str:
    """OCR one page (0-based ``page_index``) of a PDF with tesseract and return its text.

    The page is rendered at ``dpi`` (scaled down if its long side would exceed
    MAX_RENDER_SIDE_PX), converted to grayscale and piped to tesseract as PNG.
    Matches parse.OcrFunc. Raises ParseError(pdf_path, reason) on any failure;
    reasons name the page 1-based, as people count pages.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    prefix = f"OCR failed on page {page_index + 1}"
    exe = shutil.which(TESSERACT)
    if exe is None:
        raise ParseError(pdf_path, f"{prefix}: {NO_TESSERACT}")
    png = _render_page_png(pdf_path, page_index, dpi=dpi, prefix=prefix)
    cmd = [exe, "stdin", "stdout", "-l", TESSERACT_LANG, "--psm", str(TESSERACT_PSM)]
    # Tesseract's OpenMP threads fight each other: on a 2-CPU machine one thread
    # OCRs a page ~5x faster (1.3 s vs 6.3 s at 200 dpi). A caller's own setting wins.
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    try:
        stdout, stderr, code = _run(cmd, timeout=timeout, stdin=png, env=env)
    except subprocess.TimeoutExpired:
        raise ParseError(pdf_path, f"{prefix}: tesseract timed out after {timeout:g} s") from None
    except OSError as exc:
        raise ParseError(pdf_path, f"{prefix}: cannot run tesseract: {exc}") from None
    if code != 0:
        raise ParseError(pdf_path, f"{prefix}: {_tesseract_failure(code, stderr)}")
    # Tesseract ends each page with a form feed; it is not part of the text.
    return stdout.decode("utf-8", errors="replace").replace("\f", "").strip()


def convert_doc_to_docx(path: Path, out_dir: Path, *, timeout: float = CONVERT_TIMEOUT_S) -> Path:
    """Convert a legacy .doc to DOCX with headless LibreOffice; return the new file's path.

    The result is ``out_dir / (path.stem + ".docx")``, replacing any earlier one.
    Raises ParseError(path, reason) when LibreOffice is missing, fails or hangs.
    """
    if not path.is_file():
        raise ParseError(path, "file not found")
    soffice = _find_soffice()
    if soffice is None:
        raise ParseError(path, NO_LIBREOFFICE)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.docx"
    if target.resolve() == path.resolve():
        raise ParseError(path, "refusing to convert a file onto itself")
    # A private profile per run: LibreOffice locks its user profile, so two
    # conversions sharing the default one would fail or hand work to each other.
    # Converting into a scratch dir beside the target means a stale DOCX from an
    # earlier run can never be mistaken for this run's output.
    with (
        tempfile.TemporaryDirectory(prefix="kb-lo-profile-") as profile,
        tempfile.TemporaryDirectory(prefix=".kb-convert-", dir=out_dir) as scratch,
    ):
        cmd = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "docx",
            "--outdir",
            scratch,
            str(path),
        ]
        try:
            _, stderr, code = _run(cmd, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ParseError(path, f"LibreOffice timed out after {timeout:g} s") from None
        except OSError as exc:
            raise ParseError(path, f"cannot run LibreOffice: {exc}") from None
        produced = Path(scratch) / target.name
        if not produced.is_file():
            # soffice often exits 0 without writing anything, so the file decides.
            detail = _last_line(stderr) or f"exit status {code}"
            raise ParseError(path, _shorten(f"LibreOffice could not convert it: {detail}"))
        os.replace(produced, target)
    return target


def _find_soffice() -> str | None:
    for name in SOFFICE_NAMES:
        exe = shutil.which(name)
        if exe is not None:
            return exe
    return None


def _render_page_png(pdf_path: Path, page_index: int, *, dpi: int, prefix: str) -> bytes:
    import pypdfium2 as pdfium  # imported here so callers that never OCR don't pay for it

    try:
        pdf = pdfium.PdfDocument(str(pdf_path))
    except pdfium.PdfiumError as exc:
        raise ParseError(pdf_path, _shorten(f"{prefix}: cannot open PDF: {exc}")) from None
    try:
        n_pages = len(pdf)
        if not 0 <= page_index < n_pages:
            raise ParseError(pdf_path, f"{prefix}: the PDF has {n_pages} pages")
        page = pdf[page_index]
        try:
            width, height = page.get_size()
            long_side = max(width, height)
            if long_side <= 0:
                raise ParseError(pdf_path, f"{prefix}: page has no size")
            scale = min(dpi / 72, MAX_RENDER_SIDE_PX / long_side)
            bitmap = page.render(scale=scale)
            try:
                image = bitmap.to_pil().convert("L")
            finally:
                bitmap.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise ParseError(pdf_path, _shorten(f"{prefix}: cannot render page: {exc}")) from None
    finally:
        pdf.close()
    buf = io.BytesIO()
    # The real resolution goes in the PNG so tesseract needn't guess it.
    effective_dpi = round(scale * 72)
    image.save(buf, format="PNG", dpi=(effective_dpi, effective_dpi))
    return buf.getvalue()


def _run(
    cmd: Sequence[str],
    *,
    timeout: float,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> tuple[bytes, bytes, int]:
    """Run cmd without a shell; on timeout kill its whole process group and re-raise.

    subprocess.run only kills the direct child: soffice is a launcher script
    whose soffice.bin (and a shell script's own children) would survive and hold
    the output pipes open, so run() would hang long past the timeout.
    """
    posix = sys.platform != "win32"
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=posix,
    )
    try:
        stdout, stderr = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc, posix=posix)
        proc.communicate()
        raise
    except BaseException:
        # e.g. KeyboardInterrupt: don't leave a tesseract or soffice running.
        _kill_tree(proc, posix=posix)
        proc.wait()
        raise
    return stdout, stderr, proc.returncode


def _kill_tree(proc: subprocess.Popen[bytes], *, posix: bool) -> None:
    if posix:
        # The group may already be gone if the child exited as the timeout fired.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def _tesseract_failure(code: int, stderr: bytes) -> str:
    text = stderr.decode("utf-8", errors="replace")
    if "Failed loading language" in text or "Error opening data file" in text:
        return (
            f"tesseract has no '{TESSERACT_LANG}' language data "
            f"(apt-get install tesseract-ocr-{TESSERACT_LANG})"
        )
    detail = _last_line(stderr)
    return _shorten(f"tesseract exited with status {code}" + (f": {detail}" if detail else ""))


def _last_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", errors="replace").splitlines()]
    return next((ln for ln in reversed(lines) if ln), "")


def _shorten(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    return reason[: MAX_REASON_CHARS - 1] + "…"
