#!/usr/bin/env bash
# CI step: the LocalStack environment, checked without Docker, LocalStack or terraform.
# Runs as root on a fresh Debian 12 machine (apt and npm only):
#   1. installs what is missing: python3, shellcheck, curl, docker-compose (for `config` only), nodejs/npm
#   2. the Lambda proxy's unit tests (terraform/envs/localstack/lambda, against HTTP servers on 127.0.0.1)
#   3. the up/down scripts' tests (refusals without docker/compose/terraform; the flow with stand-ins)
#   4. shellcheck on scripts/localstack-up.sh, scripts/localstack-down.sh and this file
#   5. the compose file: valid for compose, LocalStack pinned to 4.14.0, both services on the
#      network the Lambda containers join, the Terraform backend_url names the service; the
#      catalog overlay (compose.catalog.yaml): init container and sidecar, the service waits
#      for the init container's success and mounts the catalog volume read-only
#      and the local compose file at the top (compose.yaml): the image, the example catalog
#      mounted read-only as PRODUCTS_FILE, the search page on, 127.0.0.1:8080
#   6. the Terraform checker (scripts/tf-check) on terraform/envs/localstack and terraform/modules/apigw_proxy
# Every step is bounded by a timeout; any failure exits non-zero.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ENV_DIR=terraform/envs/localstack
PY=/usr/bin/python3
START_TIME=$SECONDS

say() { echo "localstack: $*"; }
pass() { echo "localstack: ok   $*"; }
fail() {
  echo "localstack: FAIL $*" >&2
  exit 1
}
WORK="$(mktemp -d /tmp/ci-localstack.XXXXXX)"
finish() {
  local rc=$?
  rm -rf "$WORK"
  say "finished in $((SECONDS - START_TIME)) s (exit $rc)"
  exit "$rc"
}
trap finish EXIT

# ------------------------------------------------------------------ 1. tools
groups=(localstack)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || groups+=(node)
timeout 900 scripts/install-deps.sh "${groups[@]}"
pass "tools: $("$PY" --version 2>&1), shellcheck $(shellcheck --version | sed -n 's/^version: //p'), node $(node --version)"

# ------------------------------------------------------- 2. Lambda unit tests
say "Lambda proxy unit tests (pass-through, query strings, 502 on a dead backend, 504 at the per-request deadline)"
(cd "$ENV_DIR/lambda" && timeout 120 "$PY" -m unittest -v 2>&1) || fail "Lambda proxy unit tests"
pass "Lambda proxy unit tests"

# ------------------------------------------------------ 3. the scripts' tests
say "localstack-up.sh / localstack-down.sh tests (refusals, flow with stand-ins for docker and terraform)"
timeout 180 "$PY" -m unittest discover -s "$ENV_DIR/tests" -v 2>&1 || fail "up/down script tests"
pass "up/down script tests"

# --------------------------------------------------------------- 4. shellcheck
shellcheck scripts/localstack-up.sh scripts/localstack-down.sh .ci/localstack.sh ||
  fail "shellcheck findings"
pass "shellcheck: scripts/localstack-up.sh scripts/localstack-down.sh .ci/localstack.sh"

# ---------------------------------------------------------- 5. compose file
say "compose file: $ENV_DIR/compose.yaml"
env -u LOCALSTACK_IMAGE -u PRODUCT_SEARCH_IMAGE -u LOCALSTACK_PORT -u PRODUCT_SEARCH_PORT \
  timeout 60 docker-compose -f "$ENV_DIR/compose.yaml" config >"$WORK/compose.resolved.yaml" ||
  fail "docker-compose config rejected the compose file"
timeout 60 "$PY" - "$WORK/compose.resolved.yaml" "$ENV_DIR/variables.tf" <<'EOF' || fail "compose file contents"
import re, sys, yaml

with open(sys.argv[1]) as f:
    cfg = yaml.safe_load(f)
svc = cfg["services"]
errors = []
ls, ps = svc.get("localstack"), svc.get("product-search")
if not ls or not ps:
    sys.exit("compose: services localstack and product-search are both required")
if ls["image"] != "localstack/localstack:4.14.0":
    errors.append(f"LocalStack image must default to localstack/localstack:4.14.0, got {ls['image']}")
if ps["image"] != "product-search:latest":
    errors.append(f"service image must default to product-search:latest (make image), got {ps['image']}")
