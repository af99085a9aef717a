#!/usr/bin/env bash
# Deploy product-search to AWS with Terraform (terraform/envs/aws):
#   1. terraform init (S3 state: backend.hcl), then apply only the ECR repository (-target=module.ecr);
#   2. build the image for the task's cpu_architecture (linux/amd64 or linux/arm64) unless it
#      exists locally for that platform, and push it as <git short rev>-<amd64|arm64> unless ECR
#      holds that tag: the architecture is part of the tag, so an image found in ECR is always
#      one built for the task's platform (a tag pushed for the other one is another tag);
#   3. apply everything else with -var image_tag=<git short rev>-<amd64|arm64>;
#   4. poll aws ecs describe-services until the service's PRIMARY deployment runs the task
#      definition this apply registered and its rolloutState is COMPLETED (after the bake time
#      in which ECS still watches the deployment alarms); fail on FAILED or on a rollback;
#   5. wait (at most 5 minutes) for /health through the load balancer, print the URLs. With a
#      domain_name, the probe goes to the load balancer under that name (curl --connect-to), so
#      TLS is verified against the domain's certificate while DNS may still be propagating.
#
# Usage: scripts/deploy-aws.sh [--yes] [--backend-config FILE] [-- TERRAFORM_APPLY_ARGS...]
#   --yes                  apply without asking (terraform -auto-approve)
#   --backend-config FILE  S3 backend settings (default terraform/envs/aws/backend.hcl; see backend.hcl.example)
#   extra arguments after -- go to both terraform apply runs, e.g. -- -var environment=staging
# Needs: terraform >= 1.11, the AWS CLI with credentials, git, docker or podman, curl.
# Environment: AWS_REGION / TF_VAR_region (default us-east-1), TF_VAR_* for any variable,
#   ROLLOUT_WAIT_S (seconds to wait for the rollout, 1800), ROLLOUT_POLL_S (seconds between polls, 10).
set -euo pipefail

die() { echo "deploy-aws: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_DIR="$ROOT/terraform/envs/aws"
# shellcheck source=scripts/lib/aws-args.sh
. "$ROOT/scripts/lib/aws-args.sh"
aws_parse_args "$0" 20 "[--yes] [--backend-config FILE] [-- TERRAFORM_APPLY_ARGS...]" "$@"

ROLLOUT_WAIT_S="${ROLLOUT_WAIT_S:-1800}"
ROLLOUT_POLL_S="${ROLLOUT_POLL_S:-10}"
[[ "$ROLLOUT_WAIT_S" =~ ^[1-9][0-9]*$ ]] || die "ROLLOUT_WAIT_S must be a whole number of seconds > 0, got '$ROLLOUT_WAIT_S'"
[[ "$ROLLOUT_POLL_S" =~ ^[0-9]+$ ]] || die "ROLLOUT_POLL_S must be a whole number of seconds, got '$ROLLOUT_POLL_S'"

for tool in terraform aws git curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed or not on PATH"
done
command -v docker >/dev/null 2>&1 || command -v podman >/dev/null 2>&1 ||
    die "neither docker nor podman is installed (needed to build and push the image)"
[ -d "$ENV_DIR" ] || die "no Terraform env at $ENV_DIR"
aws_backend_args "$ENV_DIR"
timeout 60 aws sts get-caller-identity >/dev/null 2>&1 ||
    die "no usable AWS credentials: 'aws sts get-caller-identity' failed (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"

if [ -n "${AWS_REGION:-}" ] && [ -z "${TF_VAR_region:-}" ]; then
    export TF_VAR_region="$AWS_REGION"
fi
REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" || die "$ROOT is not a git checkout with a commit"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "deploy-aws: warning: the work tree has uncommitted changes; the image is tagged $REV all the same" >&2
fi
tf() { terraform -chdir="$ENV_DIR" "$@"; }

# The -var and -var-file arguments among the extra ones (terraform console takes only these).
var_args=()
for ((k = 0; k < ${#extra[@]}; k++)); do
    case "${extra[k]}" in
        -var=* | -var-file=*) var_args+=("${extra[k]}") ;;
        -var | -var-file) var_args+=("${extra[k]}" "${extra[k + 1]:-}"); k=$((k + 1)) ;;
    esac
done

echo "deploy-aws: [1/5] terraform init and the ECR repository"
tf init -input=false "${backend[@]}" >/dev/null || die "terraform init failed in $ENV_DIR (see the messages above)"
tf apply -input=false "${approve[@]}" -target=module.ecr "${extra[@]}"
REPO_URL="$(tf output -raw ecr_repository_url)"
[ -n "$REPO_URL" ] || die "terraform gave no ecr_repository_url"
REGION="$(printf '%s' "$REPO_URL" | cut -d. -f4)"

# The platform the tasks run on, as terraform resolves it (defaults, tfvars, TF_VAR_, -var).
ARCH="$(printf 'var.cpu_architecture\n' | tf console "${var_args[@]}" | tr -d '"[:space:]')"
case "$ARCH" in
    X86_64) PLATFORM=linux/amd64 ;;
    ARM64) PLATFORM=linux/arm64 ;;
    *) die "terraform gave cpu_architecture '$ARCH'; expected X86_64 or ARM64" ;;
esac
# The platform is part of the tag: "ECR already holds it" then also means "for this platform".
TAG="$REV-${PLATFORM#linux/}"

