//! What users and roles share on their detail pages: tags (add, remove) and the permissions
//! boundary (set, remove); and users' inline policies (create, edit, delete in the JSON
//! editor that validates as you type with the API's validator). Each action is the IAM
//! operation itself (`TagUser`, `PutRolePermissionsBoundary`, `PutUserPolicy`, …).

use std::fmt::Write as _;

use oxiam_protocol::error::ApiError;
use oxiam_protocol::iam;

use super::html::{self, csrf, error_box, esc, page, table, url};
use super::{Console, ConsoleRequest, Reply, done, policy_arn};

/// A user or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Role,
}

impl Kind {
    fn param(self) -> &'static str {
        match self {
            Kind::User => "UserName",
            Kind::Role => "RoleName",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Role => "roles",
        }
    }
    fn active(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Role => "Roles",
        }
    }
    fn op(self, user: &'static str, role: &'static str) -> &'static str {
        match self {
            Kind::User => user,
            Kind::Role => role,
        }
    }
    fn detail(self, name: &str) -> String {
        format!("/console/{}/{}", self.path(), url(name))
    }
}

/// The tags card: each tag with a remove button, and the add form.
pub fn tags_section(c: &Console, kind: Kind, name: &str, tags: &[iam::Tag]) -> String {
    let base = kind.detail(name);
    let rows: Vec<Vec<String>> = tags
        .iter()
        .map(|t| {
            vec![
                esc(&t.key),
                esc(&t.value),
                html::button(
                    c,
                    &format!("{base}/tags/remove"),
                    &[("key", &t.key)],
                    "Remove",
                    &format!("Remove tag {}", t.key),
                ),
            ]
        })
        .collect();
    format!(
        "<section class=\"card\"><h2>Tags</h2>{}\
         <form method=\"post\" action=\"{base}/tags\" class=\"row\">{}\
         <label for=\"tag-key\">Key</label><input id=\"tag-key\" name=\"key\" required maxlength=\"128\">\
         <label for=\"tag-value\">Value</label><input id=\"tag-value\" name=\"value\" maxlength=\"256\">\
         <button type=\"submit\">Add tag</button></form></section>",
        table("Tags", &["Key", "Value", "Actions"], &rows, "No tags."),
        csrf(c),
    )
}

/// The permissions boundary card: the current one with a remove button, and the set form.
pub fn boundary_section(
    c: &Console,
    kind: Kind,
    name: &str,
    boundary: Option<&iam::AttachedPermissionsBoundary>,
) -> String {
    let base = kind.detail(name);
    let mut out = String::from("<section class=\"card\"><h2>Permissions boundary</h2>");
    match boundary.and_then(|b| b.permissions_boundary_arn.as_deref()) {
        Some(arn) => {
            let _ = write!(
                out,
                "<p id=\"boundary\">Set: <a href=\"/console/policy?arn={}\"><code>{}</code></a></p>{}",
                url(arn),
                esc(arn),
                html::button(
                    c,
                    &format!("{base}/boundary/remove"),
                    &[],
                    "Remove boundary",
                    "Remove the permissions boundary",
                )
            );
        }
        None => out.push_str(
            "<p id=\"boundary\">Not set: the identity policies alone decide what is allowed.</p>",
        ),
    }
    let _ = write!(
        out,
        "<form method=\"post\" action=\"{base}/boundary\" class=\"row\">{}\
         <label for=\"boundary-policy\">Set boundary (managed policy name or ARN)</label>\
         <input id=\"boundary-policy\" name=\"policy\" required>\
         <button type=\"submit\">Set boundary</button></form></section>",
        csrf(c)
    );
    out
}

/// Runs `pairs` and goes back to the detail page, or shows AWS's error.
fn act(c: &Console, kind: Kind, name: &str, pairs: &[(&str, &str)], ok: &str) -> Reply {
    match done(c.call(pairs)) {
        Ok(()) => Reply::Redirect(format!("{}?notice={ok}", kind.detail(name))),
        Err(e) => html::failed(c, kind.active(), name, &e, &kind.detail(name)),
    }
}

pub fn add_tag(c: &Console, kind: Kind, name: &str, r: &ConsoleRequest) -> Reply {
    act(
        c,
        kind,
        name,
        &[
            ("Action", kind.op("TagUser", "TagRole")),
            (kind.param(), name),
            ("Tags.member.1.Key", r.f("key")),
            ("Tags.member.1.Value", r.f("value")),
        ],
        "Tag+added",
    )
}

pub fn remove_tag(c: &Console, kind: Kind, name: &str, r: &ConsoleRequest) -> Reply {
    act(
        c,
        kind,
        name,
        &[
            ("Action", kind.op("UntagUser", "UntagRole")),
            (kind.param(), name),
            ("TagKeys.member.1", r.f("key")),
        ],
        "Tag+removed",
    )
}

pub fn set_boundary(c: &Console, kind: Kind, name: &str, r: &ConsoleRequest) -> Reply {
    let arn = policy_arn(c, r.f("policy"));
    act(
        c,
        kind,
        name,
        &[
            (
                "Action",
                kind.op("PutUserPermissionsBoundary", "PutRolePermissionsBoundary"),
            ),
            (kind.param(), name),
            ("PermissionsBoundary", &arn),
        ],
        "Permissions+boundary+set",
    )
}

