#!/usr/bin/env bash
# Destroy everything scripts/deploy-aws.sh created (terraform/envs/aws).
# Outside the prod environment the ECR repository goes with its images; in prod
# (ecr_force_delete defaults to false there, deletion_protection and alb_access_logs
# to true) terraform stops at a repository that still holds images, at the access-log
# bucket that still holds logs, and at the protected load balancer: apply with
# -var ecr_force_delete=true -var deletion_protection=false (and empty the bucket) first.
# Task definition revisions stay registered (skip_destroy, for hand rollbacks); deregister
# them with aws ecs deregister-task-definition if they are no longer wanted.
#
# Usage: scripts/destroy-aws.sh [--yes] [--backend-config FILE] [-- TERRAFORM_DESTROY_ARGS...]
#   --yes                  destroy without asking (terraform -auto-approve)
#   --backend-config FILE  S3 backend settings (default terraform/envs/aws/backend.hcl)
# Needs: terraform >= 1.11 and the AWS credentials used to deploy.
set -euo pipefail

die() { echo "destroy-aws: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_DIR="$ROOT/terraform/envs/aws"
# shellcheck source=scripts/lib/aws-args.sh
. "$ROOT/scripts/lib/aws-args.sh"
aws_parse_args "$0" 14 "[--yes] [--backend-config FILE] [-- TERRAFORM_DESTROY_ARGS...]" "$@"

command -v terraform >/dev/null 2>&1 || die "terraform is not installed or not on PATH"
[ -d "$ENV_DIR" ] || die "no Terraform env at $ENV_DIR"
aws_backend_args "$ENV_DIR"
if [ -n "${AWS_REGION:-}" ] && [ -z "${TF_VAR_region:-}" ]; then
    export TF_VAR_region="$AWS_REGION"
fi

terraform -chdir="$ENV_DIR" init -input=false "${backend[@]}" >/dev/null || die "terraform init failed in $ENV_DIR (see the messages above)"
# image_tag only has to be set for the plan to evaluate; destroy ignores its value.
terraform -chdir="$ENV_DIR" destroy -input=false "${approve[@]}" -var image_tag=destroy "${extra[@]}"
echo "destroy-aws: done; nothing of the stack is left running (and billing)"
