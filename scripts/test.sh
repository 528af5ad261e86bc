#!/usr/bin/env bash
# The test command: installs what the tests need (as root, on Debian), then runs every test
# on SQLite, on PostgreSQL when one answers, and the real-browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  command -v kill >/dev/null || need+=(procps)
  command -v pg_isready >/dev/null || need+=(postgresql-client)
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
  # A CJK font, so that screenshots of the Chinese pages show text rather than boxes.
  # The same font is embedded (subset) into certificate PDFs, whose text the tests read with pdftotext.
  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

echo "== tests on SQLite"
env -u TEST_DATABASE_URL cargo test --locked

PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== tests on PostgreSQL"
  TEST_DATABASE_URL="$PG_URL" cargo test --locked
else
  echo "== no PostgreSQL on 127.0.0.1:5432: skipping the PostgreSQL run (CI always has one)"
fi

if command -v chromedriver >/dev/null; then
  echo "== real-browser tests (headless Chromium)"
  env -u TEST_DATABASE_URL cargo test --locked --test browser -- --ignored
else
  echo "== chromedriver missing: install Debian's chromium and chromium-driver to run the browser tests"
  exit 1
fi
