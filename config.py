"""Configuration read from the environment; TestConfig for the test suite."""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
KNOWN_ENVIRONMENTS = ("development", "test", "production")
# keys that were ever public (this repository's history, examples): never sign with them
PUBLIC_KEYS = {"dev-only-not-secret", "test-secret", "secret", "changeme", "change-me"}
KEY_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a safe start."""


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def weak_secret(key: str | None) -> str | None:
    """Why `key` may not sign production sessions, or None when it is strong enough."""
    if not key:
        return f"SECRET_KEY must be set when REPLAN_ENV=production; {KEY_HINT}"
    if key in PUBLIC_KEYS:
        return f"SECRET_KEY is a publicly known value; {KEY_HINT}"
    if len(key) < 32:
        return f"SECRET_KEY must be at least 32 characters (got {len(key)}); {KEY_HINT}"
    if len(set(key)) < 10 or key in (key + key)[1:-1]:  # 'x'*40, 'ab'*20, '0123456789'*4
        return f"SECRET_KEY is repetitive, not random; {KEY_HINT}"
    return None


def dev_secret_key(path: Path) -> str:
    """The local development key in `path`: generated once (mode 0600), then reused."""
    if path.exists():
        key = path.read_text().strip()
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        if key:
            return key
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)  # atomic: of two processes starting together one key wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


def settings_problems(settings: Mapping) -> list[str]:
    """Everything in `settings` (config names) that forbids a safe start."""
    env = settings.get("ENV_NAME")
    if env not in KNOWN_ENVIRONMENTS:
        return [f"REPLAN_ENV must be one of {', '.join(KNOWN_ENVIRONMENTS)} "
                f"(exactly, lower case), got {env!r}"]
    problems = []
    base = urlsplit(settings.get("BASE_URL") or "")
    if base.scheme not in ("http", "https") or not base.netloc or base.query or base.fragment:
        problems.append(f"REPLAN_BASE_URL must be an absolute http(s) URL without query, "
                        f"got {settings.get('BASE_URL')!r}")
    if settings.get("PROXY_COUNT", 0) < 0:
        problems.append("REPLAN_PROXY_COUNT must be 0 or more")
    key = settings.get("SECRET_KEY")
    if env == "development" and key in PUBLIC_KEYS:
        problems.append(f"SECRET_KEY is a publicly known value; unset it or {KEY_HINT}")
    if env == "production":
        problems += _production_problems(settings, base.scheme)
    return problems


def _production_problems(settings: Mapping, base_scheme: str) -> list[str]:
    problems = [p for p in [weak_secret(settings.get("SECRET_KEY"))] if p]
    if str(settings.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point to PostgreSQL in production")
    if not settings.get("REDIS_URL"):
        problems.append("REDIS_URL must be set in production (jobs, rate limits)")
    if base_scheme != "https":
        problems.append("REPLAN_BASE_URL must be set to the public https:// address "
                        "in production")
    return problems


class Config:
    """Settings for development and production, from environment variables."""

    ENV_NAME = os.environ.get("REPLAN_ENV", "development")
    # unset outside production: a random key is generated once into SECRET_KEY_FILE
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FILE = Path(os.environ.get("REPLAN_SECRET_KEY_FILE", INSTANCE_DIR / "secret_key"))
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'replan.sqlite'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # a connection killed by a database restart is replaced before use, not failed on
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 1800}
    # PostgreSQL: statements run prepared from page to page (app/pg_connections.py); off
    # behind a pooler that hands each transaction another server connection (PgBouncer's
    # transaction mode before 1.22)
    PG_PREPARED_STATEMENTS = _env_bool("REPLAN_PG_PREPARED", True)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()  # text | json (app/logs.py)
    # enqueueing from a web request waits at most this long (seconds) for Redis, no retries
    REDIS_ENQUEUE_TIMEOUT = float(os.environ.get("REPLAN_REDIS_ENQUEUE_TIMEOUT") or 0.5)
    # links in e-mails are built from this, never from the request's Host header
    BASE_URL = os.environ.get("REPLAN_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    PROXY_COUNT = _env_int("REPLAN_PROXY_COUNT", 0)  # 0: X-Forwarded-* is not trusted
    UPLOAD_DIR = os.environ.get("REPLAN_UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    STORAGE_BACKEND = os.environ.get("REPLAN_STORAGE", "local")  # app/file_store.py STORES
    EXPORT_DIR = os.environ.get("REPLAN_EXPORT_DIR", str(INSTANCE_DIR / "exports"))
    # versioned, precompressed copies of the static files (app/static_assets.py), built at start
    STATIC_BUILD_DIR = os.environ.get("REPLAN_STATIC_BUILD_DIR",
                                      str(INSTANCE_DIR / "static-build"))

    EXPORT_INLINE_ROWS = int(os.environ.get("REPLAN_EXPORT_INLINE_ROWS", "5000"))
    EXPORT_TTL_HOURS = int(os.environ.get("REPLAN_EXPORT_TTL_HOURS", "24"))
    # a running export silent this long is failed (its worker died); it beats every 2000 rows
    EXPORT_STALE_SECONDS = int(os.environ.get("REPLAN_EXPORT_STALE_SECONDS", "120"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Replan <noreply@replan.local>")
    MAIL_ENABLED = _env_bool("MAIL_ENABLED", False)

    # webhooks (app/webhooks.py): private, loopback, link-local targets are refused unless on
    WEBHOOKS_ALLOW_PRIVATE = _env_bool("REPLAN_WEBHOOKS_ALLOW_PRIVATE", False)
    WEBHOOKS_TIMEOUT = float(os.environ.get("REPLAN_WEBHOOKS_TIMEOUT") or 5)  # seconds

    # Telegram (docs/telegram.md): without a bot token the feature is hidden everywhere
    TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN") or None
    TELEGRAM_BOT_USERNAME = (os.environ.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None
    TELEGRAM_API_BASE = (os.environ.get("TELEGRAM_API_BASE")
                         or "https://api.telegram.org").rstrip("/")
    TELEGRAM_WEBHOOK_SECRET = os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None

    # prefill links (docs/prefill.md): how long a prefill token works unless its creator asks
    PREFILL_TOKEN_DAYS = _env_int("REPLAN_PREFILL_TOKEN_DAYS", 7)

    # Flask-AppBuilder
    APP_NAME = "Replan"
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_UPDATE_PERMS = False  # roles are synced by `flask replan sync-roles`
    FAB_CREATE_DB = False  # Alembic owns the schema
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = False
    FAB_ADD_MENU_API = False  # FAB's cookie-authenticated /api/v1/menu/: /api/v1 is token-only
    API_RATE_LIMIT_READ = "120 per minute"  # per API token (app.api_tokens.check_rate)
    API_RATE_LIMIT_WRITE = "60 per minute"
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
    RATELIMIT_ENABLED = _env_bool("REPLAN_RATE_LIMIT", True)  # always on; memory without Redis
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: limit per process, keep working
    RATELIMIT_SWALLOW_ERRORS = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = ENV_NAME == "production"
    # FAB never sets a remember-me cookie; if one appears it gets the same flags, and a
    # session restored from it carries no session generation, so app.sessions ends it
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = ENV_NAME == "production"
    REMEMBER_COOKIE_DURATION = PERMANENT_SESSION_LIFETIME

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
        """Refuse to start on an unknown REPLAN_ENV or, in production, without real secrets."""
        problems = settings_problems({k: getattr(cls, k) for k in dir(cls) if k.isupper()})
        if problems:
            raise ConfigError("Replan refuses to start:\n- " + "\n- ".join(problems))

    @classmethod
    def secret_key(cls) -> str:
        """The signing key: from the environment, else the generated development key."""
        if cls.SECRET_KEY:
            return cls.SECRET_KEY
        if cls.ENV_NAME == "production":
            raise ConfigError(weak_secret(None))
        return dev_secret_key(cls.SECRET_KEY_FILE)


class TestConfig(Config):
    """Settings for the test suite: DATABASE_URL/REDIS_URL come from the environment."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'test.sqlite'}"
    )
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # FAB checks this hash when the user is unknown (same timing as a wrong password); its
    # default is scrypt, ~0.1 s a sign-in attempt: a cheap hash of the same method as above
    AUTH_DB_FAKE_PASSWORD_HASH_CHECK = ("pbkdf2:sha256:1000$UBlXUzfbJDIkJGqu$8916b16dfc6619a05"
                                        "4af141eaa634f6de0ea78fd6a71f7aa342a66f0b6f3dc2f")
    MAIL_ENABLED = False
    RATELIMIT_ENABLED = False  # switched on by the test that checks it
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None
