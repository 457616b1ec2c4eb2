#!/usr/bin/env bash
# The reference hosts' tests (Node.js and Python): builds the component and
# the mock from this checkout, installs the pinned dependencies (npm ci in
# hosts/node, a venv under target/ with hosts/python/requirements.txt), and
# runs both suites against the real component and the Rust mock.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -p host-harness --locked
export HOST_HARNESS="$PWD/target/debug/host-harness"
# The shipped component: `host-harness component --out` once it exists,
# else the plugin built for wasm32-wasip2 in release.
mkdir -p target/hosts
export CONNECTOR_WASM="$PWD/target/hosts/component.wasm"
if ! "$HOST_HARNESS" component --out "$CONNECTOR_WASM" >/dev/null 2>&1; then
    cargo build -p plugin --target wasm32-wasip2 --release --locked
    cp target/wasm32-wasip2/release/plugin.wasm "$CONNECTOR_WASM"
fi

echo "== Node.js host (hosts/node)"
(cd hosts/node && npm ci --no-audit --no-fund --loglevel=error && node --test)

echo "== Python host (hosts/python)"
venv=target/hosts/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r hosts/python/requirements.txt
(cd hosts/python && "../../$venv/bin/python" -m pytest -q tests)
