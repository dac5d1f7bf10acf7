//! Who makes a request: the caller's kind, account and name read from the principal it is given
//! as, what else is known about it (path, tags, Organization, unique id), and the global condition
//! keys that follow from those (IAM User Guide, "AWS global condition context keys", principal
//! properties).
//!
//! The keys the engine fills, and from what:
//!
//! | key | value |
//! |---|---|
//! | `aws:PrincipalArn` | a role session: the *role's* ARN `arn:aws:iam::ACCOUNT:role/PATH/NAME` (never the session ARN); a user: its ARN; the root: `arn:aws:iam::ACCOUNT:root`; a federated user: its `sts` ARN |
//! | `aws:PrincipalAccount` | the caller's account |
//! | `aws:PrincipalType` | `AssumedRole`, `User`, `Account`, `FederatedUser` |
//! | `aws:userid` | `ROLE-ID:SESSION` for a role session, the user id for a user, the account for the root (only when the id is known) |
//! | `aws:username` | users only (a role session has none, so `${aws:username}` matches nothing) |
//! | `aws:PrincipalTag/KEY` | the role's or user's tags, when known |
//! | `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths` | the Organization, when known |
//! | `aws:PrincipalIsAWSService`, `aws:PrincipalServiceName` | `true` and the service for a service principal; `false` for IAM principals |
//!
//! A key the request already carries (`--context`) is left as given. A value the engine had to
//! assume (the path of a role named only by its session ARN) is marked, and a condition that
//! reads it says so in the answer.

use crate::Context;
use std::collections::BTreeMap;

/// What is known about the caller beyond its ARN.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrincipalFacts {
    /// IAM path of the role or user (`/service-role/`). A session ARN does not carry it.
    pub path: Option<String>,
    /// The role's or user's tags; None when not known (an absent tag is then unknown, not absent).
    pub tags: Option<BTreeMap<String, String>>,
    /// The Organization the caller's account belongs to (`o-...`).
    pub org_id: Option<String>,
    /// Organization paths of the caller's account (`o-a1b2/r-ab12/ou-ab12-11111111/`).
    pub org_paths: Vec<String>,
    /// The role id (`AROA...`) or user id (`AIDA...`).
    pub unique_id: Option<String>,
    /// Session name, for a role given by its role ARN (Lambda names the session after the
    /// function).
    pub session_name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallerKind {
    /// A session of a role, named by the role's ARN.
    Role,
    /// A session of a role, named by its `assumed-role` session ARN.
    Session,
    User,
    /// The account itself (root user, or an account id).
    Root,
    FederatedUser,
    /// An AWS service principal (`lambda.amazonaws.com`).
    Service,
    /// An unsigned request.
    Anonymous,
    /// Not given, or not a principal rolecall can read.
    Unknown,
}

/// The caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The principal as given.
    pub given: String,
    pub kind: CallerKind,
    pub partition: String,
    pub account: Option<String>,
    /// Role, user or federated user name.
    pub name: Option<String>,
    pub session: Option<String>,
    /// IAM path (`/` when not known; see `path_known`).
    pub path: String,
    pub path_known: bool,
}

