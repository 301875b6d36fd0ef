"""Turn source files into cleaned pages, safely.

``parse_file`` reads a PDF (pypdfium2, OCR for pages without a text layer),
DOCX, HTML, TXT or MD (unstructured) or legacy ``.doc`` (LibreOffice) into a
``RawDocument``. ``ParseGuard`` runs it in a worker process with a time and a
memory budget; ``render_page`` draws a PDF page, a passage highlighted, under
the same kind of budget.
"""

from kb.parse.dispatch import parse_file
from kb.parse.document import SUPPORTED_SUFFIXES, OcrFunc, RawDocument
from kb.parse.ocr import ocr_pdf_page, tesseract_available
from kb.parse.render import PageImage, can_render, render_page
from kb.parse.sandbox import ParseGuard

__all__ = [
    "SUPPORTED_SUFFIXES",
    "OcrFunc",
    "PageImage",
    "ParseGuard",
    "RawDocument",
    "can_render",
    "ocr_pdf_page",
    "parse_file",
    "render_page",
    "tesseract_available",
]
