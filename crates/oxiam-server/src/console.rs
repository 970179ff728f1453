//! The web console (issue 7): server-rendered HTML pages under `/console/…` that manage IAM
//! through the very operations the API serves.
//!
//! Map of the module:
//! - [`session`]: the console session, a sealed cookie (any node opens it), its CSRF token
//!   and the [`Caller`] it stands for.
//! - [`html`]: the one escaping helper, the page layout, the embedded CSS and JS.
//! - [`signin`]: sign-in (IAM users and the root), sign-out, changing a password.
//! - [`users`]: the users list, detail, add-user wizard, access keys, MFA.
//! - [`entities`]: groups, roles and policies (with the policy JSON validator endpoint).
//! - [`home`]: the dashboard and "My security credentials" (the root's MFA device too).
//! - [`extras`]: tags and permissions boundaries of users and roles, users' inline policies.
//! - [`account`]: account settings: the password policy and the credential report.
//!
//! Every action is one or more IAM API calls made by [`Console::call`]: the same decoding
//! (`iam::Request::decode`) and then `front::pipeline::call_as`, the same authorize →
//! dispatch → audit steps as a signed API request, with the same request facts (source IP,
//! TLS, region), as the signed-in principal. A user without `iam:CreateUser` gets AWS's
//! AccessDenied message on the page.
//!
//! Requests are served on the blocking pool (argon2 and writes block), routed by hand over
//! the path's segments so that the fixed page names win over `/console/<account>`.

/// Calls an operation and takes its typed response: `call_as!(c, ListUsers, &[…])`.
macro_rules! call_as {
    ($c:expr, $variant:ident, $pairs:expr) => {
        match $c.call(&$pairs) {
            Ok(oxiam_protocol::iam::Response::$variant(r)) => Ok(r),
            Ok(_) => Err($crate::console::unexpected()),
            Err(e) => Err(e),
        }
    };
}

pub mod account;
pub mod entities;
pub mod extras;
pub mod home;
pub mod html;
pub mod session;
pub mod signin;
pub mod users;

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use oxiam_protocol::error::ApiError;
use oxiam_protocol::query::Params;
use oxiam_protocol::{Service, iam};
use subtle::ConstantTimeEq as _;

use crate::app::App;
use crate::auth::authn::Caller;
use crate::auth::decide::RequestEnv;
use crate::front::pipeline::call_as;
use crate::model::access::Via;
use crate::model::error::ServerError;
use crate::ops::Request;
use extras::Kind;
use session::ConsoleSession;

/// A console request, owned so it can cross into the blocking pool.
#[derive(Debug)]
pub struct ConsoleRequest {
    pub method: Method,
    /// The path after `/console`, split at `/` and percent-decoded.
    pub segments: Vec<String>,
    pub query: Params,
    /// The urlencoded form of a POST.
    pub form: Params,
    pub headers: HeaderMap,
    pub peer: Option<IpAddr>,
    /// The connection to oxiam itself is TLS (`--tls-cert`).
    pub tls: bool,
}

impl ConsoleRequest {
    /// A query parameter, or "".
    pub fn q(&self, name: &str) -> &str {
        self.query.get(name).unwrap_or_default()
    }

    /// A form field, or "".
    pub fn f(&self, name: &str) -> &str {
        self.form.get(name).unwrap_or_default()
    }

    /// Every value of a repeated form field (checkboxes, multi-selects).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.form
            .iter()
            .filter(|(k, v)| *k == name && !v.is_empty())
            .map(|(_, v)| v.to_owned())
            .collect()
    }

    /// Whether the page was requested over TLS (directly or through a proxy that says so):
    /// the session cookie is then `Secure`.
    pub fn secure(&self) -> bool {
        self.tls
            || self
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"))
    }

    /// The Origin check of every POST: a browser sends `Origin` on cross-site POSTs, and a
    /// foreign one is refused. (SameSite=Strict already keeps the cookie off them.)
    pub fn same_origin(&self) -> bool {
        let Some(origin) = self
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        else {
            return true;
        };
        let host = self
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        origin
            .split_once("://")
            .is_some_and(|(_, h)| !host.is_empty() && h == host)
    }
}

