"""deploy/: the compose file parses, describes a 3-node cluster, and the environment it
gives the app and ingest containers means what it should to ``kb.config.Settings``.

Docker cannot run here, so this checks the files, not a running cluster; the
store contract runs against a live cluster when QDRANT_URL is set
(tests/store/test_store.py, "qdrant-server").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.config import ENV_PREFIX, Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
# What an operator exports before `docker compose up` (see deploy/README.md).
OPERATOR_ENV = {"QDRANT_API_KEY": "k" * 64, "KB_APP_PASSWORD": "", "KB_PUBLIC_HOST": "kb.example"}
_VAR = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        if op == "?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""

    return _VAR.sub(one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment must be a mapping"
    return {k: interpolate(str(v), OPERATOR_ENV) for k, v in env.items()}


def test_three_qdrant_nodes_in_one_cluster(compose: dict[str, Any]) -> None:
    services = compose["services"]
    nodes = [name for name in services if name.startswith("qdrant-")]
    assert nodes == ["qdrant-1", "qdrant-2", "qdrant-3"]
    for name in nodes:
        env = environment(services[name])
        assert env["QDRANT__CLUSTER__ENABLED"] == "true"
        assert env["QDRANT__TELEMETRY_DISABLED"] == "true"
        assert env["QDRANT__SERVICE__API_KEY"] == OPERATOR_ENV["QDRANT_API_KEY"]
        assert f"--uri http://{name}:6335" in services[name]["command"]
        assert services[name]["volumes"][0].startswith(f"{name}:")
    for follower in ("qdrant-2", "qdrant-3"):
        assert "--bootstrap http://qdrant-1:6335" in services[follower]["command"]
    # The backend network has no route out.
    assert compose["networks"]["backend"]["internal"] is True


@pytest.mark.parametrize("service", ["app", "ingest"])
def test_kb_environment_maps_to_settings(compose: dict[str, Any], service: str) -> None:
    env = environment(compose["services"][service])
    known = {ENV_PREFIX + name.upper() for name in Settings.field_names()} | {
        "QDRANT_URL",
        "QDRANT_API_KEY",
    }
    kb_vars = {k for k in env if k.startswith(ENV_PREFIX) or k.startswith("QDRANT_")}
    assert kb_vars <= known, f"not kb settings: {sorted(kb_vars - known)}"
    settings = Settings.from_env(env)  # coerces every value, or raises ConfigError
    assert settings.store.uses_server
    assert settings.store.qdrant_url == "http://qdrant-1:6333"
    assert settings.store.qdrant_api_key == OPERATOR_ENV["QDRANT_API_KEY"]
    assert (settings.store.shard_number, settings.store.replication_factor) == (6, 2)
    assert settings.store.replication_factor <= 3  # no more copies than nodes
    assert not settings.app.log_queries


def test_app_settings(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    env = environment(app)
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert env["STREAMLIT_BROWSER_SERVER_ADDRESS"] == "kb.example"
    assert Settings.from_env(env).app.app_password is None  # empty: access control off
    assert all(p.startswith("127.0.0.1:") for p in app["ports"])
    assert compose["services"]["ingest"]["profiles"] == ["ingest"]


def test_missing_api_key_is_refused() -> None:
    with pytest.raises(KeyError, match="QDRANT_API_KEY"):
        interpolate("${QDRANT_API_KEY:?set QDRANT_API_KEY}", {})


def test_dockerfile_installs_cpu_torch_before_the_project() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    torch = next(i for i, line in enumerate(lines) if "pip install torch==2.13.0" in line)
    project = next(i for i, line in enumerate(lines) if "pip install -c constraints.txt" in line)
    assert torch < project
    assert "download.pytorch.org/whl/cpu" in lines[torch]
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "secrets.toml" not in ignore.replace("!.streamlit/config.toml", "")


def test_the_server_does_not_watch_the_checkout_for_changes() -> None:
    """Streamlit's file watcher would follow every module the app imports from
    the checkout, and `make install` puts .venv (torch, transformers) there: the
    watch spun a core at 99 % and overflowed inotify in bench/app.py."""
    import tomllib

    config_file = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    config = tomllib.loads(config_file.read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
