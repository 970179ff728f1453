//! Entities as unit tests start from: in account [`ACCOUNT`], at path `/`, created at epoch
//! 0, with no tags, policies or members. A test sets what it is about with `..` from these.

use super::{Group, ManagedPolicy, PolicyVersion, Role, User};

/// The account the fixtures live in.
pub const ACCOUNT: &str = "123456789012";

pub fn user(name: &str, id: &str) -> User {
    User {
        account: ACCOUNT.into(),
        id: id.into(),
        name: name.into(),
        path: "/".into(),
        created: 0,
        tags: Vec::new(),
        permissions_boundary: None,
        password_last_used: None,
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
    }
}

/// A group with the ID `AGPA<name>`.
pub fn group(name: &str) -> Group {
    Group {
        account: ACCOUNT.into(),
        id: format!("AGPA{name}"),
        name: name.into(),
        path: "/".into(),
        created: 0,
        members: Vec::new(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
    }
}

/// A role that trusts no one (an empty trust policy), for AWS's default hour.
pub fn role(name: &str, id: &str) -> Role {
    Role {
        account: ACCOUNT.into(),
        id: id.into(),
        name: name.into(),
        path: "/".into(),
        created: 0,
        assume_role_policy: String::new(),
        description: None,
        max_session_duration: 3600,
        permissions_boundary: None,
        tags: Vec::new(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        last_used: None,
        source_role_template: None,
    }
}

/// A customer managed policy with the ID `ANPA<name>` and one version, `v1`, of `document`.
pub fn managed(name: &str, document: &str) -> ManagedPolicy {
    ManagedPolicy {
        account: ACCOUNT.into(),
        id: format!("ANPA{name}"),
        name: name.into(),
        path: "/".into(),
        created: 0,
        updated: 0,
        description: None,
        default_version: "v1".into(),
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document: document.into(),
            created: 0,
        }],
        next_version: 2,
        tags: Vec::new(),
    }
}
