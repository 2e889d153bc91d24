"""Simulated marketers against the real API, queue and workers; prints success rate, latency
percentiles, queue wait and any task left unfinished."""

import json
import threading
import time

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from adgenesis import embedded
from banners.loadtest import Run, Stack, marketer, summary
from catalog.models import Product


class Command(BaseCommand):
    help = "Load test: --users N --minutes M [--image-seconds 60 --speedup 20 --ai-share 0.3]"

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10)
        parser.add_argument("--minutes", type=float, default=2.0)
        parser.add_argument("--image-seconds", type=float, default=60.0, help="GPU time of one AI picture")
        parser.add_argument("--speedup", type=float, default=20.0, help="divide the simulated GPU time by this")
        parser.add_argument("--ai-share", type=float, default=0.3, help="share of requests in AI mode")
        parser.add_argument("--task-timeout", type=float, default=180.0)
        parser.add_argument("--redis-db", type=int, default=3, help="Redis database for the test's queues")

    def handle(self, *args, users, minutes, image_seconds, speedup, ai_share, task_timeout, redis_db, **options):
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write("The database is not migrated: run `manage.py migrate` (or `make run`) first.")
            return
        products = list(Product.objects.values_list("pk", flat=True))
        if not products:
            self.stderr.write("No products: run `manage.py load_demo` (or `make run` once) first.")
            return
        tokens = []
        for index in range(users):
            user, _ = User.objects.get_or_create(username=f"loadtest-{index + 1}")
            user.groups.add(Group.objects.get(name="marketers"))
            tokens.append(Token.objects.get_or_create(user=user)[0].key)
        redis_server = None
        if settings.REDIS_URL == embedded.redis_url(settings.DATA_DIR):
            redis_server = embedded.EmbeddedRedis(settings.DATA_DIR)
            redis_server.start()  # adopts the one `make run` serves
        stack = Stack(simulate_seconds=image_seconds / speedup, redis_db=redis_db)
        self.stdout.write(f"{users} users for {minutes} min; AI picture = {image_seconds / speedup:.1f} s sleep")
        run = Run()
        try:
            url = stack.start()
            deadline = time.monotonic() + minutes * 60
            threads = [
                threading.Thread(
                    target=marketer, args=(url, token, products, deadline, ai_share, index, run, task_timeout)
                )
                for index, token in enumerate(tokens)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            stack.stop()
            if redis_server is not None and not redis_server.adopted:
                redis_server.stop()
        self.stdout.write(json.dumps(summary(run, users, minutes), ensure_ascii=False))
