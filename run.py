"""WSGI entry point: gunicorn run:app, flask --app run ..."""

import gc

from app import create_app

app = create_app()
# the objects of the imports and the app (FAB's views, SQLAlchemy's mappers, templates) live
# as long as the process: out of the collector's sight, a full (generation 2) collection no
# longer walks them — it cost a request ~160 ms every few dozen requests (bench/pages.py p95)
gc.freeze()
