"""Unit tests for locust/loadreport.py on the fixture runs in tests/fixtures/."""

import contextlib
import io
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import loadreport  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
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
        self.assertEqual(lines[2],
                         "| GET | /health | 100 | 0 | 1 | 3 | 6 | 1.25 | 0 | 9 | 33 | 5.00 |")
        self.assertEqual(lines[4], "| GET | /products/search [invalid, expect 400] | 400 | 0 | 1 "
                                   "| 3 | 6 | 1.50 | 0 | 12 | 75 | 20.00 |")
        self.assertEqual(lines[-1],
                         "|  | Aggregated | 2000 | 0 | 2 | 5 | 11 | 2.27 | 0 | 40 | 1217 | 100.00 |")
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
            "| Run | Target | Users | Duration (s) | Requests | Failures | Failures % | RPS "
            "| Median (ms) | 95%ile (ms) | 99%ile (ms) | Average (ms) | Max (ms) |")
        self.assertEqual(lines[header + 2],
                         "| local | http://127.0.0.1:8080 | 50 | 20 | 2000 | 0 | 0.00 | 100.00 "
                         "| 2 | 5 | 11 | 2.27 | 40 |")
        self.assertEqual(lines[header + 3],
                         "| aws | https://abc123.execute-api.us-east-1.amazonaws.com/prod | 50 "
                         "| 20 | 800 | 8 | 1.00 | 40.00 | 44 | 100 | 850 | 51.62 | 2100 |")
        self.assertEqual(lines[header + 4], "")

    def test_same_basename_gets_parent_prefix(self):
        runs = [loadreport.Run(fixture("local")), loadreport.Run(fixture("aws"))]
        runs[0].label = runs[1].label = "run1"
        runs[0].dir, runs[1].dir = "reports/local/run1", "reports/aws/run1"
        loadreport.unique_labels(runs)
        self.assertEqual([r.label for r in runs], ["local/run1", "aws/run1"])


class CommandTests(TempRuns):
    def test_summary_command_writes_markdown_and_three_charts(self):
        run_dir = self.copy("aws")
        path = loadreport.cmd_summary(run_dir)
        self.assertEqual(path, os.path.join(run_dir, "summary.md"))
        with open(path, encoding="utf-8") as handle:
            self.assertIn("| GET | /health | 40 | 0 | 30 | 60 | 120 |", handle.read())
        for name in loadreport.RUN_CHARTS:
            self.assert_png(os.path.join(run_dir, name))

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
