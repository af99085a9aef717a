# shellcheck shell=bash
# Sourced by scripts/localstack-up.sh and scripts/localstack-down.sh: refuses,
# with one line through the caller's die(), when a tool they need is missing,
# and sets compose=(docker compose) or compose=(docker-compose).
# $1 says what curl is needed for, for the refusal line.
# compose is set for the caller, which runs "${compose[@]}".
# shellcheck disable=SC2034
localstack_require_tools() {
  command -v docker >/dev/null 2>&1 ||
    die "docker is not installed; install Docker Engine with the compose plugin (https://docs.docker.com/engine/install/)"
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
    compose=(docker-compose)
  else
    die "docker compose is not available; install the Docker compose plugin (https://docs.docker.com/compose/install/)"
  fi
  command -v terraform >/dev/null 2>&1 ||
    die "terraform is not installed; install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install)"
  command -v curl >/dev/null 2>&1 || die "curl is not installed; it is needed $1"
  docker info >/dev/null 2>&1 ||
    die "the Docker engine does not answer ('docker info' failed); start Docker or check DOCKER_HOST"
}
