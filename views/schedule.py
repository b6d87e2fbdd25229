"""The week schedule of all engineers; engineers keep their own availability."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.errors import DomainError
from app.input_guard import arg_int, form_int
from app.permissions import ADMIN, ENGINEER, role_names
from app.extensions import db
from app.request_filters import search_text
from app.settings import working_hours
from app.templating import decimal_text
from app.timefmt import local_today
from app.typed_input import show_page_at
from app.scheduling import (MAX_WEEKLY_CAPACITY, OWN_KINDS, delete_own_entry, own_entry_or_404,
                            save_own_entry, set_weekly_capacity)
from app.translations import locale_name
from app.uow import unit_of_work
from app.week_schedule import ONLY_CHOICES, WeekQuery, week_page
from models.schedule import ENTRY_KIND_LABELS
from views.actions import run_use_case
from views.forms import EntryForm


def monday_of(value: str | None) -> date:
    """The Monday of the asked week; of the bureau's current week (its zone, not the
    server's) when none or a wrong one is asked."""
    try:
        day = date.fromisoformat(value) if value else local_today()
    except ValueError:
        day = local_today()
    if not 2000 <= day.year <= 2999:  # the grid adds days: date.max would overflow (500)
        day = local_today()
    return day - timedelta(days=day.weekday())


def week_query() -> WeekQuery:
    """The week page's state from the query string (anything unknown is left out)."""
    only = request.args.get("only", "")
    week = request.args.get("week") or request.form.get("week")  # a refused entry form's
    return WeekQuery(monday_of(week), search_text(request.args.get("q")),
                     only if only in ONLY_CHOICES else "", arg_int("page", None, 1, 100_000),
                     arg_int("engineer"))


def week_link(query: WeekQuery, page):
    """url(**changes): the week page with the current state and the changes; the selected
    engineer is kept, and without an explicit page his page opens (another week or filter
    may put him on another page)."""
    state = {"week": query.monday.isoformat(), "q": query.text, "only": query.only,
             "engineer": page.selected or query.engineer_id,
             "page": None if page.selected or page.number == 1 else page.number}

    def url(anchor: bool = True, **changes):
        args = {key: value for key, value in {**state, **changes}.items() if value}
        selected = args.get("engineer")
        return url_for("ScheduleView.week", **args) + \
            (f"#engineer-{selected}" if anchor and selected else "")
    return url


def url_pattern(endpoint: str) -> str:
    """The endpoint's URL with "{}" for its pk: hundreds of entry links cost one url_for."""
    return url_for(endpoint, pk=987654321).replace("987654321", "{}")


def chip_renderer(desk_url: str, entry_url: str):
    """`chips(cell)`: one day's entries of an engineer as the week shows them, built in Python
    with every value escaped. A page of busy engineers holds ~800 of them, and each took some
    ten template steps (about half of the page's rendering). The values a page repeats (the
    kinds' classes, the times) are escaped once each; the links' patterns once, their ids
    are numbers."""
    conflict, edit = escape(_("Conflict")), escape(_("Edit"))
    kinds = {kind: escape(str(label)) for kind, label in ENTRY_KIND_LABELS.items()}
    desk, entry_link = str(escape(desk_url)), str(escape(entry_url))
    escaped: dict[str, str] = {}

    def once(value: str) -> str:
        found = escaped.get(value)
        if found is None:
            found = escaped[value] = str(escape(value))
        return found

    def chip(e) -> str:
        title = f' title="{escape(e.note)}"' if e.note else ""
        opening = (f' data-conflict="{int(e.id)}"><strong class="text-danger">⚠ {conflict}:'
                   f'</strong> ' if e.clash else ">")
        what = (f'<a href="{desk.format(int(e.request_id))}">{escape(e.number)}</a>'
                if e.request_id else kinds.get(e.kind, ""))
        own = f' <a href="{entry_link.format(int(e.id))}" title="{edit}">✎</a>' if e.own else ""
        return (f'<span class="replan-entry {once(e.css)}"{title}{opening}{once(e.times)} '
                f'{what}{own}</span>')

    def chips(cell) -> Markup:
        return Markup("".join(chip(e) for e in cell))

    return chips


def hours_renderer():
    """`hours(value)`: “7,5 h” as a day's cell shows it (140 a page: the translation is
    looked up once, each figure through the kept decimal format)."""
    before, _mark, after = _("%(hours)s h", hours="\x00").partition("\x00")
    before, after = escape(before), escape(after)
    locale = locale_name()

    def hours(value) -> Markup:
        return Markup(f"{before}{escape(decimal_text(value, locale))}{after}")

    return hours


