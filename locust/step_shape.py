"""Step load shape that looks for the breaking point.

Load it next to the locustfile (the shape file must come last):

    /usr/bin/python3 -m locust -f locust/locustfile.py,locust/step_shape.py \
        --headless -H http://127.0.0.1:8080

No -u, -r or -t: the shape decides users and spawn rate and ends the run.
Settings (environment, see stepplan.StepConfig.from_env): STEP_USERS,
STEP_SECONDS, STEP_MAX_USERS, STEP_SPAWN_RATE, STEP_TIME_LIMIT,
BREAK_FAIL_PCT, BREAK_P99_MS, BREAK_MIN_REQUESTS. STEP_REPORT names the JSON
file that receives every step's figures and the breaking point.
"""

import logging
import os
import sys

from locust import LoadTestShape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stepplan  # noqa: E402  (path set just above)


class StepLoadShape(LoadTestShape):
    def __init__(self):
        super().__init__()
        self.plan = stepplan.StepRun(stepplan.StepConfig.from_env())
        self.report_path = os.environ.get("STEP_REPORT", "")
        self.reported = False

    def tick(self):
        total = self.runner.stats.total
        users = self.plan.tick(self.get_run_time(), total.num_requests,
                               total.num_failures, total.response_times,
                               getattr(self.runner, "current_cpu_usage", None))
        if users is None:
            self._finish()
            return None
        return users, self.plan.cfg.spawn_rate

    def _finish(self):
        if self.reported:
            return
        self.reported = True
        logging.info("step load: %s", self.plan.stopped_because)
        for step in self.plan.steps:
            logging.info("step load: %(users)4d users %(rps)9.1f req/s fail %(fail_pct)6.2f%% "
                         "p99 %(p99_ms)s ms, Locust CPU %(generator_cpu_pct)s%%", step)
        if self.plan.generator_saturated():
            logging.warning("step load: Locust itself reached %d%% CPU: the limit found may be "
                            "the load generator's, not the target's", stepplan.GENERATOR_CPU_LIMIT)
        if self.report_path:
            self.plan.write_report(self.report_path)