echo "deploy-aws: [2/5] image $REPO_URL:$TAG for $PLATFORM"
if timeout 60 aws ecr describe-images --region "$REGION" --repository-name "${REPO_URL#*/}" \
        --image-ids imageTag="$TAG" >/dev/null 2>&1; then
    echo "deploy-aws: ECR already holds tag $TAG; not building or pushing"
else
    IMAGE="${IMAGE:-product-search}"
    # build-image.sh tags IMAGE:<git short rev>; push-ecr.sh pushes IMAGE_TAG and refuses an
    # image built for another PLATFORM. The engine: as push-ecr.sh chooses it.
    engine="${CONTAINER_ENGINE:-}"
    if [ -z "$engine" ]; then
        if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then engine=docker; else engine=podman; fi
    fi
    built="$("$engine" image inspect --format '{{.Architecture}}' "$IMAGE:$REV" 2>/dev/null)" || built=""
    if [ "linux/$built" != "$PLATFORM" ]; then
        [ -z "$built" ] || echo "deploy-aws: the local $IMAGE:$REV is for linux/$built; rebuilding for $PLATFORM"
        IMAGE="$IMAGE" PLATFORM="$PLATFORM" "$ROOT/scripts/build-image.sh"
    fi
    "$engine" tag "$IMAGE:$REV" "$IMAGE:$TAG" || die "$engine tag $IMAGE:$REV $IMAGE:$TAG failed"
    IMAGE="$IMAGE" IMAGE_TAG="$TAG" PLATFORM="$PLATFORM" AWS_REGION="$REGION" CONTAINER_ENGINE="$engine" \
        "$ROOT/scripts/push-ecr.sh" "$REPO_URL"
fi

echo "deploy-aws: [3/5] terraform apply (network, load balancer, ECS, autoscaling, observability)"
tf apply -input=false "${approve[@]}" -var "image_tag=$TAG" "${extra[@]}"

# The apply waited for a steady state, and its postcondition failed it when the circuit
# breaker had rolled back; but ECS keeps watching the deployment alarms for a bake time
# after that, and an alarm then rolls back too. The deployment is done when ECS says so.
CLUSTER="$(tf output -raw cluster_name)"
SERVICE="$(tf output -raw service_name)"
TASKDEF="$(tf output -raw task_definition_arn)"
echo "deploy-aws: [4/5] waiting for the rollout of $TASKDEF (ECS: COMPLETED after the alarms' bake time)"
deadline=$((SECONDS + ROLLOUT_WAIT_S))
last=""
while :; do
    # shellcheck disable=SC2016 # the backquotes are a JMESPath literal, not a command
    out="$(timeout 60 aws ecs describe-services --region "$REGION" --cluster "$CLUSTER" --services "$SERVICE" \
        --query 'services[0].deployments[?status==`PRIMARY`] | [0].[taskDefinition, rolloutState, rolloutStateReason]' \
        --output text)" || die "aws ecs describe-services failed for service $SERVICE in cluster $CLUSTER"
    IFS=$'\t' read -r td state reason <<<"$out" || true
    if [ "$td" != "$TASKDEF" ]; then
        die "ECS rolled the deployment back: the primary deployment runs ${td:-nothing}, not $TASKDEF (${reason:-no reason given}); see 'aws ecs describe-services --cluster $CLUSTER --services $SERVICE' (events) and the log group $(tf output -raw log_group_name)"
    fi
    case "$state" in
        COMPLETED) break ;;
        FAILED) die "the deployment of $TASKDEF FAILED: ${reason:-no reason given}; see the service's events and the log group $(tf output -raw log_group_name)" ;;
    esac
    [ "$state" = "$last" ] || echo "deploy-aws: rollout ${state:-unknown}${reason:+: $reason}"
    last="$state"
    [ "$SECONDS" -lt "$deadline" ] || die "the deployment of $TASKDEF is still ${state:-unknown} after $ROLLOUT_WAIT_S s (ROLLOUT_WAIT_S); see the service's events"
    sleep "$ROLLOUT_POLL_S"
done
echo "deploy-aws: rollout COMPLETED: the service runs $TASKDEF"

HEALTH_URL="$(tf output -raw health_url)"
SEARCH_URL="$(tf output -raw search_url)"
ALB_DNS="$(tf output -raw alb_dns_name)"
DOMAIN="$(tf output -raw domain_name 2>/dev/null || true)"
probe=(curl -fsS --max-time 5)
if [ -n "$DOMAIN" ] && [ "$DOMAIN" != null ]; then
    # Same URL, same TLS name check, but connected to the load balancer itself.
    probe+=(--connect-to "$DOMAIN::$ALB_DNS:")
fi
echo "deploy-aws: [5/5] waiting for $HEALTH_URL${DOMAIN:+ (through $ALB_DNS)}"
deadline=$((SECONDS + 300))
until "${probe[@]}" "$HEALTH_URL" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "no healthy answer from $HEALTH_URL after 5 minutes (see the ECS service events and the log group $(tf output -raw log_group_name))"
    sleep 5
done
if [ -n "$DOMAIN" ] && ! curl -fsS --max-time 5 "$HEALTH_URL" >/dev/null 2>&1; then
    echo "deploy-aws: healthy through the load balancer; $DOMAIN does not answer yet (DNS propagation): until it does, curl --connect-to '$DOMAIN::$ALB_DNS:' '$SEARCH_URL'"
fi
echo "deploy-aws: healthy. Try: curl '$SEARCH_URL'"
echo "deploy-aws: dashboard: $(tf output -raw dashboard_url)"
echo "$SEARCH_URL"
