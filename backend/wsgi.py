"""WSGI entry point (gunicorn backend.wsgi).

With ``DEBUG=false`` it refuses to start on the public development ``SECRET_KEY`` or
with the public demo credentials in the database (:mod:`backend.deployment`).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
application = get_wsgi_application()

from backend.deployment import refuse_unsafe_production  # noqa: E402 (needs Django set up)

refuse_unsafe_production()
