"""Replan application factory."""

from __future__ import annotations

import logging

from flask import Flask

from config import Config


def create_app(config: type[Config] = Config) -> Flask:
    """Build the Flask app: extensions, back office, partner cabinet, commands."""
    config.validate()
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config)
    app.config["SECRET_KEY"] = config.secret_key()
    logging.basicConfig(level=logging.INFO if not app.testing else logging.WARNING)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind db, CSRF (before AppBuilder), migrations and AppBuilder."""
    import models  # noqa: F401  (register every table on Model.metadata)
    from app.extensions import appbuilder, csrf, db, migrate
    from app.input_guard import install_input_guard
    from app.security import install_request_guards

    install_input_guard(app)  # bounded <int:> converter: before any route is added
    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True,
                     directory=str(_root() / "migrations"))
    with app.app_context():
        appbuilder.init_app(app, db.session)
        from views import register

        register(appbuilder)
        appbuilder.post_init()
    install_request_guards(app)

    from app.sessions import install_session_generation
    from app.web_security import install_web_security

    install_session_generation(app)
    install_web_security(app)

    from app.mail import install_outbox_flush

    install_outbox_flush(app)

    from app.form_nonce import install_form_nonce

    install_form_nonce(app)

    from app.templating import install_template_helpers

    install_template_helpers(app)


def register_blueprints(app: Flask) -> None:
    """The partner cabinet under /cabinet/; reports contributes its PDF templates."""
    from flask import Blueprint

    from cabinet.routes import bp as cabinet_bp

    app.register_blueprint(cabinet_bp)
    limit = app.appbuilder.sm.limiter.limit(app.config["PUBLIC_FORM_RATE_LIMIT"],
                                            methods=["POST"])
    for endpoint in ("cabinet.apply", "cabinet.password_reset_request"):
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    app.register_blueprint(Blueprint("reports", "reports",
                                     template_folder=str(_root() / "reports" / "templates")))


def register_commands(app: Flask) -> None:
    """Attach the `flask replan ...` command group."""
    from app.cli import replan

    app.cli.add_command(replan)


def _root():
    from config import BASE_DIR

    return BASE_DIR
