# Sourced by scripts/start and scripts/test: create .venv and install Rumbo into it with
# exactly the versions uv.lock pins.
#
#   install_locked           # the app
#   install_locked dev       # the app and its dev extra (tests, lint)
#
# The lock is checked against pyproject.toml first (`uv lock --check`): a dependency
# changed in pyproject.toml without `uv lock` stops here. To update the lock after changing
# dependencies, or to take newer releases: `.venv/bin/uv lock` (add `--upgrade` for the
# latter), then commit uv.lock. Installs again only when uv.lock or pyproject.toml changed
# (RUMBO_REINSTALL=1 forces it). Needs `say` and `die` from the caller.

UV_VERSION=0.13.9

pick_python() {
    local py
    for py in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$py" >/dev/null 2>&1 &&
            "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    [ -x .venv/bin/python ] && return 0
    local py
    py=$(pick_python) || die "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"
    say "creating .venv with $("$py" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
    if ! "$py" -m venv .venv; then
        rm -rf .venv
        die "could not create .venv (on Debian/Ubuntu: apt-get install python3-venv)"
    fi
}

quietly() {  # run a command, showing its output only if it fails
    local log
    log=$(mktemp "${TMPDIR:-/tmp}/rumbo-install.XXXXXX.log")
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

install_locked() {
    local extra=${1:-} stamp hash requirements
    ensure_venv
    stamp=.venv/.rumbo-installed-${extra:-app}
    hash=$(cat pyproject.toml uv.lock | cksum)
    if [ "${RUMBO_REINSTALL:-0}" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
        return 0
    fi
    if [ "$(.venv/bin/uv --version 2>/dev/null)" != "uv $UV_VERSION" ]; then
        quietly .venv/bin/python -m pip install --disable-pip-version-check --no-input \
            "uv==$UV_VERSION" || die "could not install uv $UV_VERSION"
    fi
    .venv/bin/uv lock --check --quiet ||
        die "uv.lock does not match pyproject.toml: run .venv/bin/uv lock and commit uv.lock"
    say "installing the locked dependencies${extra:+ and the $extra extra} into .venv"
    requirements=.venv/requirements-${extra:-app}.txt
    .venv/bin/uv export --frozen --quiet --no-emit-project --no-hashes \
        ${extra:+--extra "$extra"} -o "$requirements" || die "uv export failed"
    quietly .venv/bin/python -m pip install --disable-pip-version-check --no-input \
        -r "$requirements" || die "pip install -r $requirements failed"
    quietly .venv/bin/python -m pip install --disable-pip-version-check --no-input \
        --no-deps -e . || die "pip install -e . failed"
    echo "$hash" >"$stamp"
}
