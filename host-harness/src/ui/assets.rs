//! The page: plain HTML, JavaScript and CSS embedded in the binary (no
//! build step, nothing fetched from elsewhere).

/// The page's HTML; `__TOKEN__` stands for the token.
const INDEX_HTML: &str = include_str!("static/index.html");
/// The page's script.
pub const APP_JS: &str = include_str!("static/app.js");
/// The page's styles.
pub const STYLE: &str = include_str!("static/style.css");

/// The page with its links carrying `token` (hex, so safe in HTML).
pub fn index(token: &str) -> String {
    INDEX_HTML.replace("__TOKEN__", token)
}
