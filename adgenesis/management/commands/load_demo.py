"""Load the demo data: formats, products with brand kits, demo bank pictures, demo users.

Idempotent: running it again updates what is there and adds nothing twice.
"""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from banners.services import format_import
from catalog.models import BankImage
from catalog.services import bank_image_add, brand_kit_upsert, product_upsert

DEMO_USERS = (
    # user, password, group, staff, superuser
    ("admin", "admin", None, True, True),
    ("designer", "designer", "designers", True, False),
    ("marketer", "marketer", "marketers", False, False),
)


class Command(BaseCommand):
    help = "Load demo formats, products, bank pictures and users (admin / designer / marketer)."

    def add_arguments(self, parser):
        parser.add_argument("--no-users", action="store_true", help="Do not create the demo users.")

    def handle(self, *args, no_users: bool = False, **options):
        base = settings.BASE_DIR
        formats = [
            format_import(data=json.loads(p.read_text())) for p in sorted((base / "banners/formats").glob("*.json"))
        ]
        products = []
        for item in json.loads((base / "catalog/demo/products.json").read_text()):
            kit = brand_kit_upsert(**item["brand_kit"])
            products.append(
                product_upsert(
                    slug=item["slug"],
                    name=item["name"],
                    description=item["description"],
                    industry=item["industry"],
                    brand_kit=kit,
                )
            )
        added = self._load_bank(base / "catalog/demo_bank")
        if not no_users:
            self._load_users()
        self.stdout.write(f"demo data: {len(formats)} formats, {len(products)} products, {added} new bank pictures")

    def _load_bank(self, folder: Path) -> int:
        known = set(BankImage.objects.filter(source=BankImage.Source.DEMO).values_list("name", flat=True))
        added = 0
        for item in json.loads((folder / "index.json").read_text()):
            if item["name"] in known:
                continue
            try:
                bank_image_add(
                    path=folder / item["file"],
                    name=item["name"],
                    caption=item.get("caption", ""),
                    source=BankImage.Source.DEMO,
                    status=BankImage.Status.APPROVED,
                )
                added += 1
            except ValidationError as error:
                self.stderr.write(f"skipped demo picture {item['file']}: {error.messages[0]}")
        return added

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
