//! `templates`: the endpoint templates of the catalog.

pub fn run() -> anyhow::Result<u8> {
    let all = plugin::templates::all().map_err(|e| anyhow::anyhow!("templates.json: {e}"))?;
    println!(
        "{:<26} {:<24} {:<18} REQUIRED",
        "ID", "ENDPOINT", "PERMISSION"
    );
    for t in all {
        let mut req: Vec<String> = t.required.clone();
        for a in &t.aliases {
            for r in req.iter_mut() {
                if *r == a.to {
                    *r = format!("{} (or {})", a.to, a.from);
                }
            }
        }
        println!(
            "{:<26} {:<24} {:<18} {}",
            t.id,
            t.endpoint,
            t.permission,
            if req.is_empty() {
                "-".to_string()
            } else {
                req.join(", ")
            }
        );
    }
    Ok(0)
}
