"""Optional access control for the app: OIDC sign-in, a shared password, or off.

For a deployment that holds unpublished material (draft reviews, case notes),
the app can require people to sign in. Which way is decided from what the
deployment configured, in this order:

1. ``oidc``: ``.streamlit/secrets.toml`` has an ``[auth]`` section, so
   Streamlit's own ``st.login`` (OpenID Connect: Microsoft Entra, Google,
   Okta, Auth0...) signs people in. One provider may be written directly in
   ``[auth]`` or several as ``[auth.<name>]``.
2. ``password``: ``KB_APP_PASSWORD`` is set; one shared password, compared in
   constant time, with failed attempts throttled for the whole process.
3. ``off`` (the default): a local tool on localhost needs no sign-in.

``access_mode`` is the pure decision (tested without Streamlit); ``gate`` is
the one call the app makes at the top of each run, and stops the run until
the visitor is let in.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kb.config import AppSettings

OFF, PASSWORD, OIDC = "off", "password", "oidc"
SESSION_KEY = "kb_auth_ok"
MAX_FAILURES = 10  # wrong passwords, across all sessions, within the window
FAILURE_WINDOW_S = 60.0
# Keys of a provider's settings, as Streamlit's [auth] section spells them.
_PROVIDER_KEYS = {"client_id", "client_secret", "server_metadata_url"}


@dataclass(frozen=True)
class Access:
    """How the app is protected. ``providers``: named OIDC providers, or (None,)
    for the single provider written directly in ``[auth]``."""

    mode: str
    providers: tuple[str | None, ...] = ()

    @property
    def required(self) -> bool:
        return self.mode != OFF


def access_mode(secrets: Mapping[str, Any] | None, settings: AppSettings) -> Access:
    """OIDC when the secrets have an ``[auth]`` section, else a password when
    ``KB_APP_PASSWORD`` is set, else off."""
    auth = (secrets or {}).get("auth")
    if isinstance(auth, Mapping):
        named = tuple(
            str(k) for k, v in auth.items() if isinstance(v, Mapping) and _PROVIDER_KEYS & set(v)
        )
        providers: tuple[str | None, ...] = named or (None,)
        if _PROVIDER_KEYS & set(auth):
            providers = (None, *named)
        return Access(OIDC, providers)
    if settings.app_password:
        return Access(PASSWORD)
    return Access(OFF)


def check_password(given: str, expected: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about the password."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class Throttle:
    """Refuses password attempts after ``limit`` failures within ``window`` seconds.

    Process-wide (shared by every browser session), because a new session is
    free to open: a per-session counter would stop nobody.
    """

    def __init__(
        self,
        limit: int = MAX_FAILURES,
        window: float = FAILURE_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: deque[float] = deque()
        self._lock = threading.Lock()

    def _trim(self, now: float) -> None:
        while self._failures and now - self._failures[0] > self.window:
            self._failures.popleft()

    def blocked(self) -> bool:
        with self._lock:
            self._trim(self._clock())
            return len(self._failures) >= self.limit

    def failed(self) -> None:
        with self._lock:
            now = self._clock()
            self._trim(now)
            self._failures.append(now)


THROTTLE = Throttle()


def attempt(given: str, settings: AppSettings, throttle: Throttle = THROTTLE) -> str:
    """One password attempt: "ok", "wrong" or "throttled"."""
    if throttle.blocked():
        return "throttled"
    if settings.app_password and check_password(given, settings.app_password):
        return "ok"
    throttle.failed()
    return "wrong"


def _secrets(st: Any) -> Mapping[str, Any]:
    try:
        return st.secrets.to_dict() if "auth" in st.secrets else {}
    except FileNotFoundError:  # no secrets.toml at all (Streamlit's error subclasses it)
        return {}


def protected(st: Any, settings: AppSettings) -> bool:
    """Whether a visitor must sign in or give a password before seeing anything."""
    return access_mode(_secrets(st), settings).required


def gate(st: Any, settings: AppSettings) -> None:
    """Stop this run of the app unless the visitor may see it (a no-op when off)."""
    access = access_mode(_secrets(st), settings)
    if access.mode == OFF:
        return
    if access.mode == OIDC:
        if getattr(st.user, "is_logged_in", False):
            who = st.user.get("email") or st.user.get("name") or "signed in"
            from kb.web.html import md_text

            st.sidebar.caption(f"Signed in: {md_text(who)}")
            st.sidebar.button("Sign out", on_click=st.logout, key="kb-auth-logout")
            return
        st.title("Safeguarding review search")
        st.write("This library holds unpublished material. Sign in to continue.")
        for provider in access.providers:
            label = f"Sign in with {provider}" if provider else "Sign in"
            args = (provider,) if provider else ()
            st.button(label, on_click=st.login, args=args, key=f"kb-auth-{provider or 'default'}")
        st.stop()
    if st.session_state.get(SESSION_KEY):
        return
    st.title("Safeguarding review search")
    with st.form("kb-auth-password"):
        given = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Enter")
    if submitted:
        outcome = attempt(given, settings)
        if outcome == "ok":
            st.session_state[SESSION_KEY] = True
            st.rerun()
        elif outcome == "throttled":
            st.error("Too many wrong passwords. Wait a minute and try again.")
        else:
            st.error("That password is not right.")
    st.stop()
