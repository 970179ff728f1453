//! Floor 5: the operations oxiam serves. [`table`] declares every one once — its
//! authorization target and its handler side by side — and the handlers live in [`iam`],
//! [`sts`] and [`access_analyzer`], one module per kind of entity.
//!
//! An operation of the models that the table does not list answers `NotImplemented`
//! naming itself, before any authorization (a test lists them); an entry's [`Mode`] says
//! how its handler runs, and for STS it must agree with the model's `authtype`.
//!
//! Handlers are named after their operation in snake case (`CreateUser` →
//! `users::create_user`) and take, by mode:
//! - `Read`, `Write`: `(&Ctx, &mut Tx, &Input)`, on the snapshot or through the write path;
//! - `View`, `Call`: `(&App, &Ctx, &Input)`, doing their own reads and writes;
//! - `Unsigned`: `(&App, &Input, &RequestEnv)`, with no caller.

pub mod access_analyzer;
pub mod iam;
pub mod sts;
pub mod table;

use oxiam_protocol::Input;

use crate::auth::authn::{Caller, CallerKind};
use crate::auth::target::Target;
use crate::model::Tag;
use crate::state::State;

pub use table::{Request, Response};

/// How an operation's handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads the published snapshot only: on the async worker, no writer lock.
    Read,
    /// Writes through the one write path (`App::write`): on the blocking pool.
    Write,
    /// Reads the snapshot and this node's runtime facts not in it (last use, the caller
    /// itself): on the async worker.
    View,
    /// Does slow or outside-the-snapshot work (hashing, issuing sealed tokens, fetching
    /// keys) before it reads or writes: on the blocking pool.
    Call,
    /// Served without a SigV4 signature (the model's `authtype: none`): no caller, no
    /// identity-side authorization; the handler decides with the role's trust policy.
    Unsigned,
}

impl Mode {
    /// Whether the handler may block (store writes, slow hashing, network fetches).
    pub fn blocks(self) -> bool {
        matches!(self, Mode::Write | Mode::Call | Mode::Unsigned)
    }
}

/// A handler's result wrapped as its service's response (see [`oxiam_protocol::Input`]).
fn respond<I: Input>(_input: &I, output: I::Output) -> I::Response {
    I::respond(output)
}

/// Builds the target of an entry from its closure (a function, so the closure's argument
/// types are known before its body is checked).
fn build<I>(input: &I, x: &Resolver<'_>, f: impl FnOnce(&I, &Resolver<'_>) -> Target) -> Target {
    f(input, x)
}

/// An IAM entity a request names: its ARN (the real path when it exists, else `/`), and
/// what conditions can see of it.
#[derive(Debug)]
pub struct Named {
    pub arn: String,
    /// `user NAME`, … (see `Target::display`).
    pub display: Option<String>,
    pub tags: Vec<Tag>,
    pub boundary: Option<String>,
}

impl Named {
    fn bare(arn: String) -> Named {
        Named {
            arn,
            display: None,
            tags: Vec::new(),
            boundary: None,
        }
    }
}

/// Resolves the entities a request names, in the caller's account, into targets of the
/// request's action.
#[derive(Debug)]
pub struct Resolver<'a> {
    pub state: &'a State,
    pub caller: &'a Caller,
    /// `iam:CreateUser`, `sts:AssumeRole`, …
    pub action: String,
}

