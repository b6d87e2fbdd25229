"""The partner cabinet: a hand-built blueprint under /cabinet/."""

from flask import Blueprint

bp = Blueprint("cabinet", __name__, url_prefix="/cabinet", template_folder="templates")

from cabinet import account, dashboard  # noqa: E402,F401  (routes register on bp)
