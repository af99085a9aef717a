#!/usr/bin/env bash
# Deploy product-search to AWS with Terraform (terraform/envs/aws):
#   1. terraform init, then apply only the ECR repository (-target=module.ecr);
#   2. build the image (scripts/build-image.sh) unless it exists locally, and push it
#      as <git short rev> (scripts/push-ecr.sh) unless ECR already holds that tag;
#   3. apply everything else with -var image_tag=<git short rev>;
#   4. wait (at most 5 minutes) for /health through the load balancer, print the URLs.
#
# Usage: scripts/deploy-aws.sh [--yes] [-- TERRAFORM_APPLY_ARGS...]
#   --yes    apply without asking (terraform -auto-approve)
#   extra arguments after -- go to both terraform apply runs, e.g. -- -var private_egress=vpc_endpoints
# Needs: terraform >= 1.6, the AWS CLI with credentials, git, docker or podman, curl.
# Environment: AWS_REGION / TF_VAR_region (default us-east-1), TF_VAR_* for any variable.
set -euo pipefail

die() { echo "deploy-aws: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_DIR="$ROOT/terraform/envs/aws"
# shellcheck source=scripts/lib/aws-args.sh
. "$ROOT/scripts/lib/aws-args.sh"
aws_parse_args "$0" 15 "[--yes] [-- TERRAFORM_APPLY_ARGS...]" "$@"

for tool in terraform aws git curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed or not on PATH"
done
command -v docker >/dev/null 2>&1 || command -v podman >/dev/null 2>&1 ||
    die "neither docker nor podman is installed (needed to build and push the image)"
[ -d "$ENV_DIR" ] || die "no Terraform env at $ENV_DIR"
timeout 60 aws sts get-caller-identity >/dev/null 2>&1 ||
    die "no usable AWS credentials: 'aws sts get-caller-identity' failed (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"

if [ -n "${AWS_REGION:-}" ] && [ -z "${TF_VAR_region:-}" ]; then
    export TF_VAR_region="$AWS_REGION"
fi
TAG="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" || die "$ROOT is not a git checkout with a commit"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "deploy-aws: warning: the work tree has uncommitted changes; the image is tagged $TAG all the same" >&2
fi
tf() { terraform -chdir="$ENV_DIR" "$@"; }

echo "deploy-aws: [1/4] terraform init and the ECR repository"
tf init -input=false >/dev/null || die "terraform init failed in $ENV_DIR (see the messages above)"
tf apply -input=false "${approve[@]}" -target=module.ecr "${extra[@]}"
REPO_URL="$(tf output -raw ecr_repository_url)"
[ -n "$REPO_URL" ] || die "terraform gave no ecr_repository_url"
REGION="$(printf '%s' "$REPO_URL" | cut -d. -f4)"

echo "deploy-aws: [2/4] image $REPO_URL:$TAG"
if timeout 60 aws ecr describe-images --region "$REGION" --repository-name "${REPO_URL#*/}" \
        --image-ids imageTag="$TAG" >/dev/null 2>&1; then
    echo "deploy-aws: ECR already holds tag $TAG; not building or pushing"
else
    IMAGE="${IMAGE:-product-search}"
    if ! { docker image inspect "$IMAGE:$TAG" || podman image inspect "$IMAGE:$TAG"; } >/dev/null 2>&1; then
        IMAGE="$IMAGE" "$ROOT/scripts/build-image.sh"
    fi
    IMAGE="$IMAGE" AWS_REGION="$REGION" "$ROOT/scripts/push-ecr.sh" "$REPO_URL"
fi

echo "deploy-aws: [3/4] terraform apply (network, load balancer, ECS, autoscaling, observability)"
tf apply -input=false "${approve[@]}" -var "image_tag=$TAG" "${extra[@]}"

HEALTH_URL="$(tf output -raw health_url)"
SEARCH_URL="$(tf output -raw search_url)"
echo "deploy-aws: [4/4] waiting for $HEALTH_URL"
deadline=$((SECONDS + 300))
until curl -fsS --max-time 5 "$HEALTH_URL" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "no healthy answer from $HEALTH_URL after 5 minutes (see the ECS service events and the log group $(tf output -raw log_group_name))"
    sleep 5
done
echo "deploy-aws: healthy. Try: curl '$SEARCH_URL'"
echo "deploy-aws: dashboard: $(tf output -raw dashboard_url)"
echo "$SEARCH_URL"
