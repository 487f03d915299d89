#!/usr/bin/env bash
# Runs ctinject for the GitHub Action (action.yml) and hands its results to the
# runner: annotations on standard output, the Markdown report in the step
# summary, outputs in GITHUB_OUTPUT, ctinject's exit status in GITHUB_ENV
# (CTINJECT_STATUS) and in the `exit-code` output.
#
# The inputs come as INPUT_* variables (the action passes each through env:,
# never inside the script). The command is built as an array: no eval, and
# paths with spaces work.
#
#   run.sh                 check the inputs, run ctinject, write the results
#   run.sh --check-inputs  only check the inputs (the action's first step) and
#                          write the artifact-name output
#
# Exit status: 0 when ctinject ran, whether the gate passed or failed (the
# action's last step fails the job on a failed gate, after the uploads); 2 on
# a bad input or when ctinject itself failed (its exit 2: a usage or runtime
# error, whose message becomes an ::error:: annotation).
#
# Runs on bash 3.2 (macOS runners) as well as bash 5.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
die() { die_with 2 "$@"; }

trim() {
    local s=$1
    s=${s#"${s%%[![:space:]]*}"}
    s=${s%"${s##*[![:space:]]}"}
    printf '%s' "$s"
}

lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

# A percentage from 0 to 100 (integer or decimal), or empty.
check_percent() {
    local name=$1 value=$2 int frac
    [ -z "$value" ] && return 0
    if ! [[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        die "input $name must be a number from 0 to 100 (a percentage), got '$value'"
    fi
    int=${value%%.*}
    frac=""
    case $value in *.*) frac=${value#*.} ;; esac
    int=${int#"${int%%[!0]*}"}
    [ -z "$int" ] && int=0
    if [ ${#int} -gt 3 ] || [ "$int" -gt 100 ] || { [ "$int" -eq 100 ] && [[ $frac =~ [1-9] ]]; }; then
        die "input $name must be a number from 0 to 100 (a percentage), got '$value'"
    fi
}

# "true" or "false" (any case) into the variable named $1.
check_bool() {
    local var=$1 name=$2 value
    value=$(lower "$3")
    case $value in
        true | false) printf -v "$var" %s "$value" ;;
        *) die "input $name must be \"true\" or \"false\", got '$3'" ;;
    esac
}

# Appends name=value to GITHUB_OUTPUT (the delimiter form for a value with a
# line break).
set_output() {
    local name=$1 value=$2 delim
    [ -n "${GITHUB_OUTPUT:-}" ] || return 0
    case $value in
        *$'\n'* | *$'\r'*)
            delim="ctinject_$RANDOM$RANDOM$RANDOM"
            printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"$GITHUB_OUTPUT"
            ;;
        *) printf '%s=%s\n' "$name" "$value" >>"$GITHUB_OUTPUT" ;;
    esac
}

# An artifact name from the job, its matrix index and the run attempt, with
# the characters that artifact names cannot hold replaced.
artifact_name() {
    local name
    name="${artifact_prefix}-${CTINJECT_JOB:-job}-${CTINJECT_JOB_INDEX:-0}-${CTINJECT_RUN_ATTEMPT:-1}"
    name=$(printf '%s' "$name" | tr '":<>|*?\\/\r\n' '_')
    printf '%s' "$name"
}

mode=run
case ${1:-} in
    "") ;;
    --check-inputs) mode=check ;;
    *) die "run.sh: unknown argument '$1' (expected nothing or --check-inputs)" ;;
esac

# ---------------------------------------------------------------- the inputs

[ -n "${RUNNER_TEMP:-}" ] || die "RUNNER_TEMP is not set: run.sh runs inside a GitHub Actions step (action.yml)"

fail_under=$(trim "${INPUT_FAIL_UNDER:-}")
max_drop=$(trim "${INPUT_MAX_DROP:-}")
check_percent fail-under "$fail_under"
check_percent max-drop "$max_drop"

cache=true
informational=false
check_bool cache cache "$(trim "${INPUT_CACHE:-true}")"
check_bool informational informational "$(trim "${INPUT_INFORMATIONAL:-false}")"

