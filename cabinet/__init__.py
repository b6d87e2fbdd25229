"""The partner cabinet: a hand-built blueprint under /cabinet/."""

from flask import Blueprint

bp = Blueprint("cabinet", __name__, url_prefix="/cabinet", template_folder="templates")

# routes register themselves on bp
from cabinet import (account, calculator, dashboard, documents,  # noqa: E402,F401
                     exports, knowledge, notifications, request_actions, request_edit,
                     requests, team)
