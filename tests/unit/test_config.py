"""Configuration comes from the environment and refuses unsafe starts."""

import os
import secrets
import stat
import subprocess
import sys

import pytest

from config import BASE_DIR
from tests.factories import KEYS, config_with_env

STRONG_KEY = secrets.token_urlsafe(48)
PRODUCTION = {"REPLAN_ENV": "production", "SECRET_KEY": STRONG_KEY,
              "DATABASE_URL": "postgresql+psycopg://db/replan",
              "REDIS_URL": "redis://127.0.0.1:6379/0",
              "REPLAN_BASE_URL": "https://replan.example"}


def start_app(env: dict) -> subprocess.CompletedProcess:
    """`create_app()` in a fresh interpreter under `env`; prints a digest of the key."""
    clean = {k: v for k, v in os.environ.items() if k not in KEYS}
    code = ("import hashlib; from app import create_app; app = create_app(); "
            "print('KEY', hashlib.sha256(app.secret_key.encode()).hexdigest())")
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["Production", "prod", "staging", "PRODUCTION", ""])
def test_unknown_environment_refuses_to_start(name):
    with config_with_env(REPLAN_ENV=name) as config:
        with pytest.raises(config.ConfigError, match="REPLAN_ENV must be one of"):
            config.Config.validate()


def test_unknown_environment_stops_the_real_process(tmp_path):
    result = start_app({"REPLAN_ENV": "prod", "SECRET_KEY": STRONG_KEY,
                        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})
    assert result.returncode != 0
    assert "ConfigError" in result.stderr and "REPLAN_ENV must be one of" in result.stderr


@pytest.mark.parametrize("key", [None, "x", "s3cr3t", "x" * 40, "ab" * 20, "0123456789" * 4,
                                 "dev-only-not-secret",
                                 pytest.param(secrets.token_hex(12), id="random-hex-24")])
def test_production_refuses_a_missing_or_weak_secret_key(key):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if key is not None:
        env["SECRET_KEY"] = key
    with config_with_env(**env) as config:
        with pytest.raises(config.ConfigError, match="SECRET_KEY"):
            config.Config.validate()


def test_production_refuses_to_start_without_secret_key():
    from app import create_app

    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    with config_with_env(**env) as config:
        with pytest.raises(config.ConfigError, match="SECRET_KEY must be set"):
            create_app(config.Config)


@pytest.mark.parametrize("missing, message", [
    ("REDIS_URL", "REDIS_URL must be set"),
    ("REPLAN_BASE_URL", "REPLAN_BASE_URL must be set to the public https"),
    ("DATABASE_URL", "DATABASE_URL must point to PostgreSQL"),
])
def test_production_needs_redis_base_url_and_postgresql(missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    with config_with_env(**env) as config:
        with pytest.raises(config.ConfigError, match=message):
            config.Config.validate()


def test_production_refuses_a_plain_http_base_url():
    with config_with_env(**{**PRODUCTION, "REPLAN_BASE_URL": "http://replan.example"}) as config:
        with pytest.raises(config.ConfigError, match="https"):
            config.Config.validate()


def test_production_with_real_secrets_passes_validation():
    with config_with_env(**PRODUCTION) as config:
        config.Config.validate()
        assert config.Config.secret_key() == STRONG_KEY
        assert config.Config.SESSION_COOKIE_SECURE is True
        assert config.Config.REMEMBER_COOKIE_SECURE is True
        assert config.Config.SESSION_COOKIE_HTTPONLY is True
        assert config.Config.SESSION_COOKIE_SAMESITE == "Lax"


def test_development_refuses_the_old_public_key():
    with config_with_env(SECRET_KEY="dev-only-not-secret") as config:
        with pytest.raises(config.ConfigError, match="publicly known"):
            config.Config.validate()


def test_development_key_is_generated_once_private_and_reused(tmp_path):
    from config import dev_secret_key

    path = tmp_path / "instance" / "secret_key"
    first = dev_secret_key(path)
    assert len(first) >= 32 and first not in ("dev-only-not-secret", "test-secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dev_secret_key(path) == first
    assert dev_secret_key(tmp_path / "other") != first  # random, not derived


def test_development_start_without_secret_key_uses_the_generated_file(tmp_path):
    from app import create_app

    env = {"REPLAN_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
           "REPLAN_SECRET_KEY_FILE": str(tmp_path / "secret_key")}
    with config_with_env(**env) as config:  # two starts, as after a restart
        first, second = create_app(config.Config), create_app(config.Config)
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert "dev-only-not-secret" not in (BASE_DIR / "config.py").read_text().split("PUBLIC_KEYS")[0]


def test_proxy_count_must_be_a_number():
    with pytest.raises(RuntimeError, match="REPLAN_PROXY_COUNT must be a whole number"):
        with config_with_env(REPLAN_PROXY_COUNT="two"):
            pass


def test_environment_drives_database_redis_and_base_url():
    with config_with_env(DATABASE_URL="postgresql+psycopg://x/y",
                         REDIS_URL="redis://127.0.0.1:6379/3",
                         REPLAN_BASE_URL="https://replan.example/") as config:
        assert config.Config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://x/y"
        assert config.Config.REDIS_URL == "redis://127.0.0.1:6379/3"
        assert config.Config.BASE_URL == "https://replan.example"
    with config_with_env() as config:
        assert config.Config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
        assert config.Config.REDIS_URL is None
        assert config.Config.FAB_UPDATE_PERMS is False
        assert config.Config.BASE_URL == "http://127.0.0.1:5000"
        assert config.Config.PROXY_COUNT == 0
        assert config.Config.SESSION_COOKIE_SECURE is False


def test_database_connections_are_pinged_before_use(app):
    from app.extensions import db

    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    with app.app_context():
        assert db.engine.pool._pre_ping is True


@pytest.mark.parametrize("value, expected", [(None, True), ("1", True), ("0", False),
                                             ("off", False)])
def test_prepared_statements_switch(value, expected):
    """REPLAN_PG_PREPARED: on unless turned off (a transaction-mode pooler, docs/deploy.md)."""
    env = {} if value is None else {"REPLAN_PG_PREPARED": value}
    with config_with_env(cleared=("REPLAN_PG_PREPARED",), **env) as config:
        assert config.Config.PG_PREPARED_STATEMENTS is expected
