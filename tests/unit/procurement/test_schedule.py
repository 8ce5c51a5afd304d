"""Each scheduled task runs at its own interval, decided without sleeping."""
from procurement.core.schedule import Task, due, seconds_to_next

TICK = Task("tenders.tick", 60, lambda: None)
PRUNE = Task("parties.prune_sessions", 3600, lambda: None)
TASKS = [TICK, PRUNE]


def names(tasks):
    return [task.name for task in tasks]


def test_a_task_is_due_once_its_own_interval_has_passed():
    last_run = {TICK.name: 1000.0, PRUNE.name: 1000.0}
    assert due(TASKS, last_run, 1059.9) == []
    assert names(due(TASKS, last_run, 1060.0)) == ["tenders.tick"]
    assert names(due(TASKS, last_run, 4599.0)) == ["tenders.tick"]
    assert names(due(TASKS, last_run, 4600.0)) == ["tenders.tick", "parties.prune_sessions"]


def test_an_hourly_task_runs_once_an_hour_beside_a_task_every_minute():
    """Two hours of the loop, simulated: the shortest interval no longer sets everyone's pace."""
    last_run = {task.name: 0.0 for task in TASKS}
    runs = {task.name: 0 for task in TASKS}
    at = 0.0
    while at < 7200.0:
        at += seconds_to_next(TASKS, last_run, at)
        for task in due(TASKS, last_run, at):
            runs[task.name] += 1
            last_run[task.name] = at
    assert runs == {"tenders.tick": 120, "parties.prune_sessions": 2}


def test_a_task_that_never_ran_is_due_and_the_wait_is_to_the_next_one_due():
    assert names(due(TASKS, {TICK.name: 50.0}, 51.0)) == ["parties.prune_sessions"]
    assert seconds_to_next(TASKS, {TICK.name: 50.0}, 51.0) == 0.0
    assert seconds_to_next(TASKS, {TICK.name: 50.0, PRUNE.name: 40.0}, 51.0) == 59.0
    assert seconds_to_next(TASKS, {TICK.name: 0.0, PRUNE.name: 0.0}, 500.0) == 0.0
