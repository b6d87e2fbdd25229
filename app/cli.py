"""`flask replan ...` commands: sync-roles, demo, worker."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group()
def replan():
    """Replan administration commands."""


@replan.command("sync-roles")
@with_appcontext
def sync_roles_command():
    """Create permissions and apply the role matrix (idempotent)."""
    from app.permissions import sync_roles

    for role, count in sync_roles(current_app.appbuilder).items():
        click.echo(f"{role}: {count} permissions")


@replan.command("demo")
@with_appcontext
def demo_command():
    """Load demo data once (refused in production)."""
    from app.demo import DEMO_PASSWORD, DEMO_USERS, DemoRefused, load_demo

    try:
        created = load_demo()
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Demo data loaded." if created else "Demo data already present, nothing to do.")
    click.echo(f"Demo logins (password {DEMO_PASSWORD}):")
    for username, role, *_ in DEMO_USERS:
        click.echo(f"  {username:<14} {role}")


@replan.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@with_appcontext
def worker_command(burst: bool):
    """Run an RQ worker with the scheduler (needs REDIS_URL)."""
    from app.jobs import run_worker

    try:
        run_worker(burst=burst)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
