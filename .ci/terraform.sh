#!/usr/bin/env bash
# CI step: Terraform checks without a terraform binary. Runs as root on a fresh
# Debian 12 machine (apt and the npm registry only):
#   1. installs shellcheck, nodejs, npm and python3 when missing (apt); the checker needs
#      Node.js 20 or newer: on Debian 12, whose nodejs is 18, scripts/tf-check/install-node.sh
#      puts Node.js 20 from the npm registry into scripts/tf-check/.node
#   2. shellcheck on the AWS workflow scripts, the checker's wrapper and this file
#   3. the deploy/destroy scripts refuse bad arguments with one clear line, and
#      run in order with stand-ins for terraform, aws, docker and curl
#      (terraform/envs/aws/tests: backend settings, ECR first, image built and
#      checked for the task's platform and tagged with it, the rollout waited for
#      until COMPLETED (FAILED or a rollback fail the deploy), probe of a domain
#      through the ALB); with a terraform binary, test_expressions.py also plans the
#      env's validations and the task's containers in a provider-free scratch copy
#   4. npm ci in scripts/tf-check (committed package-lock.json)
#   5. the checker's own tests (node --test): one broken fixture per kind of
#      mistake (apply-time rules included) must be reported at its line, the
#      clean fixture and terraform/ must pass
#   6. the checker over terraform/ (every module and env): parse, canonical
#      format, AWS provider schema, references, module wiring and the
#      apply-time rules (names, Fargate sizes, provider floor, ordering, alarms
#      that fire, rollouts, draining, catalog and memory, containers, S3 scope)
#   7. when a terraform binary happens to be present: terraform fmt -check as a
#      cross-check of step 6's format check (skipped, and said so, otherwise)
# Every step is bounded by a timeout; any failure exits non-zero.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TFC="$ROOT/scripts/tf-check"

say()  { echo "terraform: $*"; }
pass() { echo "terraform: ok   $*"; }
fail() { echo "terraform: FAIL $*" >&2; exit 1; }

say "1. tools"
groups=(terraform)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || groups+=(node)
timeout 900 scripts/install-deps.sh "${groups[@]}" || fail "installing the tools (${groups[*]})"
NODE="$(command -v node)"
if [ "$("$NODE" -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    say "$("$NODE" --version) is older than the checker's Node.js 20: installing Node.js 20 into scripts/tf-check/.node"
    [ -x "$TFC/.node/bin/node" ] || timeout 900 "$TFC/install-node.sh" || fail "scripts/tf-check/install-node.sh"
    NODE="$TFC/.node/bin/node"
fi
pass "shellcheck $(shellcheck --version | sed -n 's/^version: //p'), node $("$NODE" --version) ($NODE), npm $(npm --version)"

say "2. shellcheck"
timeout 120 shellcheck -x scripts/deploy-aws.sh scripts/destroy-aws.sh scripts/lib/aws-args.sh \
    scripts/build-image.sh scripts/push-ecr.sh scripts/tf-check/run.sh scripts/tf-check/install-node.sh .ci/terraform.sh ||
    fail "shellcheck findings"
pass "shellcheck clean: deploy-aws.sh destroy-aws.sh lib/aws-args.sh build-image.sh push-ecr.sh tf-check/run.sh tf-check/install-node.sh terraform.sh"

say "3. workflow scripts refuse bad input"
for s in deploy-aws destroy-aws; do
    if out="$(timeout 30 "scripts/$s.sh" --no-such-flag 2>&1)"; then
        fail "$s.sh accepted --no-such-flag"
    fi
    if [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ] || [[ "$out" != "$s: unknown argument '--no-such-flag'"* ]]; then
        fail "$s.sh: expected one clear error line, got: $out"
    fi
    timeout 30 "scripts/$s.sh" --help | grep -q 'Usage:' || fail "$s.sh --help prints no usage"
done
if ! command -v terraform >/dev/null 2>&1; then
    out="$(PATH=/usr/bin:/bin timeout 30 scripts/destroy-aws.sh --yes 2>&1)" && fail "destroy-aws.sh ran without terraform"
    [ "$out" = "destroy-aws: terraform is not installed or not on PATH" ] || fail "destroy-aws.sh without terraform said: $out"
    out="$(PATH=/usr/bin:/bin timeout 30 scripts/deploy-aws.sh --yes 2>&1)" && fail "deploy-aws.sh ran without terraform"
    [ "$out" = "deploy-aws: terraform is not installed or not on PATH" ] || fail "deploy-aws.sh without terraform said: $out"
    pass "deploy-aws.sh and destroy-aws.sh refuse unknown flags and a missing terraform with one line"
else
    pass "deploy-aws.sh and destroy-aws.sh refuse unknown flags with one line (terraform is installed: missing-terraform refusal not exercised)"
fi
timeout 300 /usr/bin/python3 -m unittest discover -s terraform/envs/aws/tests -v 2>&1 ||
    fail "deploy/destroy flow with stand-ins (terraform/envs/aws/tests)"
pass "deploy/destroy flow with stand-ins for terraform, aws, docker and curl"

say "4. npm ci (scripts/tf-check)"
(cd "$TFC" && timeout 600 npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in scripts/tf-check"
pass "dependencies installed from package-lock.json"

say "5. checker tests"
(cd "$TFC" && timeout 300 "$NODE" --test test/) || fail "tf-check tests"
pass "tf-check tests"

say "6. checker over terraform/"
timeout 300 "$TFC/run.sh" "$ROOT/terraform" || fail "tf-check found problems in terraform/ (listed above)"
pass "terraform/: parse, format, schema, references, module wiring"

say "7. terraform fmt cross-check"
if command -v terraform >/dev/null 2>&1; then
    timeout 120 terraform fmt -check -recursive -diff terraform/ || fail "terraform fmt -check disagrees"
    pass "terraform fmt -check agrees"
else
    say "skipped: no terraform binary on this machine (step 6 checked the format)"
fi
pass "all Terraform checks"
