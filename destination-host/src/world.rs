//! Checks, at load, that a component implements the `connector` world, and
//! says exactly what differs when it does not.
//!
//! wasmtime's own linking error names only the first problem it meets; a
//! plugin author needs the whole list: the imports this host does not
//! provide, the exports the world requires that are missing, and the exports
//! the world does not have.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The package every interface of the world belongs to.
const PACKAGE: &str = "connector:destination";
/// The version of that package this host implements.
const VERSION: &str = "0.2.0";
/// Interfaces of the package the host provides as imports.
const PROVIDED: [&str; 2] = ["http", "types"];
/// Interfaces of the package the component must export.
const REQUIRED_EXPORTS: [&str; 1] = ["destination"];
/// WASI 0.2 packages linked by `wasmtime_wasi::p2` (with an empty context).
const WASI_PACKAGES: [&str; 6] = [
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:random/",
    "wasi:sockets/",
];

fn ours(interface: &str) -> String {
    format!("{PACKAGE}/{interface}@{VERSION}")
}

fn provided(import: &str) -> bool {
    PROVIDED.iter().any(|i| ours(i) == import)
        || (WASI_PACKAGES.iter().any(|p| import.starts_with(p)) && import.contains("@0.2."))
}

/// What differs between a component and the `connector` world.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// Imports the host does not provide.
    pub unknown_imports: Vec<String>,
    /// Exports the world requires that the component lacks.
    pub missing_exports: Vec<String>,
    /// Exports the world does not have.
    pub extra_exports: Vec<String>,
}

impl Mismatch {
    /// Whether the component can be loaded.
    pub fn is_empty(&self) -> bool {
        self.unknown_imports.is_empty() && self.missing_exports.is_empty()
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the component does not implement the `connector` world of {PACKAGE}@{VERSION}"
        )?;
        let mut part = |label: &str, names: &[String]| -> std::fmt::Result {
            if names.is_empty() {
                return Ok(());
            }
            write!(f, "; {label}: {}", names.join(", "))
        };
        part(
            "it imports what this host does not provide",
            &self.unknown_imports,
        )?;
        part("it lacks the required exports", &self.missing_exports)?;
        part(
            "it exports what the world does not have",
            &self.extra_exports,
        )
    }
}

/// Compares the component's imports and exports with the world's.
pub fn compare(engine: &Engine, component: &Component) -> Mismatch {
    let ty = component.component_type();
    let unknown_imports = ty
        .imports(engine)
        .map(|(name, _)| name)
        .filter(|name| !provided(name))
        .map(String::from)
        .collect();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let missing_exports = REQUIRED_EXPORTS
        .iter()
        .map(|i| ours(i))
        .filter(|name| !exports.contains(&name.as_str()))
        .collect();
    let extra_exports = exports
        .iter()
        .filter(|name| !REQUIRED_EXPORTS.iter().any(|i| ours(i) == **name))
        .map(|name| name.to_string())
        .collect();
    Mismatch {
        unknown_imports,
        missing_exports,
        extra_exports,
    }
}

/// Refuses a component that does not implement the world, naming every
/// difference.
pub fn check(engine: &Engine, component: &Component) -> wasmtime::Result<()> {
    let m = compare(engine, component);
    if m.is_empty() {
        Ok(())
    } else {
        Err(wasmtime::format_err!("{m}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_imports_of_0_2_are_provided_and_others_are_not() {
        assert!(provided("wasi:cli/environment@0.2.3"));
        assert!(provided("connector:destination/http@0.2.0"));
        assert!(!provided("connector:destination/http@0.1.0"));
        assert!(!provided("wasi:http/outgoing-handler@0.2.3"));
        assert!(!provided("wasi:cli/environment@0.3.0"));
    }
}
