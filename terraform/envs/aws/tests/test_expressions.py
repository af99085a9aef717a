"""Evaluates the env's and the ecs_service module's own expressions with a real terraform,
when one is installed (skipped otherwise: the machines this project runs on may have none,
and no provider registry).

No provider is needed: each case copies the variables and the locals of the real files
into a scratch directory, adds outputs, and runs `terraform plan` there. So the variable
validations that tf-check can only see (task_memory against the catalog and conn_limit,
drain_s, the catalog image) and the container definitions with the catalog on and off are
evaluated by Terraform itself.

Run from the repository root:  /usr/bin/python3 -m unittest discover -s terraform/envs/aws/tests -v
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ENV_DIR = os.path.join(ROOT, "terraform", "envs", "aws")
ECS_DIR = os.path.join(ROOT, "terraform", "modules", "ecs_service")
TERRAFORM = shutil.which("terraform")


def locals_block(path, until):
    """The text of the first locals block of a file, up to the line that starts `until`."""
    with open(path) as f:
        src = f.read()
    start = src.index("locals {")
    end = src.index(until, start)
    return src[start:end]


@unittest.skipIf(TERRAFORM is None, "no terraform binary on this machine")
class Harness(unittest.TestCase):
    outputs = ""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tf-expr-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull, TF_IN_AUTOMATION="1",
                        CHECKPOINT_DISABLE="1", TF_DATA_DIR=os.path.join(self.dir, ".terraform"))

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def plan(self, *args):
        """terraform plan with -var args; returns (ok, outputs as a dict or the error text)."""
        init = subprocess.run([TERRAFORM, "init", "-input=false", "-no-color"], cwd=self.dir,
                              env=self.env, capture_output=True, text=True, timeout=120)
        self.assertEqual(init.returncode, 0, init.stdout + init.stderr)
        plan_file = os.path.join(self.dir, "plan")
        p = subprocess.run([TERRAFORM, "plan", "-input=false", "-no-color", "-out", plan_file, *args],
                           cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            return False, re.sub(r"\s+", " ", p.stdout + p.stderr)
        show = subprocess.run([TERRAFORM, "show", "-json", plan_file], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(show.returncode, 0, show.stderr)
        changes = json.loads(show.stdout).get("output_changes", {})
        return True, {k: v["after"] for k, v in changes.items()}


class EnvValidations(Harness):
    """terraform/envs/aws: variables.tf and the locals of main.tf."""

    def setUp(self):
        super().setUp()
        shutil.copy(os.path.join(ENV_DIR, "variables.tf"), self.dir)
        self.write("locals.tf", locals_block(os.path.join(ENV_DIR, "main.tf"), '\nmodule "ecr"'))
        self.write("outputs.tf", """
output "memory_need_mib" { value = local.memory_need_mib }
output "startup_s" { value = local.startup_s }
output "server_environment" { value = local.server_environment }
output "prod_defaults" { value = [local.deletion_protection, local.alb_access_logs, local.waf, local.ui] }
output "catalog" { value = local.catalog }
""")

    def test_defaults_fit(self):
        ok, out = self.plan()
        self.assertTrue(ok, out)
        self.assertLessEqual(out["memory_need_mib"], 512)
        self.assertEqual(out["prod_defaults"], [True, True, True, False])
        self.assertEqual(out["server_environment"]["UI"], "off")
        self.assertNotIn("SCAN_LIMIT", out["server_environment"])

    def test_a_million_products_whole_catalog_need_more_than_512_mib(self):
        ok, err = self.plan("-var", "product_count=1000000", "-var", "scan_limit=0")
        self.assertFalse(ok)
        self.assertIn("task_memory 512 MiB is too small: product_count 1000000 (whole catalog", err)
        ok, out = self.plan("-var", "product_count=1000000", "-var", "scan_limit=0", "-var", "task_memory=1024")
        self.assertTrue(ok, out)

    def test_conn_limit_60000_does_not_fit_512_mib(self):
        ok, err = self.plan("-var", "conn_limit=60000")
        self.assertFalse(ok)
        self.assertIn("conn_limit 60000 (about 20 KiB each)", err)

    def test_drain_s_above_2_is_refused(self):
        ok, err = self.plan("-var", "drain_s=15")
        self.assertFalse(ok)
        self.assertIn("drain_s must be a whole number from 0 to 2", err)

    def test_start_up_follows_the_catalog(self):
        ok, small = self.plan("-var", "environment=staging")
        self.assertTrue(ok, small)
        big = ["-var", "environment=staging", "-var", "product_count=10000000", "-var", "scan_limit=0",
               "-var", "task_cpu=1024", "-var", "task_memory=8192"]
        ok, whole = self.plan(*big)
        self.assertTrue(ok, whole)
        ok, snap = self.plan(*big, "-var", "catalog_s3_uri=s3://my-catalogs/prod/catalog.snap")
        self.assertTrue(ok, snap)
        self.assertGreaterEqual(whole["startup_s"], 80)   # ~80 s of index at 10,000,000
        self.assertLessEqual(snap["startup_s"], 5)        # a snapshot: under a second
        self.assertLess(small["startup_s"], whole["startup_s"])
        self.assertEqual(snap["catalog"]["format"], "snapshot")
        self.assertEqual(snap["catalog"]["bucket"], "my-catalogs")
        self.assertEqual(snap["catalog"]["key"], "prod/catalog.snap")
        self.assertNotIn("PRODUCT_COUNT", snap["server_environment"])

    def test_public_copier_image_refused_without_internet_egress(self):
        ok, err = self.plan("-var", "catalog_s3_uri=s3://my-catalogs/prod/products.jsonl",
                            "-var", "private_egress=vpc_endpoints")
        self.assertFalse(ok)
        self.assertIn("catalog_image must be an image reference; with private_egress = vpc_endpoints", err)


class EcsContainers(Harness):
    """terraform/modules/ecs_service: variables.tf and the locals of main.tf."""

    CATALOG = ('catalog={bucket="b",key="prod/products.jsonl",format="products",refresh_s=%d,'
               'reload_s=5,image="public.ecr.aws/aws-cli/aws-cli:2.32.9"}')

    def setUp(self):
        super().setUp()
        shutil.copy(os.path.join(ECS_DIR, "variables.tf"), self.dir)
        shutil.copy(os.path.join(ECS_DIR, "catalog.sh"), self.dir)
        self.write("locals.tf", locals_block(os.path.join(ECS_DIR, "main.tf"), '\nresource "aws_ecs_cluster"'))
        self.write("outputs.tf", """
