//! Splits the embedded `templates.json` into one JSON text per template at
//! build time, so that `configure` parses only the template it uses (about a
//! tenth of the catalog) instead of the whole file in every new instance.
//!
//! A catalog this script cannot split yields an empty table; the plugin then
//! falls back to parsing the whole file and reports its error at run time.

use std::env;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let source = manifest.join("..").join("templates.json");
    println!("cargo::rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source).unwrap_or_default();
    let mut out = String::from(
        "/// `(id, endpoint, JSON text)` of every template, in file order; empty\n\
         /// when the catalog could not be split at build time.\n\
         pub static SOURCES: &[(&str, &str, &str)] = &[\n",
    );
    if let Ok(serde_json::Value::Object(catalog)) = serde_json::from_str(&text)
        && catalog.get("version").and_then(serde_json::Value::as_u64) == Some(2)
        && let Some(serde_json::Value::Array(templates)) = catalog.get("templates")
    {
        for t in templates {
            let id = t.get("id").and_then(serde_json::Value::as_str);
            // A template's endpoint is its first step's.
            let endpoint = t
                .pointer("/steps/0/endpoint")
                .and_then(serde_json::Value::as_str);
            if let (Some(id), Some(endpoint)) = (id, endpoint) {
                let json = serde_json::to_string(t).unwrap_or_default();
                let _ = writeln!(out, "    ({id:?}, {endpoint:?}, {json:?}),");
            }
        }
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("template_sources.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
