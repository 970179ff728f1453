//! What STS keeps per node outside the snapshot: the clock sessions are issued and expire
//! by (movable in dev mode, so expiry tests need not sleep), and the sessions opened
//! recently, so a session's requests after its first skip the AEAD open and the
//! compilation of its session and scope-down policies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use oxiam_policy::{ParseOptions, Policy, PolicyKind};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use crate::model::session::Session;
use crate::state::State;
use crate::state::token_keys::{self, TokenError};

/// Opened sessions kept per node; past this the cache starts over (a miss costs one open).
const OPENED_CAPACITY: usize = 16_384;

/// A session token that opened, with what requests need from it prepared once.
#[derive(Debug)]
pub struct OpenedSession {
    /// The token as presented: a later request reuses this entry only with the same bytes.
    token: String,
    pub session: Session,
    /// The inline session policy compiled; `Err(())` when it no longer compiles (the
    /// session then fails closed).
    pub policy: Result<Option<Arc<Policy>>, ()>,
    /// The scope-down policies compiled, oldest first; `Err(())` when one no longer
    /// compiles (fail closed, as for `policy`).
    pub scope_down: Result<Vec<Arc<Policy>>, ()>,
}

/// A session policy document the session carries, compiled. Validated (with its size
/// quota) when the session was issued.
fn compile(document: &str) -> Result<Arc<Policy>, ()> {
    let options = ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    Policy::parse_with(document, PolicyKind::Session, &options)
        .map(Arc::new)
        .map_err(|_| ())
}

impl PartialEq for OpenedSession {
    fn eq(&self, other: &Self) -> bool {
        self.token.as_bytes().ct_eq(other.token.as_bytes()).into()
    }
}

impl Eq for OpenedSession {}

impl OpenedSession {
    pub fn new(token: &str, session: Session) -> OpenedSession {
        let policy = session.policy.as_deref().map(compile).transpose();
        let scope_down = session.scope_down.iter().map(|d| compile(d)).collect();
        OpenedSession {
            token: token.to_owned(),
            session,
            policy,
            scope_down,
        }
    }
}

/// STS state of one node.
#[derive(Debug, Default)]
pub struct Runtime {
    /// Seconds added to the system clock (dev mode's `POST /_oxiam/clock`).
    clock_offset: AtomicI64,
    /// Opened sessions by access key ID.
    opened: RwLock<HashMap<String, Arc<OpenedSession>>>,
    /// OIDC issuers' signing keys (`AssumeRoleWithWebIdentity`).
    pub oidc_keys: super::oidc::KeyCache,
}

impl Runtime {
    /// The time sessions are issued and expire by.
    pub fn now(&self) -> OffsetDateTime {
        let offset = self.clock_offset.load(Ordering::Relaxed);
        OffsetDateTime::now_utc()
            .checked_add(time::Duration::seconds(offset))
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    /// Forgets opened sessions (after a reset, whose token keys are gone).
    pub fn clear(&self) {
        if let Ok(mut m) = self.opened.write() {
            m.clear();
        }
        self.oidc_keys.clear();
    }

    /// Opens `token` (from the cache when this node opened the same bytes before).
    pub fn open(
        &self,
        state: &State,
        access_key_id: &str,
        token: &str,
    ) -> Result<Arc<OpenedSession>, TokenError> {
        if let Ok(m) = self.opened.read()
            && let Some(o) = m.get(access_key_id)
            && bool::from(o.token.as_bytes().ct_eq(token.as_bytes()))
        {
            return Ok(Arc::clone(o));
        }
        let session = token_keys::open(state, token)?;
        let opened = Arc::new(OpenedSession::new(token, session));
        // Only a session that names this key ID is cached under it; the caller refuses
        // the others.
        if opened.session.access_key_id == access_key_id
            && let Ok(mut m) = self.opened.write()
        {
            if m.len() >= OPENED_CAPACITY {
                m.clear();
            }
            m.insert(access_key_id.to_owned(), Arc::clone(&opened));
        }
        Ok(opened)
    }
}
