//! Where a tenant's requests go: a scheme, host and port, checked once when
//! the tenant is set up. A leaf.

/// Where a tenant's requests go: a scheme, host and port, nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    base: String,
    /// `base` parsed, once: a request's URL is this with the path set.
    url: reqwest::Url,
}

impl Origin {
    /// Parses `https://host[:port]` (any host) or `http://host:port` for a
    /// loopback host only (tests and mocks). A path other than `/`,
    /// userinfo, a query or a fragment is refused.
    pub fn parse(url: &str) -> anyhow::Result<Origin> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| anyhow::anyhow!("`{url}` is not an absolute URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() {
            anyhow::bail!("`{url}` has no host");
        }
        if authority.contains(['/', '?', '#', '\\']) {
            anyhow::bail!("`{url}` must be an origin only (no path, query or fragment)");
        }
        if authority.contains('@') {
            anyhow::bail!("`{url}` must not carry userinfo");
        }
        if authority
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            anyhow::bail!("`{url}` contains whitespace or control characters");
        }
        let host = host_of(authority);
        match scheme.as_str() {
            "https" => {}
            "http" => {
                if !is_loopback(host) {
                    anyhow::bail!(
                        "`{url}`: plain http is allowed only to loopback (127.0.0.1, ::1, localhost); use https"
                    );
                }
            }
            other => anyhow::bail!("`{url}`: scheme `{other}` is not supported; use https"),
        }
        let base = format!("{scheme}://{}", authority.to_ascii_lowercase());
        // The host and port must be what a URL parser reads too (a port of
        // digits in range, a valid host), or requests would fail late.
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| anyhow::anyhow!("`{url}` is not a valid origin: {e}"))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            anyhow::bail!("`{url}` has no host");
        }
        Ok(Origin { base, url: parsed })
    }

    /// Ashby's production origin.
    pub fn ashby() -> Origin {
        match Origin::parse("https://api.ashbyhq.com") {
            Ok(o) => o,
            Err(e) => unreachable!("Ashby's origin is refused: {e}"),
        }
    }

    /// The URL of a checked path (see `check_path`) on this origin, without
    /// parsing the origin again: the same URL as parsing `base` + `path`.
    pub fn url_for(&self, path: &str) -> reqwest::Url {
        let mut url = self.url.clone();
        let (p, q) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        url.set_path(p);
        url.set_query(q);
        url
    }

    /// `scheme://host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.base
    }
}

fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
