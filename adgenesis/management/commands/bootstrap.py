"""`make run`'s preparation in one process: migrate, load the demo data, and re-embed the bank when
ADGENESIS_EMBEDDER changed since its vectors were made."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from tqdm import tqdm

from banners.demo import demo_banners_load
from catalog.models import BankImage, ImageText
from catalog.services import bank_embedder_sync


class Command(BaseCommand):
    help = "Migrate the database, load the demo data and bring the bank's vectors to the embedder (idempotent)."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo", no_banners=True)  # the demo banners search the bank: after its vectors
        stale = BankImage.objects.filter(
            pk__in=ImageText.objects.exclude(embedder=settings.EMBEDDER).values("bank_image")
        ).count()
        if stale:
            self.stdout.write(f"re-embedding {stale} bank picture(s) for {settings.EMBEDDER}")
            with tqdm(total=stale, unit="picture") as bar:
                counts = bank_embedder_sync(folder=settings.BASE_DIR / "catalog" / "demo_bank", progress=bar.update)
            self.stdout.write(f"{counts['from_shipped']} from the shipped vectors, {counts['embedded']} embedded")
        if settings.DEMO_BANNERS:
            self._demo_banners()

    def _demo_banners(self) -> None:
        owner, designer = (
            User.objects.filter(username="marketer").first(),
            User.objects.filter(username="designer").first(),
        )
        if owner and designer:
            added = demo_banners_load(owner=owner, designer=designer)
            if added:
                self.stdout.write(f"{added} approved demo banners made (for the copy and style trainings)")
