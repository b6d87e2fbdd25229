"""Extension objects, bound to the app in create_app()."""

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.local import LocalProxy

db = get_sqla_class()()
# create_app() builds one AppBuilder per app (it holds that app's views, menu and security
# manager), so the factory can run more than once in a process; this names the current one.
appbuilder: AppBuilder = LocalProxy(lambda: current_app.appbuilder)  # type: ignore[assignment]
csrf = CSRFProtect()
migrate = Migrate()
