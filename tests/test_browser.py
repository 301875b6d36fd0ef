"""End to end in a real browser: `streamlit run app.py` driven by headless chromium.

Starts the app on a free localhost port over a copy of the small fixture store,
opens a deep link (``/?q=...``), and checks that the answer shows a citation
and passage cards with page numbers. A screenshot is saved in the test's tmp
folder. Uses Debian's chromium and chromedriver (``.ci/run`` installs them);
the driver path is given explicitly so Selenium Manager never goes online.
"""

from __future__ import annotations

import html
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from app_store import ANSWERABLE, APP, NONSENSE, app_store, copy_store
from kb.answer import NO_MATCH_MESSAGE

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
READY_TIMEOUT = 180.0  # the app loads the model before it answers
ANSWER_TIMEOUT = 180.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver)",
    ),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll Streamlit's health endpoint until it answers, the process dies, or time runs out."""
    deadline = time.monotonic() + READY_TIMEOUT
    url = f"http://localhost:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # polling interval, not a wait for anything to happen
    pytest.fail(f"streamlit not healthy after {READY_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder,  # type: ignore[no-untyped-def]
) -> Iterator[int]:
    built = app_store(tmp_path_factory, real_embedder)
    root = tmp_path_factory.mktemp("browser")
    store = copy_store(built, root / "store")
    port = free_port()
    log = root / "streamlit.log"
    env = {
        **os.environ,
        "KB_STORE_DIR": str(store),
        "KB_OCR": "false",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP),
                "--server.port",
                str(port),
                "--server.address",
                "localhost",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=APP.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_healthy(port, proc, log)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager, should it run, stays offline
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1800",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def visible_text(driver, css: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Visible text of the live app's elements (not the prerendered copy of the answer)."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, f".stApp {css}")
    return [e.text for e in found if e.is_displayed()]


def test_deep_link_shows_a_cited_answer_with_page_numbers(
    server: int,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"http://localhost:{server}/?q={quote(ANSWERABLE)}")

    def answered(driver) -> bool:  # type: ignore[no-untyped-def]
        try:
            cites = visible_text(driver, "a.kb-cite")
            metas = visible_text(driver, ".kb-meta")
        except StaleElementReferenceException:  # Streamlit re-rendered mid-read
            return False
        return bool(cites) and any(re.search(r"\bpp?\. \d+", m) for m in metas)

    try:
        WebDriverWait(browser, ANSWER_TIMEOUT, poll_frequency=0.25).until(answered)
    finally:
        browser.save_screenshot(str(tmp_path / "answer.png"))
    cites = visible_text(browser, "a.kb-cite")
    assert all(re.fullmatch(r"\[\d+\]", c) for c in cites), cites
    answer = visible_text(browser, "ul.kb-answer")[0]
    assert "14 times" in answer
    heads = visible_text(browser, ".kb-card-head")
    assert any(h.startswith("[1]") for h in heads)
    assert (tmp_path / "answer.png").stat().st_size > 10_000


def test_nonsense_shows_the_no_match_state(
    server: int,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"http://localhost:{server}/?q={quote(NONSENSE)}")
    try:
        WebDriverWait(browser, ANSWER_TIMEOUT, poll_frequency=0.25).until(
            lambda d: NO_MATCH_MESSAGE in d.find_element(By.CSS_SELECTOR, ".stApp").text
        )
    finally:
        browser.save_screenshot(str(tmp_path / "no-match.png"))
    assert not visible_text(browser, "a.kb-cite")


def dump_dom(port: int, question: str, tmp_path: Path) -> str:
    """What `chromium --headless --dump-dom` prints for a deep link."""
    out = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'dump-profile'}",
            "--dump-dom",
            f"http://localhost:{port}/?q={quote(question)}",
        ],
        capture_output=True,
        text=True,
        timeout=ANSWER_TIMEOUT,
        check=True,
    )
    return out.stdout


def test_dump_dom_of_a_deep_link_shows_the_cited_answer(server: int, tmp_path: Path) -> None:
    """The page's HTML carries the answer (kb.prerender), not only Streamlit's shell."""
    dom = dump_dom(server, ANSWERABLE, tmp_path)
    assert 'id="root"' in dom  # Streamlit's page, with the answer added
    answer = re.search(r'<ul class="kb-answer">(.*?)</ul>', dom, re.S)
    assert answer is not None, dom[-2000:]
    assert "14 times" in answer.group(1)
    assert re.search(r'class="kb-cite"[^>]*>\[1\]</a>', answer.group(1))
    sources = re.search(r'<ul class="kb-sources">(.*?)</ul>', dom, re.S)
    assert sources is not None and re.search(r"\bpp?\. \d+", sources.group(1))


def test_dump_dom_of_nonsense_shows_no_good_match(server: int, tmp_path: Path) -> None:
    dom = dump_dom(server, NONSENSE, tmp_path)
    assert NO_MATCH_MESSAGE in html.unescape(dom)
    assert "kb-cite" not in dom
