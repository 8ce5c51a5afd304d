#!/usr/bin/env bash
# Installs what the app needs, idempotently: a virtual environment with the Python packages,
# the system libraries WeasyPrint uses, and the front-end packages (GOV.UK Frontend) via npm.
# On Debian or Ubuntu as root, missing system packages are installed with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
APT_UPDATED=
apt_install() {
    if [ -z "$APT_UPDATED" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "Python 3.11 or newer is needed ($PYTHON is $("$PYTHON" -V 2>&1))"

if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in $VENV"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        rm -rf "$VENV"
        if can_apt; then
            version=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
            apt_install "python${version}-venv" || apt_install python3-venv
            "$PYTHON" -m venv "$VENV"
        else
            die "python3 -m venv failed: install the python3-venv package"
        fi
    fi
fi

stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    say "Installing Python packages"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[test]'
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi

# WeasyPrint draws PDFs with Pango; a bare Debian lacks it.
if ! "$VENV/bin/python" -c 'import weasyprint' >/dev/null 2>&1; then
    if can_apt; then
        say "Installing Pango for WeasyPrint"
        apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
    else
        echo "setup: warning: WeasyPrint cannot load Pango; install libpango-1.0-0 and libpangoft2-1.0-0 for PDFs" >&2
    fi
fi
# HarfBuzz's subsetter (WeasyPrint embeds font subsets with it) and the fonts documents use.
if ! { ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; } || [ ! -d /usr/share/fonts/truetype/dejavu ]; then
    if can_apt; then
        say "Installing HarfBuzz subset and DejaVu fonts for PDF documents"
        apt_install libharfbuzz-subset0 fonts-dejavu-core
    else
        echo "setup: warning: install libharfbuzz-subset0 and fonts-dejavu-core for PDF documents" >&2
    fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
        if can_apt; then
            say "Installing npm (for the GOV.UK Frontend package)"
            apt_install nodejs npm
        else
            die "npm is needed to install the GOV.UK Frontend package: install nodejs and npm"
        fi
    fi
    say "Installing front-end packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi
