//! The main job on the embedded default: a chained flow against the
//! embedded mock Ashby, from the configs and input of `examples/demo/`
//! (embedded in the binary, so an installed copy runs anywhere). Candidates
//! are created; their ids, captured through the response webhook, become
//! applications to a job (rename and defaults do the shaping), get custom
//! field values, the applications move to the screen stage with a custom
//! field of their own (update-application: application.changeStage then
//! customField.setValues per record), and one application gets an offer
//! process. Inputs and outputs go to `--out DIR`, or to a temporary folder
//! removed at the end unless `--keep`.

use anyhow::Context as _;
use destination_host::deliver::{self, Options, Report};
use destination_host::http_import::Origin;
use destination_host::input;
use destination_host::sandbox::{Sandbox, Tenant};
use destination_host::secret::ApiKey;
use mock_ashby::{MockAshby, MockConfig};
use std::io::Write as _;
use std::path::PathBuf;

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

/// The demo's files, embedded at build time.
const FILES: &[(&str, &str)] = &[
    (
        "candidates.jsonl",
        include_str!("../../../examples/demo/candidates.jsonl"),
    ),
    (
        "create-candidate.json",
        include_str!("../../../examples/demo/create-candidate.json"),
    ),
    (
        "create-application.json",
        include_str!("../../../examples/demo/create-application.json"),
    ),
    (
        "set-custom-field-values.json",
        include_str!("../../../examples/demo/set-custom-field-values.json"),
    ),
    (
        "update-application.json",
        include_str!("../../../examples/demo/update-application.json"),
    ),
    (
        "start-offer-process.json",
        include_str!("../../../examples/demo/start-offer-process.json"),
    ),
];

/// One of the embedded files.
fn file(name: &str) -> anyhow::Result<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .with_context(|| format!("internal: the demo has no {name}"))
}

/// Where the demo writes: `--out DIR` (created), or a new temporary folder
/// (removed when the guard drops, unless kept).
fn out_dir(
    out: Option<PathBuf>,
    keep: bool,
) -> anyhow::Result<(PathBuf, Option<tempfile::TempDir>)> {
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        return Ok((dir, None));
    }
    let tmp = tempfile::Builder::new()
        .prefix("ashby-demo-")
        .tempdir()
        .context("creating a temporary folder")?;
    if keep {
        return Ok((tmp.keep(), None));
    }
    Ok((tmp.path().to_path_buf(), Some(tmp)))
}

/// Runs the demo with `runtime`'s component; returns the exit code.
pub async fn run(out: Option<PathBuf>, keep: bool, runtime: Sandbox) -> anyhow::Result<u8> {
    let kept = out.is_some() || keep;
    let (out, _guard) = out_dir(out, keep)?;
    let mock = MockAshby::start(MockConfig::default()).context("starting the embedded mock")?;
    tracing::info!("demo: embedded mock Ashby at {}", mock.base_url());
    let tenant = Tenant {
        name: "demo".into(),
        origin: Origin::parse(&mock.base_url())?,
        key: ApiKey::new(mock.api_key())?,
    };
    let candidates = out.join("candidates.jsonl");
    std::fs::write(&candidates, file("candidates.jsonl")?)
        .with_context(|| format!("writing {}", candidates.display()))?;

    let mut reports: Vec<Report> = Vec::new();
    let mut rows = Vec::new();
    let mut worst = 0u8;
    for (i, step) in STEPS.iter().enumerate() {
        let config = file(step.config)?;
        let input_path = step_input(&out, &candidates, i, step, &reports)?;
        let opts = Options {
            dead_letter: Some(out.join(format!("step{}-dead-letter.jsonl", i + 1))),
            responses: Some(out.join(format!("step{}-responses.jsonl", i + 1))),
            ..Options::default()
        };
        let report = deliver::run(&runtime, &tenant, config, input::open(&input_path)?, opts)
            .await
            .with_context(|| format!("step {} ({})", i + 1, step.name))?;
        if report.halt.is_some() {
            worst = 2;
        } else if report.summary.dead_lettered > 0 {
            worst = worst.max(1);
        }
        rows.push(row(i, step, config, &report));
        reports.push(report);
    }
    crate::out::line(format!(
        "{:<2} {:<24} {:<24} {:>5} {:>9} {:>12} {:>8} {:>6}  IDS (first 8 chars)",
        "#", "STEP", "TEMPLATE", "INPUT", "DELIVERED", "DEAD-LETTERED", "REQUESTS", "MS"
    ))?;
    for r in rows {
        crate::out::line(r)?;
    }
    footer(&mock, kept, &out)?;
    Ok(worst)
}

/// Step `i`'s input: the candidates file, or the successful response
/// records of an earlier step (only the first with `first_only`).
fn step_input(
    out: &std::path::Path,
    candidates: &std::path::Path,
    i: usize,
    step: &Step,
    reports: &[Report],
) -> anyhow::Result<PathBuf> {
    let Some(prev) = step.input_from else {
        return Ok(candidates.to_path_buf());
    };
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
    Ok(p)
}

/// One line of the table: the step, its template, its counts and the
/// first 8 characters of each id it got.
fn row(i: usize, step: &Step, config: &str, report: &Report) -> String {
    let template = serde_json::from_str::<serde_json::Value>(config)
        .ok()
        .and_then(|v| v["template"].as_str().map(String::from))
        .unwrap_or_default();
    let ids: Vec<String> = report
        .responses
        .iter()
        .filter_map(|r| {
            let first: String = r["id"].as_str()?.chars().take(8).collect();
            Some(destination_host::text::one_line(&first).into_owned())
        })
        .collect();
    let s = &report.summary;
    format!(
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
    )
}

/// What the mock holds at the end, and where the outputs are.
fn footer(mock: &MockAshby, kept: bool, out: &std::path::Path) -> anyhow::Result<()> {
    let state = mock.state();
    let screened = state
        .applications
        .iter()
        .filter(|a| a["currentInterviewStage"]["id"] == mock_ashby::fixtures::SCREEN_STAGE_ID)
        .count();
    crate::out::line(format!(
        "{screened} of {} applications are at the \"Recruiter screen\" stage",
        state.applications.len()
    ))?;
    let place = if kept {
        format!("outputs in {}", out.display())
    } else {
        "outputs removed (keep them with --out DIR or --keep)".to_string()
    };
    crate::out::line(format!(
        "mock Ashby now holds {} candidates, {} applications, {} offer processes; {place}",
        state.candidates.len(),
        state.applications.len(),
        state.offer_processes.len(),
    ))
}
