# openIMIS GraphQL backend: the project installed with pip from pyproject.toml (no dev
# extras), served by gunicorn on port 8000 as a non-root user.
#
#   docker build -t openimis-graphql .
#   docker compose up            (PostgreSQL + this image, see docker-compose.yml)
#
# The entrypoint (docker/entrypoint.sh) applies migrations, optionally loads the demo
# data (LOAD_DEMO_DATA=1), then execs gunicorn. Any other command runs as given:
#   docker run --rm openimis-graphql python manage.py check
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=backend.settings \
    STATIC_ROOT=/app/staticfiles

RUN groupadd --system --gid 10001 openimis \
    && useradd --system --uid 10001 --gid openimis --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin openimis

# Dependencies first, from the pins in pyproject.toml (tomllib is in the standard
# library), so that a code change does not reinstall them. README* is optional
# (pyproject names README.md as the long description); pyproject.toml beside it keeps
# the COPY valid when it is absent.
COPY pyproject.toml README* /src/
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" \
       > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself, as a regular (non-editable) install into site-packages.
COPY backend /src/backend
COPY modules /src/modules
RUN pip install /src && rm -rf /src

# Only manage.py and the entrypoint live in /app; the code is imported from
# site-packages. Static files (the admin's) are collected at build time into
# STATIC_ROOT; they are not served by gunicorn (no whitenoise, by choice).
WORKDIR /app
COPY manage.py /app/manage.py
COPY docker/entrypoint.sh /app/docker/entrypoint.sh
RUN chmod 0755 /app/docker/entrypoint.sh \
    && python manage.py collectstatic --noinput --verbosity 0

USER openimis
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["serve"]
