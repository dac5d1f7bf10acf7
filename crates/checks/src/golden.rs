//! Approved policy templates ("golden" policies) for LR701: IAM policy documents in a directory,
//! one per file (`dynamodb-read-one-table.json`, `s3-write-one-bucket.json`, `sns-publish.json`).
//! A role stays within them when every action it is granted, on every resource, is allowed by
//! some template statement whose resource pattern covers the role's.
//!
//! In a template's resources, `{{name}}` stands for one concrete value (a table name, an account
//! id): it covers `orders` or an unresolved `{{TableName}}` from a template, never a wildcard. So
//! `arn:aws:dynamodb:*:*:table/{{table}}` approves read access to one table, not to `table/*`.

use rolecall_catalog::{ActionSet, Catalog};
use rolecall_policy::{parse_policy, ActionMatch, Effect, PolicyKind, ResourceMatch};
use std::path::Path;

#[derive(Clone, Debug)]
pub struct Golden {
    pub name: String,
    statements: Vec<GoldenStatement>,
}

#[derive(Clone, Debug)]
struct GoldenStatement {
    actions: ActionSet,
    resources: Vec<String>,
}

impl Golden {
    /// Parses one template (an identity policy: Allow statements with Action and Resource).
    pub fn parse(name: &str, text: &str, catalog: &Catalog) -> Result<Golden, String> {
        let p = parse_policy(name, PolicyKind::Identity, text).map_err(|e| e.to_string())?;
        let mut statements = Vec::new();
        for s in &p.statements {
            let at = format!("{name}: Statement[{}]", s.index);
            if s.effect != Effect::Allow {
                return Err(format!(
                    "{at}: approved templates hold Allow statements only"
                ));
            }
            let ActionMatch::Action(patterns) = &s.action else {
                return Err(format!(
                    "{at}.NotAction: approved templates name their actions"
                ));
            };
            let resources = match &s.resource {
                Some(ResourceMatch::Resource(r)) => r.clone(),
                _ => {
                    return Err(format!(
                        "{at}.Resource: approved templates name their resources"
                    ))
                }
            };
            let mut actions = ActionSet::empty(catalog.len());
            for a in patterns {
                match catalog.expand(a) {
                    Some(set) => actions.union_with(&set),
                    None => return Err(format!("{at}.Action: {a:?} matches no known action")),
                }
            }
            statements.push(GoldenStatement { actions, resources });
        }
        Ok(Golden {
            name: name.into(),
            statements,
        })
    }

    /// Every `*.json` file of `dir`, sorted by name. Errors name the file and the statement.
    pub fn load_dir(dir: &Path, catalog: &Catalog) -> Result<Vec<Golden>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut files: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!(
                "{}: no approved templates (*.json) found",
                dir.display()
            ));
        }
        files
            .iter()
            .map(|f| {
                let text = rolecall_inventory::textfile::read_text(f).map_err(|e| e.to_string())?;
                Golden::parse(&f.display().to_string(), &text, catalog)
            })
            .collect()
    }
}

/// Actions the templates allow on `resource` (a role's resource pattern).
pub fn approved_on(templates: &[Golden], resource: &str, universe: usize) -> ActionSet {
    let mut out = ActionSet::empty(universe);
    for g in templates {
        for s in &g.statements {
            if s.resources.iter().any(|r| covers(r, resource)) {
                out.union_with(&s.actions);
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Tok {
    Char(char),
    One,
    Any,
    /// `{{...}}`: in a template, one concrete value; in a role's resource, an unknown one.
    Hole,
}

fn tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") {
            if let Some(end) = rest.find("}}") {
                out.push(Tok::Hole);
                rest = rest.get(end + 2..).unwrap_or("");
                continue;
            }
        }
        out.push(match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            c => Tok::Char(c),
        });
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    out
}

/// Does template pattern `g` match every resource role pattern `p` can match?
pub fn covers(g: &str, p: &str) -> bool {
    let (g, p) = (tokens(g), tokens(p));
    // m[i][j]: g[i..] covers p[j..].
    let (n, k) = (g.len(), p.len());
    let mut m = vec![vec![false; k + 1]; n + 1];
    if let Some(row) = m.get_mut(n) {
        if let Some(c) = row.get_mut(k) {
            *c = true;
        }
    }
    let at = |m: &Vec<Vec<bool>>, i: usize, j: usize| {
        m.get(i).and_then(|r| r.get(j)).copied().unwrap_or(false)
    };
    for i in (0..n).rev() {
        for j in (0..=k).rev() {
            let pj = p.get(j).copied();
            let v = match g.get(i).copied() {
                // `*` takes nothing, or one more token of p (whatever it is).
                Some(Tok::Any) => at(&m, i + 1, j) || (pj.is_some() && at(&m, i, j + 1)),
                Some(Tok::One) => {
                    matches!(pj, Some(Tok::Char(_)) | Some(Tok::One)) && at(&m, i + 1, j + 1)
                }
                Some(Tok::Char(c)) => pj == Some(Tok::Char(c)) && at(&m, i + 1, j + 1),
                // One concrete value: one or more plain characters (not `/` or `:`), or an unknown
                // value of the role's; never a wildcard.
                Some(Tok::Hole) => {
                    let mut ok = false;
                    let mut jj = j;
                    while let Some(t) = p.get(jj) {
                        match t {
                            Tok::Char(c) if *c != '/' && *c != ':' => {}
                            Tok::Hole => {}
                            _ => break,
                        }
                        jj += 1;
                        if at(&m, i + 1, jj) {
                            ok = true;
                            break;
                        }
                    }
                    ok
                }
                None => false,
            };
            if let Some(c) = m.get_mut(i).and_then(|r| r.get_mut(j)) {
                *c = v;
            }
        }
    }
    at(&m, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn pattern_coverage() {
        assert!(covers("*", "arn:aws:s3:::b/*"));
        assert!(covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/*"));
        assert!(!covers("arn:aws:s3:::b/*", "arn:aws:s3:::*"));
        assert!(!covers("arn:aws:s3:::b", "arn:aws:s3:::b*"));
        assert!(covers("arn:aws:s3:::b?", "arn:aws:s3:::b1"));
        assert!(!covers("arn:aws:s3:::b?", "arn:aws:s3:::b*"));
        let one_table = "arn:aws:dynamodb:*:*:table/{{table}}";
        assert!(covers(
            one_table,
            "arn:aws:dynamodb:us-east-1:1:table/orders"
        ));
        assert!(covers(
            one_table,
            "arn:aws:dynamodb:{{Region}}:{{AccountId}}:table/{{Orders}}"
        ));
        assert!(!covers(one_table, "arn:aws:dynamodb:us-east-1:1:table/*"));
        assert!(!covers(
            one_table,
            "arn:aws:dynamodb:us-east-1:1:table/a/index/x"
        ));
        assert!(!covers("arn:aws:s3:::logs/*", "arn:aws:s3:::{{Bucket}}/*"));
    }
}
