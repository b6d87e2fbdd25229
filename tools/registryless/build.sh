#!/bin/sh
# Stand-ins for the images compose.yaml names, built from Debian's packages alone, for a
# machine that reaches Debian's and PyPI's mirrors but no image registry (docs/deploy.md,
# "Checking a compose deployment"). Not for production: there, pull the real images.
#
#   apt-get install -y docker.io debootstrap && dockerd &      # once, as root
#   tools/registryless/build.sh                                # ~2 minutes
#   docker build --build-arg PYTHON_IMAGE=standin/python:3.11-slim-bookworm -t replan:latest .
#   docker compose up -d && .venv/bin/python tools/compose_smoke.py
#
# The stand-ins: python:3.11-slim-bookworm → Debian bookworm's Python 3.11 (python3-venv);
# postgres:16-bookworm → Debian's PostgreSQL 15 behind an entrypoint that reads POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB as the official one does; redis:7.4-bookworm → Debian's
# Redis 7.0 with the official entrypoint's protected mode off; axllent/mailpit → a small SMTP
# catcher (aiosmtpd) with Mailpit's message list API and `/mailpit readyz`. Each is tagged with
# the name compose.yaml uses, so compose finds it and pulls nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${STANDIN_DIR:-/tmp/replan-standin}
mkdir -p "$work"
if ! docker image inspect standin/debian:bookworm >/dev/null 2>&1; then
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" \
    http://deb.debian.org/debian >"$work/debootstrap.log"
  tar -C "$work/rootfs" -c . | docker import - standin/debian:bookworm >/dev/null
fi
# the host's CA bundle: where outgoing TLS passes a proxy with its own CA, pip trusts it too
rm -rf "$work/py" && cp -r "$here/py" "$work/py"
cp /etc/ssl/certs/ca-certificates.crt "$work/py/ca-certificates.crt"
docker build -q -t standin/python:3.11-slim-bookworm "$work/py"
docker build -q -t postgres:16-bookworm "$here/pg"
docker build -q -t redis:7.4-bookworm "$here/redis"
docker build -q -t axllent/mailpit:v1.27 "$here/mailpit"
