//! The console session: a [`ConsoleSession`] sealed with the STS token keys (AES-256-GCM,
//! bound to its own purpose so it never opens as a session token, nor a token as it) and
//! sent as the `oxiam-console` cookie, so every node opens it without a lookup.
//!
//! The cookie is `HttpOnly`, `SameSite=Strict`, `Path=/console`, lives [`LIFETIME`] (and
//! the sealed expiry is checked, whatever the browser keeps), and is `Secure` when the page
//! came over TLS. The CSRF token is a random value sealed inside the cookie: forms carry it,
//! every POST must present it (compared in constant time), and a page on another site can
//! neither read the cookie nor the token.
//!
//! Revocation: cookies are not recorded anywhere, but each principal has a "sessions valid
//! after" time in the state ([`ConsoleSessionsValidAfter`], a record replicated like any
//! other), moved on sign-out, password change or reset and login-profile deletion. A cookie
//! issued (in milliseconds, sealed inside) at or before it is refused, so a copied cookie
//! stops working on every node once its owner signs out anywhere.

use std::sync::Arc;

use oxiam_sigv4::SecretAccessKey;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

use super::ConsoleRequest;
use crate::app::App;
use crate::auth::authn::Caller;
use crate::model::error::ServerError;
use crate::model::session::{Mfa, Session, SessionPrincipal};
use crate::model::{ConsoleSessionsValidAfter, Epoch, now_millis};
use crate::runtime::sessions::OpenedSession;
use crate::state::token_keys;

pub const COOKIE: &str = "oxiam-console";
const PURPOSE: &[u8] = b"oxiam/console-session";
/// How long a console session lasts (AWS: 12 hours for IAM users).
pub const LIFETIME: Epoch = 12 * 3600;

/// What the cookie carries. Short field names: it travels with every console request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    #[serde(rename = "a")]
    pub account: String,
    /// The signed-in IAM user's unique ID; `None` for the account root.
    #[serde(rename = "u", default)]
    pub user_id: Option<String>,
    /// The MFA device the sign-in checked a code against.
    #[serde(rename = "m", default)]
    pub mfa: Option<Mfa>,
    #[serde(rename = "i")]
    pub issued: Epoch,
    #[serde(rename = "e")]
    pub expires: Epoch,
    /// The CSRF token of this session (hex of 16 random bytes).
    #[serde(rename = "x")]
    pub csrf: String,
    /// The password must be changed before anything else (reset required or expired).
    #[serde(rename = "r", default)]
    pub must_change_password: bool,
    /// When the session was issued, in wall-clock milliseconds (see revocation above).
    #[serde(rename = "t", default)]
    pub issued_ms: i64,
}

impl ConsoleSession {
    pub fn new(account: &str, user_id: Option<String>, mfa: Option<Mfa>, now: Epoch) -> Self {
        let mut csrf = [0u8; 16];
        rand::rng().fill_bytes(&mut csrf);
        ConsoleSession {
            account: account.to_owned(),
            user_id,
            mfa,
            issued: now,
            expires: now + LIFETIME,
            csrf: hex::encode(csrf),
            must_change_password: false,
            issued_ms: now_millis(),
        }
    }

    /// The principal whose revocation time applies: the user's unique ID, or the account
    /// ID for the root (its `aws:userid`).
    pub fn principal(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.account)
    }

    /// Whether the principal's sessions were revoked after this one was issued.
    pub fn revoked(&self, state: &crate::state::State) -> bool {
        state
            .console_revocations
            .get(self.principal())
            .is_some_and(|r| self.issued_ms <= r.after_ms)
    }

    /// Marks the session as issued now, after any revocation already recorded (a session
    /// re-issued right after a password change that revoked the old ones).
    pub fn reissue(&mut self, state: &crate::state::State) {
        let after = state
            .console_revocations
            .get(self.principal())
            .map_or(0, |r| r.after_ms);
        self.issued_ms = now_millis().max(after + 1);
    }

    /// The cookie value.
    pub fn seal(&self, app: &App) -> Result<String, ServerError> {
        let plain = serde_json::to_vec(self)
            .map_err(|e| ServerError::Internal(format!("encoding a console session: {e}")))?;
        app.token_key()?.seal_bytes(PURPOSE, &plain)
    }
}

/// The session of a request's cookie, if it opens and has not expired.
pub fn from_request(app: &App, r: &ConsoleRequest) -> Option<ConsoleSession> {
    let value = r
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))?;
    let plain = token_keys::open_bytes(&app.snapshot(), PURPOSE, value).ok()?;
    let session: ConsoleSession = serde_json::from_slice(&plain).ok()?;
    let live = session.expires > app.sts.now().unix_timestamp();
    (live && !session.revoked(&app.snapshot())).then_some(session)
}

/// Ends every console session of `principal` issued until now (sign-out, the root's
/// password change; the IAM password operations write the same record themselves).
pub fn revoke(app: &App, principal: &str) -> Result<(), ServerError> {
    app.write(|tx| tx.put(ConsoleSessionsValidAfter::now(principal)))
}

