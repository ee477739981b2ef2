"""``manage.py create_demo_user``: a local demo login and OAuth2 client, debug mode only.

Creates (or resets) the superuser ``demo`` with password ``demo`` and the OAuth2
application ``demo-client`` / ``demo-secret`` (client-credentials grant, acting as
``demo``). These credentials are public (README): the command refuses to run unless
``DEBUG`` is true, so production settings never create them.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import get_application_model

USERNAME, PASSWORD = "demo", "demo"
CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"


class Command(BaseCommand):
    help = "Create the local demo user (demo/demo) and OAuth2 client (DEBUG=true only)."

    def handle(self, *args, **options):
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
        Application = get_application_model()
        application = Application.objects.filter(client_id=CLIENT_ID).first() or Application(
            client_id=CLIENT_ID
        )
        application.name = "Local demo client"
        application.user = user
        application.client_type = Application.CLIENT_CONFIDENTIAL
        application.authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
        application.client_secret = CLIENT_SECRET  # hashed on save
        application.save()
        self.stdout.write(
            f"Demo user {USERNAME!r} (password {PASSWORD!r}) and OAuth2 client "
            f"{CLIENT_ID!r} (secret {CLIENT_SECRET!r}) are ready. Local use only."
        )