net_name = cfg["networks"]["localstack"]["name"]
for name, s in (("localstack", ls), ("product-search", ps)):
    if "localstack" not in (s.get("networks") or {}):
        errors.append(f"{name} is not on the shared network")
if ls["environment"].get("LAMBDA_DOCKER_NETWORK") != net_name:
    errors.append("LAMBDA_DOCKER_NETWORK must name the shared network, or Lambda cannot reach the service")
if "LOCALSTACK_AUTH_TOKEN" not in ls["environment"]:
    errors.append("LOCALSTACK_AUTH_TOKEN must be passed through for Pro images")
if not any("/var/run/docker.sock" in str(v) for v in ls.get("volumes", [])):
    errors.append("LocalStack needs the Docker socket to start Lambda containers")
ports = [str(p.get("target", p)) if isinstance(p, dict) else str(p) for p in ps.get("ports", [])]
if not any("8080" in p for p in ports):
    errors.append("product-search must publish its container port 8080")
def published_port(p):
    # long syntax (a mapping) or short syntax "[host_ip:]published:target[/proto]"
    if isinstance(p, dict):
        return str(p.get("published"))
    parts = str(p).split("/")[0].split(":")
    return parts[-2] if len(parts) >= 2 else None
published = [published_port(p) for p in ps.get("ports", [])]
if "8080" in published:
    errors.append("product-search must not take host port 8080 by default (the local baseline server's port)")
with open(sys.argv[2]) as f:
    tf = f.read()
m = re.search(r'variable "backend_url" \{.*?default\s*=\s*"([^"]+)"', tf, re.S)
if not m or m.group(1) != "http://product-search:8080":
    errors.append("Terraform backend_url must default to http://product-search:8080 (the compose host name)")
if errors:
    sys.exit("\n".join(errors))
print(f"compose: pinned localstack/localstack:4.14.0, shared network {net_name}, backend http://product-search:8080")
EOF
pass "compose file"

say "compose overlay: $ENV_DIR/compose.catalog.yaml (the catalog from LocalStack's S3)"
env -u LOCALSTACK_IMAGE CATALOG_BUCKET=catalogs CATALOG_KEY=catalog/products.jsonl CATALOG_FILE_NAME=products.jsonl \
  CATALOG_PRODUCTS_FILE=/catalog/products.jsonl \
  timeout 60 docker-compose -f "$ENV_DIR/compose.yaml" -f "$ENV_DIR/compose.catalog.yaml" config >"$WORK/compose.catalog.resolved.yaml" ||
  fail "docker-compose config rejected compose.yaml with the overlay compose.catalog.yaml"
timeout 60 "$PY" - "$WORK/compose.catalog.resolved.yaml" <<'EOF' || fail "compose overlay contents"
import os, sys, yaml

with open(sys.argv[1]) as f:
    svc = yaml.safe_load(f)["services"]
errors = []
fetch, sync, ps = svc.get("catalog-fetch"), svc.get("catalog-sync"), svc["product-search"]
if not fetch or not sync:
    sys.exit("compose overlay: services catalog-fetch (init) and catalog-sync (sidecar) are required")
def cond(s, name):
    return ((s.get("depends_on") or {}).get(name) or {}).get("condition")
if cond(ps, "catalog-fetch") != "service_completed_successfully":
    errors.append("product-search must depend on catalog-fetch with condition service_completed_successfully")
if cond(sync, "catalog-fetch") != "service_completed_successfully":
    errors.append("catalog-sync must start after catalog-fetch succeeded")
if str(fetch.get("restart", "no")) != "no":
    errors.append("catalog-fetch is an init container: restart must be no")
if sync.get("restart") != "unless-stopped":
    errors.append("catalog-sync is a sidecar: restart unless-stopped")
def mounts(s):
    return [str(v) for v in s.get("volumes", [])]
if "catalog:/catalog:ro" not in mounts(ps):
    errors.append("product-search must mount the catalog volume read-only (catalog:/catalog:ro)")
