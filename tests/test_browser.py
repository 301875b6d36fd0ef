"""End to end in a real browser: `streamlit run app.py` driven by headless chromium.

Starts the app on a free localhost port over a copy of the small fixture store
(plus two documents whose title, publisher and file name are Markdown images
and links to ``beacon.invalid``), opens a deep link (``/?q=...``), and checks
that the answer shows a citation and passage cards with page numbers; then
walks through a card, its source view, pinning, the Collections and Library
pages while Chrome's performance log records every request, and checks that
the browser never asked anything of another site. Screenshots are saved in the
test's tmp folder. Uses Debian's chromium and chromedriver (``.ci/run``
installs them); the driver path is given explicitly so Selenium Manager never
goes online.
"""

from __future__ import annotations

import html
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from app_store import (
    ANSWERABLE,
    APP,
    BEACON_COLLECTION,
    BEACON_DOCX,
    BEACON_HOST,
    BEACON_PUBLISHER,
    BEACON_QUESTION,
    BEACON_TITLE,
    NONSENSE,
    add_beacons,
    app_store,
    copy_store,
)
from browser_kit import (
    CHROMEDRIVER,
    CHROMIUM,
    allow_downloads,
    arrived,
    chrome_options,
    click_js,
    foreign,
    page_addresses,
    requested_urls,
    running_app,
    save_shot,
    wait_js,
)
from kb.answer.model import NO_MATCH_MESSAGE

ANSWER_TIMEOUT = 180.0
STEP_TIMEOUT = 60.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver)",
    ),
]


@dataclass(frozen=True)
class Served:
    port: int
    store: Path
    log: Path


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder,  # type: ignore[no-untyped-def]
) -> Iterator[Served]:
    built = app_store(tmp_path_factory, real_embedder)
    root = tmp_path_factory.mktemp("browser")
    store = copy_store(built, root / "store")
    add_beacons(store, root, real_embedder)
    with running_app(APP, store, root / "streamlit.log") as port:
        yield Served(port, store, root / "streamlit.log")


@pytest.fixture(scope="module")
def server(served: Served) -> int:
    return served.port


def start_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager, should it run, stays offline
    options = chrome_options(tmp_path / "chromium-profile", tmp_path / "downloads")
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: int):  # type: ignore[no-untyped-def]
    """Chromium on the app; whatever a test leaves in its performance log must
    have gone to the app alone (loopback, the app's port): nothing leaves the machine."""
    driver = start_browser(tmp_path, monkeypatch)
    try:
        driver.get("about:blank")
        requested_urls(driver)  # the browser's own start-up page is not the app's
        yield driver
        assert foreign(requested_urls(driver), server) == []
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
    """The page's HTML carries the answer (kb.web.prerender), not only Streamlit's shell."""
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


# --------------------------------------------------------------------------- no beacons

WJ = "\u2060"  # the invisible joiner kb.ui.md_text puts after colons
CARD_JS = """
const card = t => {
  const h = [...document.querySelectorAll('.stApp .kb-card-head')]
    .find(h => h.textContent.includes(t));
  return h ? h.closest('[data-testid="stVerticalBlock"]') : null;
};
const button = (scope, label) => [...scope.querySelectorAll('button')]
  .find(b => b.innerText.trim().startsWith(label)) || null;
const sidebar = () => document.querySelector('[data-testid="stSidebar"]');
"""
TOGGLE = 'input[aria-label="Open the source at this page"]'
PDF_CARD = "Lighthouse harbour review"
DOCX_CARD = "The harbour ferry review"


class Walk:
    """Drives one browser session and keeps every address its pages pointed at."""

    def __init__(self, driver, port: int) -> None:  # type: ignore[no-untyped-def]
        self.driver, self.port = driver, port
        self.loads: list[str] = []
        self.links: list[str] = []

    def look(self) -> None:
        loads, links = page_addresses(self.driver)
        self.loads += loads
        self.links += links

    def wait(self, script: str, what: str) -> None:
        wait_js(self.driver, CARD_JS + script, STEP_TIMEOUT, what)
        self.look()

    def click(self, script: str, what: str) -> None:
        click_js(self.driver, CARD_JS + script, STEP_TIMEOUT, what)

    def text(self, script: str) -> str:
        """What a script finds, as a reader sees it."""
        return str(self.driver.execute_script(CARD_JS + script) or "").replace(WJ, "")

    def keys(self, *keys: str) -> None:
        self.driver.switch_to.active_element.send_keys(*keys)


