"""Configuration comes from the environment and refuses unsafe production starts."""

import contextlib
import importlib
import os

import pytest

KEYS = ("REPLAN_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL")


@contextlib.contextmanager
def config_with_env(**env):
    """The config module re-read under `env`; the real one is restored afterwards."""
    import config

    saved = {k: os.environ.get(k) for k in KEYS}
    try:
        for key in KEYS:
            os.environ.pop(key, None)
        os.environ.update(env)
        yield importlib.reload(config)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        importlib.reload(config)


def test_production_refuses_to_start_without_secret_key():
    from app import create_app

    with config_with_env(REPLAN_ENV="production",
                         DATABASE_URL="postgresql+psycopg://db/replan") as config:
        with pytest.raises(config.ConfigError, match="SECRET_KEY"):
            create_app(config.Config)


def test_environment_drives_database_and_redis():
    with config_with_env(DATABASE_URL="postgresql+psycopg://x/y",
                         REDIS_URL="redis://127.0.0.1:6379/3") as config:
        assert config.Config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://x/y"
        assert config.Config.REDIS_URL == "redis://127.0.0.1:6379/3"
    with config_with_env() as config:
        assert config.Config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
        assert config.Config.REDIS_URL is None
        assert config.Config.FAB_UPDATE_PERMS is False


def test_production_with_secrets_passes_validation():
    with config_with_env(REPLAN_ENV="production", SECRET_KEY="s3cr3t",
                         DATABASE_URL="postgresql+psycopg://db/replan") as config:
        config.Config.validate()
