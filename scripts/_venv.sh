# Sourced by scripts/dev.sh and scripts/test.sh: make sure .venv exists and holds
# the project with its dev extras, then activate it.
#
# The install runs only when pyproject.toml changed since the last successful
# install (a hash of it is kept in .venv/.pyproject.sha256).
# Set PYTHON to pick the interpreter that creates the venv (default: python3).

ensure_venv() {
    local root venv stamp want have py
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    venv="$root/.venv"
    stamp="$venv/.pyproject.sha256"
    py="${PYTHON:-python3}"

    # A venv whose interpreter no longer runs (moved or copied from elsewhere) is rebuilt.
    if [ -d "$venv" ] && ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
        echo "==> .venv is broken; recreating it"
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "error: $py must be Python 3.11 or newer (set PYTHON=...)" >&2
            return 1
        fi
        echo "==> creating .venv with $("$py" --version 2>&1)"
        "$py" -m venv "$venv"
    fi

    want="$(cd "$root" && sha256sum pyproject.toml | cut -d' ' -f1)"
    have="$(cat "$stamp" 2>/dev/null || true)"
    if [ "$want" != "$have" ]; then
        echo "==> installing the project and its dev dependencies into .venv"
        local t0=$SECONDS
        (cd "$root" && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]')
        echo "$want" > "$stamp"
        echo "==> installed in $((SECONDS - t0))s"
    fi

    # shellcheck disable=SC1091
    . "$venv/bin/activate"
    cd "$root"
}
