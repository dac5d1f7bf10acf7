//! AWS managed policy documents (the set moto ships), embedded so that an attached
//! `arn:aws:iam::aws:policy/AdministratorAccess` resolves without calling AWS.
//!
//! The index is built on first use by splitting lines; a document's JSON stays unparsed text until
//! somebody asks for it.

use std::collections::HashMap;
use std::sync::OnceLock;

const MANAGED_TSV: &str = include_str!("../data/managed-policies.tsv");

#[derive(Debug, Clone, Copy)]
pub struct ManagedPolicy {
    pub name: &'static str,
    pub path: &'static str,
    pub default_version: &'static str,
    /// The default version's document, as JSON text.
    pub document: &'static str,
}

impl ManagedPolicy {
    /// `arn:aws:iam::aws:policy<path><name>`
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }
}

pub struct ManagedPolicies {
    pub source: &'static str,
    by_name: HashMap<&'static str, ManagedPolicy>,
}

static MANAGED: OnceLock<ManagedPolicies> = OnceLock::new();

impl ManagedPolicies {
    pub fn get() -> &'static ManagedPolicies {
        MANAGED.get_or_init(|| Self::parse(MANAGED_TSV))
    }

    fn parse(text: &'static str) -> ManagedPolicies {
        let mut source = "";
        let mut by_name = HashMap::with_capacity(1600);
        for line in text.lines() {
            if let Some(s) = line.strip_prefix("# source: ") {
                source = s;
            }
            if line.starts_with('#') {
                continue;
            }
            let mut f = line.splitn(4, '\t');
            if let (Some(name), Some(path), Some(default_version), Some(document)) =
                (f.next(), f.next(), f.next(), f.next())
            {
                by_name.insert(
                    name,
                    ManagedPolicy {
                        name,
                        path,
                        default_version,
                        document,
                    },
                );
            }
        }
        ManagedPolicies { source, by_name }
    }

    /// Resolves an AWS managed policy by ARN (`arn:aws:iam::aws:policy/...`, any partition), or by
    /// bare name. Customer managed policies are not here: they come from the inventory.
    pub fn by_arn(&self, arn: &str) -> Option<&ManagedPolicy> {
        let rest = arn.strip_prefix("arn:")?;
        let (_partition, rest) = rest.split_once(':')?;
        let rest = rest.strip_prefix("iam::aws:policy/")?;
        let name = rest.rsplit('/').next()?;
        self.by_name.get(name)
    }

    pub fn by_name(&self, name: &str) -> Option<&ManagedPolicy> {
        self.by_name.get(name)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &ManagedPolicy> {
        self.by_name.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_by_arn() {
        let m = ManagedPolicies::get();
        assert!(m.len() > 1000);
        assert!(m.source.contains("moto=="));
        let admin = m
            .by_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .unwrap();
        assert!(admin.document.contains("\"*\""));
        let lambda = m
            .by_arn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            .unwrap();
        assert_eq!(
            lambda.arn(),
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        );
        assert!(m
            .by_arn("arn:aws:iam::123456789012:policy/AdministratorAccess")
            .is_none());
    }
}
