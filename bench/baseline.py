"""The side-by-side baseline of bench/pages.py: a minimal Flask + SQLAlchemy Core app serving
the partner request list (the cabinet's columns, newest first, keyset pages of 20, the same
text search on address / client) from the same database, with no login, no ORM, no layout.

    DATABASE_URL=postgresql+psycopg://… gunicorn -w 2 -b 127.0.0.1:5117 bench.baseline:app

GET /requests?company=1[&after=ID][&q=TEXT]  → an HTML table (X-SQL-Count header as the app's)
"""

from __future__ import annotations

import os

from flask import Flask, request
from jinja2 import Template
from sqlalchemy import MetaData, Table, create_engine, or_, select

PAGE_SIZE = 20

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
meta = MetaData()
req = Table("request", meta, autoload_with=engine)
client = Table("end_client", meta, autoload_with=engine)
user = Table("ab_user", meta, autoload_with=engine)

PAGE = Template("""<!doctype html><html><head><meta charset="utf-8"><title>Requests</title></head>
<body><table><thead><tr><th>Number</th><th>Request data</th><th>Client</th><th>Filed by</th>
<th>Status</th><th>Total</th><th>Created</th></tr></thead><tbody>
{% for r in rows %}<tr><td><a href="/requests/{{ r.id }}">{{ r.number }}</a></td>
<td>{{ r.object_address }}</td><td>{{ r.client or '—' }}</td>
<td>{{ r.first_name }} {{ r.last_name }}</td><td>{{ r.status }}</td>
<td>{{ '%.2f'|format(r.total_kopecks / 100) }} ₽</td>
<td>{{ r.created_at.strftime('%d.%m.%Y') }}</td></tr>
{% endfor %}</tbody></table>
{% if older %}<a href="?company={{ company }}&after={{ older }}">Older</a>{% endif %}
</body></html>""", autoescape=True)

app = Flask(__name__)


@app.get("/requests")
def requests_page():
    company = int(request.args.get("company", "1"))
    query = (select(req.c.id, req.c.number, req.c.object_address, req.c.status,
                    req.c.total_kopecks, req.c.created_at, client.c.name.label("client"),
                    user.c.first_name, user.c.last_name)
             .select_from(req.outerjoin(client, client.c.id == req.c.end_client_id)
                          .outerjoin(user, user.c.id == req.c.author_id))
             .where(req.c.company_id == company))
    if request.args.get("after"):
        query = query.where(req.c.id < int(request.args["after"]))
    text = (request.args.get("q") or "").strip()
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(req.c.object_address.ilike(pattern), req.c.number.ilike(pattern),
                                client.c.name.ilike(pattern)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(req.c.id.desc()).limit(PAGE_SIZE + 1)).all()
    older = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    body = PAGE.render(rows=rows[:PAGE_SIZE], older=older, company=company)
    return body, 200, {"Content-Type": "text/html; charset=utf-8", "X-SQL-Count": "1"}
