//! `check`: runs every check the component offers against the origin and
//! prints a table; and the `auth` preflight `send` and `replay` run before
//! any write to a real origin.

use super::{config, load_sandbox, tenant_for};
use crate::out;
use destination_host::sandbox::{CheckReport, CheckStatus, Limits, Sandbox, Tenant};
use std::path::{Path, PathBuf};

/// `check --config C [--base-url URL]`: exit 0 when no check failed and the
/// key was verified, 2 otherwise. A check that cannot tell is `unknown` and
/// does not fail (the `permission` check of a key that may not read its own
/// scopes), but an `auth` check that could not ask the origin (unreachable,
/// an unexpected answer) leaves the credential unverified: exit 2.
pub async fn run(
    config: &Path,
    base_url: Option<String>,
    plugin: &Option<PathBuf>,
) -> anyhow::Result<u8> {
    let runtime = load_sandbox(plugin)?;
    let config = config::read(config, false)?;
    let (tenant, _mock) = tenant_for(base_url)?;
    let (mut guest, _) = runtime
        .configured(&tenant, &Limits::default(), &config)
        .await?;
    let reports = guest.run_checks(None).await?;
    // The names, codes and messages are the guest's (and Ashby's) text:
    // `out` escapes them.
    out::line(format!(
        "{:<12} {:<8} {:<32} MESSAGE",
        "CHECK", "STATUS", "CODE"
    ))?;
    for r in &reports {
        out::line(format!(
            "{:<12} {:<8} {:<32} {}",
            r.name,
            status(r.status),
            r.code,
            r.message
        ))?;
        if !r.action.is_empty() {
            out::line(format!(
                "{:<12} {:<8} {:<32} what to do: {}",
                "", "", "", r.action
            ))?;
        }
    }
    let unverified = reports
        .iter()
        .any(|r| r.name == "auth" && r.status != CheckStatus::Ok);
    Ok(
        if unverified || reports.iter().any(|r| r.status == CheckStatus::Failed) {
            2
        } else {
            0
        },
    )
}

/// The word for a status in the table.
pub fn status(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Ok => "ok",
        CheckStatus::Failed => "FAILED",
        CheckStatus::Unknown => "unknown",
    }
}

/// The `auth` check before a run against a real origin: `Some(report)`
/// when it failed (the run must stop before any write). A component that
/// offers no `auth` check is not checked; an `unknown` result is warned
/// about and the run goes on (the delivery loop's retries handle an
/// unreachable origin).
pub async fn preflight(
    runtime: &Sandbox,
    tenant: &Tenant,
    limits: &Limits,
    config: &str,
) -> anyhow::Result<Option<CheckReport>> {
    let (mut guest, _) = runtime.configured(tenant, limits, config).await?;
    let offered = guest.describe().await?.checks;
    if !offered.iter().any(|c| c.name == "auth") {
        tracing::warn!("note: the component offers no `auth` check; no preflight was made");
        return Ok(None);
    }
    let report = guest
        .run_checks(Some(&["auth"]))
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("the auth check gave no report"))?;
    match report.status {
        CheckStatus::Failed => Ok(Some(report)),
        CheckStatus::Unknown => {
            tracing::warn!("warning: preflight: {} ({})", report.message, report.code);
            Ok(None)
        }
        CheckStatus::Ok => Ok(None),
    }
}