for name, s, mode in (("catalog-fetch", fetch, "fetch"), ("catalog-sync", sync, "sync")):
    env = s.get("environment") or {}
    if env.get("CATALOG_MODE") != mode:
        errors.append(f"{name}: CATALOG_MODE must be {mode}")
    if env.get("AWS_ENDPOINT_URL") != "http://localstack:4566":
        errors.append(f"{name}: AWS_ENDPOINT_URL must be LocalStack's, http://localstack:4566")
    if not any(m.startswith("catalog:/catalog") and not m.endswith(":ro") for m in mounts(s)):
        errors.append(f"{name}: must mount the catalog volume read-write")
    scripts = [m.split(":")[0] for m in mounts(s) if m.split(":")[1:2] == ["/usr/local/bin/catalog.sh"]]
    if not scripts or not os.path.isfile(scripts[0]) or not scripts[0].endswith("terraform/modules/ecs_service/catalog.sh"):
        errors.append(f"{name}: must run terraform/modules/ecs_service/catalog.sh (the ECS task's copier)")
if (ps.get("environment") or {}).get("PRODUCTS_FILE") != "/catalog/products.jsonl":
    errors.append("product-search: PRODUCTS_FILE must come from CATALOG_PRODUCTS_FILE")
if errors:
    sys.exit("\n".join(errors))
print("compose overlay: catalog-fetch (init, SUCCESS before product-search), catalog-sync (sidecar), volume read-only in product-search")
EOF
pass "compose overlay"

say "local compose file: compose.yaml (docker compose up: the example catalog and the search page)"
timeout 60 docker-compose -f compose.yaml config >"$WORK/compose.local.yaml" ||
  fail "docker-compose config rejected compose.yaml"
CATALOG_DIR=/srv/catalog CATALOG_FILE=products.jsonl PRODUCT_SEARCH_PORT=9090 \
  timeout 60 docker-compose -f compose.yaml config >"$WORK/compose.local.own.yaml" ||
  fail "docker-compose config rejected compose.yaml with CATALOG_DIR, CATALOG_FILE, PRODUCT_SEARCH_PORT"
timeout 60 "$PY" - "$WORK/compose.local.yaml" "$WORK/compose.local.own.yaml" "$ROOT" <<'EOF' || fail "compose.yaml contents"
import sys, yaml
def service(path):
    with open(path) as f:
        return yaml.safe_load(f)["services"]["product-search"]
root = sys.argv[3]
errors = []
for path, catalog, port, data in ((sys.argv[1], "catalog.jsonl", "8080", root + "/docs/examples"),
                                  (sys.argv[2], "products.jsonl", "9090", "/srv/catalog")):
    s = service(path)
    env = s.get("environment", {})
    if env.get("PRODUCTS_FILE") != "/data/" + catalog:
        errors.append(f"PRODUCTS_FILE {env.get('PRODUCTS_FILE')!r}, want /data/{catalog}")
    if env.get("UI") != "on":
        errors.append(f"UI {env.get('UI')!r}, want on")
    if s.get("volumes") != [f"{data}:/data:ro"]:
        errors.append(f"volumes {s.get('volumes')}, want {data}:/data:ro")
    if s.get("ports") != [f"127.0.0.1:{port}:8080/tcp"]:
        errors.append(f"ports {s.get('ports')}, want 127.0.0.1:{port}:8080")
    if s.get("image") != "product-search:latest" or s.get("build", {}).get("context") != root:
        errors.append(f"image {s.get('image')!r}, build {s.get('build')}: want product-search:latest built from the top")
    if not s.get("read_only"):
        errors.append("the container is not read-only")
if errors:
    sys.exit("\n".join(errors))
print("compose.yaml: product-search:latest, PRODUCTS_FILE=/data/catalog.jsonl from docs/examples (read-only), UI=on, 127.0.0.1:8080")
EOF
[[ -f docs/examples/catalog.jsonl ]] || fail "compose.yaml mounts docs/examples, which has no catalog.jsonl"
pass "local compose file"

# --------------------------------------------------------- 6. Terraform checker
say "Terraform checker on $ENV_DIR and terraform/modules/apigw_proxy"
# run.sh installs the checker's npm dependencies with `npm ci` when they are missing; it
# needs Node.js 20 or newer (Debian 12's nodejs is 18: install-node.sh brings 20 from npm).
if [[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 && ! -x scripts/tf-check/.node/bin/node ]]; then
  timeout 900 scripts/tf-check/install-node.sh || fail "scripts/tf-check/install-node.sh"
fi
timeout 600 scripts/tf-check/run.sh "$ENV_DIR" terraform/modules/apigw_proxy || fail "tf-check findings"
pass "Terraform checker: $ENV_DIR, terraform/modules/apigw_proxy"
