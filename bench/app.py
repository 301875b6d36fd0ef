"""The app as a practitioner meets it, timed in headless Chromium (issue #14).

    python bench/app.py --store DIR [--checkout PATH ...] [--repeat 3]

For each checkout (default: this one), starts ``streamlit run app.py`` over a
private copy of the store with that checkout's ``src`` first on the path, and
drives it with Debian's chromium and chromedriver (``tests/browser_kit.py``):

- server start: seconds from launching the process to the browser's first
  contentful paint (Paint Timing API), to text showing in the page, and to the
  health endpoint answering (the browser is started before the server, so its
  own start-up is not counted);
- a deep link on the fresh server: seconds from the browser's request to its
  HTML's last byte (Navigation Timing), and to the
  cited answer showing (after the first paint, and from the launch);
- warm: a question asked nowhere else in the run (no cache holds its answer) until
  its answer shows, a pin (once its button is drawn) until "Pinned ✓" shows,
  switching to Collections and to Library until each page's content shows;
- three exports clicked 0.2 s apart: how many files arrive.

Give two checkouts (today's code and the change) to have the baseline in the
same run, on the same machine and load. Report the load average with the
numbers (printed at the start and the end): on a shared machine they are high.
Results are printed as JSON lines, one per checkout and repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_kit import (  # noqa: E402
    CHROMEDRIVER,
    allow_downloads,
    arrived,
    chrome_options,
    free_port,
)

COLD_QUESTION = "What did reviews find about sharing information with the police?"
WARM_QUESTION = "What did reviews say about neglect and parental substance misuse?"
# Typed once the app is warm: asked nowhere else in a run, so no cache answers it.
NEW_QUESTION = "What have reviews found about bruising in babies who are not yet mobile?"
TIMEOUT = 300.0
# No run in progress: Streamlit marks the old page's elements data-stale while one
# is, and shows a spinner.
SETTLED = (
    "!document.querySelector('.stApp [data-stale=\"true\"]')"
    " && !document.querySelector('.stSpinner')"
)
# The live app's answer, in any version's layout: a short answer's citation links,
# or an evidence summary's findings (not the prerendered copy, outside .stApp).
ANSWER_SHOWN = (
    "return !!document.querySelector('.stApp a.kb-cite') || "
    "[...document.querySelectorAll('.stApp h2, .stApp h3')]"
    ".some(h => h.innerText.startsWith('Evidence summary'));"
)


def until(driver: Any, script: str, *args: Any, timeout: float = TIMEOUT) -> float:
    """Seconds until ``script`` (given ``args``) returns something truthy (polled every 50 ms)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if driver.execute_script(script, *args):
                return time.monotonic() - started
        except Exception:  # noqa: BLE001 - the page is being redrawn; poll again
            pass
        time.sleep(0.05)
    return float("nan")


