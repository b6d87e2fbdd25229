"""WSGI entry point: gunicorn run:app, flask --app run ..."""

import gc

from app import collector, create_app

app = create_app()
# no cycle collection while a request is served; the young generations are collected after
# its response is written (app/collector.py: the big pages' p95 no longer carries a full
# collection)
collector.install(app)
# the objects of the imports and the app (FAB's views, SQLAlchemy's mappers, templates) live
# as long as the process: out of the collector's sight, a full (generation 2) collection no
# longer walks them — it cost a request ~160 ms every few dozen requests (bench/pages.py p95)
gc.freeze()
