from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _groups_ensure(sender, using="default", **kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    from banners.roles import groups_ensure

    groups_ensure(Group, Permission)


class BannersConfig(AppConfig):
    name = "banners"
    verbose_name = "Banners: formats, campaigns, generations"

    def ready(self) -> None:
        from banners import imaging  # noqa: F401  (registers the model system check)

        # A flush (tests, `manage.py flush`) empties the groups; post_migrate puts them back.
        post_migrate.connect(_groups_ensure, sender=self)
