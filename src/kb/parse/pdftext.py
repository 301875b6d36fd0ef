"""A PDF page's text as a reader sees it: without text drawn invisibly.

PDF text in render mode 3 (``3 Tr``) is laid out but never painted. pdfium
extracts it like any other text, so a sentence nobody can see on the page
would be indexed, quoted and cited. The rule:

* on a page that also has a text layer of visible text (``is_text_layer``),
  characters drawn invisibly are dropped;
* on a page whose only real text is invisible, it is kept: that is how a
  scanned PDF carries its OCR layer, which must stay searchable.

Invisible text objects that hold only spaces are ignored (word processors
write them between visible words; dropping them would join the words).

Cost: the common page, with no invisible text, costs one pass over its page
objects (two pdfium calls each, about 0.2 ms for a typical page); only a
page with invisible non-blank text is read character by character.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

MAX_FORM_DEPTH = 8  # forms nest forms; a hostile file could nest them without end


def visible_text(page: Any, textpage: Any, is_text_layer: Callable[[str], bool]) -> str:
    """The page's text without invisible characters, under the rule above."""
    text: str = textpage.get_text_range()
    hidden = _invisible_objects(page.raw)
    if not hidden:
        return text
    hidden = {address for address in hidden if _has_content(address, textpage)}
    if not hidden:
        return text
    visible = _text_without(textpage, hidden)
    return visible if is_text_layer(visible) else text


def _invisible_objects(page_raw: Any) -> set[int]:
    """Addresses of the text objects drawn in render mode 3, forms included."""
    import pypdfium2.raw as pdfium_c

    mode = pdfium_c.FPDFTextObj_GetTextRenderMode
    invisible = pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
    unknown = pdfium_c.FPDF_TEXTRENDERMODE_UNKNOWN
    count_in_form = pdfium_c.FPDFFormObj_CountObjects
    found: set[int] = set()
    # Containers still to scan: (handle, its object count, its getter, depth).
    stack: list[tuple[Any, int, Callable[[Any, int], Any], int]] = [
        (page_raw, pdfium_c.FPDFPage_CountObjects(page_raw), pdfium_c.FPDFPage_GetObject, 0)
    ]
    while stack:
        container, n, get, depth = stack.pop()
        for k in range(n):
            obj = get(container, k)
            m = mode(obj)  # UNKNOWN for anything but a text object: saves a type call
            if m == invisible:
                found.add(_address(obj))
            elif m == unknown and depth < MAX_FORM_DEPTH:
                inner = count_in_form(obj)  # -1 unless obj is a form
                if inner > 0:
                    stack.append((obj, inner, pdfium_c.FPDFFormObj_GetObject, depth + 1))
    return found


def _address(obj: Any) -> int:
    # Handles are pointers: the same object gives the same address from any call.
    return ctypes.cast(obj, ctypes.c_void_p).value or 0


def _has_content(address: int, textpage: Any) -> bool:
    """True when the text object at ``address`` holds more than whitespace."""
    import pypdfium2.raw as pdfium_c

    obj = ctypes.cast(address, pdfium_c.FPDF_PAGEOBJECT)
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
    if size <= 2:  # just the terminating NUL
        return False
    buf = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, buf, size)
    return bool(bytes(buf).decode("utf-16-le", "replace").strip("\x00").strip())


def _text_without(textpage: Any, hidden: set[int]) -> str:
    """The page text minus the characters of the ``hidden`` text objects.

    A line break or space that pdfium generated right after a dropped run goes
    with it, so a hidden line leaves no blank line behind.
    """
    import pypdfium2.raw as pdfium_c

    get_obj, generated = pdfium_c.FPDFText_GetTextObject, pdfium_c.FPDFText_IsGenerated
    raw = textpage.raw
    runs: list[tuple[int, int]] = []  # (first char, count) of kept characters
    after_drop = False
    for i in range(textpage.count_chars()):
        drop = _address(get_obj(raw, i)) in hidden or (after_drop and generated(raw, i) == 1)
        after_drop = drop
        if drop:
            continue
        if runs and sum(runs[-1]) == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return "".join(textpage.get_text_range(start, count) for start, count in runs)
