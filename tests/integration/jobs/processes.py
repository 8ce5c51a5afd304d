"""Processes for the tests that kill workers: their descendants, their state, waiting on a condition."""
from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (RQ's work horse calls setsid, so killing the group misses it)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def state(pid: int) -> str | None:
    """The process's state letter from /proc (R, S, T, Z...), or None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def kill_worker(worker) -> None:
    """SIGKILL an RQ worker and its work horses, leaving no process behind that holds a lock.
    Freeze it first and wait until it is stopped (a signal lands only when the process next
    runs, so a fork under way would finish), so that no new work horse is forked while its
    processes are listed; then kill them all and wait until each is gone."""
    os.kill(worker.pid, signal.SIGSTOP)
    wait_until(lambda: state(worker.pid) in ("T", "t", None), "the worker to stop")
    killed = [*descendants(worker.pid), worker.pid]  # the job's work horse (its own session) and the worker
    for pid in killed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)
    wait_until(lambda: all(state(pid) in ("Z", "X", None) for pid in killed), "the killed processes to exit")