def open_sources(walk: Walk, tmp_path: Path) -> None:
    """Both cards' source views: the PDF page image and the DOCX's text."""
    pdf, docx = f"card({PDF_CARD!r})", f"card({DOCX_CARD!r})"
    walk.click(f"return {pdf}?.querySelector('{TOGGLE}')?.closest('label');", "PDF toggle")
    walk.wait(f"return {pdf}?.querySelector('img');", "the PDF page image")
    walk.wait(f"return button({pdf}, 'Download ');", "its caption and download")
    walk.driver.execute_script(CARD_JS + f"{pdf}.scrollIntoView();")
    walk.driver.save_screenshot(str(tmp_path / "source-view.png"))
    # The title reads as written: no image, no link, no icon, no maths.
    assert f"{BEACON_TITLE}, page 1 of 1." in walk.text(f"return {pdf}.innerText;")
    walk.click(f"return {docx}?.querySelector('{TOGGLE}')?.closest('label');", "DOCX toggle")
    walk.wait(f"return button({docx}, 'Download ');", "the DOCX's text and download")
    text = walk.text(f"return {docx}.innerText;")
    assert f"{BEACON_DOCX} is not a PDF" in text and f"Download {BEACON_DOCX}" in text


def make_collection(walk: Walk) -> None:
    """A collection whose name is Markdown, made from the sidebar and chosen."""
    from selenium.webdriver.common.keys import Keys

    walk.click("return button(sidebar(), 'New collection');", "New collection")
    walk.click("return document.querySelector('input[aria-label=\"Name\"]');", "the name box")
    walk.keys(BEACON_COLLECTION, Keys.ENTER)
    walk.click("return button(document, 'Create');", "Create")
    chosen = "sidebar().querySelector('[data-testid=\"stSelectbox\"] input')?.value"
    walk.wait(f"return {chosen}?.includes('Harbour panel');", "the new collection")
    assert walk.text(f"return {chosen};") == BEACON_COLLECTION  # options are plain text
    walk.keys(Keys.ESCAPE)


def publisher_options(walk: Walk) -> None:
    """The publisher filter's options, opened, show the publisher as written."""
    from selenium.webdriver.common.keys import Keys

    walk.click("return document.querySelector('input[aria-label=\"Publisher\"]');", "filter")
    # The list is virtualised: with many publishers, narrow it to the one we check.
    walk.keys("Harbour")
    options = "[...document.querySelectorAll('[role=\"option\"]')].map(o => o.innerText)"
    walk.wait(f"return {options}.some(t => t.includes('Harbour Board'));", "publisher options")
    assert any(
        t.startswith(BEACON_PUBLISHER) for t in walk.driver.execute_script(f"return {options};")
    )
    walk.keys(Keys.ESCAPE)


def pin_and_visit(walk: Walk) -> None:
    """Pin the PDF's passage, then the Collections page and the Library page."""
    walk.click(f"return button(card({PDF_CARD!r}), 'Pin to collection');", "Pin")
    toast = "document.querySelector('[data-testid=\"stToast\"]')"
    walk.wait(f"return {toast}?.innerText.includes('Pinned to');", "the toast")
    assert f"Pinned to “{BEACON_COLLECTION}”." in walk.text(f"return {toast}.innerText;")
    radio = "[...document.querySelectorAll('[data-testid=\"stRadioOption\"]')]"
    walk.click(f"return {radio}.find(o => o.innerText.trim() === 'Collections');", "Collections")
    main = "document.querySelector('.stMain').innerText"
    walk.wait(f"return {main}.includes('Found by:');", "the pinned passage")
    assert BEACON_COLLECTION in walk.text(f"return {main};")
    assert f"Found by: {BEACON_QUESTION}" in walk.text(f"return {main};")
    walk.click(f"return {radio}.find(o => o.innerText.trim() === 'Library');", "Library")
    walk.wait(f"return {main}.includes('Add documents');", "the Library page")
    walk.wait("return document.querySelector('[data-testid=\"stDataFrame\"] canvas');", "table")


