"""The RQ worker class every AdGenesis worker runs (`rqworker --worker-class banners.worker.BannerWorker`)."""

from __future__ import annotations

import logging
import os
import socket
import time

import psutil
from django.conf import settings
from django.db import connections
from rq import SimpleWorker, Worker
from rq.executions import Execution

log = logging.getLogger(__name__)


class HandsBackOrphans:
    """For every AdGenesis worker: the jobs of a worker that died mid-job go back to RQ as soon as another
    worker of the queue runs its maintenance (at its start: a supervisor's restart), not minutes later."""

    def register_birth(self) -> None:
        super().register_birth()
        self.connection.hset(self.key, "pid_namespace", pid_namespace())

    def clean_registries(self) -> None:
        """RQ's maintenance (when the worker starts, then every 10 minutes), after handing it the jobs
        of workers that died mid-job."""
        for queue in self.queues:
            self.expire_jobs_of_dead_workers(queue)
        super().clean_registries()

    def expire_jobs_of_dead_workers(self, queue) -> list[str]:
        """Mark as expired the started jobs of dead workers, so that RQ's abandoned-job cleanup retries (or
        fails) them now.

        A worker that runs its job in its own process (a ModelWorker; a BannerWorker with a local LLM), or a
        forking worker killed together with its work-horse: nobody records the failure, and RQ keeps the
        job "started" until its heartbeat expires, which for an in-process job is the job timeout + 60 s
        (16 minutes on imagegen), then until a maintenance run.
        """
        registry = queue.started_job_registry
        expired = []
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
            try:
                worker_name = Execution.fetch(execution_id, job_id, connection=self.connection).worker_name
            except ValueError:
                continue  # its execution expired: RQ's cleanup takes it
            if worker_name != self.name and self.worker_is_dead(worker_name):
                self.connection.zadd(registry.key, {f"{job_id}:{execution_id}": 0}, xx=True)
                log.warning("job %s was running on worker %s, which died: handed back to RQ", job_id, worker_name)
                expired.append(job_id)
        return expired

    def worker_is_dead(self, name: str) -> bool:
        """True when the worker's heartbeat expired, or when it ran where this process can see its PID
        (same host and PID namespace) and that process is gone or is a newer one."""
        key = self.redis_worker_namespace_prefix + name
        worker = self.find_by_key(key, connection=self.connection)
        if worker is None:
            return True
        seen_from_here = self.connection.hget(key, "pid_namespace") == pid_namespace().encode()
        if not (seen_from_here and worker.pid and worker.birth_date):
            return False  # another machine or container: RQ's expiry will tell
        try:
            process = psutil.Process(worker.pid)
            alive = process.status() != psutil.STATUS_ZOMBIE and (
                process.create_time() <= worker.birth_date.timestamp() + 1
            )
        except psutil.NoSuchProcess:
            alive = False
        if not alive:
            worker.register_death()  # off the worker list now, not when its key expires
        return not alive


def local_llm_configured() -> bool:
    """A transformers model in-process writes the texts (no OpenAI-compatible server is set)."""
    return bool(settings.LLM_LOCAL_PATH) and not settings.LLM_BASE_URL


class BannerWorker(HandsBackOrphans, Worker):
    """Loads its models once, before it forks a work-horse per job, and records a task as retried
    or failed when its work-horse dies mid-job (OOM, kill -9).

    With a local LLM it runs its jobs in this process instead, as a ModelWorker does: a work-horse
    would load the model again for every job (and cannot use CUDA after a fork)."""

    def work(self, *args, **kwargs):
        if settings.WORKER_PRELOAD and "default" in self.queue_names():
            self.preload_embedder()
            if local_llm_configured():
                self.preload_llm()
        return super().work(*args, **kwargs)

    def execute_job(self, job, queue):
        if not local_llm_configured():
            return super().execute_job(job, queue)
        return SimpleWorker.execute_job(self, job, queue)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        if not local_llm_configured():
            return super().get_heartbeat_ttl(job, working_time)
        return SimpleWorker.get_heartbeat_ttl(self, job, working_time)  # no heartbeat while the job runs

    @staticmethod
    def preload_llm() -> None:
        from banners import copywriting

        copywriting.llm_client()

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


class ModelWorker(HandsBackOrphans, SimpleWorker):
    """For the `imagegen` and `segment` queues: runs jobs in this process (no fork), so the image
    model (on its GPU) and the cut-out session are loaded once when the worker starts, and the image
    model has drawn one warm-up picture before the first job."""

    def work(self, *args, **kwargs):
        if settings.WORKER_PRELOAD:
            self.preload_models()
        return super().work(*args, **kwargs)

    def preload_models(self) -> None:
        from banners import imaging

        queues = self.queue_names()
        if "imagegen" in queues and imaging.ai_unavailable_reason() is None:
            imaging.generator_warm_up()
            # load_seconds, compiled and warm_up_seconds (compilation included) say how long the start took
            log.info("image model loaded and warm: %s", imaging.generator().status())
        if "segment" in queues and settings.BIREFNET_ONNX:
            from PIL import Image

            started = time.perf_counter()
            cutter = imaging.birefnet()
            cutter.cut(Image.new("RGB", (64, 64), "white"))  # the first run pays for CUDA/cuDNN set-up
            log.info(
                "BiRefNet loaded and warm from %s on %s in %.1f s",
                settings.BIREFNET_ONNX,
                ", ".join(cutter.providers),
                time.perf_counter() - started,
            )


def pid_namespace() -> str:
    """Where a PID means the same process: this host and its PID namespace (a container has its own)."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        namespace = 0
    return f"{socket.gethostname()}:{namespace}"
