"""``manage.py create_demo_user``: a local demo login and OAuth2 client, debug mode only.

Creates (or resets) the superuser ``demo`` with password ``demo`` and the OAuth2
application ``demo-client`` / ``demo-secret`` (client-credentials grant, acting as
``demo``). These credentials are public (README): the command refuses to run unless
``DEBUG`` is true, so production settings never create them, and a ``DEBUG=false``
server refuses to start while they exist (:mod:`backend.deployment`). ``--remove``
(in any mode) deletes the client, the user's tokens and sessions, and the user unless a
row still names it (``audit_user`` of the versions it made is ``PROTECT``): such a user
is kept as their author but deactivated, its password made unusable.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from oauth2_provider import models as oauth2_models

from backend.api_auth import save_client_application
from backend.deployment import DEMO_CLIENT_ID as CLIENT_ID
from backend.deployment import DEMO_CLIENT_SECRET as CLIENT_SECRET
from backend.deployment import DEMO_PASSWORD as PASSWORD
from backend.deployment import DEMO_USERNAME as USERNAME


class Command(BaseCommand):
    help = "Create the local demo user (demo/demo) and OAuth2 client (DEBUG=true only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--remove",
            action="store_true",
            help="Delete the demo user and client instead (a user who made changes is "
            "deactivated).",
        )

    def handle(self, *args, **options):
        if options["remove"]:
            self.stdout.write(remove())
            return
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create the demo user: its password is public. "
                "It is for local use with DEBUG=true only."
            )
        user, _ = get_user_model().objects.update_or_create(
            username=USERNAME, defaults={"is_staff": True, "is_superuser": True, "is_active": True}
        )
        user.set_password(PASSWORD)
        user.save()
        save_client_application(CLIENT_ID, CLIENT_SECRET, user, "Local demo client")
        self.stdout.write(
            f"Demo user {USERNAME!r} (password {PASSWORD!r}) and OAuth2 client "
            f"{CLIENT_ID!r} (secret {CLIENT_SECRET!r}) are ready. Local use only."
        )


@transaction.atomic
def remove() -> str:
    """Remove the demo client and user; what was done, for people."""
    user = get_user_model().objects.filter(username=USERNAME).first()
    dropped = drop_logins(user) if user is not None else ""
    issued = _delete_tokens(application__client_id=CLIENT_ID)  # those of no user
    oauth2_models.get_application_model().objects.filter(client_id=CLIENT_ID).delete()
    done = f"Demo client {CLIENT_ID!r} removed with {issued} token(s) or grant(s) of its own."
    if user is None:
        return f"{done} No user {USERNAME!r}."
    try:
        with transaction.atomic():
            user.delete()
    except (ProtectedError, RestrictedError):
        user.is_active = user.is_staff = user.is_superuser = False
        user.set_unusable_password()
        user.save()
        return (
            f"{done} Demo user {USERNAME!r} made changes that name it as their author, so "
            f"it is kept but deactivated: password unusable, {dropped} dropped."
        )
    return f"{done} Demo user {USERNAME!r} deleted, {dropped} dropped."


def drop_logins(user) -> str:
    """Delete the OAuth2 tokens and grants issued to ``user`` and its sessions; says how
    many, for people."""
    tokens = _delete_tokens(user=user)
    sessions = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=sessions).delete()
    return f"{tokens} OAuth2 token(s) or grant(s) and {len(sessions)} session(s)"


def _delete_tokens(**match) -> int:
    """Delete the OAuth2 access, refresh and ID tokens and grants matching ``match``
    (field lookups); how many."""
    deleted = 0
    for model in (
        oauth2_models.get_access_token_model(),
        oauth2_models.get_refresh_token_model(),
        oauth2_models.get_id_token_model(),
        oauth2_models.get_grant_model(),
    ):
        deleted += model.objects.filter(**match).delete()[1].get(model._meta.label, 0)
    return deleted