def test_nothing_a_document_says_reaches_another_site(
    server: int,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """Titles, publishers, file names, the question and a collection name that are
    Markdown images and links make the browser ask nothing of any other site, as
    the answer, a card, its source view, pinning, Collections and Library show
    them; the page icon and fonts come from the app too."""
    browser.get("about:blank")
    requested_urls(browser)  # the browser's own start-up page is not the app's
    walk = Walk(browser, server)
    browser.get(f"http://localhost:{server}/?q={quote(BEACON_QUESTION)}")
    walk.wait(
        f"return card({PDF_CARD!r}) && card({DOCX_CARD!r}) && "
        "document.querySelector('.stApp a.kb-cite');",
        "the answer",
    )
    cited = walk.text("return document.querySelector('.stApp ul.kb-answer').innerText;")
    assert "eleven times" in cited and "[1]" in cited and "[2]" in cited
    publisher_options(walk)
    make_collection(walk)
    open_sources(walk, tmp_path)
    pin_and_visit(walk)
    requests = requested_urls(browser)
    assert any(u.endswith("/_stcore/stream") for u in requests), requests  # the log works
    assert foreign(requests, server) == []
    assert foreign(walk.loads, server) == []
    icon = browser.execute_script(
        "return document.querySelector(\"link[rel='shortcut icon']\").href"
    )
    assert icon.startswith("data:image/svg+xml"), icon[:80]
    beacon_links = [u for u in walk.links if urlsplit(u).hostname == BEACON_HOST]
    assert beacon_links == []
    assert (tmp_path / "source-view.png").stat().st_size > 10_000


# --------------------------------------------------------------------------- downloads and start-up

EXPORT_LABELS = ("Export Markdown", "Export Word (DOCX)", "Export CSV")


def pin_three(store: Path, name: str) -> None:
    """A collection of three noted passages, written as pins leave it (the
    running app holds the store itself, so the passages are made up here)."""
    from kb.workspace.pinned import Collections, PinnedPassage

    cols = Collections(store / "collections")
    for n in range(1, 4):
        passage = PinnedPassage(
            chunk_id=f"export-{n}",
            doc_id=f"doc-{n}",
            file=f"review-{n}.pdf",
            title=f"Review {n} (fictional)",
            publisher="Harbour Board (fictional)",
            year=2020 + n,
            doc_type="local_review",
            page_start=n,
            page_end=n,
            heading="Findings",
            text=f"Passage {n}: nobody brought the pieces together.",
            note=f"Note on passage {n}",
        )
        cols.pin(name, passage)


def test_three_exports_clicked_0_2_s_apart_all_arrive(
    served: Served,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """The issue's defect: clicking Markdown, then Word, then CSV within a second
    lost the later files (``MediaFileStorageError: Deferred file … not found``)."""
    import time

    from selenium.webdriver.common.by import By

    pin_three(served.store, "Exports")
    downloads = tmp_path / "downloads"
    allow_downloads(browser, downloads)
    browser.get(f"http://localhost:{served.port}/?page=Collections")
    walk = Walk(browser, served.port)
    walk.wait(
        "return [...document.querySelectorAll('.stDownloadButton button')].length === 3;",
        "three export buttons",
    )
    picker = "sidebar().querySelector('[data-testid=\"stSelectbox\"] input')"
    if "Exports" not in walk.text(f"return {picker}.value;"):
        walk.click(f"return {picker};", "the collection picker")
        walk.click(
            "return [...document.querySelectorAll('[role=\"option\"]')]"
            ".find(o => o.innerText.trim() === 'Exports');",
            "the Exports collection",
        )
        walk.wait(
            "return document.querySelector('.stMain').innerText.includes('Review 1 (fictional)');",
            "the noted passages",
        )
    save_shot(browser, tmp_path / "collections.png")
    buttons = browser.find_elements(By.CSS_SELECTOR, ".stDownloadButton button")
    assert [b.text for b in buttons] == list(EXPORT_LABELS)
    for button in buttons:
        button.click()
        time.sleep(0.2)  # the gap between clicks
    files = arrived(downloads, 3, STEP_TIMEOUT)
    assert sorted(f.suffix for f in files) == [".csv", ".docx", ".md"], files
    markdown = next(f for f in files if f.suffix == ".md").read_text(encoding="utf-8")
    assert "**Note:** Note on" in markdown
    assert "MediaFileStorageError" not in served.log.read_text(errors="replace")


def test_a_fresh_server_answers_a_deep_link_at_once_and_fills_in_the_answer(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    real_embedder,  # type: ignore[no-untyped-def]
) -> None:
    """While the model loads at start-up, a deep link's HTML comes back at once
    (Streamlit's page, not the prerendered answer), the page says it is loading,
    and the answer follows when the library is open."""
    import time
    import urllib.request

    from selenium.webdriver.support.ui import WebDriverWait

    store = copy_store(app_store(tmp_path_factory, real_embedder), tmp_path / "store")
    with running_app(APP, store, tmp_path / "fresh.log") as port:
        url = f"http://localhost:{port}/?q={quote(ANSWERABLE)}"
        started = time.monotonic()
        with urllib.request.urlopen(url, timeout=STEP_TIMEOUT) as response:
            page = response.read().decode("utf-8")
        waited = time.monotonic() - started
        assert 'id="root"' in page
        assert waited < 10, waited  # it no longer waits for the model (it did: ~29 s)
        driver = start_browser(tmp_path, monkeypatch)
        try:
            driver.get("about:blank")
            requested_urls(driver)  # the browser's own start-up page is not the app's
            driver.get(url)
            seen: list[str] = []

            def answered(d) -> bool:  # type: ignore[no-untyped-def]
                text = d.execute_script("return document.body.innerText;") or ""
                if "Loading the library" in text and not seen:
                    seen.append(text)
                    save_shot(d, tmp_path / "loading.png")
                return bool(d.execute_script("return document.querySelector('.stApp a.kb-cite');"))

            WebDriverWait(driver, ANSWER_TIMEOUT, poll_frequency=0.25).until(answered)
            save_shot(driver, tmp_path / "deep-link-answered.png")
            assert foreign(requested_urls(driver), port) == []
        finally:
            driver.quit()


def test_a_theme_with_no_question_lists_passages_under_a_chart(
    server: int,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """Browsing: a theme and no question; then a filtered answer says its filters;
    then the Library page's corrections. Screenshots of each."""
    walk = Walk(browser, server)
    browser.get(f"http://localhost:{server}/?theme=missing_children")
    main = "document.querySelector('.stMain').innerText"
    walk.wait(f"return {main}.includes('newest first');", "the browse list")
    walk.wait(
        "return document.querySelector('.stMain [data-testid=\"stVegaLiteChart\"]');",
        "the by-year chart",
    )
    walk.wait(f"return {main}.includes('Filtered by');", "the filters in force")
    save_shot(browser, tmp_path / "browse-theme.png")
    assert "How often" in walk.text(f"return {main};")
    browser.get(f"http://localhost:{server}/?q={quote(ANSWERABLE)}&type=local_review")
    # A deep link is first served pre-rendered (no widgets); wait for the live app.
    walk.wait("return button(document, 'Ask');", "the live app's Ask button")
    walk.wait("return document.querySelector('.stApp a.kb-cite');", "the filtered answer")
    assert "Filtered by type: Local review" in walk.text(f"return {main};")
    assert walk.text("return button(document, 'Ask')?.innerText;") == "Ask"
    save_shot(browser, tmp_path / "answer-filtered.png")
    browser.get(f"http://localhost:{server}/?page=Library")
    walk.wait(f"return {main}.includes('Correct or remove a document');", "the corrections")
    walk.wait("return button(document, 'Save changes');", "the corrections form")
    walk.wait("return document.querySelector('[data-testid=\"stDataFrame\"] canvas');", "table")
    save_shot(browser, tmp_path / "library.png")


def test_at_800_px_the_sidebar_collapses_and_card_buttons_keep_their_labels(
    server: int,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    browser.set_window_size(800, 1400)
    walk = Walk(browser, server)
    browser.get(f"http://localhost:{server}/?q={quote(ANSWERABLE)}")
    walk.wait("return button(document, 'Ask');", "the live app")
    walk.wait("return document.querySelector('.stApp a.kb-cite');", "the answer")
    walk.wait("return sidebar()?.dataset.collapsed === 'true';", "the sidebar collapsed")
    buttons = browser.execute_script(
        "return [...document.querySelectorAll('.stMain button')]"
        ".filter(b => b.offsetParent !== null)"
        ".map(b => [b.innerText.trim(), b.scrollWidth <= b.clientWidth + 1,"
        " b.getBoundingClientRect().height]);"
    )
    pins = [b for b in buttons if b[0] == "Pin to collection"]
    assert pins, buttons
    # Whole labels on one line: nothing cut off, no button grown to two lines.
    assert all(fits and height < 48 for _, fits, height in pins), pins
    save_shot(browser, tmp_path / "answer-800px.png")
    # Opened again by hand it stays open: kb collapses it once per tab.
    walk.click(
        "return document.querySelector('[data-testid=\"stExpandSidebarButton\"]');",
        "the sidebar's open button",
    )
    walk.wait("return sidebar()?.dataset.collapsed === 'false';", "the sidebar open")
    browser.get(f"http://localhost:{server}/?page=Learning")
    walk.wait("return document.querySelector('.stMain h1')?.innerText === 'Learning';", "page")
    assert walk.text("return sidebar()?.dataset.collapsed;") == "false"


def test_clicking_a_year_on_the_theme_chart_lists_that_year_s_passages(
    server: int,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    walk = Walk(browser, server)
    browser.get(f"http://localhost:{server}/?theme=missing_children")
    # Streamlit's Vega draws SVG here: each year's bar is a path of the rect mark.
    bars = (
        "[...document.querySelectorAll("
        "'.stMain [data-testid=\"stVegaLiteChart\"] .mark-rect path')]"
    )
    walk.wait(f"return {bars}.length > 1;", "the by-year chart's bars")
    tallest = browser.execute_script(
        f"return {bars}.sort((a, b) => b.getBBox().height - a.getBBox().height)[0];"
    )
    ActionChains(browser).move_to_element(tallest).click().perform()
    walk.wait("return location.search.includes('year_from=');", "the year in the address")
    query = urlsplit(browser.current_url).query
    year_from = re.search(r"year_from=(\d{4})", query)
    year_to = re.search(r"year_to=(\d{4})", query)
    assert year_from and year_to and year_from.group(1) == year_to.group(1), query
    year = year_from.group(1)
    metas = "[...document.querySelectorAll('.stMain .kb-meta')]"
    walk.wait(
        f"return {metas}.length > 0 && {metas}.every(m => m.innerText.includes('{year}'));",
        "only that year's documents",
    )
    save_shot(browser, tmp_path / "browse-one-year.png")


def test_learning_page_shows_questions_and_recurring_recommendations(
    server: int,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """The Learning page on the fictional samples (issue 15), with screenshots."""
    browser.get(f"http://localhost:{server}/?page=Learning")
    wait_js(
        browser,
        "return [...document.querySelectorAll('.stApp .kb-passage')].length > 3",
        ANSWER_TIMEOUT,
        "the Learning page's items",
    )
    save_shot(browser, tmp_path / "learning.png")
    for tab in ("Reflective questions", "Recurring recommendations"):
        click_js(
            browser,
            "return [...document.querySelectorAll('.stApp [role=\"tab\"]')]"
            f".find(b => b.innerText.includes({tab!r}))",
            STEP_TIMEOUT,
            f"the {tab} tab",
        )
        name = "learning-questions" if tab.startswith("Reflective") else "learning-groups"
        wait_js(
            browser,
            "return [...document.querySelectorAll('.stApp .kb-passage')]"
            ".some(e => e.offsetParent !== null && "
            + (
                "e.innerText.trim().endsWith('?'))"
                if name == "learning-questions"
                else "true) && document.body.innerText.includes('documents recommended')"
            ),
            STEP_TIMEOUT,
            f"the {tab} tab's items",
        )
        save_shot(browser, tmp_path / f"{name}.png")
    assert (tmp_path / "learning.png").stat().st_size > 10_000
    assert (tmp_path / "learning-groups.png").stat().st_size > 10_000
