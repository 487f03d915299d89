#!/usr/bin/env bash
# Installs ctinject for the GitHub Action (action.yml).
#
# INPUT_VERSION (say 0.1.0) names the release. When a ctinject of that version
# is already on PATH, nothing is done. Otherwise the release asset for the
# runner (RUNNER_OS, RUNNER_ARCH -> a Rust target triple)
#
#   ${CTINJECT_RELEASE_BASE_URL:-https://github.com/ctinject/ctinject/releases/download}/v$VERSION/ctinject-$TARGET.tar.gz
#
# is downloaded with its .sha256, checked (a mismatch is refused: nothing is
# installed and the step fails), and unpacked into $RUNNER_TEMP/ctinject/bin,
# which is added to GITHUB_PATH. CTINJECT_RELEASE_BASE_URL may also be a local
# folder (for tests and mirrors). When the asset cannot be had (no release
# for this runner, a failed download, no .sha256), ctinject is built from the
# action's own source instead:
#
#   cargo install --locked --path "$GITHUB_ACTION_PATH/.." --root "$RUNNER_TEMP/ctinject"
#
#   install.sh                 install as above
#   install.sh --print-target  print the target triple of RUNNER_OS/RUNNER_ARCH
#
# Runs on bash 3.2 (macOS runners) as well as bash 5, and in Git Bash on
# Windows runners.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
die() { die_with 1 "$@"; }

# The Rust target triple of the runner, or nothing when there is no release
# for it.
target_triple() {
    case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
        Linux/X64) echo x86_64-unknown-linux-gnu ;;
        Linux/ARM64) echo aarch64-unknown-linux-gnu ;;
        macOS/X64) echo x86_64-apple-darwin ;;
        macOS/ARM64) echo aarch64-apple-darwin ;;
        Windows/X64) echo x86_64-pc-windows-msvc ;;
        *) return 1 ;;
    esac
}

if [ "${1:-}" = --print-target ]; then
    target_triple || {
        echo "no ctinject release for RUNNER_OS='${RUNNER_OS:-}' RUNNER_ARCH='${RUNNER_ARCH:-}'" >&2
        exit 1
    }
    exit 0
