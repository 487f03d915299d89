#!/usr/bin/env bash
# The tests that need PyPI packages: the OTLP receiver, the Python runtime's
# live export (against the official exporter too) and its OpenTelemetry
# bridge. They run in a venv with the pinned packages below, made (or
# remade when the pins change) under ${CARGO_TARGET_DIR:-target}/otlp-venv
# with the python3 on PATH.
#
#   tests/otlp/run-tests.sh            # from the repository root
#   tests/otlp/run-tests.sh --venv     # only make the venv; print its python
#
# With CI=true a venv that cannot be made fails the run; otherwise the tests
# are skipped with a loud line. CTINJECT_OTLP_PROGRAM_PYTHON=/path/to/python
# runs the live export tests' programs (which need no package) on another
# CPython.
set -euo pipefail
cd "$(dirname "$0")/../.."

pins=(
    opentelemetry-api==1.45.2
    opentelemetry-sdk==1.45.2
    opentelemetry-proto==1.45.2
    opentelemetry-exporter-otlp-proto-http==1.45.2
)
venv=${CARGO_TARGET_DIR:-target}/otlp-venv
stamp="$venv/.pins"
want="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])') ${pins[*]}"

make_venv() {
    rm -rf "$venv"
    python3 -m venv "$venv" &&
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" &&
        echo "$want" >"$stamp"
}

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    if ! make_venv; then
        rm -rf "$venv"
        if [ "${CI:-}" = true ]; then
            echo "tests/otlp: cannot make the venv with ${pins[*]}" >&2
            exit 1
        fi
        echo "*** SKIPPED: tests/otlp (no venv with ${pins[*]}: pip failed) ***"
        exit 0
    fi
fi

if [ "${1:-}" = --venv ]; then
    echo "$venv/bin/python"
    exit 0
fi

# -W error: opentelemetry-sdk and the exporter are clean under it.
exec "$venv/bin/python" -W error -m unittest discover -s tests/otlp "$@"
