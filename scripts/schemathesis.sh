#!/usr/bin/env bash
# Bad input against the API: schemathesis (PyPI) generates requests from the served OpenAPI
# document, as a merchant and as an organization, for a bounded number of examples, and
# fails on any 5xx, any answer that breaks the schema, or an undocumented status or type.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/charity-relay/target}"
command -v schemathesis >/dev/null || python3 -m pip install -q "schemathesis==4.*"

cargo build --locked --quiet
BIN="$CARGO_TARGET_DIR/debug/charity-relay"
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RELAY_DATA_DIR="$DIR" RELAY_BIND="127.0.0.1:$PORT" DATABASE_URL="sqlite://$DIR/st.db?mode=rwc"
unset TEST_DATABASE_URL
"$BIN" demo >/dev/null
MERCHANT_TOKEN=$("$BIN" admin api-token --merchant 2 2>/dev/null | tail -n1)
ORG_TOKEN=$("$BIN" admin api-token --org 沙头角街道社工站 2>/dev/null | tail -n1)
"$BIN" serve >"$DIR/serve.out" 2>"$DIR/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
for TOKEN in "$MERCHANT_TOKEN" "$ORG_TOKEN"; do
  schemathesis run "http://127.0.0.1:$PORT/api/v1/openapi.json" -H "Authorization: Bearer $TOKEN" \
    --checks "$CHECKS" --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --request-timeout 10 --seed 1
done
echo "schemathesis: no failures"
