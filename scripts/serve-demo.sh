#!/usr/bin/env bash
# The run command: installs what the service needs beyond Rust (as root, on Debian: the CJK
# font its certificates embed), then serves on SQLite with the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."

font="${RELAY_CERT_FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}"
if [ ! -e "$font" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing: fonts-wqy-microhei (the certificates' CJK font)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null
fi
if [ ! -e "$font" ]; then
  echo "warning: no CJK font at $font: certificates cannot be drawn (install fonts-wqy-microhei or set RELAY_CERT_FONT)" >&2
fi

exec cargo run --release -- serve --demo "$@"