patch_name=$(trim "${INPUT_PATCH_NAME:-ctinject.patch}")
case $patch_name in
    "" | . | .. | */* | *\\* | *$'\n'*)
        die "input patch-name must be a file name (no folder), got '$patch_name'"
        ;;
esac

artifact_prefix=$(trim "${INPUT_ARTIFACT_NAME:-ctinject}")
[ -n "$artifact_prefix" ] || die "input artifact-name must not be empty"

since=$(trim "${INPUT_SINCE:-}")
if [ -z "$since" ]; then
    case ${GITHUB_EVENT_NAME:-} in
        pull_request | pull_request_target)
            if [ -n "${GITHUB_BASE_REF:-}" ]; then
                since="origin/$GITHUB_BASE_REF"
            else
                since="HEAD^1"
            fi
            ;;
        *) since="HEAD^1" ;;
    esac
fi
case $since in
    -*) die "input since must be a git revision, got '$since'" ;;
esac

working_directory=$(trim "${INPUT_WORKING_DIRECTORY:-.}")
[ -n "$working_directory" ] || working_directory=.
if [ -n "${GITHUB_WORKSPACE:-}" ]; then
    cd -- "$GITHUB_WORKSPACE" || die "cannot enter GITHUB_WORKSPACE '$GITHUB_WORKSPACE'"
fi
if [ ! -d "$working_directory" ]; then
    die "input working-directory '$working_directory' is not a folder (in $(pwd))"
fi
cd -- "$working_directory" || die "cannot enter working-directory '$working_directory'"

# Splits input text $2 into the array named $1: one item per line when it
# has several lines, else separated by blanks. Never globbed.
split_input() {
    local -n items=$1
    local line
    items=()
    case $2 in
        *$'\n'*)
            while IFS= read -r line || [ -n "$line" ]; do
                line=$(trim "$line")
                [ -n "$line" ] && items+=("$line")
            done <<<"$2"
            ;;
        *) read -r -a items <<<"$2" ;;
    esac
}

paths=()
split_input paths "${INPUT_PATHS:-.}"
[ ${#paths[@]} -gt 0 ] || paths=(.)
for p in "${paths[@]}"; do
    [ -e "$p" ] || die "input paths: '$p' does not exist in working-directory '$working_directory'"
done

config=$(trim "${INPUT_CONFIG:-}")
if [ -n "$config" ] && [ ! -f "$config" ]; then
    die "input config: '$config' is not a file in working-directory '$working_directory'"
fi
baseline=$(trim "${INPUT_BASELINE:-}")
if [ -n "$baseline" ] && [ ! -f "$baseline" ]; then
    die "input baseline: '$baseline' is not a file in working-directory '$working_directory' (write one with write-baseline on the default branch, or leave baseline empty to compare with the merge-base)"
fi
write_baseline=$(trim "${INPUT_WRITE_BASELINE:-}")

# Executed coverage: with trace files (written by the tests on the
# instrumented change), the step runs `ctinject check` instead of
# instrumenting. Separated like paths.
traces=()
split_input traces "${INPUT_TRACE:-}"
fail_under_executed=$(trim "${INPUT_FAIL_UNDER_EXECUTED:-}")
check_percent fail-under-executed "$fail_under_executed"
if [ -n "$fail_under_executed" ] && [ ${#traces[@]} -eq 0 ]; then
    die "input fail-under-executed needs the trace input: the trace files the tests wrote on the instrumented change (docs/ci.md, executed coverage)"
fi
if [ ${#traces[@]} -gt 0 ] && [ "$mode" = run ]; then
    for t in "${traces[@]}"; do
        [ -f "$t" ] || die "input trace: '$t' is not a file in working-directory '$working_directory' (did the tests run with CTINJECT_TRACE_FILE set to it?)"
    done
fi

if [ "$mode" = check ]; then
    set_output artifact-name "$(artifact_name)"
    # The checked, trimmed values, for the action's cache and upload steps
    # (which would otherwise read the raw inputs).
    set_output patch-name "$patch_name"
    set_output cache "$cache"
    set_output working-directory "$working_directory"
    echo "ctinject inputs: since=$since fail-under=${fail_under:-none} max-drop=${max_drop:-none} cache=$cache working-directory=$working_directory${traces[*]:+ trace=${traces[*]} fail-under-executed=${fail_under_executed:-none}}"
    exit 0
fi

# ------------------------------------------------------------------- the run

command -v ctinject >/dev/null 2>&1 || die "ctinject is not on PATH (the action's install step puts it there)"

out="$RUNNER_TEMP/ctinject"
mkdir -p -- "$out" || die "cannot create $out"
report_json="$out/report.json"
summary_md="$out/summary.md"
annotations="$out/annotations.txt"
patch="$out/$patch_name"
errors="$out/stderr.txt"
# Nothing from an earlier run in the same job may pass for this one's.
rm -f -- "$report_json" "$summary_md" "$annotations" "$patch" "$errors"

if [ ${#traces[@]} -gt 0 ]; then
    # Executed coverage: which changed functions the tests ran.
    args=(
        check
        --since "$since"
        --format human
        --report "json=$report_json"
        --report "markdown=$summary_md"
        --report "github=$annotations"
    )
    for t in "${traces[@]}"; do
        args+=(--trace "$t")
    done
    [ -n "$fail_under_executed" ] && args+=(--fail-under-executed "$fail_under_executed")
    [ -n "$config" ] && args+=(--config "$config")
    args+=(-- "${paths[@]}")
    printf '+ ctinject'
    printf ' %q' "${args[@]}"
    printf '   (in %s)\n' "$(pwd)"
    ctinject "${args[@]}" 2>"$errors"
    status=$?
    if [ -s "$errors" ]; then
        cat -- "$errors" >&2
    fi
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        set_output exit-code "$status"
        message=$(grep -E '^ctinject: error' "$errors" 2>/dev/null)
        [ -n "$message" ] || message=$(tail -n 5 "$errors" 2>/dev/null)
        error "ctinject check failed (exit $status): ${message:-(no message)}"
        exit 2
    fi
    [ -s "$annotations" ] && cat -- "$annotations"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$summary_md" ]; then
        { cat -- "$summary_md"; echo; } >>"$GITHUB_STEP_SUMMARY"
    fi
    # The executed share, the changed functions and the verdict.
    executed=$(python3 - "$report_json" 2>/dev/null <<'PY' || jq -r '.totals | (if .percent == null then "" else (.percent | tostring) end), .functions' "$report_json"
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["totals"]
print("" if t["percent"] is None else ("%.2f" % t["percent"]).rstrip("0").rstrip("."))
print(t["functions"])
PY
)
    { IFS= read -r coverage; IFS= read -r changed; } <<<"$executed"
    if [ "${changed:-0}" = 0 ]; then
        verdict=nothing_to_check
    elif [ -z "$fail_under_executed" ]; then
        verdict=""
    elif [ "$status" = 1 ]; then
        verdict=fail
    else
        verdict=pass
    fi
    # informational: the verdict is reported, the job does not fail.
    [ "$informational" = true ] && status=0
    [ -n "${GITHUB_ENV:-}" ] && printf 'CTINJECT_STATUS=%s\n' "$status" >>"$GITHUB_ENV"
    set_output exit-code "$status"
    set_output coverage "$coverage"
    set_output changed-functions "$changed"
    set_output status "$verdict"
    set_output patch-path ""
    set_output report-json "$report_json"
    echo "ctinject: executed coverage ${coverage:-n/a}${coverage:+%} of ${changed:-?} changed functions; gate ${verdict:-not set} (exit $status)"
    exit 0
fi

args=(
    --since "$since"
    --patch "$patch"
    --format human
    --report "json=$report_json"
    --report "markdown=$summary_md"
    --report "github=$annotations"
)
if [ "$cache" = true ]; then
    # The folder actions/cache restores. ctinject's own .ctinject/ ignores
    # itself; this one may have been made by the restore, so it gets the same
    # .gitignore and never shows as untracked.
    mkdir -p .ctinject/cache
    [ -e .ctinject/.gitignore ] || printf "# ctinject's output and cache\n*\n" >.ctinject/.gitignore
    args+=(--cache-dir "$(pwd)/.ctinject/cache")
else
    args+=(--no-cache)
fi
[ -n "$config" ] && args+=(--config "$config")
[ -n "$fail_under" ] && args+=(--fail-under "$fail_under")
[ -n "$max_drop" ] && args+=(--max-drop "$max_drop")
[ -n "$baseline" ] && args+=(--baseline "$baseline")
[ -n "$write_baseline" ] && args+=(--write-baseline "$write_baseline")
# Without a gate there is no verdict to soften (ctinject refuses the flag alone).
if [ "$informational" = true ] && [ -n "$fail_under$max_drop" ]; then
    args+=(--informational)
fi
args+=(-- "${paths[@]}")

printf '+ ctinject'
printf ' %q' "${args[@]}"
printf '   (in %s)\n' "$(pwd)"

ctinject "${args[@]}" 2>"$errors"
status=$?
# ctinject's warnings and errors, after its report.
if [ -s "$errors" ]; then
    cat -- "$errors" >&2
fi

if [ -n "${GITHUB_ENV:-}" ]; then
    printf 'CTINJECT_STATUS=%s\n' "$status" >>"$GITHUB_ENV"
fi
set_output exit-code "$status"

if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    message=$(grep -E '^ctinject: error' "$errors" 2>/dev/null)
    [ -n "$message" ] || message=$(tail -n 5 "$errors" 2>/dev/null)
    [ -n "$message" ] || message="(no message)"
    error "ctinject failed (exit $status): $message"
    exit 2
fi

# Annotations: the runner turns workflow commands on standard output into
# annotations on the pull request's files.
if [ -s "$annotations" ]; then
    cat -- "$annotations"
    [ -z "$(tail -c 1 "$annotations")" ] || echo
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$summary_md" ]; then
    {
        cat -- "$summary_md"
        echo
    } >>"$GITHUB_STEP_SUMMARY"
fi

# No function changed: ctinject writes an empty patch; there is nothing to
# upload.
if [ -f "$patch" ] && [ ! -s "$patch" ]; then
    rm -f -- "$patch"
fi

# From the JSON report: the change's coverage, the changed functions and the
# gate's verdict, one per line. Without fail-under or max-drop the report has
# no gate object: the coverage and the count then come from its totals (what
# --since selected) and the verdict is empty.
read_gate() {
    local py
    for py in python3 python; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info[0] < 3)' >/dev/null 2>&1; then
            "$py" - "$1" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    report = json.load(f)
gate = report.get("gate")
if gate:
    pct, changed, status = gate["change"]["percent"], gate["changed_functions"], gate["status"]
else:
    points = report["totals"]["points"].values()
    able = sum(p["instrumentable"] for p in points)
    done = sum(p["instrumented"] for p in points)
    pct = 100.0 * done / able if able else None
    changed, status = report["totals"]["functions"], ""
print("" if pct is None else ("%.2f" % pct).rstrip("0").rstrip("."))
print(changed)
print(status)
PY
            return
        fi
    done
    if command -v jq >/dev/null 2>&1; then
        jq -r 'def pct: if . == null then "" else (. * 100 | round / 100 | tostring) end;
            if .gate then
                .gate | (.change.percent | pct), .changed_functions, .status
            else
                .totals
                | ([.points[] | .instrumentable] | add // 0) as $able
                | ([.points[] | .instrumented] | add // 0) as $done
                | (if $able == 0 then null else 100 * $done / $able end | pct),
                  .functions, ""
            end' "$1"
        return
    fi
    return 3
}

coverage=""
changed=""
gate_status=""
if [ -s "$report_json" ]; then
    if gate=$(read_gate "$report_json"); then
        {
            IFS= read -r coverage
            IFS= read -r changed
            IFS= read -r gate_status
        } <<<"$gate"
    else
        warning "could not read the gate from $report_json (python3 or jq is needed): the coverage, changed-functions and status outputs are empty"
    fi
else
    warning "ctinject wrote no JSON report ($report_json)"
fi

set_output coverage "$coverage"
set_output changed-functions "$changed"
set_output status "$gate_status"
if [ -f "$patch" ]; then
    set_output patch-path "$patch"
else
    set_output patch-path ""
fi
if [ -f "$report_json" ]; then
    set_output report-json "$report_json"
else
    set_output report-json ""
fi

echo "ctinject: gate ${gate_status:-unknown} (exit $status); change coverage ${coverage:-n/a}${coverage:+%} over ${changed:-?} changed functions"
exit 0
