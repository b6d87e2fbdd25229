"""The partner cabinet: a hand-built blueprint under /cabinet/.

Route modules add their routes to `bp`; cabinet.routes imports every one of them, and the
app registers the blueprint from there (this module imports none, so none imports back).
"""

from flask import Blueprint

bp = Blueprint("cabinet", __name__, url_prefix="/cabinet", template_folder="templates")
