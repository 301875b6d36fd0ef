"""kb.web.auth: which access control is configured, the password check, the throttle,
and the gate in a running Streamlit script (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb.config import Settings
from kb.web.auth import OFF, OIDC, PASSWORD, Access, Throttle, access_mode, attempt, check_password

REPO = Path(__file__).resolve().parents[2]
PROVIDER = {
    "client_id": "kb",
    "client_secret": "s3cret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}


# --------------------------------------------------------------------------- the decision


def test_off_by_default() -> None:
    assert access_mode(None, Settings().app) == Access(OFF)
    assert access_mode({}, Settings().app) == Access(OFF)
    assert not Access(OFF).required


def test_password_from_the_environment() -> None:
    settings = Settings.from_env({"KB_APP_PASSWORD": "correct horse"}).app
    assert access_mode({}, settings) == Access(PASSWORD)
    assert access_mode({"other": {"a": 1}}, settings).mode == PASSWORD
    # An empty variable is no password at all, not an empty password.
    assert access_mode({}, Settings.from_env({"KB_APP_PASSWORD": ""}).app) == Access(OFF)


def test_password_is_kept_out_of_repr() -> None:
    assert "correct horse" not in repr(Settings.of(app_password="correct horse"))


def test_oidc_wins_over_the_password() -> None:
    settings = Settings.of(app_password="correct horse").app
    assert access_mode({"auth": {**AUTH, **PROVIDER}}, settings) == Access(OIDC, (None,))


def test_oidc_named_providers() -> None:
    secrets = {"auth": {**AUTH, "microsoft": dict(PROVIDER), "google": dict(PROVIDER)}}
    assert access_mode(secrets, Settings().app) == Access(OIDC, ("microsoft", "google"))
    both = {"auth": {**AUTH, **PROVIDER, "okta": dict(PROVIDER)}}
    assert access_mode(both, Settings().app).providers == (None, "okta")


def test_check_password() -> None:
    assert check_password("correct horse", "correct horse")
    assert not check_password("correct hors", "correct horse")
    assert not check_password("", "correct horse")
    assert check_password("caf\u00e9 \U0001f40e", "caf\u00e9 \U0001f40e")


def test_throttle_refuses_after_too_many_failures() -> None:
    now = [0.0]
    throttle = Throttle(limit=3, window=60.0, clock=lambda: now[0])
    settings = Settings.of(app_password="right").app
    assert [attempt("wrong", settings, throttle) for _ in range(3)] == ["wrong"] * 3
    # Even the right password waits now: nothing may be learnt while blocked.
    assert attempt("right", settings, throttle) == "throttled"
    now[0] = 61.0
    assert attempt("right", settings, throttle) == "ok"


# --------------------------------------------------------------------------- the gate, running

SCRIPT = """
import streamlit as st
from kb.web import auth
from kb.config import Settings

auth.gate(st, Settings.from_env().app)
st.write("library content")
"""


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.fixture
def throttle_reset() -> None:
    from kb.web import auth

    auth.THROTTLE = Throttle()


def test_gate_off_shows_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    at = AppTest.from_string(SCRIPT).run()
    assert not at.exception
    assert "library content" in texts(at)


def test_gate_password(monkeypatch: pytest.MonkeyPatch, throttle_reset: None) -> None:
    monkeypatch.setenv("KB_APP_PASSWORD", "correct horse")
    at = AppTest.from_string(SCRIPT).run()
    assert not at.exception
    assert "library content" not in texts(at)
    assert at.text_input[0].label == "Password"

    at.text_input[0].input("wrong horse")
    at.button[0].click().run()
    assert "library content" not in texts(at)
    assert [e.value for e in at.error] == ["That password is not right."]

    at.text_input[0].input("correct horse")
    at.button[0].click().run()
    assert not at.exception
    assert "library content" in texts(at)
    assert not at.text_input  # the form is gone once in


def test_gate_oidc_asks_to_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_APP_PASSWORD", "ignored when OIDC is configured")
    at = AppTest.from_string(SCRIPT)
    at.secrets["auth"] = {**AUTH, **PROVIDER}
    at.run()
    assert not at.exception
    assert "library content" not in texts(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.text_input


def test_the_app_is_gated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """app.py calls the gate before it opens the library or shows a search box."""
    monkeypatch.setenv("KB_APP_PASSWORD", "correct horse")
    monkeypatch.setenv("KB_STORE_DIR", str(tmp_path / "nothing-here"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.text_input] == ["Password"]
    assert not (tmp_path / "nothing-here").exists()  # the library was never opened
