"""Tests of scripts/deploy-aws.sh and scripts/destroy-aws.sh without AWS or Docker.

The real scripts run (deploy-aws.sh calls the real build-image.sh and push-ecr.sh)
with stand-ins for `terraform`, `aws`, `docker` and `curl` that log their
arguments and answer like the real tools would.

Run from the repository root:  /usr/bin/python3 -m unittest discover -s terraform/envs/aws/tests -v
"""

import os
import shutil
import stat
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DEPLOY = os.path.join(ROOT, "scripts", "deploy-aws.sh")
DESTROY = os.path.join(ROOT, "scripts", "destroy-aws.sh")
ENV_DIR = os.path.join(ROOT, "terraform", "envs", "aws")

BASICS = ["bash", "env", "dirname", "basename", "sed", "grep", "cat", "cut", "tr",
          "sleep", "git", "timeout", "head", "awk", "id", "mkdir", "rm"]

REPO = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/product-search-prod"
TASKDEF = "arn:aws:ecs:eu-west-1:123456789012:task-definition/product-search-prod:42"

TERRAFORM_STUB = r"""#!/usr/bin/env bash
echo "terraform $*" >> "$STUB_LOG"
case "$2" in
  console) cat >/dev/null; printf '"%s"\n' "${STUB_ARCH:-X86_64}" ;;
  output)
    case "$4" in
      ecr_repository_url) printf '%s' "$STUB_REPO" ;;
      health_url) printf '%s/health' "$STUB_BASE" ;;
      search_url) printf '%s/products/search?q=alpha&limit=5' "$STUB_BASE" ;;
      alb_dns_name) printf 'ps-prod-1.eu-west-1.elb.amazonaws.com' ;;
      domain_name) [ -n "${STUB_DOMAIN:-}" ] || { echo "Error: Unsupported value for raw output" >&2; exit 1; }
                   printf '%s' "$STUB_DOMAIN" ;;
      log_group_name) printf '/ecs/product-search-prod' ;;
      cluster_name|service_name) printf 'product-search-prod' ;;
      task_definition_arn) printf '%s' "$STUB_TASKDEF" ;;
      dashboard_url) printf 'https://console.example/dashboard' ;;
      *) exit 1 ;;
    esac ;;
esac
exit 0
"""

AWS_STUB = r"""#!/usr/bin/env bash
echo "aws $*" >> "$STUB_LOG"
case "$1 $2" in
  "sts get-caller-identity") echo "arn:aws:iam::123456789012:user/ci" ;;
  "ecr describe-images")
    # STUB_ECR_TAGS: the tags ECR holds, space-separated
    tag="$(printf '%s\n' "$@" | sed -n 's/^imageTag=//p')"
    case " ${STUB_ECR_TAGS:-} " in *" $tag "*) exit 0 ;; *) exit 254 ;; esac ;;
  "ecr get-login-password") echo password ;;
  "ecs describe-services")
    # STUB_ROLLOUT: the primary deployment's rolloutState on each call, comma-separated
    # (the last one repeats); STUB_PRIMARY_TD: its task definition (default: the new one)
    n="$(cat "$STUB_DIR/rollout-calls" 2>/dev/null || echo 0)"
    echo $((n + 1)) > "$STUB_DIR/rollout-calls"
    IFS=, read -r -a states <<<"${STUB_ROLLOUT:-COMPLETED}"
    k=$(( n < ${#states[@]} ? n : ${#states[@]} - 1 ))
    printf '%s\t%s\t%s\n' "${STUB_PRIMARY_TD:-$STUB_TASKDEF}" "${states[k]}" "${STUB_REASON:-ECS deployment ecs-svc/1 in progress.}" ;;
  *) exit 0 ;;
esac
"""

