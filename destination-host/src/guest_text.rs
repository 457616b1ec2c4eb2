//! What a guest wrote, with the tenant's key replaced by `****` before the
//! host stores or prints it (outcome codes, messages and ids, exchanges,
//! warnings, problems, config refusals, response-webhook records). The
//! guest never sees the key; this is the second line for a key an origin
//! reflected in a form the HTTP import did not recognise on the way in.
//! A leaf over the bindings and the [`Redactor`].

use crate::bindings::http::Header;
use crate::bindings::{
    ConfigError, ConfigSummary, Exchange, Outcome, PlannedRequest, RecordOutcome, Sample,
};
use crate::secret::Redactor;

fn opt(r: &Redactor, s: &mut Option<String>) {
    if let Some(s) = s {
        r.in_place(s);
    }
}

fn headers(r: &Redactor, hs: &mut [Header]) {
    for h in hs {
        r.in_place(&mut h.name);
        r.in_place(&mut h.value);
    }
}

fn request(r: &Redactor, q: &mut PlannedRequest) {
    r.in_place(&mut q.path);
    headers(r, &mut q.headers);
    r.in_place(&mut q.body);
}

fn exchange(r: &Redactor, ex: &mut Exchange) {
    request(r, &mut ex.request);
    headers(r, &mut ex.headers);
    r.in_place(&mut ex.body);
}

fn opt_exchange(r: &Redactor, ex: &mut Option<Exchange>) {
    if let Some(ex) = ex {
        exchange(r, ex);
    }
}

/// Redacts every text of `send`'s outcomes.
pub fn outcomes(r: &Redactor, outs: &mut [RecordOutcome]) {
    for o in outs {
        match &mut o.outcome {
            Outcome::Delivered(d) => {
                opt(r, &mut d.id);
                exchange(r, &mut d.exchange);
            }
            Outcome::Rejected(x) => {
                r.in_place(&mut x.code);
                r.in_place(&mut x.message);
                opt_exchange(r, &mut x.exchange);
            }
            Outcome::Retry(x) => {
                r.in_place(&mut x.code);
                r.in_place(&mut x.message);
                opt(r, &mut x.retry_after);
                opt_exchange(r, &mut x.exchange);
            }
            Outcome::Halt(x) => {
                r.in_place(&mut x.code);
                r.in_place(&mut x.message);
                opt(r, &mut x.permission);
                opt_exchange(r, &mut x.exchange);
            }
        }
    }
}

/// Redacts every text of a `sample-payload` answer.
pub fn sample(r: &Redactor, s: &mut Sample) {
    for q in &mut s.requests {
        request(r, q);
    }
    for p in &mut s.problems {
        r.in_place(&mut p.code);
        opt(r, &mut p.field);
        r.in_place(&mut p.message);
    }
}

/// Redacts every text of a `configure` answer.
pub fn configured(r: &Redactor, c: &mut Result<ConfigSummary, ConfigError>) {
    match c {
        Ok(s) => {
            opt(r, &mut s.template);
            r.in_place(&mut s.endpoint);
            r.in_place(&mut s.method);
            opt(r, &mut s.permission);
            for w in &mut s.warnings {
                r.in_place(w);
            }
        }
        Err(ConfigError::Malformed(m) | ConfigError::UnknownKey(m)) => r.in_place(m),
        Err(ConfigError::Missing(p) | ConfigError::Invalid(p)) => {
            r.in_place(&mut p.key);
            r.in_place(&mut p.reason);
        }
        Err(ConfigError::AlreadyConfigured) => {}
    }
}
