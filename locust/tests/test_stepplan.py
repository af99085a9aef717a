"""Unit tests for locust/stepplan.py: step schedule and breaking-point detection."""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import stepplan  # noqa: E402


class FakeTarget:
    """Accumulates Locust-like totals: requests, failures, {ms: count}."""

    def __init__(self):
        self.requests = 0
        self.failures = 0
        self.hist = {}

    def add(self, count, ms, failures=0):
        self.requests += count
        self.failures += failures
        self.hist[ms] = self.hist.get(ms, 0) + count


def cfg(**kw):
    base = dict(step_users=10, step_seconds=10, max_users=40, spawn_rate=5,
                time_limit=600, max_fail_pct=1.0, max_p99_ms=100, min_requests=20)
    base.update(kw)
    return stepplan.StepConfig(**base)


def drive(run, target, load_for_users, until=1000, cpu=None):
    """Tick once a second; load_for_users(users) adds that second's requests."""
    users_seen = []
    for now in range(0, until):
        users = run.tick(float(now), target.requests, target.failures, target.hist,
                         cpu(now) if cpu else None)
        if users is None:
            return users_seen
        users_seen.append(users)
        load_for_users(users, target)
    raise AssertionError("run did not stop")


class PercentileTests(unittest.TestCase):
    def test_percentile(self):
        hist = {1: 90, 5: 9, 300: 1}
        self.assertEqual(stepplan.percentile(hist, 0.5), 1)
        self.assertEqual(stepplan.percentile(hist, 0.95), 5)
        self.assertEqual(stepplan.percentile(hist, 0.99), 5)
        self.assertEqual(stepplan.percentile(hist, 1.0), 300)
        self.assertIsNone(stepplan.percentile({}, 0.99))

    def test_histogram_delta(self):
        self.assertEqual(stepplan.histogram_delta({1: 10, 2: 5, 3: 1}, {1: 4, 2: 5}), {1: 6, 3: 1})


class StepRunTests(unittest.TestCase):
    def test_all_steps_hold(self):
        run = stepplan.StepRun(cfg())
        seen = drive(run, FakeTarget(), lambda users, t: t.add(users, 3))
        self.assertEqual(sorted(set(seen)), [10, 20, 30, 40])
        self.assertEqual(len(seen), 40)  # 4 steps x 10 s, one tick a second
        self.assertIsNone(run.breaking_point)
        self.assertEqual(run.stopped_because, "all 4 steps held up to 40 users")
        self.assertEqual([s["requests"] for s in run.steps], [100, 200, 300, 400])
        self.assertEqual(run.steps[1]["rps"], 20.0)

    def test_breaks_on_p99(self):
        def load(users, target):
            target.add(users - 2, 4)
            target.add(2, 250 if users >= 30 else 8)  # slow tail from 30 users on
        run = stepplan.StepRun(cfg())
        drive(run, FakeTarget(), load)
        self.assertEqual(run.breaking_point, {"users": 30, "reasons": ["p99 250 ms > 100 ms"]})
        self.assertEqual(len(run.steps), 3)
        self.assertEqual(run.steps[1]["broke"], [])

    def test_breaks_on_failures(self):
        def load(users, target):
            target.add(users, 5, failures=1 if users >= 20 else 0)  # 5% then 3.3% ...
        run = stepplan.StepRun(cfg())
        drive(run, FakeTarget(), load)
        self.assertEqual(run.breaking_point["users"], 20)
        self.assertEqual(run.breaking_point["reasons"], ["failures 5.00% > 1.00%"])

    def test_breaks_when_nothing_answers(self):
        def load(users, target):
            if users < 20:
                target.add(users, 5)
        run = stepplan.StepRun(cfg())
        drive(run, FakeTarget(), load)
        self.assertEqual(run.breaking_point["users"], 20)
        self.assertIn("no request completed", run.breaking_point["reasons"][0])

    def test_p99_needs_enough_requests(self):
        # 10 slow requests in the first step stay under min_requests=20: p99 is not judged
        run = stepplan.StepRun(cfg(max_users=20, step_users=10))
        drive(run, FakeTarget(), lambda users, t: t.add(1, 900) if users == 10
              else t.add(users, 3))
        self.assertEqual(run.steps[0]["p99_ms"], 900)
        self.assertIsNone(run.breaking_point)

    def test_time_limit_bounds_the_run(self):
        run = stepplan.StepRun(cfg(max_users=1000, time_limit=35))
        seen = drive(run, FakeTarget(), lambda users, t: t.add(users, 3))
        self.assertEqual(len(seen), 35)
        self.assertEqual(run.stopped_because, "time limit 35 s reached")
        self.assertEqual(run.steps[-1]["users"], 40)  # the partial step is judged too

    def test_generator_cpu_is_recorded_per_step(self):
        run = stepplan.StepRun(cfg(max_users=30))
        drive(run, FakeTarget(), lambda users, t: t.add(users, 3),
              cpu=lambda now: 40 + 2 * now)  # 40% at 0 s .. 100% at 30 s
        # the sample taken as a step closes covers that step's last seconds
        self.assertEqual([s["generator_cpu_pct"] for s in run.steps], [60.0, 80.0, 100.0])
        self.assertTrue(run.generator_saturated())
        self.assertTrue(run.report()["generator_saturated"])

    def test_unknown_generator_cpu(self):
        run = stepplan.StepRun(cfg(max_users=10))
        drive(run, FakeTarget(), lambda users, t: t.add(users, 3))
        self.assertIsNone(run.steps[0]["generator_cpu_pct"])
        self.assertFalse(run.generator_saturated())

    def test_report_file(self):
        run = stepplan.StepRun(cfg(max_users=10))
        drive(run, FakeTarget(), lambda users, t: t.add(users, 3))
        tmp = tempfile.mkdtemp()
        try:
            path = os.path.join(tmp, "step_report.json")
            run.write_report(path)
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        finally:
            shutil.rmtree(tmp)
        self.assertEqual(data["config"]["max_users"], 10)
        self.assertEqual(len(data["steps"]), 1)
        self.assertIsNone(data["breaking_point"])


class ConfigTests(unittest.TestCase):
    def test_defaults_and_overrides(self):
        conf = stepplan.StepConfig.from_env({})
        self.assertEqual((conf.step_users, conf.step_seconds, conf.max_users), (10, 15, 200))
        conf = stepplan.StepConfig.from_env({"STEP_USERS": "25", "BREAK_P99_MS": "50"})
        self.assertEqual(conf.step_users, 25)
        self.assertEqual(conf.max_p99_ms, 50.0)
        self.assertEqual(conf.users_for_step(3), 100)
        self.assertEqual(conf.step_count(), 8)

    def test_bad_values(self):
        for env, text in (({"STEP_USERS": "ten"}, "STEP_USERS 'ten'"),
                          ({"STEP_SECONDS": "1"}, "STEP_SECONDS '1'"),
                          ({"BREAK_FAIL_PCT": "nan"}, "BREAK_FAIL_PCT 'nan'"),
                          ({"STEP_USERS": "50", "STEP_MAX_USERS": "20"}, "below STEP_USERS")):
            with self.assertRaisesRegex(stepplan.ConfigError, text):
                stepplan.StepConfig.from_env(env)


if __name__ == "__main__":
    unittest.main()
