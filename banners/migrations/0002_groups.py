"""Groups `marketers` and `designers` with their permissions; a marketer cannot approve."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from banners.roles import groups_ensure


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    groups_ensure(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["marketers", "designers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("banners", "0001_initial"),
        ("catalog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
