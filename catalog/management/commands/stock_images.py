"""Stock pictures for a topic (seed 002): plan the run, enqueue one imagegen job per picture, wait and
print progress. The same run name again continues it: only pictures not drawn yet are drawn."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.models import StockRun, StockTopic
from catalog.stock import stock_run_progress, stock_run_start


class Command(BaseCommand):
    help = (
        'Draw stock pictures: --topic "Business and office" --count 300 [--mix 60/20/20] [--seed S] [--run NAME]. '
        "They land in the bank as pending pictures for designers to review."
    )

    def add_arguments(self, parser):
        parser.add_argument("--topic", required=True)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--mix", default="60/20/20", help="interior/exterior/items")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--run", default="", help="the run's name (default: topic, count, mix and seed)")
        parser.add_argument("--no-wait", action="store_true", help="enqueue and return")
        parser.add_argument("--timeout", type=float, default=0, help="stop waiting after this many seconds (0: never)")

    def handle(self, *args, topic, count, mix, seed, run, no_wait, timeout, **options):
        chosen = StockTopic.objects.filter(name__iexact=topic.strip()).first()
        if chosen is None:
            names = ", ".join(StockTopic.objects.values_list("name", flat=True)) or "none: run load_demo"
            raise CommandError(f"no stock topic {topic!r}; topics: {names}")
        name = run or f"{chosen.name} {count} {mix} seed {seed}"
        existed = StockRun.objects.filter(name=name).exists()
        try:
            stock_run = stock_run_start(name=name, topic=chosen, count=count, mix=mix, seed=seed)
        except (ValidationError, ValueError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        progress = stock_run_progress(run=stock_run)
        self.stdout.write(
            f"run {name!r} {'continued' if existed else 'planned'}: {progress['queued']} picture(s) queued, "
            f"{progress['done']} already drawn"
        )
        for note in stock_run.notes:
            self.stdout.write(f"  note: {note}")
        if no_wait:
            return
        started, last = time.monotonic(), None
        while True:
            progress = stock_run_progress(run=stock_run)
            line = (
                f"{progress['finished']}/{progress['total']} ({progress['percent']} %): {progress['done']} drawn, "
                f"{progress['duplicate']} near-duplicates dropped, {progress['failed']} failed"
            )
            if line != last:
                self.stdout.write(line)
                last = line
            undone = progress["queued"] + progress["drawing"] + progress["planned"]
            if not undone or (timeout and time.monotonic() - started > timeout):
                break
            time.sleep(1)
        self.stdout.write("done: review the pictures in admin (Bank images, source stock, filter by topic)")