# docker: a daemon that answers; images exist once built, for STUB_LOCAL_ARCH
# (before a build) or the --platform of the last build.
DOCKER_STUB = r"""#!/usr/bin/env bash
echo "docker $*" >> "$STUB_LOG"
state="$STUB_DIR/docker-arch"
case "$1" in
  login) cat >/dev/null; exit 0 ;;  # reads the password from the pipe, as docker does
  info|tag|push) exit 0 ;;
  build)
    while [ $# -gt 0 ]; do [ "$1" = --platform ] && echo "${2#linux/}" > "$state"; shift; done
    exit 0 ;;
  image)
    arch="$(cat "$state" 2>/dev/null || printf '%s' "${STUB_LOCAL_ARCH:-}")"
    [ -n "$arch" ] || exit 1
    case "$*" in
      *'{{.Architecture}}'*) echo "$arch" ;;
      *'{{.Size}}'*) echo 12345678 ;;
    esac
    exit 0 ;;
esac
exit 0
"""

# curl: the load balancer answers; the domain itself only with STUB_DNS=up.
CURL_STUB = r"""#!/usr/bin/env bash
echo "curl $*" >> "$STUB_LOG"
case "$*" in
  *--connect-to*) exit 0 ;;
esac
[ -n "${STUB_DOMAIN:-}" ] && [ "${STUB_DNS:-up}" != up ] && exit 6
exit 0
"""


class ScriptTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aws-scripts-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.basics = os.path.join(self.tmp, "basics")
        self.stubs = os.path.join(self.tmp, "stubs")
        os.mkdir(self.basics)
        os.mkdir(self.stubs)
        for tool in BASICS:
            path = shutil.which(tool, path="/usr/bin:/bin")
            self.assertIsNotNone(path, f"{tool} missing on this machine")
            os.symlink(path, os.path.join(self.basics, tool))
        for name, text in (("terraform", TERRAFORM_STUB), ("aws", AWS_STUB),
                           ("docker", DOCKER_STUB), ("curl", CURL_STUB)):
            self.stub(name, text)
        self.log = os.path.join(self.tmp, "calls.log")
        open(self.log, "w").close()
        self.backend = os.path.join(self.tmp, "backend.hcl")
        with open(self.backend, "w") as f:
            f.write('bucket = "state"\nkey = "product-search/prod/terraform.tfstate"\nregion = "eu-west-1"\n')

    def stub(self, name, text):
        path = os.path.join(self.stubs, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def run_script(self, script, *args, extra_env=None, path=None):
        env = {
            "PATH": path if path is not None else f"{self.stubs}:{self.basics}",
            "HOME": self.tmp,
            "STUB_LOG": self.log,
            "STUB_DIR": self.tmp,
            "STUB_REPO": REPO,
            "STUB_TASKDEF": TASKDEF,
            "ROLLOUT_POLL_S": "0",
            "STUB_BASE": "http://ps-prod-1.eu-west-1.elb.amazonaws.com",
            "VERSION": "1.0.0",
            "CONTAINER_ENGINE": "docker",
        }
        env.update(extra_env or {})
        return subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=60)

    def calls(self, prefix=""):
        with open(self.log) as f:
            return [c for c in f.read().splitlines() if c.startswith(prefix)]

    def assert_refused(self, proc, fragment):
        self.assertNotEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one error line, got: {proc.stderr!r}")
        self.assertIn(fragment, lines[0])


