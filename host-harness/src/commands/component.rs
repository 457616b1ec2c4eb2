//! `component --out FILE`: writes the plugin component as a shipped
//! artifact, with its name, version, description, license and source
//! revision embedded (the custom sections `wasm-tools metadata show` reads).

use anyhow::Context as _;
use std::path::Path;
use wasm_metadata::{AddMetadata, AddMetadataField, Description, Licenses, Revision, Version};

/// The artifact's component name.
pub const NAME: &str = "ashby-destination";
/// The artifact's description.
pub const DESCRIPTION: &str = "Ashby destination connector: turns records into Ashby API \
     calls through the host's `http` import (world connector:destination/connector@0.2.0)";

/// `component`'s metadata added to `wasm` (a component's bytes).
pub fn with_metadata(wasm: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut add = AddMetadata::default();
    add.name = AddMetadataField::Set(NAME.to_string());
    add.description = AddMetadataField::Set(Description::new(DESCRIPTION));
    add.licenses = AddMetadataField::Set(
        Licenses::new(env!("CARGO_PKG_LICENSE")).context("the workspace license")?,
    );
    add.version = AddMetadataField::Set(Version::new(env!("CARGO_PKG_VERSION")));
    add.revision = AddMetadataField::Set(Revision::new(env!("SOURCE_REVISION")));
    add.processed_by = vec![("host-harness".into(), env!("CARGO_PKG_VERSION").into())];
    add.to_wasm(wasm).context("adding the metadata")
}

/// Writes the built-in plugin, with metadata, to `out`.
pub fn run(out: &Path) -> anyhow::Result<u8> {
    let wasm = std::fs::read(crate::PLUGIN_WASM)
        .with_context(|| format!("reading the built component {}", crate::PLUGIN_WASM))?;
    let bytes = with_metadata(&wasm)?;
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({} bytes, {} {}, revision {})",
        out.display(),
        bytes.len(),
        NAME,
        env!("CARGO_PKG_VERSION"),
        env!("SOURCE_REVISION")
    );
    Ok(0)
}
