#!/usr/bin/env bash
# Destroy everything scripts/deploy-aws.sh created (terraform/envs/aws), the ECR
# repository and its images included (the env sets ecr_force_delete = true).
#
# Usage: scripts/destroy-aws.sh [--yes] [-- TERRAFORM_DESTROY_ARGS...]
#   --yes    destroy without asking (terraform -auto-approve)
# Needs: terraform >= 1.6 and the AWS credentials used to deploy.
set -euo pipefail

die() { echo "destroy-aws: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_DIR="$ROOT/terraform/envs/aws"
# shellcheck source=scripts/lib/aws-args.sh
. "$ROOT/scripts/lib/aws-args.sh"
aws_parse_args "$0" 8 "[--yes] [-- TERRAFORM_DESTROY_ARGS...]" "$@"

command -v terraform >/dev/null 2>&1 || die "terraform is not installed or not on PATH"
[ -d "$ENV_DIR" ] || die "no Terraform env at $ENV_DIR"
if [ -n "${AWS_REGION:-}" ] && [ -z "${TF_VAR_region:-}" ]; then
    export TF_VAR_region="$AWS_REGION"
fi

terraform -chdir="$ENV_DIR" init -input=false >/dev/null || die "terraform init failed in $ENV_DIR (see the messages above)"
# image_tag only has to be set for the plan to evaluate; destroy ignores its value.
terraform -chdir="$ENV_DIR" destroy -input=false "${approve[@]}" -var image_tag=destroy "${extra[@]}"
echo "destroy-aws: done; nothing of the stack is left running (and billing)"
