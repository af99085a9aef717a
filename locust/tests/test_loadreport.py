"""Unit tests for locust/loadreport.py on the fixture runs in tests/fixtures/."""

import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import loadreport  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
REFERENCE = os.path.join(os.path.dirname(HERE), "reference")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fixture(name):
    return os.path.join(FIXTURES, name)


class TempRuns(unittest.TestCase):
    """Copies fixture runs into a temporary directory (outputs must not land in the tree)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="loadreport-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def copy(self, name, dest=None):
        target = os.path.join(self.tmp, dest or name)
        shutil.copytree(fixture(name), target)
        return target

    def assert_png(self, path):
        self.assertTrue(os.path.isfile(path), path)
        with open(path, "rb") as handle:
            data = handle.read()
        self.assertTrue(data.startswith(PNG_MAGIC), "%s is not a PNG" % path)
        self.assertGreater(len(data), 10000, "%s is suspiciously small" % path)


class ReadTests(unittest.TestCase):
    def test_read_stats_numbers_and_aggregated_last(self):
        rows = loadreport.read_stats(os.path.join(fixture("local"), "locust_stats.csv"))
        self.assertEqual([r["name"] for r in rows],
                         ["/health", "/products/search?q=[brand]",
                          "/products/search [invalid, expect 400]", "Aggregated"])
        total = rows[-1]
        self.assertEqual(total["type"], "")
        self.assertEqual(total["requests"], 2000)
        self.assertEqual(total["fails"], 0)
        self.assertEqual(total["p95"], 5)
        self.assertEqual(total["p99"], 11)
        self.assertAlmostEqual(total["average"], 2.2725)
        self.assertAlmostEqual(total["rps"], 100.0)

    def test_read_history_keeps_aggregated_rows_and_na(self):
        points = loadreport.read_history(
            os.path.join(fixture("local"), "locust_stats_history.csv"))
        self.assertEqual(len(points), 5)  # the /health row is not Aggregated
        self.assertIsNone(points[0]["p95"])
        self.assertEqual(points[2]["users"], 50)
        self.assertEqual(points[-1]["total_requests"], 2000)

    def test_run_properties(self):
        run = loadreport.Run(fixture("aws"))
        self.assertEqual(run.label, "aws")
        self.assertEqual(run.duration_s, 20)
        self.assertEqual(run.peak_users, 50)
        self.assertAlmostEqual(run.fail_pct, 1.0)
        self.assertEqual(run.failures[0]["occurrences"], 8)
        self.assertIn("Bad Gateway, upstream", run.failures[0]["error"])


class SummaryTests(unittest.TestCase):
    def test_summary_table_has_the_original_columns_and_rows(self):
        run = loadreport.Run(fixture("local"))
        lines = loadreport.summary_table(run.stats).splitlines()
        self.assertEqual(
            lines[0],
            "| Type | Name | # Requests | # Fails | Median | 95%ile | 99%ile | Average | Min "
            "| Max | Average size | RPS |")
        self.assertEqual(lines[1], "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        # a 0 of Locust's whole milliseconds is "<1": under 1 ms, not nothing
        self.assertEqual(lines[2],
                         "| GET | /health | 100 | 0 | 1 | 3 | 6 | 1.25 | <1 | 9 | 33 | 5.00 |")
        self.assertEqual(lines[4], "| GET | /products/search [invalid, expect 400] | 400 | 0 | 1 "
                                   "| 3 | 6 | 1.50 | <1 | 12 | 75 | 20.00 |")
        self.assertEqual(lines[-1],
                         "|  | Aggregated | 2000 | 0 | 2 | 5 | 11 | 2.27 | <1 | 40 | 1217 | 100.00 |")
        self.assertEqual(len(lines), 6)

    def test_summary_markdown_describes_the_run(self):
        text = loadreport.summary_markdown(loadreport.Run(fixture("local")))
        self.assertIn("# Load test: local", text)
        self.assertIn("- Target: http://127.0.0.1:8080", text)
        self.assertIn("- Load: 50 users, spawn rate 3/s, run time 20s", text)
        self.assertIn("Failures: 0 of 2000 requests (0.00%).", text)
        self.assertIn("![Requests per second](requests_per_second.png)", text)
        self.assertNotIn("| Method | Name | Error |", text)

    def test_summary_lists_failures(self):
        text = loadreport.summary_markdown(loadreport.Run(fixture("aws")))
        self.assertIn("Failures: 8 of 800 requests (1.00%).", text)
        self.assertIn("| GET | /products/search?q=[brand] | HTTPError('502 Server Error: "
                      "Bad Gateway, upstream reset') | 8 |", text)

    def test_summary_reports_the_breaking_point(self):
        text = loadreport.summary_markdown(loadreport.Run(fixture("step")))
        self.assertIn("- Load: step load shape (see below)", text)
        self.assertIn("**Breaking point: 30 users** (failures 3.00% > 1.00%; p99 700 ms > 500 ms).",
                      text)
        self.assertIn("| 20 | 70.0 | 1050 | 0.00 | 5 | 12 | 40 | N/A | held |", text)

    def test_pipe_in_a_name_is_escaped(self):
        self.assertEqual(loadreport.md_cell("a|b"), "a\\|b")


class CompareTests(unittest.TestCase):
    def test_compare_table_rows(self):
        runs = [loadreport.Run(fixture("local")), loadreport.Run(fixture("aws"))]
        lines = loadreport.compare_markdown(runs).splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("| Run |"))
        self.assertEqual(
            lines[header],
            "| Run | Source | Target | Users | Spawn (/s) | Wait (s) | Duration (s) | Requests "
            "| Failures | Failures % | RPS (run) | RPS (steady) | Median (ms) | 95%ile (ms) "
            "| 99%ile (ms) | Average (ms) | Max (ms) | Locust CPU % |")
        # steady: (2000 - 900) requests from the first point with all 50 users (t=10) to t=20
        self.assertEqual(lines[header + 2],
                         "| local | measured | http://127.0.0.1:8080 | 50 | 3 | 1-2 | 20 | 2000 "
                         "| 0 | 0.00 | 100.00 | 110.0 | 2 | 5 | 11 | 2.27 | 40 | N/A |")
        self.assertEqual(lines[header + 3],
                         "| aws | measured | https://abc123.execute-api.us-east-1.amazonaws.com/prod "
                         "| 50 | 3 | 1-2 | 20 | 800 | 8 | 1.00 | 40.00 | 50.0 | 44 | 100 | 850 "
                         "| 51.62 | 2100 | N/A |")
        self.assertEqual(lines[header + 4], "")
        self.assertNotIn("saturated", "\n".join(lines))

    def test_wait_time_and_spawn_rate_tell_runs_apart(self):
        # the same scenario, continuous (saturated fixture) against 1-2 s think time (local)
        rows = loadreport.compare_rows([loadreport.Run(fixture("saturated")),
                                        loadreport.Run(fixture("local"))])
        column = loadreport.COMPARE_COLUMNS.index
        self.assertEqual([r[column("Wait (s)")] for r in rows], ["0", "1-2"])
        self.assertEqual([r[column("Spawn (/s)")] for r in rows], ["10", "3"])
        self.assertEqual([r[column("RPS (steady)")] for r in rows], ["6066.7", "110.0"])

    def test_published_references_are_labelled_in_every_row(self):
        runs = [loadreport.Run(fixture("saturated")),
                loadreport.Run(os.path.join(REFERENCE, "writeup-aws")),
                loadreport.Run(os.path.join(REFERENCE, "writeup-localstack-lambda"))]
        loadreport.unique_labels(runs)
        self.assertEqual([r.label for r in runs],
                         ["saturated", "writeup-aws (published)",
                          "writeup-localstack-lambda (published)"])
        text = loadreport.compare_markdown(runs)
        self.assertIn("| writeup-aws (published) | published | AWS (the original deployment) "
                      "| 50 | 3 | 0 | N/A | 25110 | 0 | 0.00 | N/A | 387.0 | 99 | 500 | 580 "
                      "| N/A | N/A | N/A |", text)
        self.assertIn("| writeup-localstack-lambda (published) | published | LocalStack API "
                      "Gateway -> Lambda (the original setup) | 50 | 3 | 0 | N/A | 480 | 30 "
                      "| 6.25 | N/A | 3.5 | 4100 | 3400 | 6000 | N/A | N/A | N/A |", text)
        self.assertIn("| saturated | measured |", text)

    def test_published_label_survives_renaming_of_equal_labels(self):
        runs = [loadreport.Run(os.path.join(REFERENCE, "writeup-aws")),
                loadreport.Run(os.path.join(REFERENCE, "writeup-aws"))]
        loadreport.unique_labels(runs)
        self.assertTrue(all("published" in r.label for r in runs), [r.label for r in runs])

    def test_saturation_warning_in_compare(self):
        runs = [loadreport.Run(fixture("saturated")), loadreport.Run(fixture("local"))]
        text = loadreport.compare_markdown(runs)
        self.assertIn("**Warning: the load generator saturated.** Locust reached 90 % CPU or more "
                      "(local: peak 99 %, mean 98 %; one core = 100 %): the requests/s and "
                      "response times of saturated are bounded by Locust", text)
        self.assertEqual(text.count("**Warning: the load generator saturated.**"), 1)
        self.assertIn("| 0.61 | 15 | 99 (saturated) |", text)

    def test_log_scale_when_ranges_differ_over_100x(self):
        self.assertTrue(loadreport.wants_log_scale([0.61, 4100]))
        self.assertTrue(loadreport.wants_log_scale([0, None, 1, 101]))
        self.assertFalse(loadreport.wants_log_scale([1, 100]))
        self.assertFalse(loadreport.wants_log_scale([0, 5]))
        local = loadreport.Run(fixture("local"))
        self.assertEqual(loadreport.compare_scales([local]),
                         {"throughput": "linear", "latency": "linear"})
        lambda_ref = loadreport.Run(os.path.join(REFERENCE, "writeup-localstack-lambda"))
        saturated = loadreport.Run(fixture("saturated"))
        self.assertEqual(loadreport.compare_scales([saturated, lambda_ref]),
                         {"throughput": "log", "latency": "log"})

    def test_sub_millisecond_bar_labels(self):
        self.assertEqual(loadreport.fmt_bar_ms(0), "<1")
        self.assertEqual(loadreport.fmt_bar_ms(0.61), "0.61 (<1)")
        self.assertEqual(loadreport.fmt_bar_ms(2.27), "2.3")
        self.assertEqual(loadreport.fmt_bar_ms(4100), "4100")
        self.assertEqual(loadreport.fmt_bar_ms(None), "N/A")
        self.assertEqual(loadreport.fmt_ms(0, 10), "<1")
        self.assertEqual(loadreport.fmt_ms(0, 0), "0")

    def test_same_basename_gets_parent_prefix(self):
        runs = [loadreport.Run(fixture("local")), loadreport.Run(fixture("aws"))]
        runs[0].label = runs[1].label = "run1"
        runs[0].dir, runs[1].dir = "reports/local/run1", "reports/aws/run1"
        loadreport.unique_labels(runs)
        self.assertEqual([r.label for r in runs], ["local/run1", "aws/run1"])


class ShutdownRowTests(TempRuns):
    """Locust's last history row is written after the users stopped: 0 users, and
    the timestamp of the row before it. Charts then drop to 0 users at the end."""

    def test_repair_keeps_last_row_per_timestamp_and_the_running_user_count(self):
        path = os.path.join(fixture("saturated"), "locust_stats_history.csv")
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        fixed = loadreport.repair_history_rows(rows)
        self.assertEqual(len(fixed), len(rows) - 2)
        keys = [(r["Timestamp"], r["Name"]) for r in fixed]
        self.assertEqual(len(keys), len(set(keys)), "duplicate timestamps left")
        last = [r for r in fixed if r["Timestamp"] == "1700003020"]
        self.assertEqual([(r["Name"], r["User Count"], r["Total Request Count"]) for r in last],
                         [("/health", "50", "6000"), ("Aggregated", "50", "106000")])
        # the start of the run (0 users before spawning) is not touched
        self.assertEqual(fixed[0]["User Count"], "0")

    def test_history_of_a_run_ends_with_its_users(self):
        points = loadreport.read_history(
            os.path.join(fixture("saturated"), "locust_stats_history.csv"))
        self.assertEqual([p["users"] for p in points], [0, 10, 20, 50, 50, 50, 50])
        self.assertEqual(points[-1]["total_requests"], 106000)
        self.assertEqual(len({p["t"] for p in points}), len(points))

    def test_repair_history_file_rewrites_in_place(self):
        run_dir = self.copy("saturated")
        path = os.path.join(run_dir, "locust_stats_history.csv")
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(loadreport.main(["repair-history", path]), 0)
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        self.assertEqual(len(rows), 8)
        self.assertNotIn("0", [r["User Count"] for r in rows[1:]])
        self.assertFalse(os.path.exists(path + ".repair.tmp"))

    def test_a_run_that_never_had_users_is_left_alone(self):
        rows = [{"Timestamp": "1", "User Count": "0", "Name": "Aggregated"},
                {"Timestamp": "2", "User Count": "0", "Name": "Aggregated"}]
        self.assertEqual(loadreport.repair_history_rows(rows), rows)


class SteadyStateTests(unittest.TestCase):
    def test_steady_rps_counts_requests_once_all_users_run(self):
        steady = loadreport.Run(fixture("saturated")).steady
        # first point with 50 users: t=1700003005, 15000 requests; end t=1700003020, 106000
        self.assertEqual(steady, {"rps": 91000 / 15, "seconds": 15, "requests": 91000})

    def test_no_steady_state_for_a_step_shape(self):
        self.assertIsNone(loadreport.Run(fixture("step")).steady)

    def test_published_run_gives_its_quoted_figure(self):
        self.assertEqual(loadreport.Run(os.path.join(REFERENCE, "writeup-aws")).steady["rps"],
                         387.0)

    def test_fractional_average_per_interval(self):
        points = loadreport.read_history(
            os.path.join(fixture("saturated"), "locust_stats_history.csv"))
        # 15000 requests averaging 0.55 ms, then 45000 averaging 0.6 ms:
        # the 30000 in between averaged (27000 - 8250) / 30000 = 0.625 ms
        self.assertAlmostEqual(points[4]["avg"], 0.625)
        self.assertAlmostEqual(points[1]["avg"], 0.4)
        self.assertIsNone(points[0]["avg"])
        self.assertTrue(all(p["p50"] == 0 for p in points[1:]))


class GeneratorCpuTests(TempRuns):
    def test_summary_warns_when_locust_saturated(self):
        text = loadreport.summary_markdown(loadreport.Run(fixture("saturated")))
        self.assertIn("- Locust CPU once all users ran (one core = 100 %): local peak 99 %, "
                      "mean 98 %", text)
        self.assertIn("**Warning: the load generator saturated.**", text)
        self.assertIn("- Think time (WAIT_TIME): 0 s (continuous)", text)
        self.assertIn("- Steady state (all users running): 6066.7 requests/s "
                      "(91000 requests in 15 s)", text)

    def test_no_warning_below_the_limit_and_per_process_figures(self):
        run_dir = self.copy("saturated", "workers")
        with open(os.path.join(run_dir, "locust_cpu.csv"), "w", encoding="utf-8") as handle:
            handle.write("Timestamp,Process,CPU %,User Count\n"
                         "1700003006,master,3.0,50\n1700003006,worker-1,71.0,50\n"
                         "1700003006,worker-2,80.0,50\n1700003011,master,5.0,50\n"
                         "1700003011,worker-1,75.0,50\n1700003011,worker-2,84.0,50\n")
        run = loadreport.Run(run_dir)
        self.assertEqual(run.cpu_by_process(), {"master": (5.0, 4.0, 2),
                                                "worker-1": (75.0, 73.0, 2),
                                                "worker-2": (84.0, 82.0, 2)})
        self.assertFalse(run.saturated)
        self.assertNotIn("Warning", loadreport.summary_markdown(run))
        self.assertEqual(loadreport.compare_rows([run])[0][-1], "84")

    def test_locust_cpu_warning_in_the_log_counts(self):
        run_dir = self.copy("local", "warned")
        with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        meta["locust_cpu_warning"] = True
        with open(os.path.join(run_dir, "run.json"), "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        run = loadreport.Run(run_dir)
        self.assertTrue(run.saturated)
        self.assertIn("Locust logged its CPU warning", run.saturation_warning())
        self.assertEqual(loadreport.compare_rows([run])[0][-1], "saturated")


class BusyMachineTests(TempRuns):
    def meta_with(self, **values):
        run_dir = self.copy("local", "busy-%d" % len(os.listdir(self.tmp)))
        path = os.path.join(run_dir, "run.json")
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
        meta.update(values)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        return loadreport.Run(run_dir)

    def test_load_average_above_the_cpus_is_noted(self):
        run = self.meta_with(cpus=2, load_average_at_start="8.05 9.60 6.57",
                             load_average_at_end="1.00 2.00 3.00")
        note = run.busy_machine_note()
        self.assertIn("(1-minute load average up to 8.1 on 2 CPUs)", note)
        self.assertIn(note, loadreport.summary_markdown(run))
        self.assertIn(note, loadreport.compare_markdown([run]))

    def test_quiet_machine_or_unknown_cpus_has_no_note(self):
        self.assertIsNone(self.meta_with(cpus=2, load_average_at_start="1.50 1.0 1.0",
                                         load_average_at_end="2.00 1.0 1.0").busy_machine_note())
        self.assertIsNone(self.meta_with(load_average_at_start="9.0 9.0 9.0").busy_machine_note())


class CommandTests(TempRuns):
    def test_summary_command_writes_markdown_and_three_charts(self):
        run_dir = self.copy("aws")
        path = loadreport.cmd_summary(run_dir)
        self.assertEqual(path, os.path.join(run_dir, "summary.md"))
        with open(path, encoding="utf-8") as handle:
            self.assertIn("| GET | /health | 40 | 0 | 30 | 60 | 120 |", handle.read())
        for name in loadreport.RUN_CHARTS:
            self.assert_png(os.path.join(run_dir, name))

    def test_summary_of_a_published_reference(self):
        run_dir = os.path.join(self.tmp, "writeup-localstack-lambda")
        shutil.copytree(os.path.join(REFERENCE, "writeup-localstack-lambda"), run_dir)
        with open(loadreport.cmd_summary(run_dir), encoding="utf-8") as handle:
            text = handle.read()
        self.assertIn("# Load test: writeup-localstack-lambda (published)", text)
        self.assertIn("- Source: published figures, not measured here", text)
        self.assertIn("|  | Aggregated | 480 | 30 | 4100 | 3400 | 6000 | N/A | N/A | N/A | N/A "
                      "| N/A |", text)
        for name in loadreport.RUN_CHARTS:
            self.assertTrue(os.path.isfile(os.path.join(run_dir, name)))

    def test_compare_with_references_writes_charts(self):
        runs = [self.copy("saturated"), self.copy("local"),
                os.path.join(REFERENCE, "writeup-aws"),
                os.path.join(REFERENCE, "writeup-localstack-lambda")]
        out = os.path.join(self.tmp, "cmp-ref")
        loadreport.cmd_compare(out, runs)
        for name in loadreport.COMPARE_CHARTS:
            self.assert_png(os.path.join(out, name))

    def test_compare_command_writes_table_and_four_charts(self):
        runs = [self.copy("local"), self.copy("aws"), self.copy("step")]
        out = os.path.join(self.tmp, "cmp")
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            self.assertEqual(loadreport.main(["compare", "--out", out] + runs), 0)
        self.assertEqual(printed.getvalue(), os.path.join(out, "compare.md") + "\n")
        with open(os.path.join(out, "compare.md"), encoding="utf-8") as handle:
            text = handle.read()
        self.assertEqual(text.count("\n| local |") + text.count("\n| aws |")
                         + text.count("\n| step |"), 3)
        for name in loadreport.COMPARE_CHARTS:
            self.assert_png(os.path.join(out, name))

    def test_missing_aggregated_row_is_a_clear_error(self):
        run_dir = self.copy("local")
        path = os.path.join(run_dir, "locust_stats.csv")
        with open(path, encoding="utf-8") as handle:
            lines = handle.readlines()
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(lines[:-1])
        with self.assertRaisesRegex(loadreport.ReportError, "no Aggregated row"):
            loadreport.Run(run_dir)

    def test_foreign_csv_is_rejected(self):
        run_dir = self.copy("local")
        with open(os.path.join(run_dir, "locust_stats.csv"), "w", encoding="utf-8") as handle:
            handle.write("a,b\n1,2\n")
        with self.assertRaisesRegex(loadreport.ReportError, "not a Locust 2.x CSV"):
            loadreport.Run(run_dir)

    def test_main_returns_2_for_a_missing_run(self):
        missing = os.path.join(self.tmp, "nope")
        with contextlib.redirect_stderr(io.StringIO()) as printed:
            self.assertEqual(loadreport.main(["summary", missing]), 2)
        self.assertEqual(printed.getvalue(),
                         "loadreport: run directory %s does not exist\n" % missing)


if __name__ == "__main__":
    unittest.main()
