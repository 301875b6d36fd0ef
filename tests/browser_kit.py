"""Helpers for driving the app in headless chromium (tests/test_browser.py).

Starting ``streamlit run app.py`` on a free port, the browser's options, and
what the browser asked for: every request and websocket from Chrome's
performance log, and every address an element in the page points at.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
READY_TIMEOUT = 180.0  # the app loads the model before it answers
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1800",
)
LOCAL_SCHEMES = ("data", "blob", "about")


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


@contextmanager
def running_app(app: Path, store: Path, log: Path) -> Iterator[int]:
    """``streamlit run app`` over ``store`` on a free localhost port; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "KB_STORE_DIR": str(store),
        "KB_OCR": "false",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
    command += ["--server.address", "localhost", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=app.parent,
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


def chrome_options(profile: Path, downloads: Path | None = None) -> Any:
    """Chromium's options: headless, nothing of its own online, a performance log,
    and files downloaded into ``downloads`` without asking."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (*CHROME_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    if downloads is not None:
        prefs = {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "profile.default_content_setting_values.automatic_downloads": 1,
        }
        options.add_experimental_option("prefs", prefs)
    # Network.* events of the page, read with driver.get_log("performance").
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return options


def requested_urls(driver: Any) -> list[str]:
    """Every request and websocket the page made since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


# Addresses elements point at: what they load (src, link href, poster...) and,
# separately, where links lead (a href), both resolved against the page.
_ADDRESSES_JS = """
const loads = [], links = [];
for (const el of document.querySelectorAll('[src],[href],[srcset],[poster],[data]')) {
  for (const name of ['src', 'href', 'srcset', 'poster', 'data']) {
    const raw = el.getAttribute(name);
    if (raw === null || raw === '') continue;
    const isLink = name === 'href' && el.tagName.toLowerCase() === 'a';
    const values = name === 'srcset' ? raw.split(',').map(s => s.trim().split(/\\s+/)[0]) : [raw];
    for (const v of values) (isLink ? links : loads).push(new URL(v, document.baseURI).href);
  }
}
return [loads, links];
"""


def page_addresses(driver: Any) -> tuple[list[str], list[str]]:
    loads, links = driver.execute_script(_ADDRESSES_JS)
    return list(loads), list(links)


def foreign(urls: list[str], port: int) -> list[str]:
    """The URLs that go anywhere but the app itself (or stay inside the browser)."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        own = parts.hostname in ("localhost", "127.0.0.1") and parts.port == port
        if parts.scheme in ("http", "ws") and own:
            continue
        out.append(url)
    return out


def allow_downloads(driver: Any, folder: Path) -> None:
    """Headless Chromium saves downloads only when told where (DevTools)."""
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )


def arrived(folder: Path, count: int, timeout: float) -> list[Path]:
    """The finished downloads in ``folder`` once there are ``count`` (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        done = sorted(p for p in folder.iterdir() if not p.name.endswith(".crdownload"))
        partial = [p for p in folder.iterdir() if p.name.endswith(".crdownload")]
        if (len(done) >= count and not partial) or time.monotonic() > deadline:
            return done
        time.sleep(0.2)  # polling interval


def save_shot(driver: Any, path: Path) -> None:
    """A screenshot in the test's folder, and in ``$KB_SCREENSHOTS`` when set
    (to look at what a change did, outside the temporary folders)."""
    driver.save_screenshot(str(path))
    extra = os.environ.get("KB_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(extra) / path.name))


def wait_js(driver: Any, script: str, timeout: float, what: str) -> Any:
    """Poll a JavaScript expression until it returns something truthy."""
    from selenium.common.exceptions import JavascriptException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = driver.execute_script(script)
        except JavascriptException:
            value = None
        if value:
            return value
        time.sleep(0.25)  # polling interval
    pytest.fail(f"timed out waiting for {what}")


def click_js(driver: Any, script: str, timeout: float, what: str) -> None:
    """Click the element a script returns, retrying while Streamlit re-renders it."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        StaleElementReferenceException,
    )

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        element = wait_js(driver, script, timeout, what)
        try:
            element.click()
            return
        except (
            StaleElementReferenceException,
            ElementClickInterceptedException,
            ElementNotInteractableException,
        ):
            time.sleep(0.25)  # polling interval
    pytest.fail(f"could not click {what}")
