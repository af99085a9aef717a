#!/usr/bin/env bash
# Start LocalStack and the product-search container (terraform/envs/localstack/compose.yaml),
# wait until both are healthy, apply terraform/envs/localstack against LocalStack,
# check the API Gateway route end to end, and print the URLs.
#
# usage: scripts/localstack-up.sh [--lambda] [--pro] [--catalog FILE]
#   --lambda  also deploy the original API Gateway -> Lambda -> service route (lambda_proxy = true)
#   --catalog FILE  serve FILE (products JSON/JSON Lines, or a .snap/.snapshot snapshot) from
#             LocalStack's S3: terraform uploads it (catalog_file), then compose.catalog.yaml
#             restarts the service behind an init container that copies it and a sidecar that
#             recopies it when it changes in S3 (as the ECS task does on AWS)
#   --pro     also deploy ECR, ECS, ALB and autoscaling (enable_pro_services = true): the ECR
#             repository first, then the image is pushed to it, then the rest (the ECS service
#             waits for tasks that run that image); needs LocalStack Pro: LOCALSTACK_AUTH_TOKEN,
#             and runs localstack/localstack-pro:4.14.0 unless LOCALSTACK_IMAGE names another
#             localstack/localstack-pro:<version> (any other image is refused: the community
#             image answers the Pro APIs with "not included in your license")
#
# environment: LOCALSTACK_PORT (4566), PRODUCT_SEARCH_PORT (8081), PRODUCT_SEARCH_IMAGE
# (product-search:latest, built by `make image`), LOCALSTACK_IMAGE (localstack/localstack:4.14.0,
# the last release that runs without an account), LOCALSTACK_AUTH_TOKEN,
# WAIT_S (seconds to wait for health, 180).
set -euo pipefail

prog=localstack-up
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
env_dir="$root/terraform/envs/localstack"
compose_file="$env_dir/compose.yaml"

lambda_proxy=false
pro=false
catalog=""
usage="usage: scripts/localstack-up.sh [--lambda] [--pro] [--catalog FILE]"
while (($#)); do
  arg="$1"
  shift
  case "$arg" in
    --lambda) lambda_proxy=true ;;
    --pro) pro=true ;;
    --catalog)
      if (($# == 0)) || [[ -z "$1" ]]; then die "--catalog needs a file ($usage)"; fi
      catalog="$1"
      shift
      ;;
    --catalog=*) catalog="${arg#--catalog=}" ;;
    -h | --help)
      sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' ($usage)" ;;
  esac
done
if [[ -n "$catalog" ]]; then
  [[ -f "$catalog" && -r "$catalog" ]] || die "--catalog $catalog: not a readable file"
  catalog="$(cd "$(dirname "$catalog")" && pwd)/${catalog##*/}"
fi

ls_port="${LOCALSTACK_PORT:-4566}"
svc_port="${PRODUCT_SEARCH_PORT:-8081}"
wait_s="${WAIT_S:-180}"
image="${PRODUCT_SEARCH_IMAGE:-product-search:latest}"
for pair in "LOCALSTACK_PORT=$ls_port" "PRODUCT_SEARCH_PORT=$svc_port" "WAIT_S=$wait_s"; do
  [[ "${pair#*=}" =~ ^[1-9][0-9]{0,4}$ ]] || die "${pair%%=*} must be a positive whole number, got '${pair#*=}'"
done

# --- what this needs on the machine: refuse early, one line each ---
# shellcheck source=scripts/lib/localstack-tools.sh
. "$root/scripts/lib/localstack-tools.sh"
localstack_require_tools "to wait for health"
docker image inspect "$image" >/dev/null 2>&1 ||
  die "image $image not found; build it first with 'make image' (or set PRODUCT_SEARCH_IMAGE)"
