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
pub mod ocsf;
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
/// The inventory's functions, roles and customer managed policies by ARN, built once per report
/// (a lookup per finding by scanning every function or role is quadratic at Organization scale).
/// The first of a repeated ARN wins.
pub(crate) struct Lookup<'i> {
    pub functions: std::collections::HashMap<&'i str, &'i rolecall_inventory::Function>,
    pub roles: std::collections::HashMap<&'i str, &'i rolecall_inventory::Role>,
    pub managed: std::collections::HashMap<&'i str, &'i rolecall_inventory::Document>,
}

impl<'i> Lookup<'i> {
    pub fn new(inv: Option<&'i rolecall_inventory::Inventory>) -> Self {
        let mut l = Lookup {
            functions: Default::default(),
            roles: Default::default(),
            managed: Default::default(),
        };
        if let Some(inv) = inv {
            for x in &inv.functions {
                l.functions.entry(x.arn.as_str()).or_insert(x);
            }
            for x in &inv.roles {
                l.roles.entry(x.arn.as_str()).or_insert(x);
            }
            for m in &inv.managed_policies {
                l.managed.entry(m.arn.as_str()).or_insert(&m.document);
            }
        }
        l
    }
}

pub fn short_name(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}
