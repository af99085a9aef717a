"""Step load plan and breaking-point detection (pure Python, unit-tested).

The load grows by STEP_USERS every STEP_SECONDS up to STEP_MAX_USERS. At the
end of every step the requests completed during that step are judged; the
step "breaks" when its failure share or its p99 crosses a threshold, or when
nothing at all was answered. The first broken step is the breaking point and
ends the run. The run also ends once the last step held without breaking, or
at STEP_TIME_LIMIT seconds, whichever comes first: the run is always bounded.

step_shape.py wires this into a Locust LoadTestShape.
"""

import json
import math
import os


# Locust warns from 90% on: above it the generator, not the target, may be the limit.
GENERATOR_CPU_LIMIT = 90.0


class ConfigError(ValueError):
    pass


def _number(env, name, default, low, high, kind=float):
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high or (kind is float and math.isnan(value)):
        raise ConfigError("%s %r must be a number in %s..%s" % (name, raw, low, high))
    return value


class StepConfig:
    def __init__(self, step_users=10, step_seconds=15, max_users=200, spawn_rate=10.0,
                 time_limit=600, max_fail_pct=1.0, max_p99_ms=500.0, min_requests=20):
        self.step_users = step_users
        self.step_seconds = step_seconds
        self.max_users = max_users
        self.spawn_rate = spawn_rate
        self.time_limit = time_limit
        self.max_fail_pct = max_fail_pct
        self.max_p99_ms = max_p99_ms
        self.min_requests = min_requests

    @classmethod
    def from_env(cls, env=None):
        env = os.environ if env is None else env
        cfg = cls(
            step_users=_number(env, "STEP_USERS", 10, 1, 100000, int),
            step_seconds=_number(env, "STEP_SECONDS", 15, 5, 3600, int),
            max_users=_number(env, "STEP_MAX_USERS", 200, 1, 1000000, int),
            spawn_rate=_number(env, "STEP_SPAWN_RATE", 10.0, 0.1, 10000.0),
            time_limit=_number(env, "STEP_TIME_LIMIT", 600, 10, 86400, int),
            max_fail_pct=_number(env, "BREAK_FAIL_PCT", 1.0, 0.0, 100.0),
            max_p99_ms=_number(env, "BREAK_P99_MS", 500.0, 1.0, 600000.0),
            min_requests=_number(env, "BREAK_MIN_REQUESTS", 20, 1, 1000000, int),
        )
        if cfg.max_users < cfg.step_users:
            raise ConfigError("STEP_MAX_USERS %d is below STEP_USERS %d"
                              % (cfg.max_users, cfg.step_users))
        return cfg

    def as_dict(self):
        return dict(vars(self))

    def step_count(self):
        return max(1, self.max_users // self.step_users)

    def users_for_step(self, index):
        return min(self.max_users, (index + 1) * self.step_users)


def percentile(histogram, fraction):
    """Percentile from Locust-style {rounded_ms: count}; None when empty."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, int(math.ceil(total * fraction)))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def histogram_delta(after, before):
    delta = {}
    for key, count in after.items():
        diff = count - before.get(key, 0)
        if diff > 0:
            delta[key] = diff
    return delta


def judge_step(cfg, users, seconds, requests, failures, histogram):
    """Figures of one step and the reasons it broke (empty list: it held)."""
    fail_pct = 100.0 * failures / requests if requests else 0.0
    p99 = percentile(histogram, 0.99)
    step = {
        "users": users,
        "seconds": round(seconds, 1),
        "requests": requests,
        "failures": failures,
        "rps": round(requests / seconds, 2) if seconds > 0 else 0.0,
        "fail_pct": round(fail_pct, 3),
        "p50_ms": percentile(histogram, 0.50),
        "p95_ms": percentile(histogram, 0.95),
        "p99_ms": p99,
    }
    reasons = []
    if requests == 0:
        reasons.append("no request completed in %.0f s" % seconds)
    else:
        if fail_pct > cfg.max_fail_pct:
            reasons.append("failures %.2f%% > %.2f%%" % (fail_pct, cfg.max_fail_pct))
        if requests >= cfg.min_requests and p99 is not None and p99 > cfg.max_p99_ms:
            reasons.append("p99 %d ms > %g ms" % (p99, cfg.max_p99_ms))
    step["broke"] = reasons
    return step


class StepRun:
    """State machine driven by tick(now, requests, failures, histogram)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.index = 0
        self.step_started = 0.0
        self.snapshot = (0, 0, {})
        self.step_cpu = None
        self.steps = []
        self.breaking_point = None
        self.stopped_because = None

    def tick(self, now, requests, failures, histogram, generator_cpu=None):
        """Return the user count for now, or None when the run is over.

        generator_cpu: the load generator's own CPU use in percent (Locust
        samples it every few seconds); its maximum per step is recorded,
        because a saturated generator caps the load it can offer.
        """
        if self.stopped_because:
            return None
        cfg = self.cfg
        if generator_cpu is not None:
            self.step_cpu = max(self.step_cpu or 0.0, float(generator_cpu))
        if now >= self.step_started + cfg.step_seconds:
            self._close_step(now, requests, failures, histogram)
            if self.stopped_because:
                return None
            self.index += 1
            self.step_started = now
            self.step_cpu = None
            self.snapshot = (requests, failures, dict(histogram))
            if self.index >= cfg.step_count():
                self.stopped_because = ("all %d steps held up to %d users"
                                        % (cfg.step_count(), cfg.users_for_step(self.index - 1)))
                return None
        if now >= cfg.time_limit:
            # judge the partial step too, so the last load level is not lost
            if now > self.step_started:
                self._close_step(now, requests, failures, histogram)
            if not self.stopped_because:
                self.stopped_because = "time limit %d s reached" % cfg.time_limit
            return None
        return cfg.users_for_step(self.index)

    def _close_step(self, now, requests, failures, histogram):
        req0, fail0, hist0 = self.snapshot
        step = judge_step(self.cfg, self.cfg.users_for_step(self.index),
                          now - self.step_started, requests - req0, failures - fail0,
                          histogram_delta(histogram, hist0))
        step["generator_cpu_pct"] = self.step_cpu
        self.steps.append(step)
        if step["broke"] and self.breaking_point is None:
            self.breaking_point = {"users": step["users"], "reasons": step["broke"]}
            self.stopped_because = "breaking point at %d users: %s" % (
                step["users"], "; ".join(step["broke"]))

    def generator_saturated(self):
        """True when Locust's CPU reached GENERATOR_CPU_LIMIT during a step."""
        return any((s.get("generator_cpu_pct") or 0) >= GENERATOR_CPU_LIMIT for s in self.steps)

    def report(self):
        return {
            "config": self.cfg.as_dict(),
            "generator_saturated": self.generator_saturated(),
            "steps": self.steps,
            "breaking_point": self.breaking_point,
            "stopped_because": self.stopped_because,
        }

    def write_report(self, path):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(self.report(), handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
