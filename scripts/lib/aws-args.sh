# shellcheck shell=bash
# Sourced by scripts/deploy-aws.sh and scripts/destroy-aws.sh, which take the
# same arguments: [--yes] [-- TERRAFORM_ARGS...].
# aws_parse_args SCRIPT HELP_LINES USAGE "$@": sets approve=(-auto-approve) for
# --yes and extra=(what follows --); prints the script's header for --help;
# refuses anything else with one line through the caller's die().
# approve and extra are set for the caller.
# shellcheck disable=SC2034
aws_parse_args() {
    local script=$1 help_lines=$2 usage=$3
    shift 3
    approve=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --yes) approve=(-auto-approve); shift ;;
            --) shift; break ;;
            -h|--help) sed -n "2,${help_lines}p" "$script" | sed 's/^# \{0,1\}//'; exit 0 ;;
            *) die "unknown argument '$1' (usage: $script $usage)" ;;
        esac
    done
    extra=("$@")
}
