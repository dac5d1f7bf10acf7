//! Report emitters. Each is a pure function of the scan result (and, for the HTML report, the
//! inventory the scan read, to show the statements that grant): same input, same bytes.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod asff;
pub mod csv;
pub mod html;
pub mod markdown;
pub mod sarif;

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The last part of an ARN (role or function name), for display.
pub fn short_name(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}
