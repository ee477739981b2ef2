# openIMIS GraphQL backend: the dependencies installed from the hashed lock
# requirements/main.txt (runtime, the demo data package, tracing; no dev tools), the
# project itself with pip, served by gunicorn on port 8000 as a non-root user.
#
#   docker build -t openimis-graphql .
#   docker compose up            (PostgreSQL + this image, see docker-compose.yml)
#
# The entrypoint (docker/entrypoint.sh) applies migrations, optionally loads the demo
# data (LOAD_DEMO_DATA=1), then execs gunicorn. Any other command runs as given:
#   docker run --rm openimis-graphql python manage.py check
# The frontend and GraphiQL (README "Frontend"), built from frontend/package-lock.json with
# the Node.js LTS; the operations are typed from the committed schema.graphql.
FROM node:22-slim AS frontend
WORKDIR /build
COPY schema.graphql /build/schema.graphql
COPY frontend/package.json frontend/package-lock.json /build/frontend/
RUN npm ci --prefix /build/frontend --no-audit --no-fund
COPY frontend /build/frontend
RUN npm --prefix /build/frontend run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=backend.settings \
    STATIC_ROOT=/app/staticfiles \
    FRONTEND_DIST=/app/frontend/dist

RUN groupadd --system --gid 10001 openimis \
    && useradd --system --uid 10001 --gid openimis --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin openimis

# Dependencies first, every version and hash from the lock (setuptools, the build
# requirement, included), so that a code change does not reinstall them and two builds
# install the same files.
COPY requirements/main.txt /src/requirements/main.txt
RUN pip install --require-hashes --no-deps -r /src/requirements/main.txt

# The project itself, as a regular (non-editable) install into site-packages, built with
# the locked setuptools and without fetching anything. README* is optional (pyproject
# names README.md as the long description); pyproject.toml beside it keeps the COPY valid
# when it is absent.
COPY pyproject.toml README* /src/
COPY backend /src/backend
COPY modules /src/modules
RUN pip install --no-deps --no-build-isolation /src && pip check && rm -rf /src

# Only manage.py and the entrypoint live in /app; the code is imported from
# site-packages. Static files (the admin's) are collected and compressed at build time
# into STATIC_ROOT; WhiteNoise serves them from there.
WORKDIR /app
COPY manage.py /app/manage.py
COPY docker/entrypoint.sh /app/docker/entrypoint.sh
COPY --from=frontend /build/frontend/dist /app/frontend/dist
RUN chmod 0755 /app/docker/entrypoint.sh \
    && python manage.py collectstatic --noinput --verbosity 0

USER openimis
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["serve"]