/// What a page handler answers.
#[derive(Debug)]
pub enum Reply {
    Html(StatusCode, String),
    Redirect(String),
    /// A redirect that also sets (or, empty, clears) the session cookie.
    RedirectWithCookie(String, String),
    Json(StatusCode, String),
    Static(&'static str, &'static str),
    /// A file to save: name, content type, bytes.
    Download(&'static str, &'static str, Vec<u8>),
}

impl Reply {
    pub fn ok(html: String) -> Reply {
        Reply::Html(StatusCode::OK, html)
    }
}

/// A signed-in request: the app, the session and the caller it acts as.
#[derive(Debug)]
pub struct Console {
    pub app: Arc<App>,
    pub session: ConsoleSession,
    pub caller: Caller,
    pub peer: Option<IpAddr>,
    /// The page was requested over TLS (`aws:SecureTransport` of its calls).
    pub tls: bool,
}

impl Console {
    /// Calls an IAM operation as the signed-in principal, through the API's own
    /// authorize → dispatch → audit steps (`front::pipeline::call_as`).
    pub fn call(&self, pairs: &[(&str, &str)]) -> Result<iam::Response, ApiError> {
        let params: Params = std::iter::once(("Version", Service::Iam.version()))
            .chain(pairs.iter().copied())
            .collect();
        self.call_params(&params)
            .map_err(|e| e.to_api(Service::Iam))
    }

    fn call_params(&self, params: &Params) -> Result<iam::Response, ServerError> {
        let request = Request::Iam(iam::Request::decode(params)?);
        let env = RequestEnv {
            source_ip: self.peer,
            // The console calls IAM's one (global) endpoint, as AWS's console does.
            region: Some(self.caller.region.clone()).filter(|r| !r.is_empty()),
            secure_transport: self.tls,
            console: true,
            ..RequestEnv::now()
        };
        match call_as(&self.app, &self.caller, &request, &env, Via::Console)? {
            crate::ops::Response::Iam(r) => Ok(r),
            crate::ops::Response::Sts(_) | crate::ops::Response::AccessAnalyzer(_) => Err(
                ServerError::Internal("an IAM call answered as another service".into()),
            ),
        }
    }

