"""Replan application factory."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_appbuilder import AppBuilder

from app.extensions import csrf, db, migrate
from app.health import install_health_endpoints
from app.logs import install_request_logging
from app.pg_connections import install_postgresql_settings
from app.sqlite_functions import install_sqlite_functions
from app.sql_count import install_sql_count
from app.static_assets import install_static_assets
from app.translations import install_request_domain
from app.ui_texts import interface_texts
from config import BASE_DIR, Config


def create_app(config: type[Config] = Config) -> Flask:
    """Build the Flask app: extensions, back office, partner cabinet, commands.

    Re-entrant: each call builds its own AppBuilder, so tests can make apps with other settings.
    """
    config.validate()
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config)
    app.config["SECRET_KEY"] = config.secret_key()
    install_request_logging(app)  # LOG_FORMAT=json: one JSON object per line, request ids
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    install_sql_count(app)  # REPLAN_SQL_COUNT=1 (bench/pages.py): X-SQL-Count header
    install_static_assets(app)  # after every blueprint with a static folder
    install_health_endpoints(app)  # outermost: probes never reach Flask
    return app


def register_extensions(app: Flask) -> None:
    """Bind db, CSRF (before AppBuilder), migrations and AppBuilder."""
    # Every import of app.extensions runs this __init__ first, so importing these at module
    # level would load models, views and services whenever app.extensions is imported.
    # deferred: they import app.extensions (cycle through this package's __init__)
    import models  # noqa: F401  (register every table on Model.metadata)
    from app.api_surface import install as install_api
    from app.catalogue_names import install_reader_names
    from app.form_nonce import install_form_nonce
    from app.input_guard import install_input_guard
    from app.mail import install_outbox_flush
    from app.security import install_request_guards
    from app.sessions import install_session_generation
    from app.telegram_webhook import install_telegram_webhook
    from app.templating import install_template_helpers
    from app.web_security import install_web_security
    from views import register

    install_input_guard(app)  # bounded <int:> converter: before any route is added
    db.init_app(app)
    install_sqlite_functions(app)  # SQLite: lower case for every alphabet (searches)
    install_postgresql_settings(app)  # PostgreSQL: no JIT compilation of page statements
    csrf.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True,
                     directory=str(BASE_DIR / "migrations"))
    # a fresh AppBuilder per app (it keeps its views, menu and security manager)
    appbuilder = AppBuilder(update_perms=False)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        register(appbuilder)
        appbuilder.post_init()
    # translations kept per request (FAB set Flask-Babel up), the admin's wording in front
    install_request_domain(app, interface_texts)
    install_reader_names()  # a service's name in the reader's language, FAB's selects too
    install_request_guards(app)
    install_session_generation(app)
    install_web_security(app)
    install_outbox_flush(app)
    install_form_nonce(app)
    install_template_helpers(app)
    install_api(app, csrf)  # /api/v1: token auth only, no cookies (issue 13)
    install_telegram_webhook(app, csrf)  # only with TELEGRAM_BOT_TOKEN (docs/telegram.md)


def register_blueprints(app: Flask) -> None:
    """The partner cabinet under /cabinet/; reports contributes its PDF templates."""
    # deferred: the cabinet imports app.extensions, which runs this package's __init__ (cycle)
    from cabinet.routes import bp as cabinet_bp

    app.register_blueprint(cabinet_bp)
    limit = app.appbuilder.sm.limiter.limit(app.config["PUBLIC_FORM_RATE_LIMIT"],
                                            methods=["POST"])
    for endpoint in ("cabinet.apply", "cabinet.password_reset_request"):
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    app.register_blueprint(Blueprint("reports", "reports",
                                     template_folder=str(BASE_DIR / "reports" / "templates")))


def register_commands(app: Flask) -> None:
    """Attach the `flask replan ...` command group."""
    # deferred: the commands import app.extensions, which runs this package's __init__ (cycle)
    from app.cli import replan

    app.cli.add_command(replan)
