# Helpers shared by the action's scripts (sourced, not run): GitHub workflow
# commands with their data escaped. Runs on bash 3.2 as well as bash 5.
# shellcheck shell=bash

# Workflow command data: %, CR and LF are escaped so that a message stays one
# command.
escape_data() {
    local s=$1
    s=${s//%/%25}
    s=${s//$'\r'/%0D}
    s=${s//$'\n'/%0A}
    printf '%s' "$s"
}

error() { printf '::error::%s\n' "$(escape_data "$*")"; }
warning() { printf '::warning::%s\n' "$(escape_data "$*")"; }

# die STATUS MESSAGE...: an ::error:: annotation, then exit STATUS.
die_with() {
    local status=$1
    shift
    error "$@"
    exit "$status"
}
