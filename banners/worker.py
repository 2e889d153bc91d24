"""The RQ worker class every AdGenesis worker runs (`rqworker --worker-class banners.worker.BannerWorker`)."""

from __future__ import annotations

from django.db import connections
from rq import Worker


class BannerWorker(Worker):
    """Records a task as retried or failed when its work-horse process dies mid-job (OOM, kill -9)."""

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage) -> None:
        from banners.jobs import record_failure

        try:
            record_failure(job, f"the worker process running it died (exit status {ret_val})")
        finally:
            # The next work-horse is forked from this process: it must not inherit a connection.
            connections.close_all()