impl Resolver<'_> {
    pub fn account(&self) -> &str {
        &self.caller.account
    }

    pub fn user(&self, name: &str) -> Named {
        match self.state.user(self.account(), name) {
            Some(u) => Named {
                arn: u.arn(),
                display: Some(format!("user {name}")),
                tags: u.tags.clone(),
                boundary: u.permissions_boundary.clone(),
            },
            None => self.missing("user", name),
        }
    }

    /// Operations on "the user named, or else the caller itself".
    pub fn self_or_user(&self, name: Option<&String>) -> Named {
        match (name, &self.caller.kind) {
            (Some(n), _) => self.user(n),
            (None, CallerKind::User { name }) => self.user(name),
            // The root, or session credentials that are not a user's (their handlers refuse
            // the call: "Must specify userName when calling with non-User credentials").
            (None, _) => Named::bare(self.caller.arn.clone()),
        }
    }

    pub fn group(&self, name: &str) -> Named {
        match self.state.group(self.account(), name) {
            Some(g) => Named {
                display: Some(format!("group {name}")),
                ..Named::bare(g.arn())
            },
            None => self.missing("group", name),
        }
    }

    pub fn role(&self, name: &str) -> Named {
        match self.state.role(self.account(), name) {
            Some(r) => Named {
                arn: r.arn(),
                display: Some(format!("role {name}")),
                tags: r.tags.clone(),
                boundary: r.permissions_boundary.clone(),
            },
            None => self.missing("role", name),
        }
    }

    pub fn instance_profile(&self, name: &str) -> Named {
        match self.state.instance_profile(self.account(), name) {
            Some(p) => Named {
                display: Some(format!("instance profile {name}")),
                tags: p.tags.clone(),
                ..Named::bare(p.arn())
            },
            None => self.missing("instance-profile", name),
        }
    }

    pub fn server_certificate(&self, name: &str) -> Named {
        let display = Some(format!("server certificate {name}"));
        match self
            .state
            .server_certificates
            .get(&State::name_key(self.account(), name))
        {
            Some(c) => Named {
                display,
                tags: c.tags.clone(),
                ..Named::bare(c.arn())
            },
            None => Named {
                display,
                ..Named::bare(self.arn("server-certificate", None, name))
            },
        }
    }

    /// A managed policy by the ARN the request gives (customer policies carry tags).
    pub fn policy(&self, arn: &str) -> Named {
        Named {
            display: Some(format!("policy {arn}")),
            tags: self
                .state
                .policy_by_arn(arn)
                .map(|p| p.tags.clone())
                .unwrap_or_default(),
            ..Named::bare(arn.to_owned())
        }
    }

    /// An entity the request names that does not exist: its ARN at path `/`, named as IAM
    /// names it (`user NAME`; `instance profile NAME`, in words, not the ARN's kind).
    fn missing(&self, kind: &str, name: &str) -> Named {
        let shown = if kind == "instance-profile" {
            "instance profile"
        } else {
            kind
        };
        Named {
            display: Some(format!("{shown} {name}")),
            ..Named::bare(self.arn(kind, None, name))
        }
    }

    /// The ARN of an entity a request creates (or names without it existing).
    pub fn arn(&self, kind: &str, path: Option<&String>, name: &str) -> String {
        format!(
            "arn:aws:iam::{}:{kind}{}{name}",
            self.account(),
            path.map_or("/", String::as_str)
        )
    }

    /// On an existing entity: its ARN and `aws:ResourceTag/…`.
    pub fn on(&self, e: &Named) -> Target {
        let mut t = Target::new(self.action.clone(), e.arn.clone()).resource_tags(&e.tags);
        t.display.clone_from(&e.display);
        t
    }

    /// On an existing user or role whose boundary conditions may test (`iam:PermissionsBoundary`
    /// is the entity's current boundary: AWS's rule for Put*/Attach*/Detach*/Delete* policies).
    pub fn on_bounded(&self, e: &Named) -> Target {
        self.on(e).boundary(e.boundary.as_deref())
    }

    /// Attaching or detaching a managed policy: the entity, `iam:PolicyARN` and its boundary.
    pub fn attachment(&self, e: &Named, policy_arn: &str) -> Target {
        self.on_bounded(e).with("iam:PolicyARN", policy_arn)
    }

    /// Creating an entity of `kind` at `path` named `name`.
    pub fn create(&self, kind: &str, path: Option<&String>, name: &str) -> Target {
        Target::new(self.action.clone(), self.arn(kind, path, name))
    }

    /// Renaming or moving an existing entity of `kind` (UpdateUser, UpdateGroup,
    /// UpdateServerCertificate): the request needs its action allowed on the entity's new
    /// ARN too (the new path or the old one, the new name or the old one). `None` when the
    /// request changes neither.
    pub fn renamed(
        &self,
        kind: &str,
        old: &Named,
        new_path: Option<&String>,
        new_name: Option<&String>,
    ) -> Option<Target> {
        if new_path.is_none() && new_name.is_none() {
            return None;
        }
        // `…:user/eng/alice` → (`/eng/`, `alice`): the entity's real path and stored name.
        let (old_path, old_name) = old
            .arn
            .split_once(&format!(":{kind}"))
            .and_then(|(_, rest)| rest.rsplit_once('/'))
            .map(|(p, n)| (format!("{p}/"), n.to_owned()))?;
        let new_arn = self.arn(
            kind,
            Some(new_path.unwrap_or(&old_path)),
            new_name.unwrap_or(&old_name),
        );
        Some(Target::new(self.action.clone(), new_arn))
    }

    /// The resource of List* operations: the kind's ARN prefix with the path prefix.
    pub fn list(&self, kind: &str, path_prefix: Option<&String>) -> Target {
        self.create(kind, path_prefix, "")
    }

    /// On a resource named by ARN, with the tags it has when it exists.
    pub fn arn_of(&self, arn: &str, tags: Option<&[Tag]>) -> Target {
        Target::new(self.action.clone(), arn).resource_tags(tags.unwrap_or_default())
    }

    /// Account-level operations: AWS has no resource-level permissions for them.
    pub fn any(&self) -> Target {
        Target::new(self.action.clone(), "*")
    }

    /// An action that needs no permission, or that its handler decides.
    pub fn always(&self, resource: &str) -> Target {
        Target::always(self.action.clone(), resource)
    }
}
