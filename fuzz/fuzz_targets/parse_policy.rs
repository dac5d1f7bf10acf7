//! Any bytes, as any kind of policy document: parsing must return a policy or an error, never
//! panic; whatever parses must evaluate and expand without panicking too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolecall_policy::effective::PrincipalPolicies;
use rolecall_policy::*;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::Boundary, PolicyKind::Scp] {
        let Ok(p) = parse_policy("fuzz", kind, text) else { continue };
        let mut ctx = Context::new();
        ctx.insert("aws:username", "alice");
        ctx.insert("aws:SourceIp", "203.0.113.7");
        ctx.insert("aws:CurrentTime", "2026-11-30T00:00:00Z");
        let req = Request {
            principal: Some("arn:aws:sts::123456789012:assumed-role/app/s".into()),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::bucket/key".into(),
            context: ctx,
        };
        let set = match kind {
            PolicyKind::Resource | PolicyKind::Trust => PolicySet { resource_policy: Some(&p), ..Default::default() },
            PolicyKind::Boundary => PolicySet { identity: vec![&p], boundary: Some(&p), ..Default::default() },
            PolicyKind::Scp => PolicySet { identity: vec![&p], scp_levels: vec![vec![&p]], ..Default::default() },
            PolicyKind::Identity => PolicySet { identity: vec![&p], ..Default::default() },
        };
        let _ = evaluate(&set, &req);
        if matches!(kind, PolicyKind::Identity) {
            let mut an = Analyzer::new(rolecall_catalog::catalog());
            let _ = an.effective(&PrincipalPolicies { identity: vec![&p], boundary: Some(&p), scp_levels: vec![vec![&p]] });
        }
    }
});
