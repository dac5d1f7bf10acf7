//! Collects each rule's documentation from the `//!` comment at the top of its file in
//! `src/rules/`, so that `rolecall explain` and `docs/rules.md` are generated from the same text the
//! developer edits beside the rule.
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new("src/rules");
    println!("cargo:rerun-if-changed=src/rules");
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let path = e.path();
            let Some(stem) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if !stem.starts_with("lr") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let doc: Vec<&str> = text
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .map(|l| {
                    l.trim_start_matches("//!")
                        .strip_prefix(' ')
                        .unwrap_or(l.trim_start_matches("//!"))
                })
                .collect();
            let code = stem.split('_').next().unwrap_or("").to_ascii_uppercase();
            entries.push((code, doc.join("\n")));
        }
    }
    entries.sort();
    let mut out = String::from("/// (code, documentation) for every rule, from the doc comment of its file.\npub static RULE_DOCS: &[(&str, &str)] = &[\n");
    for (code, doc) in &entries {
        let _ = writeln!(out, "    ({code:?}, {doc:?}),");
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("rule_docs.rs");
    let _ = std::fs::write(dest, out);
}
