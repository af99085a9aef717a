"""Locust load test for the product-search service.

Run through locust/loadtest.sh (make loadtest), or directly:

    /usr/bin/python3 -m locust -f locust/locustfile.py --headless \
        -H http://127.0.0.1:8080 -u 50 -r 3 -t 2m

Environment:
    WAIT_TIME             think time per user: "MIN-MAX" seconds (uniform) or
                          "SECONDS" (constant); default "0" (continuous, as the
                          original measurement)
    EXPECT_DEFAULT_LIMIT  the service's MAX_RESULTS, the limit applied when a
                          request sends none; default 20
    LOCUST_SEED           seed for the query mix (default: random)
    FEATURES              1 (default): also the tasks with the search parameters
                          beyond q and limit (filters, sort, offset, facets,
                          match=all, browsing); 0: only q and limit, for a
                          service without them (loadtest.sh decides with FEATURES=auto)
    LOCUST_CPU_CSV        file for the CPU samples of every Locust process
                          (master, workers, or the single local process), one
                          row per process a second; loadtest.sh sets OUT/locust_cpu.csv

Every response is validated (see searchcheck.py); anything unexpected is a
Locust failure whose message says why. Invalid requests count as successes
only when they are answered 400 with the JSON error body.
"""

import csv
import gc
import os
import sys
import time

import gevent
import locust.runners
from locust import FastHttpUser, between, constant, events, task
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, StatsCSVFileWriter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadreport  # noqa: E402  (path set just above)
import searchcheck  # noqa: E402

CPU_SAMPLE_SECONDS = 1.0

# Debian's python3-locust 2.12 carries an empty version string (locust/_version.py).
# A worker sends its version when it connects, and a master takes an empty one for
# a pre-2.0 worker and refuses it, so distributed mode would never start. Both sides
# load this file before they connect: give them the same, real version.
if not locust.runners.__version__:
    locust.runners.__version__ = os.environ.get("LOCUST_VERSION") or "2.12.1"


def _wait_time_from_env():
    low, high = searchcheck.parse_wait_time(os.environ.get("WAIT_TIME", "0"))
    return constant(low) if low == high else between(low, high)


def _int_env(name, default, low, high):
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValueError("%s %r must be an integer in %d..%d" % (name, raw, low, high))
    return value


DEFAULT_LIMIT = _int_env("EXPECT_DEFAULT_LIMIT", 20, 1, 100)
FEATURES = _int_env("FEATURES", 1, 0, 1) == 1
_SEED = os.environ.get("LOCUST_SEED")
_RNG = searchcheck.new_rng(int(_SEED) if _SEED else None)


def feature_task(weight):
    """@task(weight) for a request with the search parameters beyond q and limit;
    such tasks are dropped from the mix when FEATURES=0."""
    def mark(func):
        func.search_feature = True
        return task(weight)(func)
    return mark


class SearchUser(FastHttpUser):
    """A shopper: mostly searches, now and then a health check or a bad request."""

    wait_time = _wait_time_from_env()
    # one keep-alive connection per user, as a browser or client SDK would
    concurrency = 1
    network_timeout = 30.0
    connection_timeout = 10.0

    def _search(self, name, q, limit=None, expect_miss=False):
        effective_limit = DEFAULT_LIMIT if limit is None else limit
        with self.client.get(searchcheck.search_path(q, limit), name=name,
                             catch_response=True) as resp:
            reason = _transport_error(resp) or searchcheck.check_search(
                resp.status_code, resp.text, q, effective_limit, expect_miss=expect_miss)
            _settle(resp, reason)

    @task(30)
    def search_brand(self):
        self._search("/products/search?q=[brand]", searchcheck.brand_query(_RNG))

    @task(25)
    def search_category(self):
        self._search("/products/search?q=[category]", searchcheck.category_query(_RNG))

    @task(15)
    def search_multi_word(self):
        self._search("/products/search?q=[multi-word]", searchcheck.multi_word_query(_RNG))

    @task(10)
    def search_miss(self):
        self._search("/products/search?q=[miss]", searchcheck.miss_query(_RNG),
                     expect_miss=True)

    @task(8)
    def search_with_limit(self):
        q = _RNG.choice([searchcheck.brand_query, searchcheck.category_query])(_RNG)
        self._search("/products/search?q=[any]&limit=[1-100]", q,
                     limit=searchcheck.random_limit(_RNG))

    # ------------------------------------------------ search parameters beyond q and limit

    def _search_request(self, name, request):
        effective_limit = request.get("limit") or DEFAULT_LIMIT
        with self.client.get(searchcheck.feature_path(request), name=name,
                             catch_response=True) as resp:
            reason = _transport_error(resp) or searchcheck.check_search_request(
                resp.status_code, resp.text, request, effective_limit)
            _settle(resp, reason)

    @feature_task(6)
    def browse(self):
        self._search_request("/products/search?[browse: category|brand, no q]",
                             searchcheck.browse_request(_RNG))

    @feature_task(6)
    def search_filtered(self):
        self._search_request("/products/search?q&[category,brand,min/max_price]",
                             searchcheck.filtered_request(_RNG))

    @feature_task(5)
    def search_sorted(self):
        self._search_request("/products/search?q&sort=[id|price|-price]",
                             searchcheck.sorted_request(_RNG))

    @feature_task(4)
    def search_page(self):
        self._search_request("/products/search?q&offset=[page 2+]",
                             searchcheck.page_request(_RNG))

    @feature_task(4)
    def search_facets(self):
        self._search_request("/products/search?q&facets=[category,brand]",
                             searchcheck.facets_request(_RNG))

    @feature_task(4)
    def search_match_all(self):
        self._search_request("/products/search?q=[terms]&match=all",
                             searchcheck.match_all_request(_RNG))

    @feature_task(2)
    def invalid_feature_request(self):
        label, query, code = searchcheck.invalid_feature_request(_RNG)
        with self.client.get("/products/search?" + query,
                             name="/products/search [invalid parameter, expect 400]",
                             catch_response=True) as resp:
            reason = _transport_error(resp) or searchcheck.check_error(
                resp.status_code, resp.text, expected_code=code)
            _settle(resp, reason and "%s: %s" % (label, reason))

    @task(5)
    def health(self):
        with self.client.get("/health", name="/health", catch_response=True) as resp:
            reason = _transport_error(resp) or searchcheck.check_health(
                resp.status_code, resp.text)
            _settle(resp, reason)

    @task(4)
    def invalid_request(self):
        label, query = searchcheck.invalid_request(_RNG)
        with self.client.get("/products/search?" + query,
                             name="/products/search [invalid, expect 400]",
                             catch_response=True) as resp:
            reason = _transport_error(resp) or \
                searchcheck.check_error(resp.status_code, resp.text)
            _settle(resp, reason and "%s: %s" % (label, reason))