/// The name the CLI and the corpus use for an unsigned request.
pub const ANONYMOUS: &str = "anonymous";

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Caller {
    /// Reads the principal (`None`: unknown caller; `anonymous`: an unsigned request).
    pub fn parse(principal: Option<&str>, facts: &PrincipalFacts) -> Caller {
        let mut c = Caller {
            given: principal.unwrap_or("").to_string(),
            kind: CallerKind::Unknown,
            partition: "aws".into(),
            account: None,
            name: None,
            session: None,
            path: facts.path.clone().unwrap_or_else(|| "/".into()),
            path_known: facts.path.is_some(),
        };
        let Some(p) = principal else {
            return c;
        };
        if p == ANONYMOUS {
            c.kind = CallerKind::Anonymous;
            return c;
        }
        if is_account_id(p) {
            c.kind = CallerKind::Root;
            c.account = Some(p.to_string());
            return c;
        }
        if !p.starts_with("arn:") {
            if p.contains('.') {
                c.kind = CallerKind::Service;
                c.name = Some(p.to_string());
            }
            return c;
        }
        let parts: Vec<&str> = p.splitn(6, ':').collect();
        let [_, partition, service, _region, account, resource] = parts.as_slice() else {
            return c;
        };
        c.partition = partition.to_string();
        c.account = Some(account.to_string()).filter(|a| !a.is_empty());
        match *service {
            "iam" if *resource == "root" => c.kind = CallerKind::Root,
            "iam" if resource.starts_with("role/") => {
                c.kind = CallerKind::Role;
                let rest = resource.get(5..).unwrap_or("");
                let (path, name) = match rest.rfind('/') {
                    Some(i) => (
                        format!("/{}/", rest.get(..i).unwrap_or("")),
                        rest.get(i + 1..),
                    ),
                    None => ("/".to_string(), Some(rest)),
                };
                c.name = name.map(str::to_string);
                c.path = path;
                c.path_known = true;
                c.session = facts.session_name.clone();
            }
            "iam" if resource.starts_with("user/") => {
                c.kind = CallerKind::User;
                let rest = resource.get(5..).unwrap_or("");
                let (path, name) = match rest.rfind('/') {
                    Some(i) => (
                        format!("/{}/", rest.get(..i).unwrap_or("")),
                        rest.get(i + 1..),
                    ),
                    None => ("/".to_string(), Some(rest)),
                };
                c.name = name.map(str::to_string);
                c.path = path;
                c.path_known = true;
            }
            "sts" if resource.starts_with("assumed-role/") => {
                c.kind = CallerKind::Session;
                let mut it = resource.splitn(3, '/');
                it.next();
                c.name = it.next().map(str::to_string);
                c.session = it.next().map(str::to_string);
            }
            "sts" if resource.starts_with("federated-user/") => {
                c.kind = CallerKind::FederatedUser;
                c.name = resource.get(15..).map(str::to_string);
            }
            _ => {}
        }
        c
    }

    /// An IAM principal of an account (not a service, not anonymous).
    pub fn is_iam(&self) -> bool {
        matches!(
            self.kind,
            CallerKind::Role
                | CallerKind::Session
                | CallerKind::User
                | CallerKind::Root
                | CallerKind::FederatedUser
        )
    }

    /// A role session (by role ARN or session ARN).
    pub fn is_role_session(&self) -> bool {
        matches!(self.kind, CallerKind::Role | CallerKind::Session)
    }

    /// A session (role or federated user): session policies apply to these.
    pub fn is_session(&self) -> bool {
        self.is_role_session() || self.kind == CallerKind::FederatedUser
    }

    /// A service-linked role (path `/aws-service-role/`): SCPs and RCPs do not restrict it.
    pub fn is_service_linked(&self) -> bool {
        self.is_role_session() && self.path.starts_with("/aws-service-role/")
    }

    /// The role's ARN, for a role session.
    pub fn role_arn(&self) -> Option<String> {
        if !self.is_role_session() {
            return None;
        }
        Some(format!(
            "arn:{}:iam::{}:role{}{}",
            self.partition,
            self.account.as_deref().unwrap_or(""),
            self.path,
            self.name.as_deref().unwrap_or("")
        ))
    }

    /// The session ARN, for a role session whose session name is known.
    pub fn session_arn(&self) -> Option<String> {
        if !self.is_role_session() {
            return None;
        }
        let session = self.session.as_deref()?;
        Some(format!(
            "arn:{}:sts::{}:assumed-role/{}/{session}",
            self.partition,
            self.account.as_deref().unwrap_or(""),
            self.name.as_deref().unwrap_or("")
        ))
    }

    /// Fills the global condition keys the caller determines (keys already present are kept).
    pub fn fill_context(&self, ctx: &mut Context, facts: &PrincipalFacts) {
        let set = |ctx: &mut Context, k: &str, v: &str| {
            if !ctx.has(k) {
                ctx.insert(k, v);
            }
        };
        if self.is_iam() {
            set(ctx, "aws:PrincipalIsAWSService", "false");
            if let Some(a) = &self.account {
                set(ctx, "aws:PrincipalAccount", a);
            }
            if let Some(o) = &facts.org_id {
                set(ctx, "aws:PrincipalOrgID", o);
            }
            if !ctx.has("aws:PrincipalOrgPaths") {
                for p in &facts.org_paths {
                    ctx.insert("aws:PrincipalOrgPaths", p);
                }
            }
            if let Some(tags) = &facts.tags {
                for (k, v) in tags {
                    set(ctx, &format!("aws:PrincipalTag/{k}"), v);
                }
            }
        }
        let account = self.account.clone().unwrap_or_default();
        match self.kind {
            CallerKind::Role | CallerKind::Session => {
                if let Some(arn) = self.role_arn() {
                    if !ctx.has("aws:PrincipalArn") {
                        if self.path_known {
                            ctx.insert("aws:PrincipalArn", &arn);
                        } else {
                            ctx.insert_assumed(
                                "aws:PrincipalArn",
                                &arn,
                                "the role's path is not known from a session ARN; rolecall assumed `/` (give the role ARN, or --principal-path)",
                            );
                        }
                    }
                }
                set(ctx, "aws:PrincipalType", "AssumedRole");
                if let (Some(id), Some(s)) = (&facts.unique_id, &self.session) {
                    set(ctx, "aws:userid", &format!("{id}:{s}"));
                }
            }
            CallerKind::User => {
                set(ctx, "aws:PrincipalArn", &self.given);
                set(ctx, "aws:PrincipalType", "User");
                if let Some(n) = &self.name {
                    set(ctx, "aws:username", n);
                }
                if let Some(id) = &facts.unique_id {
                    set(ctx, "aws:userid", id);
                }
            }
            CallerKind::Root => {
                set(
                    ctx,
                    "aws:PrincipalArn",
                    &format!("arn:{}:iam::{account}:root", self.partition),
                );
                set(ctx, "aws:PrincipalType", "Account");
                set(ctx, "aws:userid", &account);
            }
            CallerKind::FederatedUser => {
                set(ctx, "aws:PrincipalArn", &self.given);
                set(ctx, "aws:PrincipalType", "FederatedUser");
                if let Some(n) = &self.name {
                    set(ctx, "aws:userid", &format!("{account}:{n}"));
                }
            }
            CallerKind::Service => {
                set(ctx, "aws:PrincipalIsAWSService", "true");
                if let Some(n) = &self.name {
                    set(ctx, "aws:PrincipalServiceName", n);
                }
            }
            CallerKind::Anonymous | CallerKind::Unknown => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_principal_arn_is_the_role_arn() {
        let facts = PrincipalFacts {
            path: Some("/app/".into()),
            ..Default::default()
        };
        let c = Caller::parse(
            Some("arn:aws:sts::111122223333:assumed-role/orders/orders-fn"),
            &facts,
        );
        assert_eq!(c.kind, CallerKind::Session);
        assert_eq!(
            c.role_arn().unwrap(),
            "arn:aws:iam::111122223333:role/app/orders"
        );
        let mut ctx = Context::new();
        c.fill_context(&mut ctx, &facts);
        assert_eq!(
            ctx.get("aws:principalarn").unwrap(),
            &vec!["arn:aws:iam::111122223333:role/app/orders".to_string()]
        );
        assert!(ctx.assumption("aws:PrincipalArn").is_none());
        assert_eq!(ctx.get("aws:PrincipalType").unwrap()[0], "AssumedRole");
        assert!(ctx.get("aws:username").is_none());
    }

    #[test]
    fn unknown_path_is_an_assumption() {
        let c = Caller::parse(
            Some("arn:aws:sts::111122223333:assumed-role/orders/s"),
            &PrincipalFacts::default(),
        );
        let mut ctx = Context::new();
        c.fill_context(&mut ctx, &PrincipalFacts::default());
        assert!(ctx.assumption("aws:PrincipalArn").is_some());
    }

    #[test]
    fn role_arn_with_path_and_service_linked() {
        let c = Caller::parse(
            Some("arn:aws:iam::111122223333:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda"),
            &PrincipalFacts::default(),
        );
        assert_eq!(c.kind, CallerKind::Role);
        assert!(c.is_service_linked());
        assert_eq!(c.name.as_deref(), Some("AWSServiceRoleForLambda"));
    }

    #[test]
    fn services_users_root_anonymous() {
        let f = PrincipalFacts::default();
        assert_eq!(
            Caller::parse(Some("lambda.amazonaws.com"), &f).kind,
            CallerKind::Service
        );
        assert_eq!(
            Caller::parse(Some("anonymous"), &f).kind,
            CallerKind::Anonymous
        );
        assert_eq!(
            Caller::parse(Some("111122223333"), &f).kind,
            CallerKind::Root
        );
        let u = Caller::parse(Some("arn:aws:iam::111122223333:user/ops/bob"), &f);
        assert_eq!((u.kind, u.name.as_deref()), (CallerKind::User, Some("bob")));
        let mut ctx = Context::new();
        u.fill_context(&mut ctx, &f);
        assert_eq!(ctx.get("aws:username").unwrap()[0], "bob");
        assert_eq!(Caller::parse(None, &f).kind, CallerKind::Unknown);
    }
}
