"""Configuration read from the environment; TestConfig for the test suite."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a safe start."""


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for development and production, from environment variables."""

    ENV_NAME = os.environ.get("REPLAN_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'replan.sqlite'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # links in e-mails are built from this, never from the request's Host header
    BASE_URL = os.environ.get("REPLAN_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    PROXY_COUNT = int(os.environ.get("REPLAN_PROXY_COUNT", "0") or 0)  # 0: no proxy trusted
    UPLOAD_DIR = os.environ.get("REPLAN_UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    EXPORT_DIR = os.environ.get("REPLAN_EXPORT_DIR", str(INSTANCE_DIR / "exports"))

    EXPORT_INLINE_ROWS = int(os.environ.get("REPLAN_EXPORT_INLINE_ROWS", "5000"))
    EXPORT_TTL_HOURS = int(os.environ.get("REPLAN_EXPORT_TTL_HOURS", "24"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Replan <noreply@replan.local>")
    MAIL_ENABLED = _env_bool("MAIL_ENABLED", False)

    # Flask-AppBuilder
    APP_NAME = "Replan"
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_UPDATE_PERMS = False  # roles are synced by `flask replan sync-roles`
    FAB_CREATE_DB = False  # Alembic owns the schema
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = False
    FAB_SECURITY_MANAGER_CLASS = "app.security.ReplanSecurityManager"
    FAB_INDEX_VIEW = "views.home.HomeView"
    FAB_BASE_TEMPLATE = "replan_baselayout.html"
    FAB_PASSWORD_HASH_METHOD = os.environ.get("REPLAN_PASSWORD_HASH", "scrypt")
    AUTH_USER_REGISTRATION = False
    # brute-force protection for the login, the application form and password resets;
    # counters live in Redis so every gunicorn worker shares them
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("REPLAN_LOGIN_RATE_LIMIT", "20 per minute")
    PUBLIC_FORM_RATE_LIMIT = os.environ.get("REPLAN_FORM_RATE_LIMIT", "10 per minute")
    RATELIMIT_ENABLED = _env_bool("REPLAN_RATE_LIMIT", bool(os.environ.get("REDIS_URL")))
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: limit per process, keep working
    RATELIMIT_SWALLOW_ERRORS = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # Flask-Babel
    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "babel" / "translations")
    LANGUAGES = {
        "ru": {"flag": "ru", "name": "Русский"},
        "en": {"flag": "gb", "name": "English"},
    }

    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    @classmethod
    def validate(cls) -> None:
        """Refuse to start in production without real secrets."""
        if cls.ENV_NAME == "production":
            if not os.environ.get("SECRET_KEY"):
                raise ConfigError("SECRET_KEY must be set when REPLAN_ENV=production")
            if cls.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
                raise ConfigError("DATABASE_URL must point to PostgreSQL in production")


class TestConfig(Config):
    """Settings for the test suite: DATABASE_URL/REDIS_URL come from the environment."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'test.sqlite'}"
    )
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    MAIL_ENABLED = False
    RATELIMIT_ENABLED = False  # switched on by the test that checks it
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None
