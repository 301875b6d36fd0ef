"""kb.parse.render: a page of any declared size renders within a pixel, time and memory budget."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.errors import KbError, RenderError
from kb.parse.render import MAX_PIXELS, MAX_SIDE_PX, capped_scale, render_page

SENTENCE = "The health visitor saw the baby twice in the first month."
HUGE_PT = 20_000


def huge_pdf(path: Path, side_pt: float = HUGE_PT) -> Path:
    """A square page ``side_pt`` points wide holding one line of big text."""
    from fpdf import FPDF

    side_mm = side_pt * 25.4 / 72
    pdf = FPDF(format=(side_mm, side_mm))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=400)
    pdf.set_xy(300, 400)
    pdf.cell(0, 200, SENTENCE)
    pdf.output(str(path))
    return path


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [
        (595, 842, 1.6),  # A4 keeps the default scale
        (20_000, 20_000, 0.1732),  # the pixel total decides
        (20_000, 100, 0.2),  # the long side decides
        (100, 14_400, 4000 / 14_400),
    ],
)
def test_capped_scale(width: float, height: float, scale: float) -> None:
    got = capped_scale(width, height, 1.6)
    assert got == pytest.approx(scale, rel=1e-3)
    assert max(width, height) * got <= MAX_SIDE_PX + 1e-6
    assert width * height * got * got <= MAX_PIXELS * (1 + 1e-9)


@pytest.mark.parametrize(("width", "height"), [(0, 842), (595, -1), (float("nan"), 10)])
def test_a_page_without_a_usable_size_is_refused(width: float, height: float) -> None:
    with pytest.raises(ValueError, match="no usable size"):
        capped_scale(width, height)


def test_a_huge_page_renders_capped_with_its_marks_scaled(tmp_path: Path) -> None:
    import pypdfium2 as pdfium
    from PIL import Image

    path = huge_pdf(tmp_path / "huge.pdf")
    image = render_page(path, 1, highlight=SENTENCE)
    assert max(image.width, image.height) <= MAX_SIDE_PX
    assert image.width * image.height <= MAX_PIXELS
    assert image.highlighted > 0

    # Where pdfium puts the sentence, in points, scaled to the image we got.
    pdf = pdfium.PdfDocument(str(path))
    textpage = pdf[0].get_textpage()
    boxes = [textpage.get_rect(i) for i in range(textpage.count_rects(0, len(SENTENCE)))]
    pdf.close()
    scale = image.width / HUGE_PT
    want_left = min(b[0] for b in boxes) * scale
    want_top = (HUGE_PT - max(b[3] for b in boxes)) * scale

    pixels = Image.open(io.BytesIO(image.png)).convert("RGB")
    # Highlight over white paper: red and green high, blue well below.
    yellow = pixels.point(lambda v: 255 if v > 200 else 0).split()
    blue_low = pixels.split()[2].point(lambda v: 255 if v < 200 else 0)
    mask = Image.composite(blue_low, Image.new("L", pixels.size), yellow[0])
    mask = Image.composite(mask, Image.new("L", pixels.size), yellow[1])
    bbox = mask.getbbox()
    assert bbox is not None, "no highlight painted"
    assert abs(bbox[0] - want_left) <= 3 and abs(bbox[1] - want_top) <= 3, (bbox, want_left)


CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
from kb.errors import KbError
from kb.parse import render
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    image = render.render_page(sys.argv[1], 1, highlight=sys.argv[2])
    outcome = f"{image.width}x{image.height}"
except KbError as exc:
    outcome = f"error: {exc}"
except MemoryError:
    outcome = "MemoryError"
seconds = time.perf_counter() - started
render._GUARD.close()  # reaped, so the worker's peak counts in RUSAGE_CHILDREN
usage = resource.getrusage
print(json.dumps({
    "outcome": outcome, "seconds": seconds,
    "self_growth_mb": (usage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
    "worker_peak_mb": usage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def test_a_huge_page_costs_under_5_s_and_500_mb(tmp_path: Path) -> None:
    path = huge_pdf(tmp_path / "huge.pdf")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), SENTENCE],
        capture_output=True, text=True, timeout=120, env={"PYTHONPATH": ":".join(sys.path)},
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "3464x3464", result
    assert result["seconds"] < 5 and time.perf_counter() - started < 15, result
    assert result["self_growth_mb"] < 500 and result["worker_peak_mb"] < 500, result


def test_a_render_over_its_time_budget_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.parse import render
    from kb.parse.sandbox import ParseGuard

    path = huge_pdf(tmp_path / "slow\nname.pdf")
    with ParseGuard(timeout=0.001, memory_mb=render.RENDER_MEMORY_MB) as guard:
        monkeypatch.setattr(render, "_GUARD", guard)
        with pytest.raises(RenderError) as info:
            render_page(path, 1)
    assert str(info.value) == "cannot render page 1 of slow\\nname.pdf: took longer than 0.001 s"


def test_render_failures_are_one_line_render_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00" * 50)
    with pytest.raises(RenderError, match=r"^cannot open bad\.pdf: ") as info:
        render_page(bad, 1)
    assert "\n" not in str(info.value)
    assert issubclass(RenderError, KbError)
