"""Extension objects, bound to the app in create_app()."""

from flask import Flask, current_app
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from werkzeug.local import LocalProxy

db = get_sqla_class()()
# create_app() builds one AppBuilder per app (it holds that app's views, menu and security
# manager), so the factory can run more than once in a process; this names the current one.
appbuilder: AppBuilder = LocalProxy(lambda: current_app.appbuilder)  # type: ignore[assignment]
csrf = CSRFProtect()
migrate = Migrate()


def engines_of(app: Flask, dialect: str | None = None) -> list:
    """The app's SQLAlchemy engines (only those of `dialect`, "sqlite" or "postgresql",
    when given)."""
    with app.app_context():
        engines = list(db.engines.values())
    return [e for e in engines if dialect is None or e.dialect.name == dialect]


def on_connect(app: Flask, dialect: str, listener, name: str = "connect",
               first: bool = False) -> None:
    """Run `listener(dbapi_connection, record)` on each new connection of the app's engines
    of that dialect ("sqlite", "postgresql"); name="do_connect": `listener(dialect, record,
    cargs, cparams)` makes the connection (SQLAlchemy's do_connect event). `first`: before
    the listeners already there, SQLAlchemy's own first look at the server included."""
    for engine in engines_of(app, dialect):
        event.listen(engine, name, listener, insert=first)