output "containers" { value = jsonencode(local.containers) }
output "grace" { value = local.grace_period }
output "health_check" { value = [local.hc_start_period, local.hc_interval, local.hc_retries] }
""")
        self.write("terraform.tfvars", "\n".join([
            'name = "ps"', 'region = "us-east-1"', 'image = "ps:1"', 'vpc_id = "vpc-1"',
            'private_subnet_ids = ["subnet-1"]', 'alb_security_group_id = "sg-1"', 'target_group_arn = "tg"',
            'execution_role_arn = "e"', 'task_role_arn = "t"', 'log_group_name = "/ecs/ps"', ""]))

    def containers(self, *args):
        ok, out = self.plan(*args)
        self.assertTrue(ok, out)
        return {c["name"]: c for c in json.loads(out["containers"])}, out

    def test_catalog_off_is_one_container(self):
        cs, out = self.containers()
        self.assertEqual(list(cs), ["ps"])
        self.assertIsNone(cs["ps"].get("dependsOn"))
        self.assertEqual(out["grace"], 60)

    def test_catalog_with_sidecar(self):
        cs, _ = self.containers("-var", self.CATALOG % 60)
        self.assertEqual(sorted(cs), ["catalog-fetch", "catalog-sync", "ps"])
        ps = cs["ps"]
        self.assertEqual(ps["dependsOn"], [{"containerName": "catalog-fetch", "condition": "SUCCESS"}])
        self.assertEqual(ps["mountPoints"], [{"sourceVolume": "catalog", "containerPath": "/catalog", "readOnly": True}])
        env = {e["name"]: e["value"] for e in ps["environment"]}
        self.assertEqual(env["PRODUCTS_FILE"], "/catalog/products.jsonl")
        self.assertEqual(env["RELOAD_S"], "5")
        for name, mode in (("catalog-fetch", "fetch"), ("catalog-sync", "sync")):
            c = cs[name]
            self.assertIs(c["essential"], False, name)
            self.assertEqual(c["entryPoint"], ["/bin/sh", "-c"])
            self.assertIn("CATALOG_MODE", c["command"][0])
            self.assertIn({"name": "CATALOG_MODE", "value": mode}, c["environment"])
        self.assertEqual(cs["catalog-sync"]["dependsOn"], [{"containerName": "catalog-fetch", "condition": "SUCCESS"}])

    def test_catalog_without_sidecar(self):
        cs, _ = self.containers("-var", self.CATALOG % 0)
        self.assertEqual(sorted(cs), ["catalog-fetch", "ps"])

    def test_slow_start_widens_grace_and_health_check(self):
        _, out = self.containers("-var", "startup_s=97")
        self.assertEqual(out["grace"], 30 + 2 * 97)
        start, interval, retries = out["health_check"]
        self.assertGreaterEqual(start + interval * retries, 10 + 2 * 97)
        self.assertLessEqual(start, 300)


if __name__ == "__main__":
    unittest.main()
