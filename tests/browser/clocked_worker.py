"""The RQ worker of the browser journeys: a real worker process, started as
`flask worker --worker-class tests.browser.clocked_worker.ClockedWorker`, that runs each job at
the moment the journey's clock shows. The test moves its clock (procurement.core.clock) and
writes the moment to Redis; the worker reads it before each job, and the job's forked work
horse inherits it, so documents are dated on the journey's clock, not the machine's."""
from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from typing import Any

from rq import Worker

from procurement.core.clock import frozen_at

CLOCK_KEY = "ljp:test:journey-clock"


class ClockedWorker(Worker):
    def execute_job(self, job: Any, queue: Any) -> Any:
        moment = self.connection.get(CLOCK_KEY)
        with frozen_at(datetime.fromisoformat(moment.decode())) if moment else nullcontext():
            return super().execute_job(job, queue)