if not FEATURES:
    SearchUser.tasks = [t for t in SearchUser.tasks if not getattr(t, "search_feature", False)]


def _transport_error(resp):
    """A reason when no HTTP answer came back (connection refused, timeout...)."""
    if resp.status_code == 0:
        return "no HTTP response: %s" % (getattr(resp, "error", None) or "connection error")
    return None


def _settle(resp, reason):
    if reason:
        resp.failure(reason)
    else:
        resp.success()


@events.quitting.add_listener
def _write_final_csv(environment, **_kwargs):
    """Make Locust's CSV files complete at shut-down.

    Locust 2.12 refreshes PREFIX_stats.csv, _failures.csv and _exceptions.csv
    once a second and flushes PREFIX_stats_history.csv only every 10 seconds;
    it writes none of them again at shut-down, so the files miss the end of
    the run (up to 10 s of history). Here:
    - each final table is written next to its file and renamed over it (the
      rename leaves Locust's own, still open, handle on the replaced file);
    - Locust's history writer gets one last row and is flushed.
    """
    options = getattr(environment, "parsed_options", None)
    prefix = getattr(options, "csv_prefix", None)
    if not prefix or getattr(options, "worker", False):
        return
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, method in (("_stats.csv", writer.requests_csv),
                           ("_failures.csv", writer.failures_csv),
                           ("_exceptions.csv", writer.exceptions_csv)):
        final_path = prefix + suffix
        tmp_path = final_path + ".final.tmp"
        with open(tmp_path, "w", newline="", encoding="utf-8") as handle:
            method(csv.writer(handle))
        os.replace(tmp_path, final_path)
    # The history writer is not reachable from the environment in 2.12: find it.
    for obj in gc.get_objects():
        if isinstance(obj, StatsCSVFileWriter) and obj.environment is environment:
            add_row = getattr(obj, "_stats_history_data_rows", None)
            if add_row is not None:
                add_row(obj.stats_history_csv_writer, time.time())
            obj.stats_history_flush()
    # the row just written says 0 users (they were stopped to quit) and may repeat
    # the previous timestamp: give it the running user count, keep one row per second
    history = prefix + "_stats_history.csv"
    if os.path.isfile(history):
        loadreport.repair_history_file(history)


class CpuRecorder:
    """CPU of every Locust process, one row per process and second, in LOCUST_CPU_CSV.

    Locust measures its own process every 5 s (runner.current_cpu_usage, one core
    = 100 %); a master also holds the last figure each worker sent with its
    heartbeat. Rows: Timestamp, Process (local, master, worker-N), CPU %, User Count.
    """

    def __init__(self):
        self.greenlet = None
        self.handle = None

    def start(self, environment):
        path = os.environ.get("LOCUST_CPU_CSV")
        runner = environment.runner
        if not path or self.greenlet is not None or isinstance(runner, WorkerRunner):
            return
        self.handle = open(path, "w", newline="", encoding="utf-8")
        writer = csv.writer(self.handle)
        writer.writerow(["Timestamp", "Process", "CPU %", "User Count"])
        self.greenlet = gevent.spawn(self._loop, runner, writer)

    def _loop(self, runner, writer):
        while True:
            gevent.sleep(CPU_SAMPLE_SECONDS)
            now = int(time.time())
            users = runner.user_count
            if isinstance(runner, MasterRunner):
                writer.writerow([now, "master", runner.current_cpu_usage, users])
                for index, worker_id in enumerate(sorted(runner.clients), 1):
                    writer.writerow([now, "worker-%d" % index,
                                     runner.clients[worker_id].cpu_usage, users])
            else:
                writer.writerow([now, "local", runner.current_cpu_usage, users])
            self.handle.flush()

    def stop(self):
        if self.greenlet is not None:
            self.greenlet.kill(block=False)
            self.greenlet = None
        if self.handle is not None:
            self.handle.close()
            self.handle = None


_CPU = CpuRecorder()


@events.test_start.add_listener
def _start_cpu_recorder(environment, **_kwargs):
    _CPU.start(environment)


@events.quitting.add_listener
def _stop_cpu_recorder(**_kwargs):
    _CPU.stop()