/// The `Set-Cookie` value for `value` (empty: the cookie is cleared).
pub fn cookie(value: &str, secure: bool) -> String {
    let max_age = if value.is_empty() { 0 } else { LIFETIME };
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The caller a session acts as: the root, or the IAM user (gone: no caller, the session
/// ends). With MFA the caller carries a `GetSessionToken`-like session holding the MFA
/// facts, so policies see `aws:MultiFactorAuthPresent` true; without, it is the user as
/// with long-term keys, and `Console::call` adds the key as false (AWS's console sessions
/// are temporary credentials, where the key is present).
pub fn caller(app: &App, s: &ConsoleSession) -> Option<Caller> {
    let state = app.snapshot();
    state.accounts.get(&s.account)?;
    let mut caller = match &s.user_id {
        None => Caller::root(&s.account, ""),
        Some(id) => Caller::user(state.user_by_id(id)?, ""),
    };
    if let Some(mfa) = &s.mfa {
        let principal = match &s.user_id {
            None => SessionPrincipal::Root,
            Some(id) => SessionPrincipal::User {
                user_id: id.clone(),
            },
        };
        let session = Session {
            mfa: Some(mfa.clone()),
            // Not an access key ID: nothing can sign with this session.
            ..Session::new(
                &s.account,
                principal,
                "console".into(),
                SecretAccessKey::new(String::new()),
                s.issued,
                s.expires,
            )
        };
        caller.session = Some(Arc::new(OpenedSession::new("", session)));
    }
    Some(caller)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, Method};
    use oxiam_protocol::query::Params;

    fn app() -> Arc<App> {
        crate::app::test_support::app("123456789012", Some("Root-Pa55word!"))
    }

    fn request(cookie: &str) -> ConsoleRequest {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={cookie}")).unwrap(),
        );
        ConsoleRequest {
            method: Method::GET,
            segments: Vec::new(),
            query: Params::default(),
            form: Params::default(),
            headers,
            peer: None,
            tls: false,
        }
    }

    #[test]
    fn a_sealed_session_opens_and_a_tampered_one_does_not() {
        let app = app();
        let s = ConsoleSession::new("123456789012", None, None, app.sts.now().unix_timestamp());
        let sealed = s.seal(&app).unwrap();
        assert_eq!(from_request(&app, &request(&sealed)), Some(s.clone()));
        let mut bytes = sealed.into_bytes();
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(from_request(&app, &request(&tampered)), None);
        assert_eq!(from_request(&app, &request("garbage")), None);
    }

    #[test]
    fn a_session_cookie_is_no_session_token_and_expires() {
        let app = app();
        let now = app.sts.now().unix_timestamp();
        let s = ConsoleSession::new("123456789012", None, None, now);
        let sealed = s.seal(&app).unwrap();
        // Same keys, other purpose: the STS token opener refuses it.
        assert!(token_keys::open(&app.snapshot(), &sealed).is_err());
        let mut old = ConsoleSession::new("123456789012", None, None, now - LIFETIME - 1);
        old.expires = now - 1;
        assert_eq!(from_request(&app, &request(&old.seal(&app).unwrap())), None);
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_the_caller_is_the_root() {
        let app = app();
        let a = ConsoleSession::new("123456789012", None, None, 0);
        let b = ConsoleSession::new("123456789012", None, None, 0);
        assert_ne!(a.csrf, b.csrf);
        assert_eq!(a.csrf.len(), 32);
        let root = caller(&app, &a).unwrap();
        assert_eq!(root.arn, "arn:aws:iam::123456789012:root");
        assert!(root.session.is_none());
        let unknown = ConsoleSession::new("999999999999", None, None, 0);
        assert!(caller(&app, &unknown).is_none());
    }

    #[test]
    fn revocation_refuses_cookies_issued_before_it_and_not_after() {
        let app = app();
        let now = app.sts.now().unix_timestamp();
        let s = ConsoleSession::new("123456789012", None, None, now);
        let sealed = s.seal(&app).unwrap();
        assert!(from_request(&app, &request(&sealed)).is_some());
        // Another principal's sign-out does not touch it.
        revoke(&app, "AIDAOTHERUSER0000000").unwrap();
        assert!(from_request(&app, &request(&sealed)).is_some());
        revoke(&app, s.principal()).unwrap();
        assert_eq!(from_request(&app, &request(&sealed)), None);
        let mut again = s.clone();
        again.reissue(&app.snapshot());
        assert!(from_request(&app, &request(&again.seal(&app).unwrap())).is_some());
        let fresh = ConsoleSession::new("123456789012", None, None, now);
        assert!(fresh.issued_ms > 0);
    }

    #[test]
    fn a_root_session_with_mfa_carries_the_mfa_facts() {
        let app = app();
        let serial = crate::auth::mfa::root_serial("123456789012");
        let mfa = Mfa {
            serial_number: serial.clone(),
            authenticated_at: 1,
        };
        let s = ConsoleSession::new("123456789012", None, Some(mfa), 0);
        let root = caller(&app, &s).unwrap();
        assert_eq!(root.arn, "arn:aws:iam::123456789012:root");
        let session = &root.session.as_ref().unwrap().session;
        assert_eq!(session.principal, SessionPrincipal::Root);
        assert_eq!(
            session.mfa.as_ref().map(|m| m.serial_number.as_str()),
            Some(serial.as_str())
        );
    }

    #[test]
    fn cookie_flags() {
        assert_eq!(
            cookie("v", false),
            "oxiam-console=v; Path=/console; HttpOnly; SameSite=Strict; Max-Age=43200"
        );
        assert!(cookie("v", true).ends_with("; Secure"));
        assert!(cookie("", false).contains("Max-Age=0"));
    }
}