elif [ $# -gt 0 ]; then
    die "install.sh: unknown argument '$1' (expected nothing or --print-target)"
fi

version=${INPUT_VERSION:-}
version=${version#v}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
    die "input version must be a ctinject release such as 0.1.0, got '${INPUT_VERSION:-}'"
fi
[ -n "${RUNNER_TEMP:-}" ] || die "RUNNER_TEMP is not set: install.sh runs inside a GitHub Actions step (action.yml)"

exe=ctinject
[ "${RUNNER_OS:-}" = Windows ] && exe=ctinject.exe

# The version a ctinject executable reports ("ctinject 0.1.0" -> 0.1.0).
version_of() {
    local v
    v=$("$1" --version 2>/dev/null) || return 1
    v=${v%%$'\n'*}
    v=${v%$'\r'}
    printf '%s' "${v##* }"
}

if existing=$(command -v ctinject 2>/dev/null) && [ "$(version_of "$existing" || true)" = "$version" ]; then
    echo "ctinject $version is already installed ($existing); nothing to do"
    exit 0
fi

root="$RUNNER_TEMP/ctinject"
bin="$root/bin"
base=${CTINJECT_RELEASE_BASE_URL:-https://github.com/ctinject/ctinject/releases/download}
base=${base%/}

add_to_path() {
    if [ -n "${GITHUB_PATH:-}" ]; then
        printf '%s\n' "$bin" >>"$GITHUB_PATH"
    fi
    export PATH="$bin:$PATH"
}

# The command that prints a file's sha256, chosen outside any $(...): a die
# inside a command substitution only ends the subshell, and its message
# would become the "sha256" compared.
sha256_tool=()
pick_sha256_tool() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256_tool=(sha256sum)
    elif command -v shasum >/dev/null 2>&1; then
        sha256_tool=(shasum -a 256)
    elif command -v openssl >/dev/null 2>&1; then
        sha256_tool=(openssl dgst -sha256 -r)
    else
        die "no sha256sum, shasum or openssl on this runner to check the download"
    fi
}

sha256_of() {
    "${sha256_tool[@]}" "$1" | cut -d ' ' -f 1
}

# fetch URL FILE: a URL (curl, or wget), or a path in a local folder.
fetch() {
    case $1 in
        *://*)
            if command -v curl >/dev/null 2>&1; then
                curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
            elif command -v wget >/dev/null 2>&1; then
                wget --quiet --tries 3 --output-document "$2" "$1"
            else
                echo "neither curl nor wget is installed" >&2
                return 1
            fi
            ;;
        *) cp -- "$1" "$2" ;;
    esac
}

# Downloads, checks and unpacks the release asset. Returns 1 when the asset
# cannot be had (the caller builds from source); a checksum mismatch or a
# broken archive ends the script. It runs as an `if` condition, where bash
# ignores set -e: every step that can fail says so itself.
install_release() {
    local target=$1 asset url tmp expected actual found
    asset="ctinject-$target.tar.gz"
    url="$base/v$version/$asset"
    pick_sha256_tool
    tmp=$(mktemp -d "${RUNNER_TEMP}/ctinject-download.XXXXXX") ||
        die "cannot make a download folder in RUNNER_TEMP ($RUNNER_TEMP)"
    echo "downloading $url"
    if ! fetch "$url" "$tmp/$asset"; then
        warning "could not download $url"
        rm -rf -- "$tmp"
        return 1
    fi
    if ! fetch "$url.sha256" "$tmp/$asset.sha256"; then
        warning "could not download $url.sha256, so the asset cannot be checked"
        rm -rf -- "$tmp"
        return 1
    fi
    expected=$(tr -d '\r' <"$tmp/$asset.sha256" | awk 'NF { print tolower($1); exit }')
    actual=$(sha256_of "$tmp/$asset" | tr '[:upper:]' '[:lower:]') ||
        die "cannot compute the sha256 of $tmp/$asset"
    if ! [[ $expected =~ ^[0-9a-f]{64}$ ]]; then
        rm -rf -- "$tmp"
        die "refusing to install ctinject: $url.sha256 holds no sha256 (got '$expected')"
    fi
    if [ "$expected" != "$actual" ]; then
        rm -rf -- "$tmp"
        die "refusing to install ctinject: sha256 mismatch for $url: expected $expected (from $asset.sha256), got $actual"
    fi
    echo "sha256 $actual checked"
    mkdir -p "$tmp/unpacked" || die "cannot make $tmp/unpacked"
    # Relative names: GNU tar on Windows reads "D:\..." as a remote host.
    if ! (cd "$tmp/unpacked" && tar -xzf "../$asset"); then
        rm -rf -- "$tmp"
        die "refusing to install ctinject: $asset is not a gzip'd tar archive"
    fi
    found=$(find "$tmp/unpacked" -type f -name "$exe" | head -n 1)
    if [ -z "$found" ]; then
        rm -rf -- "$tmp"
        die "$asset holds no $exe"
    fi
    if ! { mkdir -p "$bin" && cp -- "$found" "$bin/$exe" && chmod +x "$bin/$exe"; }; then
        die "cannot install $exe into $bin"
    fi
    # cargo-ctinject, when the archive has it.
    found=$(find "$tmp/unpacked" -type f -name "cargo-$exe" | head -n 1)
    if [ -n "$found" ]; then
        if ! { cp -- "$found" "$bin/cargo-$exe" && chmod +x "$bin/cargo-$exe"; }; then
            die "cannot install cargo-$exe into $bin"
        fi
    fi
    rm -rf -- "$tmp"
    return 0
}

install_from_source() {
    local source=${GITHUB_ACTION_PATH:-}
    [ -n "$source" ] || die "GITHUB_ACTION_PATH is not set: cannot find the action's source to build ctinject from"
    source="$source/.."
    [ -f "$source/Cargo.toml" ] || die "no Cargo.toml in $source: cannot build ctinject from the action's source"
    if ! command -v cargo >/dev/null 2>&1; then
        die "no ctinject $version release asset for this runner, and cargo is not installed to build it from source: add a Rust toolchain step (say dtolnay/rust-toolchain@stable) before this action"
    fi
    echo "building ctinject from the action's source: cargo install --locked --path $source --root $root"
    cargo install --locked --path "$source" --root "$root" ||
        die "cargo install of ctinject from $source failed"
}

if target=$(target_triple); then
    if ! install_release "$target"; then
        warning "no usable ctinject $version release asset for $target; building it from source"
        install_from_source
    fi
else
    warning "ctinject has no release for RUNNER_OS='${RUNNER_OS:-}' RUNNER_ARCH='${RUNNER_ARCH:-}'; building it from source"
    install_from_source
fi

[ -x "$bin/$exe" ] || die "the install left no $bin/$exe"
installed=$(version_of "$bin/$exe" || true)
if [ "$installed" != "$version" ]; then
    warning "installed ctinject reports version '$installed', not $version"
fi
add_to_path
echo "installed ctinject ${installed:-?} in $bin"
