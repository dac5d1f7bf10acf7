//! Risk score 0–100 per function, from four components, each explained:
//!
//! | component | max | from |
//! |---|---:|---|
//! | permission severity | 40 | the worst permission/trust finding of its role (critical 40, high 28, medium 16, low 6) |
//! | blast radius | 25 | escalation to admin (all 25), else services reachable, unscoped writes, functions sharing the role |
//! | internet exposure | 20 | public URL 20, public resource policy 16, API Gateway trigger 10, cross-account invoke 8, event triggers 3 |
//! | data sensitivity | 15 | the data-sensitivity tag (restricted 9, confidential 6, internal 3, untagged 3) and reach into Secrets Manager, KMS, SSM, DynamoDB, S3 (+6 on `*`, +3 scoped) |
//!
//! A role's score is the highest of its functions' (a role with no function scores without
//! exposure).

use crate::finding::Severity;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Component {
    pub score: u8,
    pub max: u8,
    pub reasons: Vec<String>,
}

impl Component {
    fn new(max: u8) -> Self {
        Component {
            score: 0,
            max,
            reasons: Vec::new(),
        }
    }

    fn add(&mut self, points: u8, reason: String) {
        self.score = self.score.saturating_add(points).min(self.max);
        self.reasons.push(reason);
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Risk {
    pub score: u8,
    pub permission: Component,
    pub blast_radius: Component,
    pub exposure: Component,
    pub data: Component,
}

/// What the score needs to know about a role.
#[derive(Clone, Debug, Default)]
pub struct RoleFacts {
    pub worst_permission_finding: Option<(Severity, String)>,
    pub escalation: Option<String>,
    pub services: usize,
    pub unscoped_writes: usize,
    pub functions: usize,
    /// (unscoped, scoped) data-service reads.
    pub data_reach: (usize, usize),
}

/// What the score needs to know about a function.
#[derive(Clone, Debug, Default)]
pub struct FunctionFacts {
    pub public_url: bool,
    pub public_policy: bool,
    pub api_gateway: bool,
    pub cross_account: bool,
    pub event_triggers: usize,
    pub sensitivity: Option<String>,
}

pub fn score(role: &RoleFacts, f: Option<&FunctionFacts>) -> Risk {
    let mut permission = Component::new(40);
    if let Some((sev, what)) = &role.worst_permission_finding {
        let pts = match sev {
            Severity::Critical => 40,
            Severity::High => 28,
            Severity::Medium => 16,
            Severity::Low => 6,
            Severity::Info => 0,
        };
        permission.add(pts, format!("{sev} finding: {what}"));
    }
    let mut blast = Component::new(25);
    if let Some(how) = &role.escalation {
        blast.add(25, format!("can reach administrator: {how}"));
    } else {
        if role.services > 0 {
            blast.add(
                ((role.services as f64).log2().ceil() as u8).min(10),
                format!("{} services reachable", role.services),
            );
        }
        if role.unscoped_writes > 0 {
            blast.add(
                ((role.unscoped_writes as f64).log2().ceil() as u8 + 2).min(10),
                format!("{} write actions on *", role.unscoped_writes),
            );
        }
        if role.functions > 1 {
            blast.add(
                ((role.functions - 1) as u8).min(5),
                format!("role shared by {} functions", role.functions),
            );
        }
    }
    let mut exposure = Component::new(20);
    let mut data = Component::new(15);
    if let Some(f) = f {
        if f.public_url {
            exposure.add(20, "public function URL (AuthType NONE)".into());
        }
        if f.public_policy {
            exposure.add(16, "resource policy lets anyone invoke it".into());
        }
        if f.api_gateway {
            exposure.add(10, "invoked by API Gateway".into());
        }
        if f.cross_account {
            exposure.add(8, "invokable from another account".into());
        }
        if f.event_triggers > 0 {
            exposure.add(3, format!("{} event trigger(s)", f.event_triggers));
        }
        match f
            .sensitivity
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("restricted") => data.add(9, "data-sensitivity restricted".into()),
            Some("confidential") => data.add(6, "data-sensitivity confidential".into()),
            Some("internal") => data.add(3, "data-sensitivity internal".into()),
            Some("public") => {}
            Some(other) => data.add(3, format!("data-sensitivity {other}")),
            None => data.add(3, "no data-sensitivity tag".into()),
        }
    }
    let (unscoped, scoped) = role.data_reach;
    if unscoped > 0 {
        data.add(6, format!("{unscoped} data read action(s) on *"));
    } else if scoped > 0 {
        data.add(
            3,
            format!("{scoped} data read action(s) on named resources"),
        );
    }
    let score = (permission.score + blast.score + exposure.score + data.score).min(100);
    Risk {
        score,
        permission,
        blast_radius: blast,
        exposure,
        data,
    }
}
