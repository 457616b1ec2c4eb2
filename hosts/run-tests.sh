#!/usr/bin/env bash
# The reference hosts' tests (Node.js and Python): builds the component and
# the mock from this checkout, installs the pinned dependencies (npm ci in
# hosts/node, a venv under target/ with hosts/python/requirements.txt), and
# runs both suites against the real component and the Rust mock.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -p host-harness --locked
export HOST_HARNESS="$PWD/target/debug/host-harness"
# The test-only hostile guest, and the shipped component: the file
# `host-harness component --out` writes once it exists, else the plugin
# built for wasm32-wasip2 in release.
cargo build -p plugin -p hostile --lib --target wasm32-wasip2 --release --locked
export HOSTILE_WASM="$PWD/target/wasm32-wasip2/release/hostile.wasm"
mkdir -p target/hosts
export CONNECTOR_WASM="$PWD/target/hosts/component.wasm"
if ! "$HOST_HARNESS" component --out "$CONNECTOR_WASM" >/dev/null 2>&1; then
    cp target/wasm32-wasip2/release/plugin.wasm "$CONNECTOR_WASM"
fi

echo "== Node.js host (hosts/node)"
(cd hosts/node && npm ci --no-audit --no-fund --loglevel=error && node --test)

echo "== Python host (hosts/python)"
venv=target/hosts/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r hosts/python/requirements.txt
(cd hosts/python && "../../$venv/bin/python" -m pytest -q tests)
