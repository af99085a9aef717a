"""Tests of scripts/localstack-up.sh and scripts/localstack-down.sh without Docker.

The refusal paths run the real scripts with a PATH that lacks docker, the compose
plugin or terraform. The flow (compose up, health waits, terraform apply, URLs,
destroy, compose down) runs the real scripts with stand-ins for `docker` and
`terraform` that log their arguments, and a real HTTP server on 127.0.0.1 that
answers for LocalStack, the service and the API Gateway route.

Run from the repository root:  /usr/bin/python3 -m unittest discover -s terraform/envs/localstack/tests -v
"""

import http.server
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
UP = os.path.join(ROOT, "scripts", "localstack-up.sh")
DOWN = os.path.join(ROOT, "scripts", "localstack-down.sh")
ENV_DIR = os.path.join(ROOT, "terraform", "envs", "localstack")

# What the scripts may use from the system besides docker and terraform.
BASICS = ["bash", "env", "dirname", "sed", "grep", "curl", "sleep", "rm", "cat", "mkdir"]

DOCKER_STUB = r"""#!/usr/bin/env bash
echo "docker $*" >> "$STUB_LOG"
case "$1" in
  compose) [[ "${STUB_COMPOSE:-plugin}" == plugin ]] || { echo "docker: unknown command: docker compose" >&2; exit 1; }
           [[ "$*" != *" up "* ]] || echo "compose env LOCALSTACK_IMAGE=$LOCALSTACK_IMAGE" >> "$STUB_LOG"
           [[ "$*" != *" up "* || -z "${CATALOG_BUCKET:-}" ]] ||
             echo "compose env CATALOG_BUCKET=$CATALOG_BUCKET CATALOG_KEY=$CATALOG_KEY CATALOG_FILE_NAME=$CATALOG_FILE_NAME PRODUCTS=$CATALOG_PRODUCTS_FILE SNAPSHOT=$CATALOG_SNAPSHOT_FILE" >> "$STUB_LOG"
           exit 0 ;;
  info)    [[ "${STUB_ENGINE:-up}" == up ]] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
           exit 0 ;;
  image)   [[ "${STUB_IMAGE:-present}" == present ]] || exit 1
           exit 0 ;;
  *)       exit 0 ;;
esac
"""

TERRAFORM_STUB = r"""#!/usr/bin/env bash
echo "terraform $*" >> "$STUB_LOG"
case "$2" in
  output)
    case "$4" in
      direct_invoke_url) printf '%s' "$STUB_DIRECT" ;;
      lambda_invoke_url) printf '%s' "$STUB_LAMBDA" ;;
      ecr_repository_url) printf '%s' "$STUB_ECR" ;;
      catalog_s3_uri) printf 's3://product-search-catalog-20261203/catalog/%s' "$STUB_CATALOG" ;;
      catalog_container_file) printf '/catalog/%s' "$STUB_CATALOG" ;;
      catalog_format) case "$STUB_CATALOG" in *.snap) printf snapshot ;; *) printf products ;; esac ;;
      *) exit 1 ;;
    esac ;;
esac
exit 0
"""


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            state["paths"].append(self.path)
            if self.path == "/_localstack/health":
                status, body = 200, {"services": {"apigateway": "available", "lambda": "available"}}
            elif self.path.endswith("/health"):
                status = state.get("health_status", 200)
                body = {"status": "ok", "products": 100} if status == 200 else {"status": "draining"}
            else:
                status, body = 404, {"error": "not_found", "message": "no route"}
            data = json.dumps(body, indent=1).encode()  # indent: "key": "value" with a space
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


class ScriptTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ls-scripts-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.basics = os.path.join(self.tmp, "basics")
        self.stubs = os.path.join(self.tmp, "stubs")
        os.mkdir(self.basics)
        os.mkdir(self.stubs)
        for tool in BASICS:
            path = shutil.which(tool, path="/usr/bin:/bin")
            self.assertIsNotNone(path, f"{tool} missing on this machine")
            os.symlink(path, os.path.join(self.basics, tool))
        self.log = os.path.join(self.tmp, "calls.log")
        open(self.log, "w").close()
        self.state_file = os.path.join(ENV_DIR, "terraform.tfstate")
        self.assertFalse(
            os.path.exists(self.state_file),
            "a real terraform.tfstate exists in the env; these tests would touch it",
        )

    def stub(self, name, text):
        path = os.path.join(self.stubs, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def run_script(self, script, *args, path=None, extra_env=None, timeout=60):
        env = {
            "PATH": path if path is not None else f"{self.stubs}:{self.basics}",
            "HOME": self.tmp,
            "STUB_LOG": self.log,
        }
        env.update(extra_env or {})
        return subprocess.run(
            [script, *args], env=env, capture_output=True, text=True, timeout=timeout
        )

    def calls(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def assert_refused(self, proc, fragment):
        self.assertNotEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one error line, got: {proc.stderr!r}")
        self.assertIn(fragment, lines[0])


class Refusals(ScriptTestCase):
    def test_no_docker(self):
        for script in (UP, DOWN):
            with self.subTest(script=os.path.basename(script)):
                proc = self.run_script(script, path=self.basics)
                self.assert_refused(proc, "docker is not installed")

    def test_docker_without_compose(self):
        self.stub("docker", DOCKER_STUB)
        self.stub("terraform", TERRAFORM_STUB)
        for script in (UP, DOWN):
            with self.subTest(script=os.path.basename(script)):
                proc = self.run_script(script, extra_env={"STUB_COMPOSE": "none"})
                self.assert_refused(proc, "docker compose is not available")

    def test_standalone_docker_compose_is_accepted(self):
        self.stub("docker", DOCKER_STUB)
        self.stub("docker-compose", "#!/usr/bin/env bash\necho \"docker-compose $*\" >> \"$STUB_LOG\"\n")
        # no terraform: the check after compose must be the one that refuses
        proc = self.run_script(UP, extra_env={"STUB_COMPOSE": "none"})
        self.assert_refused(proc, "terraform is not installed")

    def test_no_terraform(self):
        self.stub("docker", DOCKER_STUB)
        for script in (UP, DOWN):
            with self.subTest(script=os.path.basename(script)):
                proc = self.run_script(script)
                self.assert_refused(proc, "terraform is not installed")

    def test_engine_not_running(self):
        self.stub("docker", DOCKER_STUB)
        self.stub("terraform", TERRAFORM_STUB)
        for script in (UP, DOWN):
            with self.subTest(script=os.path.basename(script)):
                proc = self.run_script(script, extra_env={"STUB_ENGINE": "down"})
                self.assert_refused(proc, "the Docker engine does not answer")

    def test_image_not_built(self):
        self.stub("docker", DOCKER_STUB)
        self.stub("terraform", TERRAFORM_STUB)
        proc = self.run_script(UP, extra_env={"STUB_IMAGE": "missing"})
        self.assert_refused(proc, "make image")

    def test_pro_without_token(self):
        self.stub("docker", DOCKER_STUB)
        self.stub("terraform", TERRAFORM_STUB)
        proc = self.run_script(UP, "--pro")
        self.assert_refused(proc, "LOCALSTACK_AUTH_TOKEN")

    def test_pro_refuses_a_community_image(self):
        self.stub("docker", DOCKER_STUB)
        self.stub("terraform", TERRAFORM_STUB)
        for image in ("localstack/localstack:4.14.0", "localstack/localstack:latest", "my/localstack-pro-ish:1"):
            with self.subTest(image=image):
                proc = self.run_script(UP, "--pro", extra_env={"LOCALSTACK_AUTH_TOKEN": "ls-test",
                                                               "LOCALSTACK_IMAGE": image})
                self.assert_refused(proc, f"--pro needs a Pro image, localstack/localstack-pro:<version>; LOCALSTACK_IMAGE is {image}")
        started = [c for c in self.calls() if " up " in c or c.startswith("terraform")]
        self.assertEqual(started, [], "nothing may be started with the wrong image")

    def test_bad_arguments_and_settings(self):
        self.stub("docker", DOCKER_STUB)
        self.stub("terraform", TERRAFORM_STUB)
        self.assert_refused(self.run_script(UP, "--catalog"), "--catalog needs a file")
        self.assert_refused(self.run_script(UP, "--catalog", "/no/such/catalog.jsonl"),
                            "--catalog /no/such/catalog.jsonl: not a readable file")
        self.assert_refused(self.run_script(UP, "--lamda"), "unknown argument '--lamda'")
        self.assert_refused(self.run_script(DOWN, "now"), "unknown argument 'now'")
        self.assert_refused(
            self.run_script(UP, extra_env={"LOCALSTACK_PORT": "45a"}), "LOCALSTACK_PORT"
        )
        self.assert_refused(
            self.run_script(DOWN, extra_env={"LOCALSTACK_PORT": "-1"}), "LOCALSTACK_PORT"
        )
        self.assert_refused(self.run_script(UP, extra_env={"WAIT_S": "0"}), "WAIT_S")
        self.assertEqual(self.calls(), [], "nothing may be started on bad input")

    def test_help(self):
        proc = self.run_script(UP, "--help", path=self.basics)
        self.assertEqual(proc.returncode, 0)
        self.assertIn("usage: scripts/localstack-up.sh [--lambda] [--pro]", proc.stdout)


class Flow(ScriptTestCase):
    def setUp(self):
        super().setUp()
        self.http = {"paths": []}
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.http))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.port = self.server.server_address[1]
        self.stub("docker", DOCKER_STUB)
        self.stub("terraform", TERRAFORM_STUB)
        base = f"http://127.0.0.1:{self.port}/restapis"
        self.env = {
            "LOCALSTACK_PORT": str(self.port),
            "PRODUCT_SEARCH_PORT": str(self.port),
            "STUB_DIRECT": f"{base}/direct1/local/_user_request_",
            "STUB_LAMBDA": f"{base}/lambda1/local/_user_request_",
            "WAIT_S": "10",
        }

    def test_up_direct_route(self):
        proc = self.run_script(UP, extra_env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        calls = self.calls()
        self.assertIn(
            f"docker compose -p product-search-localstack -f {ENV_DIR}/compose.yaml up -d", calls
        )
        apply = [c for c in calls if c.startswith(f"terraform -chdir={ENV_DIR} apply")]
        self.assertEqual(len(apply), 1, calls)
        self.assertIn(f"-var localstack_endpoint=http://localhost:{self.port}", apply[0])
        self.assertIn("-var lambda_proxy=false", apply[0])
        self.assertIn("-var enable_pro_services=false", apply[0])
        # compose up, then terraform init, then apply
        up = calls.index(f"docker compose -p product-search-localstack -f {ENV_DIR}/compose.yaml up -d")
        tf = [i for i, c in enumerate(calls) if c.startswith("terraform")]
        self.assertTrue(calls[tf[0]].startswith(f"terraform -chdir={ENV_DIR} init"), calls)
        self.assertLess(up, tf[0])
        self.assertLess(tf[0], calls.index(apply[0]))
        # it waited on LocalStack, the service and the route through API Gateway
        self.assertIn("/_localstack/health", self.http["paths"])
        self.assertIn("/health", self.http["paths"])
        self.assertIn("/restapis/direct1/local/_user_request_/health", self.http["paths"])
        self.assertIn(f"{self.env['STUB_DIRECT']}/products/search?q=alpha", proc.stdout)
        # the printed command reproduces the original load: continuous, the original scenario
        direct_cmd = [line.strip() for line in proc.stdout.splitlines()
                      if line.strip().startswith(f"make loadtest HOST={self.env['STUB_DIRECT']} ")]
        self.assertEqual(len(direct_cmd), 1, proc.stdout)
        self.assertIn(" SCENARIO=original ", direct_cmd[0])
        self.assertIn(" WAIT_TIME=0 ", direct_cmd[0])
        self.assertNotIn("lambda1", proc.stdout)

    def test_up_with_lambda_route(self):
        proc = self.run_script(UP, "--lambda", extra_env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        apply = [c for c in self.calls() if " apply " in c]
        self.assertIn("-var lambda_proxy=true", apply[0])
        self.assertIn("/restapis/lambda1/local/_user_request_/health", self.http["paths"])
        lambda_cmd = [line.strip() for line in proc.stdout.splitlines()
                      if line.strip().startswith(f"make loadtest HOST={self.env['STUB_LAMBDA']} ")]
        self.assertEqual(len(lambda_cmd), 1, proc.stdout)
        # continuous load as measured originally; its expected 502s are recorded, not fatal
        self.assertIn(" SCENARIO=original ", lambda_cmd[0])
        self.assertIn(" WAIT_TIME=0 ", lambda_cmd[0])
        self.assertIn(" FAIL_ON_FAILURES=0 ", lambda_cmd[0])
        self.assertNotIn("WAIT_TIME=1", proc.stdout)

    def test_localstack_image_pinned_to_a_full_version(self):
        proc = self.run_script(UP, extra_env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("compose env LOCALSTACK_IMAGE=localstack/localstack:4.14.0", self.calls())
        env = dict(self.env, LOCALSTACK_IMAGE="localstack/localstack-pro:4.14.0")
        open(self.log, "w").close()
        self.assertEqual(self.run_script(UP, extra_env=env).returncode, 0)
        self.assertIn("compose env LOCALSTACK_IMAGE=localstack/localstack-pro:4.14.0", self.calls())

    def test_up_pro_pushes_the_image_before_the_service(self):
        repo = "localhost.localstack.cloud:4510/product-search"
        env = dict(self.env, LOCALSTACK_AUTH_TOKEN="ls-test", STUB_ECR=repo)
        proc = self.run_script(UP, "--pro", extra_env=env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        calls = self.calls()
        applies = [i for i, c in enumerate(calls) if c.startswith(f"terraform -chdir={ENV_DIR} apply")]
        self.assertEqual(len(applies), 2, calls)
        first, full = calls[applies[0]], calls[applies[1]]
        self.assertIn("-var enable_pro_services=true", first)
        self.assertTrue(first.endswith(" -target=module.ecr"), first)
        self.assertIn("-var enable_pro_services=true", full)
        self.assertNotIn("-target", full)
        push = calls.index(f"docker push {repo}:latest")
        self.assertLess(calls.index(f"docker tag product-search:latest {repo}:latest"), push)
        self.assertLess(applies[0], push)
        self.assertLess(push, applies[1])
        # --pro without LOCALSTACK_IMAGE runs the Pro image, not the community default
        self.assertIn("compose env LOCALSTACK_IMAGE=localstack/localstack-pro:4.14.0", calls)

    def test_up_with_a_catalog_from_s3(self):
        for name, products, snapshot in (("products.jsonl", "/catalog/products.jsonl", ""),
                                         ("catalog.snap", "", "/catalog/catalog.snap")):
            with self.subTest(catalog=name):
                open(self.log, "w").close()
                path = os.path.join(self.tmp, name)
                with open(path, "w") as f:
                    f.write('{"id": 1, "name": "alpha"}\n')
                proc = self.run_script(UP, "--catalog", path, extra_env=dict(self.env, STUB_CATALOG=name))
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                calls = self.calls()
                apply = [c for c in calls if c.startswith(f"terraform -chdir={ENV_DIR} apply")]
                self.assertEqual(len(apply), 1, calls)
                self.assertIn(f"-var catalog_file={path}", apply[0])
                base_up = f"docker compose -p product-search-localstack -f {ENV_DIR}/compose.yaml up -d"
                overlay_up = (f"docker compose -p product-search-localstack -f {ENV_DIR}/compose.yaml "
                              f"-f {ENV_DIR}/compose.catalog.yaml up -d")
                # the service starts on a generated catalog, terraform uploads the file,
                # then the overlay restarts it behind catalog-fetch
                self.assertLess(calls.index(base_up), calls.index(apply[0]))
                self.assertLess(calls.index(apply[0]), calls.index(overlay_up))
                self.assertIn("compose env CATALOG_BUCKET=product-search-catalog-20261203 "
                              f"CATALOG_KEY=catalog/{name} CATALOG_FILE_NAME={name} "
                              f"PRODUCTS={products} SNAPSHOT={snapshot}", calls)

    def test_up_gives_up_when_the_service_stays_unhealthy(self):
        self.http["health_status"] = 503
        env = dict(self.env, WAIT_S="2")
        proc = self.run_script(UP, extra_env=env)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("product-search did not become healthy within 2s", proc.stderr)
        self.assertFalse([c for c in self.calls() if c.startswith("terraform")],
                         "terraform must not run before the service is healthy")

    def test_down_destroys_then_stops_and_forgets_state(self):
        with open(self.state_file, "w") as f:
            f.write('{"version": 4}\n')
        self.addCleanup(lambda: os.path.exists(self.state_file) and os.remove(self.state_file))
        proc = self.run_script(DOWN, extra_env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        calls = [c for c in self.calls() if "destroy" in c or " down " in c]
        self.assertEqual(len(calls), 2, self.calls())
        self.assertTrue(calls[0].startswith(f"terraform -chdir={ENV_DIR} destroy"), calls)
        self.assertIn(f"-var localstack_endpoint=http://localhost:{self.port}", calls[0])
        self.assertTrue(calls[1].startswith("docker compose -p product-search-localstack"), calls)
        self.assertFalse(os.path.exists(self.state_file))

    def test_down_without_state_only_stops(self):
        proc = self.run_script(DOWN, extra_env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertFalse([c for c in self.calls() if c.startswith("terraform")])
        self.assertTrue([c for c in self.calls() if c.endswith("down --remove-orphans --volumes")])


if __name__ == "__main__":
    unittest.main()