def page_numbers(number: int, pages: int, around: int = 2) -> list[int | None]:
    """The pages to link: first, last and those near this one; None marks a gap."""
    shown = sorted({1, pages, *range(max(number - around, 1), min(number + around, pages) + 1)})
    found: list[int | None] = []
    for k in shown:
        if found and k - found[-1] > 1:
            found.append(None)
        found.append(k)
    return found


class ScheduleView(BaseView):
    route_base = "/schedule"
    default_view = "week"
    base_permissions = ["can_week", "can_entry", "can_delete_entry", "can_capacity"]

    @expose("/")
    @has_access
    def week(self):
        """A page of engineers' week (an engineer: his own); filters kept in every link."""
        return self.render_week(EntryForm() if ENGINEER in role_names(g.user) else None)

    def render_week(self, form: EntryForm | None):
        """The week page with the engineer's new-entry form (`form`: a refused one rendered
        again with what was typed, app.typed_input; it carries the week it was typed on)."""
        query = week_query()
        page = week_page(g.user, query)
        rows, monday = page.rows, query.monday
        link = week_link(query, page)
        show_page_at(link(anchor=False))  # a refused entry's POST: a reload opens the week
        return self.render_template(
            "desk/schedule.html", page=page, days=page.days, rows=rows, monday=monday,
            query=query, link=link,
            chips=chip_renderer(url_pattern("DeskView.show"), url_pattern("ScheduleView.entry")),
            hours=hours_renderer(),
            page_numbers=page_numbers(page.number, page.pages),
            prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
            day_totals=[round(sum(r.day_hours[k] for r in rows), 1) for k in range(7)],
            form=form, workdays=working_hours()[2],  # the bureau's days (others: shaded)
            own_kinds=OWN_KINDS, edit_capacity=ADMIN in role_names(g.user))

    @expose("/entry", methods=["POST"])
    @expose("/entry/<int:pk>", methods=["GET", "POST"])
    @has_access
    def entry(self, pk: int | None = None):
        """An engineer adds or edits own busy / vacation / work time."""
        if ENGINEER not in role_names(g.user):
            abort(403)
        entry = own_entry_or_404(g.user, pk) if pk is not None else None  # 0: no such entry
        form = EntryForm(obj=entry)
        if request.method == "POST":
            if form.validate_on_submit():
                try:
                    with unit_of_work():
                        saved = save_own_entry(g.user, form.kind.data, form.starts_at.data,
                                               form.ends_at.data, form.note.data, entry)
                        week = saved.starts_at.date().isoformat()
                except DomainError as exc:
                    flash(str(exc), "danger")
                else:
                    flash(_("Schedule saved."), "success")
                    return redirect(url_for("ScheduleView.week", week=week))
            else:
                flash(_("Enter the kind, the start and the end."), "danger")
            if entry is None:  # the week again, the new entry's form as typed
                return self.render_week(form)
            entry = own_entry_or_404(g.user, pk)  # as stored: the failed change rolled back
        return self.render_template("desk/entry.html", form=form, entry=entry)

    @expose("/entry/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete_entry(self, pk: int):
        own_entry_or_404(g.user, pk)  # a foreign entry is 404 before anything else
        with unit_of_work():
            week = delete_own_entry(g.user, pk).starts_at.date().isoformat()
        flash(_("Entry deleted."), "success")
        return redirect(url_for("ScheduleView.week", week=week))

    @expose("/capacity/<int:user_id>", methods=["POST"])
    @has_access
    def capacity(self, user_id: int):
        """The admin sets an engineer's weekly capacity (hours) from the week grid."""
        engineer = db.session.get(User, user_id)
        if engineer is None or ENGINEER not in role_names(engineer):
            abort(404)
        hours = form_int("weekly_capacity_hours", lo=0, hi=MAX_WEEKLY_CAPACITY)
        if hours is None:
            flash(_("The weekly capacity is a whole number of hours from 0 to %(max)s.",
                    max=MAX_WEEKLY_CAPACITY), "danger")
        else:
            run_use_case(lambda: set_weekly_capacity(g.user, engineer, hours),
                         _("Weekly capacity saved."))
        week = monday_of(request.form.get("week"))
        only = request.form.get("only", "")
        kept = {"q": search_text(request.form.get("q")),
                "only": only if only in ONLY_CHOICES else ""}  # the filters the grid had
        return redirect(url_for("ScheduleView.week", week=week.isoformat(), engineer=user_id,
                                **{key: value for key, value in kept.items() if value}))
