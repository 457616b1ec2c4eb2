// Loads a component `.wasm`: transpiled to JavaScript by jco once per
// component (cached by its SHA-256), compiled once per process, and
// instantiated with WASI that grants nothing (no environment, arguments,
// files, sockets or stdin) and the host's `http` import.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SetupError } from './policy.mjs';

const JCO_VERSION = JSON.parse(
  readFileSync(new URL('../node_modules/@bytecodealliance/jco/package.json', import.meta.url), 'utf8'),
).version;

/** The host's cache directory, as the Rust host chooses it. */
function cacheRoot() {
  const env = process.env;
  if (env.ASHBY_CONNECTOR_CACHE_DIR) return env.ASHBY_CONNECTOR_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'ashby-connector');
  return join(homedir(), '.cache', 'ashby-connector');
}

/** Creates `dir` 0700, and refuses one that others can write to. */
function privateDir(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o022) !== 0 || (process.getuid && st.uid !== process.getuid())) {
    throw new SetupError(`the cache directory ${dir} is writable by others or not ours; refusing to load code from it`);
  }
}

async function transpiled(bytes, sha) {
  const root = join(cacheRoot(), `node-jco-${JCO_VERSION}`);
  privateDir(root);
  const dir = join(root, sha);
  if (existsSync(join(dir, 'component.js'))) return dir;
  const { transpile } = await import('@bytecodealliance/jco');
  const out = await transpile(bytes, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [name, data] of Object.entries(out.files)) {
    mkdirSync(dirname(join(tmp, name)), { recursive: true, mode: 0o700 });
    writeFileSync(join(tmp, name), data, { mode: 0o600 });
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'component.js'))) throw e;
  }
  return dir;
}

function wasiImports(WASIShim, cli) {
  const shim = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [], enableNetwork: false } });
  const imports = shim.getImportObject();
  // Guest output goes to the host's stderr (stdout carries the summary).
  imports['wasi:cli/stdout'] = { getStdout: () => cli.stderr.getStderr() };
  imports['wasi:cli/stdin'] = {
    getStdin() {
      throw new Error('the component may not read stdin');
    },
  };
  imports['wasi:cli/exit'] = {
    exit() {
      throw new Error('the component called exit');
    },
  };
  return imports;
}

/** A loaded component: `instantiate(send)` returns the `destination` exports. */
export async function loadComponent(file) {
  let bytes;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new SetupError(`cannot read the component ${file}: ${e.message}`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  const dir = await transpiled(bytes, sha);
  const { instantiate } = await import(pathToFileURL(join(dir, 'component.js')).href);
  const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
  const { cli } = await import('@bytecodealliance/preview2-shim');
  const modules = new Map();
  const getCoreModule = (name) => {
    if (!modules.has(name)) modules.set(name, new WebAssembly.Module(readFileSync(join(dir, name))));
    return modules.get(name);
  };
  return {
    sha,
    instantiate(send) {
      const imports = { ...wasiImports(WASIShim, cli), 'connector:destination/http': { send } };
      const root = instantiate(getCoreModule, imports);
      // Any version of the interface: the WIT package's version may change.
      const exports =
        root.destination ??
        Object.entries(root).find(([k]) => k.startsWith('connector:destination/destination'))?.[1];
      if (!exports) throw new SetupError('the component does not export connector:destination/destination');
      return exports;
    },
  };
}