    /// The signed-in principal's name as the top bar shows it.
    pub fn who(&self) -> String {
        match &self.caller.kind {
            crate::auth::authn::CallerKind::User { name } => name.clone(),
            _ => "root".to_owned(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.session.user_id.is_none()
    }

    /// The CSRF token forms carry.
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }
}

/// An operation that answered with another operation's response (a bug, never input).
pub fn unexpected() -> ApiError {
    ServerError::Internal("unexpected response type".into()).to_api(Service::Iam)
}

/// Only the error of a call whose result the page does not need.
pub fn done(r: Result<iam::Response, ApiError>) -> Result<(), ApiError> {
    r.map(|_| ())
}

/// The attached policies of a list response.
pub fn attached(list: Option<Vec<iam::AttachedPolicy>>) -> Vec<iam::AttachedPolicy> {
    list.unwrap_or_default()
}

/// A policy named in a form: an ARN as is; a name is the account's customer managed
/// policy of that name if there is one, else the AWS managed one.
pub fn policy_arn(c: &Console, name: &str) -> String {
    let name = name.trim();
    if name.starts_with("arn:") {
        return name.to_owned();
    }
    let state = c.app.snapshot();
    if let Some(p) = state
        .policies
        .values()
        .find(|p| p.account == c.caller.account && p.name == name)
    {
        return p.arn();
    }
    crate::model::aws_managed::catalogue()
        .policies
        .iter()
        .find(|p| p.name == name)
        .map_or_else(
            || format!("arn:aws:iam::aws:policy/{name}"),
            |p| p.arn.clone(),
        )
}

/// The axum handler of every `/console` path.
pub async fn handle(
    app: Arc<App>,
    peer: Option<IpAddr>,
    tls: bool,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rest = uri.path().strip_prefix("/console").unwrap_or_default();
    let segments = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let query = Params::parse(uri.query().unwrap_or_default().as_bytes()).unwrap_or_default();
    let form = if method == Method::POST {
        Params::parse(&body).unwrap_or_default()
    } else {
        Params::default()
    };
    let request = ConsoleRequest {
        method,
        segments,
        query,
        form,
        headers,
        peer,
        tls,
    };
    let secure = request.secure();
    let reply = tokio::task::spawn_blocking(move || route(&app, &request)).await;
    match reply {
        Ok(reply) => into_response(reply, secure),
        Err(e) => {
            tracing::error!(error = %e, "console task failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn route(app: &Arc<App>, r: &ConsoleRequest) -> Reply {
    let segs: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    let get = r.method == Method::GET || r.method == Method::HEAD;
    let post = r.method == Method::POST;
    if post && !r.same_origin() {
        return html::forbidden("The request came from another site.");
    }
    // Pages that need no session.
    match (segs.as_slice(), get, post) {
        (["static", "style.css"], true, _) => return Reply::Static(html::CSS, "text/css"),
        (["static", "console.js"], true, _) => {
            return Reply::Static(html::JS, "text/javascript");
        }
        ([], true, _) => {
            return match session::from_request(app, r) {
                Some(_) => Reply::Redirect("/console/home".into()),
                None => Reply::Redirect(format!("/console/{}", app.default_account)),
            };
        }
        (["signout"], _, true) => return signin::sign_out(app, r),
        _ => {}
    }
    let Some((session, caller)) =
        session::from_request(app, r).and_then(|s| session::caller(app, &s).map(|c| (s, c)))
    else {
        return match segs.as_slice() {
            [account] if !is_page(account) && get => signin::page(account, None, r),
            [account] if !is_page(account) && post => signin::submit(app, account, r),
            _ => Reply::Redirect(format!("/console/{}", app.default_account)),
        };
    };
    let c = Console {
        app: Arc::clone(app),
        session,
        caller,
        peer: r.peer,
        // The connection's own TLS only: a client-sent X-Forwarded-Proto proves nothing.
        tls: r.tls,
    };
    if post && !bool::from(r.f("_csrf").as_bytes().ct_eq(c.csrf().as_bytes())) {
        return html::forbidden("The form is missing its security token. Reload the page.");
    }
    // A password that must change first: nothing else until it has.
    if c.session.must_change_password && !matches!(segs.as_slice(), ["change-password"]) {
        return Reply::Redirect("/console/change-password".into());
    }
    match (segs.as_slice(), get, post) {
        ([account], true, _) if !is_page(account) => Reply::Redirect("/console/home".into()),
        (["home"], true, _) => home::dashboard(&c, r),
        (["account-alias"], _, true) => home::set_alias(&c, r),
        (["security-credentials"], true, _) => home::my_credentials(&c, r),
        (["security-credentials", "mfa"], _, true) => home::root_mfa_start(&c),
        (["security-credentials", "mfa", "enable"], _, true) => home::root_mfa_enable(&c, r),
        (["security-credentials", "mfa", "remove"], _, true) => home::root_mfa_remove(&c),
        (["change-password"], true, _) => signin::change_password_page(&c, None),
        (["change-password"], _, true) => signin::change_password(&c, r),
        (["account-settings"], true, _) => account::settings(&c, r),
        (["account-settings", "password-policy"], _, true) => account::save_policy(&c, r),
        (["account-settings", "password-policy", "delete"], _, true) => account::delete_policy(&c),
        (["account-settings", "enforcement"], _, true) => account::save_enforcement(&c, r),
        (["credential-report"], _, true) => account::generate_report(&c),
        (["credential-report.csv"], true, _) => account::download_report(&c),
        (["users"], true, _) => users::list(&c, r),
        (["create-user"], true, _) => users::wizard(&c, r, None),
        (["create-user"], _, true) => users::create(&c, r),
        (["users", name], true, _) => users::detail(&c, name, r),
        (["users", name, "delete"], _, true) => users::delete(&c, name),
        (["users", name, "tags"], _, true) => extras::add_tag(&c, Kind::User, name, r),
        (["users", name, "tags", "remove"], _, true) => extras::remove_tag(&c, Kind::User, name, r),
        (["users", name, "boundary"], _, true) => extras::set_boundary(&c, Kind::User, name, r),
        (["users", name, "boundary", "remove"], _, true) => {
            extras::remove_boundary(&c, Kind::User, name)
        }
        (["users", name, "inline-policy"], true, _) => extras::inline_editor(&c, name, r, None),
        (["users", name, "inline-policy"], _, true) => extras::save_inline(&c, name, r),
        (["users", name, "inline-policy", "delete"], _, true) => extras::delete_inline(&c, name, r),
        (["roles", name, "tags"], _, true) => extras::add_tag(&c, Kind::Role, name, r),
        (["roles", name, "tags", "remove"], _, true) => extras::remove_tag(&c, Kind::Role, name, r),
        (["roles", name, "boundary"], _, true) => extras::set_boundary(&c, Kind::Role, name, r),
        (["roles", name, "boundary", "remove"], _, true) => {
            extras::remove_boundary(&c, Kind::Role, name)
        }
        (["users", name, "access-keys"], _, true) => users::create_key(&c, name),
        (["users", name, "access-keys", id], _, true) => users::update_key(&c, name, id, r),
        (["users", name, "mfa"], _, true) => users::mfa_start(&c, name),
        (["users", name, "mfa", "enable"], _, true) => users::mfa_enable(&c, name, r),
        (["users", name, "mfa", "remove"], _, true) => users::mfa_remove(&c, name, r),
        (["users", name, "console-access"], _, true) => users::console_access(&c, name, r),
        (["users", name, "groups"], _, true) => users::add_to_group(&c, name, r),
        (["users", name, "policies"], _, true) => users::attach_policy(&c, name, r),
        (["users", name, "policies", "detach"], _, true) => users::detach_policy(&c, name, r),
        (["users", name, "groups", "remove"], _, true) => users::remove_from_group(&c, name, r),
        (["groups"], true, _) => entities::groups(&c, r, None),
        (["groups"], _, true) => entities::create_group(&c, r),
        (["groups", name], true, _) => entities::group(&c, name, r),
        (["groups", name, "users"], _, true) => entities::group_add_user(&c, name, r),
        (["groups", name, "policies"], _, true) => entities::group_attach(&c, name, r),
        (["groups", name, "policies", "detach"], _, true) => entities::group_detach(&c, name, r),
        (["groups", name, "users", "remove"], _, true) => entities::group_remove_user(&c, name, r),
        (["groups", name, "delete"], _, true) => entities::delete_group(&c, name),
        (["roles"], true, _) => entities::roles(&c, r),
        (["create-role"], true, _) => entities::role_wizard(&c, r, None),
        (["create-role"], _, true) => entities::create_role(&c, r),
        (["roles", name], true, _) => entities::role(&c, name, r),
        (["roles", name, "policies"], _, true) => entities::role_attach(&c, name, r),
        (["roles", name, "policies", "detach"], _, true) => entities::role_detach(&c, name, r),
        (["roles", name, "delete"], _, true) => entities::delete_role(&c, name),
        (["policies"], true, _) => entities::policies(&c, r),
        (["policy"], true, _) => entities::policy(&c, r),
        (["create-policy"], true, _) => entities::policy_editor(&c, r, None),
        (["create-policy"], _, true) => entities::create_policy(&c, r),
        (["edit-policy"], true, _) => entities::policy_edit(&c, r, None),
        (["edit-policy"], _, true) => entities::create_policy_version(&c, r),
        (["validate-policy"], _, true) => entities::validate(r),
        _ => html::not_found(&c),
    }
}

/// The first path segments that are console pages, not an account to sign in to.
fn is_page(segment: &str) -> bool {
    matches!(
        segment,
        "home"
            | "users"
            | "groups"
            | "roles"
            | "policies"
            | "policy"
            | "create-user"
            | "create-role"
            | "create-policy"
            | "edit-policy"
            | "validate-policy"
            | "security-credentials"
            | "change-password"
            | "account-alias"
            | "account-settings"
            | "credential-report"
            | "credential-report.csv"
            | "signout"
            | "static"
    )
}

fn into_response(reply: Reply, secure: bool) -> Response {
    let mut resp = match reply {
        Reply::Html(status, body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        Reply::Json(status, body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Reply::Static(body, kind) => {
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            return r;
        }
        Reply::Download(name, kind, body) => {
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Reply::Redirect(to) => redirect(&to),
        Reply::RedirectWithCookie(to, value) => {
            let mut r = redirect(&to);
            if let Ok(v) = HeaderValue::from_str(&session::cookie(&value, secure)) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
    };
    let h = resp.headers_mut();
    // Pages carry one-time secrets and CSRF tokens: never cached, never framed.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    resp
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}
