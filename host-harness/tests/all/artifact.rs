//! `component --out`: the shipped `.wasm` carries its metadata and is the
//! `connector` world a host loads.

use crate::util::bin;
use destination_host::sandbox::Sandbox;
use wasm_metadata::Payload;

#[test]
fn component_out_writes_the_artifact_with_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ashby-destination.wasm");
    let run = bin()
        .arg("component")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    let Payload::Component { metadata, .. } = Payload::from_binary(&bytes).unwrap() else {
        panic!("the artifact is not a component");
    };
    assert_eq!(metadata.name.as_deref(), Some("ashby-destination"));
    let text = |v: Option<String>| v.unwrap_or_default();
    assert_eq!(
        text(metadata.version.map(|v| v.to_string())),
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(text(metadata.licenses.map(|v| v.to_string())), "Apache-2.0");
    assert!(text(metadata.description.map(|v| v.to_string())).contains("Ashby"));
    let revision = text(metadata.revision.map(|v| v.to_string()));
    assert!(
        revision == "unknown" || revision.len() >= 40,
        "revision {revision:?}"
    );
    // A host loads the file as it is: the world check passes.
    Sandbox::from_bytes(&bytes).unwrap();
}
