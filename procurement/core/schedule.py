"""Work the clock makes due (closing tenders past their deadline, and what later issues add:
reminders, digests), run on a schedule: by RQ's own cron scheduler beside the workers where
Redis is configured (`flask cron`), otherwise by a small thread in the web process. Each task
is a plain importable function of no arguments that opens its own session and is idempotent,
so two schedulers running it at once do no harm."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

log = logging.getLogger("procurement.schedule")


@dataclass(frozen=True)
class Task:
    name: str
    every_seconds: int
    run: Callable[[], Any]


TASKS: dict[str, Task] = {}
_STARTING = threading.Lock()


def register_tasks(*tasks: Task) -> None:
    for task in tasks:
        TASKS[task.name] = task


def run_tasks(app: Any, tasks: Iterable[Task]) -> None:
    """One pass of `tasks`, each in the app's context; a failing task is logged and the
    others still run."""
    for task in tasks:
        try:
            with app.app_context():
                task.run()
        except Exception:  # noqa: BLE001 - a schedule must outlive a bad pass; the next pass retries
            log.exception("scheduled task %s failed", task.name)


def run_all(app: Any) -> None:
    """One pass of every task."""
    run_tasks(app, TASKS.values())


def due(tasks: Iterable[Task], last_run: Mapping[str, float], at: float) -> list[Task]:
    """The tasks whose own interval has passed at `at` since they last ran (times in seconds
    of a monotonic clock); a task that never ran is due."""
    return [task for task in tasks if task.name not in last_run or at - last_run[task.name] >= task.every_seconds]


def seconds_to_next(tasks: Iterable[Task], last_run: Mapping[str, float], at: float) -> float:
    """How long until the next task falls due (0 if one is due now)."""
    waits = [0.0 if task.name not in last_run else last_run[task.name] + task.every_seconds - at for task in tasks]
    return max(0.0, min(waits, default=60.0))


def start_in_process(app: Any) -> threading.Thread | None:
    """The default without Redis: a daemon thread running each task at its own interval, the
    first time one interval after the process starts. Started once per process, on its first
    request."""
    with _STARTING:  # two first requests at once start one thread
        if not TASKS or app.extensions.get("schedule_thread"):
            return None
        tasks = list(TASKS.values())

        def loop() -> None:
            started = time.monotonic()
            last_run = {task.name: started for task in tasks}
            pause = threading.Event()
            while not pause.wait(seconds_to_next(tasks, last_run, time.monotonic())):
                at = time.monotonic()
                ready = due(tasks, last_run, at)
                run_tasks(app, ready)
                last_run.update({task.name: at for task in ready})

        thread = threading.Thread(target=loop, name="schedule", daemon=True)
        app.extensions["schedule_thread"] = thread
        thread.start()
        return thread


def cron_scheduler(app: Any) -> Any:
    """RQ's cron scheduler with every task registered on the application's queue."""
    from rq.cron import CronScheduler

    from procurement.core.jobs import queue_for

    queue = queue_for(app)
    scheduler = CronScheduler(connection=queue.connection, name=f"{app.config['RQ_QUEUE']}-cron")
    for task in TASKS.values():
        scheduler.register(task.run, queue.name, interval=task.every_seconds, job_timeout=300,
                           failure_ttl=24 * 3600, name=task.name)
    return scheduler
