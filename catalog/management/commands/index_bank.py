"""Caption and embed bank pictures: restartable, idempotent, batched, with a progress bar."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from catalog.models import BankImage
from catalog.services import bank_index
from catalog.vlm import vlm_client


class Command(BaseCommand):
    help = (
        "Index bank pictures for search: caption + 3 product hypotheses (VLM when ADGENESIS_VLM_BASE_URL is set, "
        "otherwise the designers' text) and their embeddings. By default only pictures not indexed yet."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Index every picture again (and re-caption with the VLM when one is configured).",
        )
        parser.add_argument("--only-new", action="store_true", help="Only pictures never indexed (the default).")
        parser.add_argument("--batch-size", type=int, default=64)

    def handle(self, *args, reindex: bool, only_new: bool, batch_size: int, **options):
        images = BankImage.objects.order_by("pk")
        if not reindex:
            images = images.filter(indexed_at__isnull=True)
        total = images.count()
        vlm = vlm_client()
        self.stdout.write(f"{total} picture(s) to index; captions from {'the VLM' if vlm else 'designer text'}")
        with tqdm(total=total, unit="picture", disable=total == 0) as bar:
            counts = bank_index(
                images=images.iterator(chunk_size=batch_size),
                vlm=vlm,
                recaption=reindex,
                batch_size=batch_size,
                progress=bar.update,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"indexed {counts['indexed']}, skipped {counts['skipped']} without caption/hypotheses, "
                f"VLM failures {counts['vlm_failed']}"
            )
        )
