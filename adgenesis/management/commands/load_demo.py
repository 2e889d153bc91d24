"""Load the demo data: formats, products with brand kits, demo bank pictures, demo users, and a few
dozen approved demo banners (EN and RU) to try the copy and style trainings on.

Idempotent: running it again updates what is there and adds nothing twice.
"""

import json

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from banners.demo import demo_banners_load
from banners.services import format_import
from catalog.services import brand_kit_upsert, demo_bank_load, product_upsert
from catalog.stock import stock_topics_load

DEMO_USERS = (
    # user, password, group, staff, superuser
    ("admin", "admin", None, True, True),
    ("designer", "designer", "designers", True, False),
    ("marketer", "marketer", "marketers", False, False),
)


class Command(BaseCommand):
    help = "Load demo formats, products, bank pictures and users (admin / designer / marketer)."

    def add_arguments(self, parser):
        parser.add_argument("--no-users", action="store_true", help="Do not create the demo users (nor banners).")
        parser.add_argument("--no-banners", action="store_true", help="Do not make the approved demo banners.")

    def handle(self, *args, no_users: bool = False, no_banners: bool = False, **options):
        base = settings.BASE_DIR
        formats = [
            format_import(data=json.loads(p.read_text())) for p in sorted((base / "banners/formats").glob("*.json"))
        ]
        products = []
        for item in json.loads((base / "catalog/demo/products.json").read_text()):
            logo = base / "catalog/demo/logos" / f"{item['slug']}.svg"
            kit = brand_kit_upsert(**item["brand_kit"], logo=logo if logo.exists() else None)
            products.append(
                product_upsert(
                    slug=item["slug"],
                    name=item["name"],
                    description=item["description"],
                    industry=item["industry"],
                    brand_kit=kit,
                )
            )
        added = demo_bank_load(folder=base / "catalog/demo_bank")
        topics = stock_topics_load()
        banners = 0
        if not no_users:
            self._load_users()
            if not no_banners:
                banners = demo_banners_load(
                    owner=User.objects.get(username="marketer"), designer=User.objects.get(username="designer")
                )
        self.stdout.write(
            f"demo data: {len(formats)} formats, {len(products)} products, {added} new bank pictures, "
            f"{topics} new stock topics, {banners} new approved demo banners"
        )

    def _load_users(self) -> None:
        for username, password, group, staff, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": staff, "is_superuser": superuser}
            )
            if created:
                user.set_password(password)
                user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
