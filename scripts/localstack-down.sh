#!/usr/bin/env bash
# Destroy what scripts/localstack-up.sh applied to LocalStack, then stop and remove
# the LocalStack and product-search containers and their network.
#
# usage: scripts/localstack-down.sh
# environment: LOCALSTACK_PORT (4566), as for localstack-up.sh
set -euo pipefail

prog=localstack-down
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
env_dir="$root/terraform/envs/localstack"
compose_file="$env_dir/compose.yaml"

case "${1:-}" in
  "") ;;
  -h | --help)
    sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument '$1' (usage: scripts/localstack-down.sh)" ;;
esac
ls_port="${LOCALSTACK_PORT:-4566}"
[[ "$ls_port" =~ ^[1-9][0-9]{0,4}$ ]] || die "LOCALSTACK_PORT must be a positive whole number, got '$ls_port'"

# shellcheck source=scripts/lib/localstack-tools.sh
. "$root/scripts/lib/localstack-tools.sh"
localstack_require_tools "to reach LocalStack"

endpoint="http://localhost:$ls_port"
state="$env_dir/terraform.tfstate"
if [[ -s "$state" ]]; then
  if curl -fsS --max-time 3 "$endpoint/_localstack/health" >/dev/null 2>&1; then
    echo "$prog: terraform destroy in terraform/envs/localstack"
    TF_IN_AUTOMATION=1 terraform -chdir="$env_dir" destroy -input=false -auto-approve -no-color \
      -var "localstack_endpoint=$endpoint"
  else
    echo "$prog: LocalStack does not answer at $endpoint; nothing to destroy there (its state lives only in the container)"
  fi
fi

echo "$prog: stopping the containers"
# with the catalog overlay, so that its volume goes too (its services have defaults for every setting)
"${compose[@]}" -p product-search-localstack -f "$compose_file" -f "$env_dir/compose.catalog.yaml" down --remove-orphans --volumes

# LocalStack (community) keeps no state across restarts: a state file left now
# would describe resources that no longer exist.
if [[ -e "$state" || -e "$state.backup" ]]; then
  rm -f "$state" "$state.backup"
  echo "$prog: removed the local Terraform state (LocalStack forgot the resources when it stopped)"
fi
echo "$prog: done"
