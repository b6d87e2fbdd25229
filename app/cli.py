"""`flask replan ...` commands: sync-roles, demo, bench-data, rebuild-rollups, worker."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.bench_data import BenchRefused, bench_logins, load_bench
from app.demo import DEMO_PASSWORD, DemoRefused
from app.demo_profiles import DEFAULT, load_profile, profiles, users_of
from app.extensions import db
from app.periodic import PERIODIC
from app.permissions import sync_roles
from app.rollups import rebuild as rebuild_rollups
from app.shared_cache import PERMISSIONS, bump
from app.telegram_outbox import BotApiError, set_webhook
from app.worker import run_worker
from models.day_bounds import rebuild as rebuild_day_bounds


@click.group()
def replan():
    """Replan administration commands."""


@replan.command("sync-roles")
@with_appcontext
def sync_roles_command():
    """Create permissions and apply the role matrix (idempotent)."""
    for role, count in sync_roles(current_app.appbuilder).items():
        click.echo(f"{role}: {count} permissions")
    bump(PERMISSIONS)  # every process reads the roles' permissions again (app.shared_cache)


@replan.command("demo")
@click.option("--profile", default=DEFAULT, show_default=True,
              type=click.Choice([DEFAULT, *profiles()]),
              help="Which demo bureau: the redevelopment bureau or another built from data "
                   "only (app/demo_profiles).")
@with_appcontext
def demo_command(profile: str):
    """Load demo data once (refused in production)."""
    try:
        created = load_profile(profile)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Demo data loaded." if created else "Demo data already present, nothing to do.")
    click.echo(f"Demo logins (password {DEMO_PASSWORD}):")
    for username, role in users_of(profile):
        click.echo(f"  {username:<14} {role}")


@replan.command("bench-data")
@click.option("--requests", "count", type=click.IntRange(min=1), required=True,
              help="How many requests (the rest of the dataset is sized from it).")
@click.option("--seed", type=int, default=14, show_default=True, help="Random seed.")
@with_appcontext
def bench_data_command(count: int, seed: int):
    """Bulk-load a large realistic dataset into an empty database (refused in production;
    see app/bench_data.py and docs/benchmarks.md)."""
    try:
        counts = load_bench(count, seed, echo=click.echo)
    except BenchRefused as exc:
        raise click.ClickException(str(exc)) from None
    for table, rows in counts.items():
        click.echo(f"  {table:<16} {rows:>11,}")
    click.echo(f"Bench logins (password {DEMO_PASSWORD}):")
    for username, role in bench_logins():
        click.echo(f"  {username:<14} {role}")


@replan.command("rebuild-rollups")
@with_appcontext
def rebuild_rollups_command():
    """Recompute the dashboard's daily rollups from the whole status history (run once
    after upgrading to 0025_daily_rollups and after changing the bureau's time zone) and the
    staff list's per-day bounds from the requests (after requests were written by SQL)."""
    rows = rebuild_rollups(db.session.connection())
    bounds = rebuild_day_bounds(db.session.connection())
    db.session.commit()
    click.echo(f"status_day_rollup: {rows:,} rows")
    click.echo(f"request_day_bounds: {bounds:,} rows")


@replan.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--no-cron", is_flag=True, help="Do not enqueue the periodic jobs here.")
@with_appcontext
def worker_command(burst: bool, no_cron: bool):
    """Run an RQ worker with the scheduler and the periodic jobs (needs REDIS_URL)."""
    try:
        run_worker(burst=burst, with_cron=not no_cron)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@replan.command("run")
@click.argument("name")
@with_appcontext
def run_command(name: str):
    """Run one periodic job now: sla, digest, auto-close, cleanup-exports, sweep-outbox."""
    if name not in PERIODIC:
        raise click.ClickException(f"Unknown job {name!r}; choose from {', '.join(PERIODIC)}")
    click.echo(f"{name}: {PERIODIC[name][0]()}")


@replan.command("telegram-set-webhook")
@click.argument("url", required=False)
@with_appcontext
def telegram_set_webhook_command(url: str | None):
    """Point the Telegram bot at this site: URL is its public https address (default
    REPLAN_BASE_URL); the webhook is URL/telegram/webhook/<TELEGRAM_WEBHOOK_SECRET>."""
    try:
        set_webhook(url or current_app.config["BASE_URL"])
    except BotApiError as exc:
        raise click.ClickException(f"setWebhook failed: {exc}") from None
    click.echo("Telegram webhook set.")
