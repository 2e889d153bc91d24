"""The RQ worker class every AdGenesis worker runs (`rqworker --worker-class banners.worker.BannerWorker`)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections
from rq import SimpleWorker, Worker

log = logging.getLogger(__name__)


class BannerWorker(Worker):
    """Loads its models once, before it forks a work-horse per job, and records a task as retried
    or failed when its work-horse dies mid-job (OOM, kill -9)."""

    def work(self, *args, **kwargs):
        if settings.WORKER_PRELOAD and "default" in self.queue_names():
            self.preload_embedder()
        return super().work(*args, **kwargs)

    @staticmethod
    def preload_embedder() -> None:
        import torch

        from mlcore.embed import embedder

        # Work-horses are forked from this process: a multi-threaded torch would deadlock in them.
        torch.set_num_threads(1)
        embedder(settings.EMBEDDER).encode(["warm up"])
        log.info("embedder %s loaded", settings.EMBEDDER)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage) -> None:
        from banners.jobs import record_failure

        try:
            record_failure(job, f"the worker process running it died (exit status {ret_val})")
        finally:
            # The next work-horse is forked from this process: it must not inherit a connection.
            connections.close_all()


class ModelWorker(SimpleWorker):
    """For the `imagegen` and `segment` queues: runs jobs in this process (no fork), so the image
    model (on its GPU) and the cut-out session are loaded once when the worker starts."""

    def work(self, *args, **kwargs):
        if settings.WORKER_PRELOAD:
            self.preload_models()
        return super().work(*args, **kwargs)

    def preload_models(self) -> None:
        from banners import imaging

        queues = self.queue_names()
        if "imagegen" in queues and imaging.ai_unavailable_reason() is None:
            log.info("image model loaded: %s", imaging.generator().status())
        if "segment" in queues and settings.BIREFNET_ONNX:
            imaging.birefnet()
            log.info("BiRefNet session created from %s", settings.BIREFNET_ONNX)
