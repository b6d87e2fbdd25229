#!/bin/sh
# `docker compose up` checked end to end on a machine with no image registry (make
# compose-check; .ci/run's last step): the stand-in images of tools/registryless (Debian's
# packages), Replan's own image built from the Dockerfile on the stand-in Python base, the
# project started from compose.yaml as a separate compose project (replan-check, ports 18000
# and 18025: a running `replan` project is left alone), the demo journey of
# tools/compose_smoke.py over HTTP with a worker killed and Redis restarted, every e-mail
# checked in the mail catcher, then everything removed (volumes too).
#
# Compose v2 (the `docker compose` plugin) comes from Docker's own download site, which these
# machines do not reach; Compose v1.29.2 from PyPI runs the same file but for its top-level
# `name:` (v1 takes the project name from -p), so it reads a copy without that one line.
# Needs root (apt, dockerd). Exits non-zero on any failure.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=${STANDIN_DIR:-/tmp/replan-standin}
project=replan-check
mkdir -p "$work"

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "compose-check: installing docker.io and debootstrap (Debian)"
  apt-get update -qq >"$work/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap >>"$work/apt.log" 2>&1
fi
if ! docker info >/dev/null 2>&1; then
  echo "compose-check: starting dockerd"
  (dockerd >"$work/dockerd.log" 2>&1 &)
  n=0
  until docker info >/dev/null 2>&1; do
    n=$((n + 1)); [ $n -lt 60 ] || { tail -20 "$work/dockerd.log"; exit 1; }; sleep 1
  done
fi

compose_venv="$work/compose-venv"
if [ ! -x "$compose_venv/bin/docker-compose" ]; then
  echo "compose-check: installing Compose v1.29.2 from PyPI"
  python3 -m venv "$compose_venv"
  pip() { "$compose_venv/bin/pip" install -q "$@" 2>>"$work/pip.log" || { cat "$work/pip.log"; exit 1; }; }
  # PyYAML 5.4 (Compose v1's pin) builds only with Cython < 3
  pip "cython==0.29.37" "wheel==0.45.1" "setuptools==75.8.0"
  pip --no-build-isolation "pyyaml==5.4.1"
  pip "docker-compose==1.29.2" "docker==6.1.3" "requests==2.31.0"
fi

echo "compose-check: stand-in images (tools/registryless)"
"$root/tools/registryless/build.sh"
echo "compose-check: building replan:latest from the Dockerfile"
docker build -q --build-arg PYTHON_IMAGE=standin/python:3.11-slim-bookworm \
  -t replan:latest "$root" >/dev/null

sed '/^name: /d' "$root/compose.yaml" >"$work/compose-v1.yaml"
dc() {
  WEB_PORT=18000 MAILPIT_PORT=18025 "$compose_venv/bin/docker-compose" --compatibility \
    -p "$project" -f "$work/compose-v1.yaml" --project-directory "$root" "$@"
}
dc down -v --remove-orphans >/dev/null 2>&1 || true
status=0
echo "compose-check: docker compose up -d"
if dc up -d >"$work/up.log" 2>&1; then
  python="$root/.venv/bin/python"
  [ -x "$python" ] || python=python3
  "$python" "$root/tools/compose_smoke.py" --project "$project" \
    --web http://127.0.0.1:18000 --mailpit http://127.0.0.1:18025 || status=1
else
  cat "$work/up.log"; status=1
fi
if [ $status != 0 ]; then
  for c in $(docker ps -aq --filter "label=com.docker.compose.project=$project"); do
    echo "--- $(docker inspect -f '{{.Name}} {{.State.Status}}' "$c")"
    docker logs --tail 15 "$c" 2>&1 || true
  done
fi
dc down -v --remove-orphans >/dev/null 2>&1 || true
[ $status = 0 ] && echo "compose-check: PASSED" || echo "compose-check: FAILED"
exit $status
