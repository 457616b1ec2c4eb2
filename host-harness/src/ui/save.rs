//! Save: the config checked by the component, written to `--config` when
//! the UI was started with one, and the `send` command line that runs it.

use super::Ui;
use super::api::configured;
use anyhow::Context as _;
use serde_json::{Value, json};

/// `{config, write?}`: the config checked by `configure`, written to
/// `--config` when asked (and given), and the `send` command line that
/// runs it.
pub async fn run(ui: &Ui, body: &Value) -> anyhow::Result<Value> {
    let config = &body["config"];
    if let Err(refused) = configured(ui, config).await? {
        return Ok(refused);
    }
    let pretty = serde_json::to_string_pretty(config)? + "\n";
    let mut written = None;
    if body["write"] == true {
        let path = ui
            .args
            .config
            .as_ref()
            .context("start `ui` with --config FILE to write the config there")?;
        std::fs::write(path, &pretty)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written = Some(path.display().to_string());
    }
    Ok(json!({"config": pretty, "written": written, "command": command_line(ui)}))
}

/// `host-harness send ...` for this config, these records and this origin.
fn command_line(ui: &Ui) -> String {
    let path = |p: &Option<std::path::PathBuf>, default: &str| {
        p.as_ref()
            .map_or(default.to_owned(), |p| p.display().to_string())
    };
    let mut words = vec![
        "host-harness".to_owned(),
        "send".into(),
        "--config".into(),
        path(&ui.args.config, "config.json"),
        "--input".into(),
        path(&ui.args.input, "records.jsonl"),
    ];
    if let Some(url) = &ui.args.base_url {
        words.extend(["--base-url".into(), url.clone()]);
    }
    if ui.args.plugin.is_some() {
        words.extend(["--plugin".into(), path(&ui.args.plugin, "")]);
    }
    let mut line: Vec<String> = words.iter().map(|w| quoted(w)).collect();
    // `$REDIS_URL` stays a variable for the shell to expand.
    line.extend(ui.args.pacing.iter().map(|w| match w.as_str() {
        "$REDIS_URL" => "\"$REDIS_URL\"".to_owned(),
        w => quoted(w),
    }));
    if ui.args.base_url.is_some() {
        line.insert(0, "ASHBY_API_KEY=...".into());
    }
    line.join(" ")
}

/// A word as a POSIX shell reads it back.
fn quoted(w: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !w.is_empty() && w.chars().all(plain) {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}
