"""Job functions that misbehave on purpose, run by real workers in the failure tests."""

import os
import signal
import time


def sleep_for(task_id: str, seconds: float) -> None:
    time.sleep(seconds)


def die_abruptly(task_id: str) -> None:
    os.kill(os.getpid(), signal.SIGKILL)