# The Pro services need the Pro image: the community image starts, but answers ECR, ECS,
# ELB and autoscaling with "not included in your license", and the apply fails half-way.
if [[ "$pro" == true ]]; then
  [[ -n "${LOCALSTACK_AUTH_TOKEN:-}" ]] ||
    die "--pro needs LocalStack Pro: set LOCALSTACK_AUTH_TOKEN (the image is localstack/localstack-pro:4.14.0 unless LOCALSTACK_IMAGE names another localstack/localstack-pro:<version>)"
  LOCALSTACK_IMAGE="${LOCALSTACK_IMAGE:-localstack/localstack-pro:4.14.0}"
  [[ "$LOCALSTACK_IMAGE" =~ ^(docker\.io/)?localstack/localstack-pro(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$ ]] ||
    die "--pro needs a Pro image, localstack/localstack-pro:<version>; LOCALSTACK_IMAGE is $LOCALSTACK_IMAGE, which answers the Pro APIs with \"not included in your license\""
fi

# A full version, not the floating 4.14 tag: what was tested is what runs.
export LOCALSTACK_IMAGE="${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}"
export LOCALSTACK_PORT="$ls_port" PRODUCT_SEARCH_PORT="$svc_port" PRODUCT_SEARCH_IMAGE="$image"
dc() { "${compose[@]}" -p product-search-localstack -f "$compose_file" "$@"; }
dc_catalog() { "${compose[@]}" -p product-search-localstack -f "$compose_file" -f "$env_dir/compose.catalog.yaml" "$@"; }

# wait_for NAME URL [EXTENDED-REGEX the body must match]
wait_for() {
  local name="$1" url="$2" pattern="${3:-}" deadline body
  deadline=$((SECONDS + wait_s))
  printf '%s: waiting for %s (%s) ...' "$prog" "$name" "$url"
  while ((SECONDS < deadline)); do
    if body="$(curl -fsS --max-time 3 "$url" 2>/dev/null)" &&
      { [[ -z "$pattern" ]] || grep -Eq "$pattern" <<<"$body"; }; then
      printf ' up\n'
      return 0
    fi
    printf '.'
    sleep 2
  done
  printf '\n'
  die "$name did not become healthy within ${wait_s}s at $url (see: ${compose[*]} -p product-search-localstack -f $compose_file logs)"
}

echo "$prog: starting LocalStack ($LOCALSTACK_IMAGE) and $image"
dc up -d
endpoint="http://localhost:$ls_port"
wait_for "LocalStack" "$endpoint/_localstack/health" '"apigateway": *"(available|running)"'
wait_for "product-search" "http://127.0.0.1:$svc_port/health" '"status": *"ok"'

export TF_IN_AUTOMATION=1
echo "$prog: terraform init + apply in terraform/envs/localstack (lambda_proxy=$lambda_proxy, enable_pro_services=$pro${catalog:+, catalog_file=$catalog})"
terraform -chdir="$env_dir" init -input=false -no-color >/dev/null
out() { terraform -chdir="$env_dir" output -raw "$1"; }
catalog_var=()
[[ -z "$catalog" ]] || catalog_var=(-var "catalog_file=$catalog")
tf_apply() {
  terraform -chdir="$env_dir" apply -input=false -auto-approve -no-color \
    -var "localstack_endpoint=$endpoint" \
    -var "lambda_proxy=$lambda_proxy" \
    -var "enable_pro_services=$pro" "${catalog_var[@]}" "$@"
}
if [[ "$pro" == true ]]; then
  # The ECS service waits for running tasks: their image must be in ECR before it is created.
  echo "$prog: --pro: the ECR repository first"
  tf_apply -target=module.ecr
  repo="$(out ecr_repository_url)"
  [[ -n "$repo" ]] || die "terraform gave no ecr_repository_url"
  echo "$prog: pushing $image to $repo:latest"
  docker tag "$image" "$repo:latest"
  docker push "$repo:latest" >/dev/null || die "docker push to $repo:latest failed (is the ECR service of LocalStack Pro running?)"
fi
tf_apply
if [[ -n "$catalog" ]]; then
  # The object is in LocalStack's S3 now: restart the service behind the init container
  # that copies it (and start the sidecar), as the ECS task does on AWS.
  uri="$(out catalog_s3_uri)"
  [[ "$uri" =~ ^s3://([^/]+)/(.+)$ ]] || die "terraform gave catalog_s3_uri '$uri'"
  export CATALOG_BUCKET="${BASH_REMATCH[1]}" CATALOG_KEY="${BASH_REMATCH[2]}"
  container_file="$(out catalog_container_file)"
  export CATALOG_FILE_NAME="${container_file#/catalog/}" CATALOG_PRODUCTS_FILE="" CATALOG_SNAPSHOT_FILE=""
  if [[ "$(out catalog_format)" == snapshot ]]; then
    export CATALOG_SNAPSHOT_FILE="$container_file"
  else
    export CATALOG_PRODUCTS_FILE="$container_file"
  fi
  echo "$prog: serving $uri: catalog-fetch copies it to $container_file, then product-search restarts on it"
  dc_catalog up -d
  wait_for "product-search on the catalog" "http://127.0.0.1:$svc_port/health" '"status": *"ok"'
fi
direct="$(out direct_invoke_url)"
wait_for "the direct route (API Gateway HTTP_PROXY)" "$direct/health" '"status": *"ok"'

echo
echo "product-search on LocalStack"
echo "  service, direct:         http://127.0.0.1:$svc_port/health"
echo "  API Gateway -> service:  $direct/products/search?q=alpha"
echo "                           $direct/health"
if [[ "$lambda_proxy" == true ]]; then
  via_lambda="$(out lambda_invoke_url)"
  # The first call starts the Lambda container; give it the same patience as the rest.
  wait_for "the Lambda route (API Gateway AWS_PROXY -> Lambda)" "$via_lambda/health" '"status": *"ok"'
  echo "  API Gateway -> Lambda:   $via_lambda/products/search?q=alpha"
  echo "                           $via_lambda/health"
fi
echo
echo "load-test a route as the original measurement did: 50 users, spawn 3/s, 2 min, no wait"
echo "between requests (SCENARIO=original; HOST is the base URL, stage included, no trailing slash):"
echo "  make loadtest HOST=$direct SCENARIO=original WAIT_TIME=0 OUT=reports/localstack-direct"
if [[ "$lambda_proxy" == true ]]; then
  # 6-7 % of the Lambda route's requests fail under this load (502 from cold
  # Lambda containers): record them in the report, do not stop on them
  echo "  make loadtest HOST=$via_lambda SCENARIO=original WAIT_TIME=0 FAIL_ON_FAILURES=0 OUT=reports/localstack-lambda"
fi
echo "stop everything: scripts/localstack-down.sh"
