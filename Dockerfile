# Replan: one image for every process — web (gunicorn), worker and scheduler (flask replan worker).
# Built and run by compose.yaml; see docs/deploy.md.
#
# The base is pinned by tag. When a registry is reachable, pin its digest as well
# (python:3.11-slim-bookworm@sha256:...; `docker buildx imagetools inspect python:3.11-slim-bookworm`)
# so a rebuild cannot pick up a different base unnoticed.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the pinned dependencies in a virtualenv, compiled translations ----------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# every dependency is a pinned wheel (psycopg-binary bundles libpq): no compiler, no apt
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt
COPY babel /build/babel
RUN /opt/venv/bin/pybabel compile -d /build/babel/translations

# --- runtime: no build tools, a non-root user, data under /data -------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLASK_APP=run.py \
    LOG_FORMAT=json \
    REPLAN_UPLOAD_DIR=/data/uploads \
    REPLAN_EXPORT_DIR=/data/exports \
    REPLAN_STATIC_BUILD_DIR=/tmp/replan-static
RUN groupadd --system --gid 10001 replan \
    && useradd --system --uid 10001 --gid replan --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin replan \
    && mkdir -p /data/uploads /data/exports /data/secret \
    && chown -R replan:replan /data \
    && chmod 0700 /data/secret
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY . /app
COPY --from=build /build/babel/translations /app/babel/translations
USER 10001:10001
EXPOSE 8000
VOLUME ["/data"]
# liveness only (cheap); the load balancer and compose's depends_on use /readyz
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# SIGTERM (docker stop): gunicorn finishes the requests in flight within --graceful-timeout
CMD ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "--graceful-timeout", "30", \
     "--no-control-socket", "run:app"]
