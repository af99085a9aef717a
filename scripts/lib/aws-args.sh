# shellcheck shell=bash
# Sourced by scripts/deploy-aws.sh and scripts/destroy-aws.sh, which take the
# same arguments: [--yes] [--backend-config FILE] [-- TERRAFORM_ARGS...].
# aws_parse_args SCRIPT HELP_LINES USAGE "$@": sets approve=(-auto-approve) for
# --yes, backend_config=FILE for --backend-config (empty otherwise) and
# extra=(what follows --); prints the script's header for --help; refuses
# anything else with one line through the caller's die().
# aws_backend_args ENV_DIR: sets backend=(-backend-config=FILE) from
# --backend-config, else ENV_DIR/backend.hcl; refuses with one line when neither
# exists (the env keeps its state in S3: backend.hcl.example says what to fill in).
# approve, backend_config, backend and extra are set for the caller.
# shellcheck disable=SC2034
aws_parse_args() {
    local script=$1 help_lines=$2 usage=$3
    shift 3
    approve=()
    backend_config=
    while [ $# -gt 0 ]; do
        case "$1" in
            --yes) approve=(-auto-approve); shift ;;
            --backend-config)
                if [ $# -lt 2 ] || [ -z "$2" ]; then die "--backend-config needs a file (usage: $script $usage)"; fi
                backend_config=$2; shift 2 ;;
            --backend-config=*) backend_config=${1#--backend-config=}; shift ;;
            --) shift; break ;;
            -h|--help) sed -n "2,${help_lines}p" "$script" | sed 's/^# \{0,1\}//'; exit 0 ;;
            *) die "unknown argument '$1' (usage: $script $usage)" ;;
        esac
    done
    extra=("$@")
}

# shellcheck disable=SC2034
aws_backend_args() {
    local env_dir=$1 file=${backend_config:-$1/backend.hcl}
    [ -f "$file" ] ||
        die "no S3 backend settings at $file: copy $env_dir/backend.hcl.example to backend.hcl and fill it in, or pass --backend-config FILE"
    backend=("-backend-config=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")")
}