class Deploy(ScriptTestCase):
    def test_order_backend_and_amd64_build(self):
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        tf = self.calls("terraform")
        self.assertEqual(tf[0], f"terraform -chdir={ENV_DIR} init -input=false -backend-config={self.backend}")
        self.assertEqual(tf[1], f"terraform -chdir={ENV_DIR} apply -input=false -auto-approve -target=module.ecr")
        builds = self.calls("docker build")
        self.assertEqual(len(builds), 1, self.calls())
        self.assertIn("--platform linux/amd64", builds[0])
        pushes = self.calls("docker push")
        self.assertEqual([p.split()[-1] for p in pushes], [f"{REPO}:{self.rev()}-amd64", f"{REPO}:latest"])
        full = [c for c in tf if " apply " in c and "image_tag" in c]
        self.assertEqual(len(full), 1, tf)
        self.assertIn(f"-var image_tag={self.rev()}-amd64", full[0])
        log = self.calls()
        # the repository exists, then the image is pushed, then the service is applied
        self.assertLess(log.index(tf[1]), log.index(builds[0]))
        self.assertLess(log.index(pushes[-1]), log.index(full[0]))
        probes = self.calls("curl")
        self.assertTrue(probes and all("--connect-to" not in p for p in probes), probes)
        self.assertTrue(proc.stdout.strip().endswith("/products/search?q=alpha&limit=5"), proc.stdout)

    def test_arm64_task_rebuilds_an_amd64_image(self):
        env = {"STUB_ARCH": "ARM64", "STUB_LOCAL_ARCH": "amd64"}
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend,
                               "--", "-var", "cpu_architecture=ARM64", extra_env=env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        console = self.calls(f"terraform -chdir={ENV_DIR} console")
        self.assertEqual(console, [f"terraform -chdir={ENV_DIR} console -var cpu_architecture=ARM64"])
        builds = self.calls("docker build")
        self.assertEqual(len(builds), 1)
        self.assertIn("--platform linux/arm64", builds[0])
        self.assertIn("rebuilding for linux/arm64", proc.stdout)

    def test_image_for_the_right_platform_is_not_rebuilt(self):
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend,
                               extra_env={"STUB_LOCAL_ARCH": "amd64"})
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(self.calls("docker build"), [])
        self.assertEqual(len(self.calls("docker push")), 2)

    def test_tag_already_in_ecr_skips_build_and_push(self):
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend,
                               extra_env={"STUB_ECR_TAGS": f"{self.rev()}-amd64 latest"})
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(self.calls("docker build") + self.calls("docker push"), [])
        self.assertIn(f"imageTag={self.rev()}-amd64", self.calls("aws ecr describe-images")[0])

    def test_image_in_ecr_for_the_other_architecture_is_not_reused(self):
        # ECR holds this commit's amd64 image (and the plain tag of an older script); an
        # ARM64 task must get an arm64 image, built and pushed under its own tag.
        env = {"STUB_ARCH": "ARM64", "STUB_ECR_TAGS": f"{self.rev()} {self.rev()}-amd64 latest"}
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend,
                               "--", "-var", "cpu_architecture=ARM64", extra_env=env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn(f"imageTag={self.rev()}-arm64", self.calls("aws ecr describe-images")[0])
        builds = self.calls("docker build")
        self.assertEqual(len(builds), 1)
        self.assertIn("--platform linux/arm64", builds[0])
        pushes = [p.split()[-1] for p in self.calls("docker push")]
        self.assertEqual(pushes, [f"{REPO}:{self.rev()}-arm64", f"{REPO}:latest"])
        full = [c for c in self.calls("terraform") if " apply " in c and "image_tag" in c]
        self.assertIn(f"-var image_tag={self.rev()}-arm64", full[0])

    def test_domain_is_probed_through_the_load_balancer(self):
        env = {"STUB_DOMAIN": "search.example.com", "STUB_BASE": "https://search.example.com", "STUB_DNS": "down"}
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend, extra_env=env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        probe = self.calls("curl")[0]
        self.assertIn("--connect-to search.example.com::ps-prod-1.eu-west-1.elb.amazonaws.com:", probe)
        self.assertTrue(probe.endswith("https://search.example.com/health"), probe)
        self.assertIn("search.example.com does not answer yet (DNS propagation)", proc.stdout)

    def test_waits_for_the_rollout_before_the_health_probe(self):
        env = {"STUB_ROLLOUT": "IN_PROGRESS,IN_PROGRESS,COMPLETED"}
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend, extra_env=env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        polls = self.calls("aws ecs describe-services")
        self.assertEqual(len(polls), 3, self.calls())
        self.assertIn("--cluster product-search-prod --services product-search-prod", polls[0])
        self.assertIn("--region eu-west-1", polls[0])
        self.assertIn("status==`PRIMARY`", polls[0])
        log = self.calls()
        full = [c for c in log if c.startswith("terraform") and " apply " in c and "image_tag" in c][0]
        first_probe = self.calls("curl")[0]
        self.assertLess(log.index(full), log.index(polls[0]))
        self.assertLess(log.index(polls[-1]), log.index(first_probe))
        self.assertIn(f"rollout COMPLETED: the service runs {TASKDEF}", proc.stdout)

    def test_failed_rollout_fails_the_deploy(self):
        env = {"STUB_ROLLOUT": "IN_PROGRESS,FAILED",
               "STUB_REASON": "ECS deployment ecs-svc/1 failed: alarm product-search-prod-target-5xx-rate in ALARM."}
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend, extra_env=env)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn(f"the deployment of {TASKDEF} FAILED: ECS deployment ecs-svc/1 failed: alarm",
                      proc.stderr.strip().splitlines()[-1])
        self.assertEqual(self.calls("curl"), [], "no health probe after a failed rollout (old tasks would answer it)")

    def test_rolled_back_deployment_fails_the_deploy(self):
        env = {"STUB_PRIMARY_TD": TASKDEF.replace(":42", ":41"), "STUB_ROLLOUT": "IN_PROGRESS",
               "STUB_REASON": "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0."}
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend, extra_env=env)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("ECS rolled the deployment back: the primary deployment runs "
                      f"{TASKDEF.replace(':42', ':41')}, not {TASKDEF}", proc.stderr)
        self.assertEqual(self.calls("curl"), [])

    def test_rollout_that_never_completes_times_out(self):
        env = {"STUB_ROLLOUT": "IN_PROGRESS", "ROLLOUT_WAIT_S": "1", "ROLLOUT_POLL_S": "1"}
        proc = self.run_script(DEPLOY, "--yes", "--backend-config", self.backend, extra_env=env)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("is still IN_PROGRESS after 1 s (ROLLOUT_WAIT_S)", proc.stderr)

    def test_default_backend_file_and_its_absence(self):
        proc = self.run_script(DEPLOY, "--yes")
        if os.path.exists(os.path.join(ENV_DIR, "backend.hcl")):
            self.skipTest("a real backend.hcl exists in terraform/envs/aws")
        self.assert_refused(proc, "backend.hcl.example")
        self.assertEqual(self.calls("terraform"), [], "nothing may run without backend settings")

    def test_bad_arguments(self):
        self.assert_refused(self.run_script(DEPLOY, "--no-such-flag"), "unknown argument '--no-such-flag'")
        self.assert_refused(self.run_script(DEPLOY, "--backend-config"), "--backend-config needs a file")
        self.assert_refused(self.run_script(DEPLOY, "--backend-config", "/nonexistent.hcl"),
                            "no S3 backend settings at /nonexistent.hcl")
        self.assert_refused(self.run_script(DEPLOY, "--yes", extra_env={"ROLLOUT_WAIT_S": "soon"}),
                            "ROLLOUT_WAIT_S must be a whole number")
        self.assertEqual(self.calls("terraform"), [])

    def rev(self):
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()


class Destroy(ScriptTestCase):
    def test_destroy_uses_the_backend(self):
        proc = self.run_script(DESTROY, "--yes", f"--backend-config={self.backend}")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        tf = self.calls("terraform")
        self.assertEqual(tf, [
            f"terraform -chdir={ENV_DIR} init -input=false -backend-config={self.backend}",
            f"terraform -chdir={ENV_DIR} destroy -input=false -auto-approve -var image_tag=destroy",
        ])


class PushPlatform(ScriptTestCase):
    def test_push_refuses_an_image_for_another_platform(self):
        push = os.path.join(ROOT, "scripts", "push-ecr.sh")
        env = {"STUB_LOCAL_ARCH": "arm64", "PLATFORM": "linux/amd64", "IMAGE_TAG": "abc1234"}
        proc = self.run_script(push, REPO, extra_env=env)
        self.assert_refused(proc, "is for linux/arm64, not linux/amd64")
        self.assertEqual(self.calls("docker push"), [])


if __name__ == "__main__":
    unittest.main()
