"""Loads a component `.wasm` with wasmtime: compiled once (cached on disk by
its SHA-256), instantiated per flow with WASI that grants nothing (no
environment, arguments, files, sockets or stdin) and the host's `http`
import."""

import hashlib
import importlib.metadata
import os
import stat
import sys
import tempfile
import threading
import time

import wasmtime
import wasmtime.component as wc

from . import SetupError

GUEST_OUTPUT_CAP = 64 << 10
"""Bytes of guest stdout/stderr copied to the host's stderr per instance."""

TICK = 0.01
"""Seconds per epoch tick: the resolution of the per-call time limit."""


def _ticker(engine: wasmtime.Engine) -> None:
    """Advances the engine's epoch every TICK, for the per-call deadline."""

    def tick():
        while True:
            time.sleep(TICK)
            engine.increment_epoch()

    threading.Thread(target=tick, daemon=True, name="epoch-ticker").start()


def _cache_root() -> str:
    env = os.environ
    if env.get("ASHBY_CONNECTOR_CACHE_DIR"):
        return env["ASHBY_CONNECTOR_CACHE_DIR"]
    if env.get("XDG_CACHE_HOME"):
        return os.path.join(env["XDG_CACHE_HOME"], "ashby-connector")
    return os.path.join(os.path.expanduser("~"), ".cache", "ashby-connector")


def _private_dir(path: str) -> None:
    """Creates `path` 0700 and refuses one others can write to."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    st = os.stat(path)
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or st.st_uid != os.getuid():
        raise SetupError(f"the cache directory {path} is writable by others or not ours; refusing to load code from it")


def _compiled(engine: wasmtime.Engine, data: bytes, sha: str) -> wc.Component:
    if os.environ.get("ASHBY_CONNECTOR_CACHE") == "off":
        return wc.Component(engine, data)
    version = importlib.metadata.version("wasmtime")
    root = os.path.join(_cache_root(), f"python-wasmtime-{version}")
    _private_dir(root)
    path = os.path.join(root, f"{sha}.cwasm")
    cached = _read_verified(path)
    if cached is not None:
        try:
            # Only bytes this host wrote, checked against their checksum:
            # deserializing forged bytes would run arbitrary native code.
            return wc.Component.deserialize(engine, cached)
        except wasmtime.WasmtimeError:
            pass  # stale or incompatible: compile again
    component = wc.Component(engine, data)
    blob = bytes(component.serialize())
    for target, content in ((path, blob), (path + ".sha256", hashlib.sha256(blob).hexdigest().encode())):
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, target)
    return component


def _read_verified(path: str):
    """The cached bytes when their `.sha256` file matches, else None."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
        with open(path + ".sha256", "rb") as f:
            want = f.read().decode().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return blob if hashlib.sha256(blob).hexdigest() == want else None


def _find(names, prefix: str):
    return next((n for n in names if n.startswith(prefix)), None)


class _Capped:
    """Copies guest output to the host's stderr, up to a cap."""

    def __init__(self):
        self.left = GUEST_OUTPUT_CAP

    def __call__(self, data: bytes):
        if self.left > 0:
            sys.stderr.write(data[: self.left].decode("utf-8", "replace"))
            self.left -= len(data)
        return len(data)


class Loaded:
    """A compiled component; `instantiate(send)` gives its `destination`."""

    def __init__(self, path: str, memory_bytes: int = 64 << 20, call_timeout: float = 300.0):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise SetupError(f"cannot read the component {path}: {e.strerror}") from None
        self.sha = hashlib.sha256(data).hexdigest()
        config = wasmtime.Config()
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        _ticker(self.engine)
        self.call_ticks = max(1, int(call_timeout / TICK))
        try:
            self.component = _compiled(self.engine, data, self.sha)
        except wasmtime.WasmtimeError as e:
            raise SetupError(f"{path} is not a component this host can load: {e}") from None
        ty = self.component.type
        self.http_name = _find(ty.imports(self.engine), "connector:destination/http@")
        self.export_name = _find(ty.exports(self.engine), "connector:destination/destination@")
        if not self.http_name or not self.export_name:
            raise SetupError(f"{path} does not implement the connector world (imports http, exports destination)")
        self.memory_bytes = memory_bytes

    def instantiate(self, send) -> "Destination":
        """A fresh instance in its own Store; `send(request)` is `http.send`."""
        linker = wc.Linker(self.engine)
        linker.add_wasip2()
        with linker.root() as root:
            with root.add_instance(self.http_name) as http:
                http.add_func("send", lambda _store, request: _lift_http(send(request)))
        store = wasmtime.Store(self.engine)
        wasi = wasmtime.WasiConfig()
        wasi.stdout_custom = _Capped()
        wasi.stderr_custom = _Capped()
        store.set_wasi(wasi)
        store.set_limits(memory_size=self.memory_bytes)
        store.set_epoch_deadline(self.call_ticks)
        instance = linker.instantiate(store, self.component)
        return Destination(store, instance, self.export_name, self.call_ticks)


def _lift_http(result):
    """(status, headers, body) → the WIT response record; (case, message) →
    the WIT http.error variant."""
    if len(result) == 2:
        return wc.Variant(result[0], result[1])
    status, headers, body = result
    r = wc.Record()
    r.status = status
    r.headers = [_header(n, v) for n, v in headers]
    r.body = body
    return r


def _header(name, value):
    h = wc.Record()
    h.name, h.value = name, value
    return h


class CallError(Exception):
    """An export answered with its error case (`payload`: a Variant)."""

    def __init__(self, payload):
        super().__init__(f"{payload.tag}: {payload.payload}" if isinstance(payload, wc.Variant) else str(payload))
        self.payload = payload


class Destination:
    """The exported `destination` functions of one instance."""

    def __init__(self, store, instance, export_name, call_ticks):
        self.store, self.call_ticks = store, call_ticks
        idx = instance.get_export_index(store, export_name)
        self.funcs = {n: instance.get_func(store, instance.get_export_index(store, n, idx))
                      for n in ("describe", "configure", "send", "on-response", "check")}

    def _call(self, name, *args):
        f = self.funcs[name]
        # A wall-clock bound per call (HTTP time included), as the Rust
        # host's --call-timeout: past it the call traps.
        self.store.set_epoch_deadline(self.call_ticks)
        out = f(self.store, *args)
        f.post_return(self.store)
        if isinstance(out, wc.Variant):
            # A result whose cases wasmtime cannot tell apart by type comes
            # tagged `ok`/`err`; otherwise a Variant is the error case.
            if out.tag == "ok":
                return out.payload
            raise CallError(out.payload if out.tag == "err" else out)
        return out

    def describe(self):
        """The destination's description record: `config-schema` and
        `catalog` (JSON text) and `checks`. Makes no request."""
        return self._call("describe")

    def configure(self, config: str):
        """The config summary record; raises CallError with a config-error."""
        return self._call("configure", config)

    def send(self, records):
        """One outcome record per input record; raises CallError or a trap.
        `records` are `(index, json, maybe_applied)`."""
        return self._call("send", [_input(i, j, m) for i, j, m in records])

    def on_response(self, exchange):
        """The response-webhook JSON text, or None."""
        return self._call("on-response", exchange)

    def check(self, name: str):
        """The check-report record of the named check; raises CallError."""
        return self._call("check", name)


def _input(index: int, json_text: str, maybe_applied: bool):
    r = wc.Record()
    r.index, r.json = index, json_text
    setattr(r, "maybe-applied", maybe_applied)
    return r
