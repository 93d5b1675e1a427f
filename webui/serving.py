"""`casework serve --workers N` (N > 1): N gunicorn web workers and the timer scheduler in a process of
its own.

The workers are forked by a gunicorn master; each builds its own app (its own connection pool) and
never runs a scheduler. The scheduler is `casework scheduler`, started beside them as a child process
of this one: it takes the database lease (engine.schedule.lease), so a second `serve` or a standby
`casework scheduler` elsewhere only stands by. Stopping `serve` (SIGTERM, SIGINT) stops the workers
gracefully and then the scheduler, which gives the lease up.

On PostgreSQL this is how a server uses more than one core: one Python process runs one request's
Python at a time. On SQLite it works as well (WAL: one writer at a time, the others wait up to the busy
timeout), but one process with threads is as fast there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from gunicorn.app.base import BaseApplication


class WebWorkers(BaseApplication):
    """gunicorn, configured from here instead of a command line or a file."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # in each worker after the fork: its own context, engine and pool (create_app starts no scheduler)
        from .app import create_app

        return create_app()


def worker_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    return {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
            "preload_app": False, "keepalive": 5, "graceful_timeout": 20, "timeout": 60, "accesslog": None,
            "errorlog": "-", "loglevel": "warning", "proc_name": "casework-web"}


def start_scheduler() -> subprocess.Popen:
    """`casework scheduler` as a child process (same interpreter, environment and working folder)."""
    return subprocess.Popen([sys.executable, "-m", "webui.cli", "scheduler"], env=os.environ.copy())


def stop_scheduler(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # it releases the lease on SIGTERM
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(host: str, port: int, workers: int, threads: int, scheduler: bool) -> int:
    child = start_scheduler() if scheduler else None
    print(f"Casework serving on http://{host}:{port} with {workers} web workers"
          + (f"; scheduler in process {child.pid}" if child else "; no scheduler (scheduler.enabled is false)"),
          flush=True)
    try:
        WebWorkers(worker_options(host, port, workers, threads)).run()  # returns by SystemExit on a signal
    finally:
        if child:
            stop_scheduler(child)
    return 0
