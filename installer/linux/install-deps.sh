#!/usr/bin/env bash
# Installs what abandoned-cartd needs to build and test on Debian 12.
# Idempotent and quiet when everything is already there; needs root (or sudo) only then.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    libpoco-dev libsqlitecpp-dev libsqlite3-dev libcurl4-openssl-dev libboost-test-dev libsecret-1-dev
    libmstch-dev libbenchmark-dev rapidjson-dev
    sqlite3 ca-certificates curl python3
)
if [ "${1:-}" = "--test" ]; then
    # Real servers the tests talk to: an SMTP server, a Secret Service keyring on a private bus.
    packages+=(python3-aiosmtpd gnome-keyring dbus libsecret-tools openssl chromium)
    # Handlebars.js on nodejs: renders the shipped SendGrid and Mandrill templates (conf/sendgrid,
    # conf/mandrill) as those providers would, which nothing else here can.
    packages+=(handlebars)
    # The sanitizer and libFuzzer build (DESIGN §12): clang and its runtimes.
    packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
