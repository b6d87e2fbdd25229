"""The Dockerfile and compose.yaml, checked statically: hadolint, the Compose spec's JSON
schema, and the topology Replan needs; `make compose-check` also builds and runs them
(docs/deploy.md, "Checking a compose deployment")."""

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config import BASE_DIR, settings_problems
import config as config_module
from tests.factories import config_with_env

BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((BASE_DIR / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "scheduler")


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is missing: `make test` installs requirements-test.txt"
    return found


def command(service: str) -> str:
    cmd = SERVICES[service]["command"]
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = subprocess.run([tool("hadolint"), "--failure-threshold", "info", "Dockerfile"],
                            cwd=BASE_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_is_valid_against_the_compose_spec():
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                             "compose.yaml"], cwd=BASE_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_a_non_root_user_on_a_pinned_base_with_a_healthcheck():
    text = (BASE_DIR / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M).group(1)
    assert base == "python:3.11-slim-bookworm"
    assert all(line.split()[1] == "${PYTHON_IMAGE}"
               for line in re.findall(r"^FROM .*$", text, re.M))
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert re.search(r'^CMD \["gunicorn"', text, re.M)
    assert "digest" in text  # the note to pin the digest once a registry is reachable


def test_dockerignore_keeps_secrets_and_junk_out_of_the_image():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "instance", "tests", ".env", "**/__pycache__"):
        assert entry in ignored


def test_the_services_of_the_topology():
    assert set(SERVICES) == {"migrate", "web", "worker", "scheduler", "postgres", "redis",
                             "mailcatcher"}
    assert command("web").startswith("gunicorn ") and "run:app" in command("web")
    assert command("worker") == "flask replan worker --no-cron"
    assert command("scheduler") == "flask replan worker"
    assert "flask db upgrade heads" in command("migrate")
    assert "flask replan sync-roles" in command("migrate")
    assert SERVICES["mailcatcher"]["image"].startswith("axllent/mailpit:v")


def test_exactly_one_cron_runner():
    cron_runners = [name for name in APP_SERVICES
                    if "replan worker" in command(name) and "--no-cron" not in command(name)]
    assert cron_runners == ["scheduler"]
    assert SERVICES["scheduler"]["deploy"]["replicas"] == 1


def test_every_long_running_service_has_a_healthcheck():
    for name, service in SERVICES.items():
        if name == "migrate":
            assert service["healthcheck"] == {"disable": True}
            assert service["restart"] == "no"
            continue
        check = service["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1, name
        assert check.get("retries", 0) >= 3, name
    assert "/readyz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


@pytest.mark.parametrize("name", ["web", "worker", "scheduler"])
def test_app_services_wait_for_healthy_dependencies_and_the_migration(name):
    assert SERVICES[name]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"}}


def test_migration_waits_for_the_database_and_redis():
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                                 "redis": {"condition": "service_healthy"}}


@pytest.mark.parametrize("name", ["worker", "scheduler"])
def test_workers_stop_warmly_with_time_to_finish_a_job(name):
    assert SERVICES[name]["stop_signal"] == "SIGTERM"
    minutes = int(re.fullmatch(r"(\d+)m", SERVICES[name]["stop_grace_period"]).group(1))
    assert minutes >= 4  # RQ's default job timeout is 3 minutes


def config_env_names() -> set[str]:
    source = (BASE_DIR / "config.py").read_text()
    return set(re.findall(r'(?:os\.environ\.get|_env_bool|_env_int)\(\s*"([A-Z_]+)"', source))


def test_every_variable_the_app_services_get_is_one_config_reads():
    known = config_env_names()
    for name in APP_SERVICES:
        env = set(SERVICES[name]["environment"]) - {"REPLAN_DEMO"}  # read by migrate's shell
        assert env <= known, (name, sorted(env - known))


def test_the_environment_points_at_the_compose_services():
    env = SERVICES["web"]["environment"]
    assert re.fullmatch(r"postgresql\+psycopg://replan:\$\{POSTGRES_PASSWORD:-replan\}"
                        r"@postgres:5432/replan", env["DATABASE_URL"])
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["MAIL_SERVER"] == "${MAIL_SERVER:-mailcatcher}" and "1025" in env["MAIL_PORT"]
    assert SERVICES["postgres"]["environment"]["POSTGRES_DB"] == "replan"


def test_uploads_and_exports_are_one_volume_shared_by_web_and_workers():
    for name in ("web", "worker", "scheduler"):
        assert "replan-data:/data" in SERVICES[name]["volumes"]
        env = SERVICES[name]["environment"]
        assert env["REPLAN_UPLOAD_DIR"].startswith("/data/")
        assert env["REPLAN_EXPORT_DIR"].startswith("/data/")


def interpolate(value: str, overrides: dict) -> str:
    """Compose's ${NAME:-default} with `overrides` as the .env file."""
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}",
                  lambda m: overrides.get(m.group(1), m.group(2) or ""), str(value))


@contextlib.contextmanager
def config_under(env: dict):
    """config.py re-read with exactly the compose environment (plus PATH etc.); restored after."""
    with config_with_env(config_env_names() | set(env), **{k: v for k, v in env.items() if v}) \
            as reloaded:
        yield {k: getattr(reloaded.Config, k) for k in dir(reloaded.Config) if k.isupper()}


def test_production_settings_from_compose_and_a_dot_env_pass_the_start_checks():
    dot_env = {"REPLAN_ENV": "production", "SECRET_KEY": "Zq8" + "x7Lp2Vn9Rb4Tm6Wk3Hc5Jd1Fg0" * 2,
               "REPLAN_BASE_URL": "https://replan.example.ru", "POSTGRES_PASSWORD": "pw"}
    env = {k: interpolate(v, dot_env) for k, v in SERVICES["web"]["environment"].items()}
    with config_under(env) as settings:
        assert settings_problems(settings) == []
        assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://replan:pw@postgres:5432/replan"
        assert settings["UPLOAD_DIR"] == "/data/uploads" and settings["LOG_FORMAT"] == "json"


def test_the_environment_is_restored_after_reading_it():
    assert os.environ.get("REPLAN_UPLOAD_DIR") != "/data/uploads"
    assert config_module.Config.UPLOAD_DIR != "/data/uploads"


def test_without_a_dot_env_production_refuses_to_start():
    env = {k: interpolate(v, {"REPLAN_ENV": "production"})
           for k, v in SERVICES["web"]["environment"].items()}
    with config_under(env) as settings:
        problems = " ".join(settings_problems(settings))
    assert "SECRET_KEY must be set" in problems and "https://" in problems
