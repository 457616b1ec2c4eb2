//! The main job on the embedded default: a chained flow against the
//! embedded mock Ashby, from `examples/demo/`. Candidates are created; their
//! ids, captured through the response webhook, become applications to a job
//! (rename and defaults do the shaping), get custom field values, the
//! applications move to the screen stage with a custom field of their own
//! (update-application: application.changeStage then customField.setValues
//! per record), and one application gets an offer process.

use anyhow::Context as _;
use destination_host::deliver::{self, Options, Report};
use destination_host::http_import::Origin;
use destination_host::input;
use destination_host::sandbox::{Sandbox, Tenant};
use destination_host::secret::ApiKey;
use mock_ashby::{MockAshby, MockConfig};
use std::io::Write as _;
use std::path::{Path, PathBuf};

struct Step {
    name: &'static str,
    config: &'static str,
    /// `None`: the demo's candidates; `Some(n)`: the responses of step n.
    input_from: Option<usize>,
    /// Use only the first record of that input.
    first_only: bool,
}

const STEPS: &[Step] = &[
    Step {
        name: "create candidates",
        config: "create-candidate.json",
        input_from: None,
        first_only: false,
    },
    Step {
        name: "apply them to the job",
        config: "create-application.json",
        input_from: Some(0),
        first_only: false,
    },
    Step {
        name: "set custom fields",
        config: "set-custom-field-values.json",
        input_from: Some(0),
        first_only: false,
    },
    Step {
        name: "move to screen stage",
        config: "update-application.json",
        input_from: Some(1),
        first_only: false,
    },
    Step {
        name: "start one offer process",
        config: "start-offer-process.json",
        input_from: Some(1),
        first_only: true,
    },
];

fn find_dir(dir: &Path) -> PathBuf {
    if dir.exists() {
        return dir.to_path_buf();
    }
    // Run from elsewhere than the workspace root: use the repository's copy.
    let fallback = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    if fallback.exists() {
        fallback
    } else {
        dir.to_path_buf()
    }
}

/// Runs the demo with `runtime`'s component; returns the exit code.
pub async fn run(dir: &Path, runtime: Sandbox) -> anyhow::Result<u8> {
    let dir = find_dir(dir);
    let mock = MockAshby::start(MockConfig::default()).context("starting the embedded mock")?;
    eprintln!(
        "demo: embedded mock Ashby at {} (examples from {})",
        mock.base_url(),
        dir.display()
    );
    let tenant = Tenant {
        name: "demo".into(),
        origin: Origin::parse(&mock.base_url())?,
        key: ApiKey::new(mock.api_key())?,
    };
    let out = std::env::temp_dir().join(format!("ashby-demo-{}", std::process::id()));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let mut reports: Vec<Report> = Vec::new();
    let mut rows = Vec::new();
    let mut worst = 0u8;
    for (i, step) in STEPS.iter().enumerate() {
        let config_path = dir.join(step.config);
        let config = std::fs::read_to_string(&config_path)
            .with_context(|| format!("reading {}", config_path.display()))?;
        let input_path = match step.input_from {
            None => dir.join("candidates.jsonl"),
            Some(prev) => {
                let p = out.join(format!("step{}-input.jsonl", i + 1));
                let mut f = std::fs::File::create(&p)?;
                let responses = &reports
                    .get(prev)
                    .context("internal: missing step")?
                    .responses;
                let take = if step.first_only { 1 } else { responses.len() };
                for r in responses.iter().filter(|r| r["success"] == true).take(take) {
                    writeln!(f, "{r}")?;
                }
                p
            }
        };
        let opts = Options {
            dead_letter: Some(out.join(format!("step{}-dead-letter.jsonl", i + 1))),
            responses: Some(out.join(format!("step{}-responses.jsonl", i + 1))),
            ..Options::default()
        };
        let report = deliver::run(&runtime, &tenant, &config, input::open(&input_path)?, opts)
            .await
            .with_context(|| format!("step {} ({})", i + 1, step.name))?;
        let template = serde_json::from_str::<serde_json::Value>(&config)
            .ok()
            .and_then(|v| v["template"].as_str().map(String::from))
            .unwrap_or_default();
        let ids: Vec<String> = report
            .responses
            .iter()
            .filter_map(|r| r["id"].as_str().map(|s| s[..8.min(s.len())].to_string()))
            .collect();
        let s = &report.summary;
        if report.halt.is_some() {
            worst = 2;
        } else if s.dead_lettered > 0 {
            worst = worst.max(1);
        }
        rows.push(format!(
            "{:<2} {:<24} {:<24} {:>5} {:>9} {:>12} {:>8} {:>6}  {}",
            i + 1,
            step.name,
            template,
            s.input,
            s.delivered,
            s.dead_lettered,
            s.requests,
            s.elapsed_ms,
            if ids.is_empty() {
                "-".to_string()
            } else {
                ids.join(" ")
            }
        ));
        reports.push(report);
    }
    println!(
        "{:<2} {:<24} {:<24} {:>5} {:>9} {:>12} {:>8} {:>6}  IDS (first 8 chars)",
        "#", "STEP", "TEMPLATE", "INPUT", "DELIVERED", "DEAD-LETTERED", "REQUESTS", "MS"
    );
    for r in rows {
        println!("{r}");
    }
    let state = mock.state();
    let screened = state
        .applications
        .iter()
        .filter(|a| a["currentInterviewStage"]["id"] == mock_ashby::fixtures::SCREEN_STAGE_ID)
        .count();
    println!(
        "{screened} of {} applications are at the \"Recruiter screen\" stage",
        state.applications.len()
    );
    println!(
        "mock Ashby now holds {} candidates, {} applications, {} offer processes; outputs in {}",
        state.candidates.len(),
        state.applications.len(),
        state.offer_processes.len(),
        out.display()
    );
    Ok(worst)
}
