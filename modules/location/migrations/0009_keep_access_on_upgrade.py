"""District rights (0006) restrict every user without the global right to their
districts, and a user attached to none sees no location. An installation upgraded to it
would lose its users' access at once; this keeps it: every group and user (not a
superuser) holding a permission of the location module before the upgrade gets the global
right ``location.all_districts``. Administrators then narrow it (remove the right, attach
districts). A new installation has no such users: nothing happens."""

from django.conf import settings
from django.db import migrations

GLOBAL_RIGHT = "all_districts"


def keep_access(apps, schema_editor) -> None:
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    ContentType = apps.get_model("contenttypes", "ContentType")
    held = Permission.objects.filter(content_type__app_label="location").exclude(
        codename=GLOBAL_RIGHT
    )
    groups = list(Group.objects.filter(permissions__in=held).distinct())
    users = list(
        User.objects.filter(is_superuser=False, user_permissions__in=held)
        .exclude(groups__in=groups)
        .distinct()
    )
    if not groups and not users:
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="location", model="location")
    right, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=GLOBAL_RIGHT,
        defaults={
            "name": "Sees and changes every location, not only those of the user's districts"
        },
    )
    for group in groups:
        group.permissions.add(right)
    for user in users:
        user.user_permissions.add(right)


class Migration(migrations.Migration):
    dependencies = [
        ("location", "0008_search_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(keep_access, migrations.RunPython.noop)]