pub fn remove_boundary(c: &Console, kind: Kind, name: &str) -> Reply {
    act(
        c,
        kind,
        name,
        &[
            (
                "Action",
                kind.op(
                    "DeleteUserPermissionsBoundary",
                    "DeleteRolePermissionsBoundary",
                ),
            ),
            (kind.param(), name),
        ],
        "Permissions+boundary+removed",
    )
}

// ---- Users' inline policies ------------------------------------------------------------

const INLINE_TEMPLATE: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";

/// The inline policies of a user: each with edit and delete, and the create link.
pub fn inline_section(c: &Console, user: &str, names: &[String]) -> String {
    let base = Kind::User.detail(user);
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|n| {
            vec![
                format!(
                    "<a href=\"{base}/inline-policy?policy={}\">{}</a>",
                    url(n),
                    esc(n)
                ),
                html::button(
                    c,
                    &format!("{base}/inline-policy/delete"),
                    &[("policy", n)],
                    "Delete",
                    &format!("Delete inline policy {n}"),
                ),
            ]
        })
        .collect();
    format!(
        "<section class=\"card\"><h2>Inline policies</h2>{}\
         <p><a class=\"button\" href=\"{base}/inline-policy\">Create inline policy</a></p></section>",
        table(
            "Inline policies",
            &["Policy name", "Actions"],
            &rows,
            "No inline policies."
        ),
    )
}

/// The editor of a user's inline policy: `?policy=NAME` edits it, none creates one.
pub fn inline_editor(
    c: &Console,
    user: &str,
    r: &ConsoleRequest,
    error: Option<&ApiError>,
) -> Reply {
    let editing = if error.is_some() {
        r.f("existing")
    } else {
        r.q("policy")
    };
    let (name, doc) = if let Some(_e) = error {
        (r.f("name").to_owned(), r.f("document").to_owned())
    } else if editing.is_empty() {
        (String::new(), INLINE_TEMPLATE.to_owned())
    } else {
        match call_as!(
            c,
            GetUserPolicy,
            [
                ("Action", "GetUserPolicy"),
                ("UserName", user),
                ("PolicyName", editing)
            ]
        ) {
            Ok(p) => (
                p.policy_name,
                percent_encoding::percent_decode_str(&p.policy_document)
                    .decode_utf8_lossy()
                    .into_owned(),
            ),
            Err(e) => {
                return html::failed(c, "Users", user, &e, &Kind::User.detail(user));
            }
        }
    };
    let name_field = if editing.is_empty() {
        format!(
            "<label for=\"name\">Policy name</label>\
             <input id=\"name\" name=\"name\" required maxlength=\"128\" value=\"{}\">",
            esc(&name)
        )
    } else {
        format!(
            "<input type=\"hidden\" name=\"name\" value=\"{0}\">\
             <input type=\"hidden\" name=\"existing\" value=\"{0}\">\
             <p>Policy name: <strong>{0}</strong></p>",
            esc(&name)
        )
    };
    let body = format!(
        "{err}<form method=\"post\" action=\"{base}/inline-policy\" class=\"wizard\" id=\"policy-form\">{csrf}\
         <fieldset class=\"card\"><legend>Policy document</legend>\
         <label for=\"document\">Policy editor (JSON)</label>\
         <textarea id=\"document\" name=\"document\" rows=\"16\" class=\"code\" spellcheck=\"false\" \
          data-validate=\"/console/validate-policy\" aria-describedby=\"validation\">{doc}</textarea>\
         <div id=\"validation\" class=\"validation\" role=\"status\" aria-live=\"polite\"></div>{name_field}</fieldset>\
         <div class=\"actions\"><a class=\"button\" href=\"{base}\">Cancel</a>\
         <button type=\"submit\" class=\"primary\">Save inline policy</button></div></form>",
        err = error.map(error_box).unwrap_or_default(),
        base = Kind::User.detail(user),
        csrf = csrf(c),
        doc = esc(&doc),
    );
    let status = html::form_status(error);
    let title = if editing.is_empty() {
        "Create inline policy".to_owned()
    } else {
        format!("Edit inline policy {editing}")
    };
    Reply::Html(status, page(c, "Users", &title, &body))
}

/// `PutUserPolicy` from the editor.
pub fn save_inline(c: &Console, user: &str, r: &ConsoleRequest) -> Reply {
    let result = done(c.call(&[
        ("Action", "PutUserPolicy"),
        ("UserName", user),
        ("PolicyName", r.f("name").trim()),
        ("PolicyDocument", r.f("document")),
    ]));
    match result {
        Ok(()) => Reply::Redirect(format!(
            "{}?notice=Inline+policy+saved",
            Kind::User.detail(user)
        )),
        Err(e) => inline_editor(c, user, r, Some(&e)),
    }
}

pub fn delete_inline(c: &Console, user: &str, r: &ConsoleRequest) -> Reply {
    act(
        c,
        Kind::User,
        user,
        &[
            ("Action", "DeleteUserPolicy"),
            ("UserName", user),
            ("PolicyName", r.f("policy")),
        ],
        "Inline+policy+deleted",
    )
}
