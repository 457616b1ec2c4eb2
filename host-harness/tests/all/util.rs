//! What the CLI tests share.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary, run from the workspace root, without `ASHBY_API_KEY`, with
/// the compiled component cached under the build tree (never the home
/// directory).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_host-harness"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    c.env_remove("ASHBY_API_KEY");
    c.env(
        "ASHBY_CONNECTOR_CACHE_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache"),
    );
    c
}

/// Writes `dir/name` and returns its path.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The JSON Lines of `p` (none if it does not exist).
pub fn lines(p: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
