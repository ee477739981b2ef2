"""``manage.py create_demo_user``: a local demo login and OAuth2 client, debug mode only.

Creates (or resets) the superuser ``demo`` with password ``demo`` and the OAuth2
application ``demo-client`` / ``demo-secret`` (client-credentials grant, acting as
``demo``). These credentials are public (README): the command refuses to run unless
``DEBUG`` is true, so production settings never create them, and a ``DEBUG=false``
server refuses to start while they exist (:mod:`backend.deployment`). ``--remove``
deletes them (in any mode).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import get_application_model

from backend.api_auth import save_client_application
from backend.deployment import DEMO_CLIENT_ID as CLIENT_ID
from backend.deployment import DEMO_CLIENT_SECRET as CLIENT_SECRET
from backend.deployment import DEMO_PASSWORD as PASSWORD
from backend.deployment import DEMO_USERNAME as USERNAME


class Command(BaseCommand):
    help = "Create the local demo user (demo/demo) and OAuth2 client (DEBUG=true only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--remove", action="store_true", help="Delete the demo user and client instead."
        )

    def handle(self, *args, **options):
        if options["remove"]:
            get_application_model().objects.filter(client_id=CLIENT_ID).delete()
            get_user_model().objects.filter(username=USERNAME).delete()
            self.stdout.write(f"Demo user {USERNAME!r} and client {CLIENT_ID!r} removed.")
            return
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create the demo user: its password is public. "
                "It is for local use with DEBUG=true only."
            )
        user, _ = get_user_model().objects.update_or_create(
            username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(PASSWORD)
        user.save()
        save_client_application(CLIENT_ID, CLIENT_SECRET, user, "Local demo client")
        self.stdout.write(
            f"Demo user {USERNAME!r} (password {PASSWORD!r}) and OAuth2 client "
            f"{CLIENT_ID!r} (secret {CLIENT_SECRET!r}) are ready. Local use only."
        )
