"""The site root: partners go to the cabinet, staff see the back-office home."""

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func

from app.extensions import db
from app.access import request_scope
from app.permissions import is_partner, is_staff, role_names
from app.status_labels import staff_label
from models.request_status import Status
from models.requests import Request


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for("ReplanAuthDBView.login"))
        if is_partner(user):
            return redirect(url_for("cabinet.dashboard"))
        if not is_staff(user):
            return redirect(url_for("ReplanAuthDBView.logout"))
        rows = db.session.query(Request.status, func.count(Request.id)) \
            .filter(request_scope(user)).group_by(Request.status).all()
        counts = dict(rows)
        stats = [(staff_label(s), counts.get(s.value, 0), s.value) for s in Status
                 if s != Status.DRAFT]
        return self.render_template(self.index_template, stats=stats,
                                    roles=sorted(role_names(user)))