def start(checkout: Path, store: Path, log: Path) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    env = {
        **os.environ,
        "KB_STORE_DIR": str(store),
        "KB_OCR": "false",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(checkout / "src"),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(checkout / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "localhost",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, port, started


def healthy(port: int, started: float) -> float:
    while time.monotonic() - started < TIMEOUT:
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    return float("nan")


def one_run(checkout: Path, store: Path, work: Path) -> dict[str, Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    private = work / "store"
    shutil.copytree(store, private, ignore=shutil.ignore_patterns("collections", "uploads"))
    # The browser is started first: its own start-up (1-2 s here) is not the server's.
    options = chrome_options(work / "profile", work / "downloads")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.get("about:blank")
    proc, port, started = start(checkout, private, work / "streamlit.log")
    row: dict[str, Any] = {"checkout": str(checkout)}
    try:
        row["health_s"] = healthy(port, started)
        link = f"http://localhost:{port}/?q={quote(COLD_QUESTION)}"
        launched_wall = time.time() - (time.monotonic() - started)
        driver.get(link)  # a person opens the link as soon as the server is up
        # The deep link's HTML, as this browser got it (Navigation Timing).
        row["deep_link_html_s"] = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return (n.responseEnd - n.requestStart) / 1000;"
        )
        # Any text a person sees: kb's own "Loading the library…" in the HTML counts.
        until(driver, "return document.body.innerText.trim().length > 0;")
        row["text_shown_after_start_s"] = time.monotonic() - started  # from the launch
        # The browser's own first contentful paint (Paint Timing API): driver.get
        # returns only after the page's scripts have loaded, which a reader does
        # not wait for once text is painted.
        paint_ms = driver.execute_script(
            "const p = performance.getEntriesByName('first-contentful-paint')[0];"
            "return p ? performance.timeOrigin + p.startTime : null;"
        )
        row["first_paint_after_start_s"] = (
            paint_ms / 1000 - launched_wall if paint_ms else float("nan")
        )
        row["deep_link_answer_s"] = until(driver, ANSWER_SHOWN)  # after the first paint
        row["deep_link_answer_after_start_s"] = time.monotonic() - started
        row.update(warm(driver, port, work / "downloads"))
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=30)
    return row


def click_text(driver: Any, selector: str, text: str) -> None:
    driver.execute_script(
        "const [s, t] = arguments; [...document.querySelectorAll(s)]"
        ".find(e => e.innerText.trim().startsWith(t))?.click();",
        selector,
        text,
    )


def warm(driver: Any, port: int, downloads: Path) -> dict[str, float]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    out: dict[str, float] = {}
    driver.get(f"http://localhost:{port}/?q={quote(WARM_QUESTION)}")
    until(driver, ANSWER_SHOWN)
    # The page settled (its run finished) before the "before" text is read: read
    # mid-run, it changed by itself and the new question looked answered at once.
    until(driver, f"return ({ANSWER_SHOWN[len('return '):-1]}) && {SETTLED};")
    before = driver.execute_script("return document.querySelector('.stMain').innerText;")
    question_box = 'input[aria-label="Your question"]'
    until(driver, "return !!document.querySelector(arguments[0]);", question_box)
    box = driver.find_element(By.CSS_SELECTOR, question_box)
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(NEW_QUESTION + Keys.ENTER)
    # Done when the page shows another answer and the run behind it has finished:
    # nothing left stale (Streamlit marks the old page's elements data-stale while
    # a run is in progress), no spinner. Any version's layout passes this (a short
    # answer, an evidence summary), so two checkouts are timed alike.
    out["warm_question_s"] = until(
        driver,
        "const main = document.querySelector('.stMain')?.innerText || '';"
        "return main !== arguments[0]"
        " && new URLSearchParams(location.search).get('q') === arguments[1]"
        " && /Evidence summary|Short answer|Answer/.test(main)"
        f" && {SETTLED};",
        before,
        NEW_QUESTION,
    )
    # The pin is timed from its click: the button must be drawn first.
    until(
        driver,
        "return [...document.querySelectorAll('button')]"
        ".some(b => b.innerText.startsWith('Pin to collection'));",
        timeout=30,
    )
    click_text(driver, "button", "Pin to collection")
    out["pin_s"] = until(
        driver,
        "return [...document.querySelectorAll('button')]"
        ".some(b => b.innerText.startsWith('Pinned'));",
    )
    click_text(driver, '[data-testid="stRadioOption"]', "Collections")
    out["to_collections_s"] = until(
        driver, "return document.querySelectorAll('.stDownloadButton button').length === 3;"
    )
    allow_downloads(driver, downloads)
    for label in ("Export Markdown", "Export Word", "Export CSV"):
        click_text(driver, ".stDownloadButton button", label)
        time.sleep(0.2)
    out["exports_arrived"] = float(len(arrived(downloads, 3, 30.0)))
    click_text(driver, '[data-testid="stRadioOption"]', "Library")
    out["to_library_s"] = until(
        driver, "return document.querySelector('.stMain')?.innerText.includes('Add documents');"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="A built index to copy.")
    parser.add_argument("--checkout", type=Path, action="append", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    checkouts = args.checkout or [ROOT]
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)
    for n in range(args.repeat):
        for checkout in checkouts:  # interleaved: a change in load hits both alike
            with tempfile.TemporaryDirectory(prefix="kb-bench-app-") as tmp:
                row = one_run(checkout.resolve(), args.store, Path(tmp))
            print(json.dumps({"repeat": n, **row}), flush=True)
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
