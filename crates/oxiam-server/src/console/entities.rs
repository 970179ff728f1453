//! Groups, roles and policies: lists, details and creation, plus the JSON endpoint the
//! policy editor validates with as the user types.

use std::fmt::Write as _;

use axum::http::StatusCode;
use oxiam_policy::{ParseOptions, Policy, PolicyKind};
use oxiam_protocol::error::{ApiError, ErrorCode};

use super::html::{self, csrf, error_box, esc, notice, page, table, url};
use super::users::{COMMON_POLICIES, policy_datalist};
use super::{Console, ConsoleRequest, Reply, attached, done, policy_arn};

const MAX: &str = "1000";

fn policy_link(arn: &str, name: &str) -> String {
    format!(
        "<a href=\"/console/policy?arn={}\">{}</a>",
        url(arn),
        esc(name)
    )
}

fn policy_checkboxes() -> String {
    let mut out = String::new();
    for p in COMMON_POLICIES {
        let _ = write!(
            out,
            "<label class=\"check\"><input type=\"checkbox\" name=\"policy\" value=\"{p}\"> {p}</label>"
        );
    }
    out
}

/// The policies a form chose: checkboxes plus the free-text lines, as ARNs.
fn chosen_policies(c: &Console, r: &ConsoleRequest) -> Vec<String> {
    let mut names = r.all("policy");
    names.extend(
        r.f("more_policies")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned),
    );
    names.iter().map(|n| policy_arn(c, n)).collect()
}

// ---- Groups ---------------------------------------------------------------------------

pub fn groups(c: &Console, r: &ConsoleRequest, error: Option<&ApiError>) -> Reply {
    let list = match call_as!(c, ListGroups, [("Action", "ListGroups"), ("MaxItems", MAX)]) {
        Ok(g) => g.groups,
        Err(e) => return html::failed(c, "User groups", "User groups", &e, "/console/home"),
    };
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|g| {
            vec![
                format!(
                    "<a href=\"/console/groups/{}\">{}</a>",
                    url(&g.group_name),
                    esc(&g.group_name)
                ),
                html::date(Some(&g.create_date)),
            ]
        })
        .collect();
    let total = rows.len();
    let (rows, pager) = html::paginate(rows, r.q("page"), "/console/groups", "");
    let body = format!(
        "{}{}{}{pager}<section class=\"card\"><h2>Create group</h2>\
         <form method=\"post\" action=\"/console/groups\">{}\
         <label for=\"group\">User group name</label><input id=\"group\" name=\"group\" required maxlength=\"128\">\
         <h3>Attach permissions policies</h3>{}\
         <label for=\"more\">Other policies (names or ARNs, one per line)</label>\
         <textarea id=\"more\" name=\"more_policies\" rows=\"2\"></textarea>\
         <button type=\"submit\" class=\"primary\">Create group</button></form></section>",
        notice(r.q("notice")),
        error.map(error_box).unwrap_or_default(),
        table(
            &format!("User groups ({total})"),
            &["Group name", "Created"],
            &rows,
            "No groups."
        ),
        csrf(c),
        policy_checkboxes(),
    );
    let status = html::form_status(error);
    Reply::Html(status, page(c, "User groups", "User groups", &body))
}

pub fn create_group(c: &Console, r: &ConsoleRequest) -> Reply {
    let name = r.f("group").trim();
    if let Err(e) = done(c.call(&[("Action", "CreateGroup"), ("GroupName", name)])) {
        return groups(c, r, Some(&e));
    }
    for arn in chosen_policies(c, r) {
        if let Err(e) = done(c.call(&[
            ("Action", "AttachGroupPolicy"),
            ("GroupName", name),
            ("PolicyArn", &arn),
        ])) {
            return html::failed(
                c,
                "User groups",
                name,
                &e,
                &format!("/console/groups/{}", url(name)),
            );
        }
    }
    Reply::Redirect(format!(
        "/console/groups/{}?notice=Group+created",
        url(name)
    ))
}

pub fn group(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let g = match call_as!(c, GetGroup, [("Action", "GetGroup"), ("GroupName", name)]) {
        Ok(g) => g,
        Err(e) => return html::failed(c, "User groups", name, &e, "/console/groups"),
    };
    let policies = call_as!(
        c,
        ListAttachedGroupPolicies,
        [("Action", "ListAttachedGroupPolicies"), ("GroupName", name)]
    )
    .map(|p| attached(p.attached_policies));
    let remove = format!("/console/groups/{}/users/remove", url(name));
    let users: Vec<Vec<String>> = g
        .users
        .iter()
        .map(|u| {
            let user = u.user_name.as_deref().unwrap_or_default();
            let aria = format!("Remove {user}");
            html::member_row(c, "users", user, &remove, "user", &aria)
        })
        .collect();
    let policies_html = match &policies {
        Ok(p) => attached_table(c, &format!("/console/groups/{}", url(name)), p),
        Err(e) => error_box(e),
    };
    let n = url(name);
    let body = format!(
        "{notice}<section class=\"card\"><h2>Summary</h2><dl class=\"summary\"><dt>ARN</dt>\
         <dd><code>{arn}</code></dd><dt>Created</dt><dd>{created}</dd></dl></section>\
         <section class=\"card\"><h2>Users</h2>{users}\
         <form method=\"post\" action=\"/console/groups/{n}/users\" class=\"row\">{csrf}\
         <label for=\"user\">Add user</label><input id=\"user\" name=\"user\" required>\
         <button type=\"submit\">Add user</button></form></section>\
         <section class=\"card\"><h2>Permissions</h2>{policies_html}\
         <form method=\"post\" action=\"/console/groups/{n}/policies\" class=\"row\">{csrf}\
         <label for=\"policy\">Attach policy (name or ARN)</label>\
         <input id=\"policy\" name=\"policy\" list=\"common-policies\" required>{dl}\
         <button type=\"submit\">Attach policy</button></form></section>{delete}",
        delete = delete_card(c, "group", &format!("/console/groups/{n}/delete")),
        notice = notice(r.q("notice")),
        arn = esc(&g.group.arn),
        created = html::date(Some(&g.group.create_date)),
        users = table(
            "Users in this group",
            &["User name", "Actions"],
            &users,
            "No users."
        ),
        csrf = csrf(c),
        dl = policy_datalist(),
    );
    Reply::ok(page(c, "User groups", name, &body))
}

pub fn group_add_user(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "AddUserToGroup"),
        ("GroupName", name),
        ("UserName", r.f("user").trim()),
    ]);
    back_to_group(c, name, result.map(|_| ()), "User added")
}

pub fn group_attach(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let arn = policy_arn(c, r.f("policy"));
    let result = c.call(&[
        ("Action", "AttachGroupPolicy"),
        ("GroupName", name),
        ("PolicyArn", &arn),
    ]);
    back_to_group(c, name, result.map(|_| ()), "Policy attached")
}

/// Attached managed policies with a Detach button each; `base` is the entity's page.
fn attached_table(
    c: &Console,
    base: &str,
    policies: &[oxiam_protocol::iam::AttachedPolicy],
) -> String {
    let rows: Vec<Vec<String>> = policies
        .iter()
        .map(|a| {
            let arn = a.policy_arn.as_deref().unwrap_or_default();
            let name = a.policy_name.as_deref().unwrap_or_default();
            vec![
                policy_link(arn, name),
                html::button(
                    c,
                    &format!("{base}/policies/detach"),
                    &[("arn", arn)],
                    "Detach",
                    &format!("Detach {name}"),
                ),
            ]
        })
        .collect();
    table(
        "Permissions policies",
        &["Policy name", "Actions"],
        &rows,
        "No policies.",
    )
}

fn delete_card(c: &Console, what: &str, action: &str) -> String {
    format!(
        "<section class=\"card danger\"><h2>Delete {what}</h2>\
         <p>AWS refuses to delete a {what} that still has members or attached policies; the error says which.</p>\
         <form method=\"post\" action=\"{}\">{}<button type=\"submit\" class=\"danger\">Delete {what}</button></form></section>",
        esc(action),
        csrf(c)
    )
}

pub fn group_detach(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "DetachGroupPolicy"),
        ("GroupName", name),
        ("PolicyArn", r.f("arn")),
    ]);
    back_to_group(c, name, result.map(|_| ()), "Policy detached")
}

pub fn group_remove_user(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "RemoveUserFromGroup"),
        ("GroupName", name),
        ("UserName", r.f("user")),
    ]);
    back_to_group(c, name, result.map(|_| ()), "User removed")
}

pub fn delete_group(c: &Console, name: &str) -> Reply {
    match done(c.call(&[("Action", "DeleteGroup"), ("GroupName", name)])) {
        Ok(()) => Reply::Redirect("/console/groups?notice=Group+deleted".into()),
        Err(e) => html::failed(
            c,
            "User groups",
            name,
            &e,
            &format!("/console/groups/{}", url(name)),
        ),
    }
}

pub fn role_attach(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let arn = policy_arn(c, r.f("policy"));
    let result = c.call(&[
        ("Action", "AttachRolePolicy"),
        ("RoleName", name),
        ("PolicyArn", &arn),
    ]);
    back_to_role(c, name, result.map(|_| ()), "Policy attached")
}

pub fn role_detach(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "DetachRolePolicy"),
        ("RoleName", name),
        ("PolicyArn", r.f("arn")),
    ]);
    back_to_role(c, name, result.map(|_| ()), "Policy detached")
}

pub fn delete_role(c: &Console, name: &str) -> Reply {
    match done(c.call(&[("Action", "DeleteRole"), ("RoleName", name)])) {
        Ok(()) => Reply::Redirect("/console/roles?notice=Role+deleted".into()),
        Err(e) => html::failed(
            c,
            "Roles",
            name,
            &e,
            &format!("/console/roles/{}", url(name)),
        ),
    }
}

fn back_to_role(c: &Console, name: &str, result: Result<(), ApiError>, ok: &str) -> Reply {
    let to = format!("/console/roles/{}", url(name));
    match result {
        Ok(()) => Reply::Redirect(format!("{to}?notice={}", url(ok))),
        Err(e) => html::failed(c, "Roles", name, &e, &to),
    }
}

fn back_to_group(c: &Console, name: &str, result: Result<(), ApiError>, ok: &str) -> Reply {
    let to = format!("/console/groups/{}", url(name));
    match result {
        Ok(()) => Reply::Redirect(format!("{to}?notice={}", url(ok))),
        Err(e) => html::failed(c, "User groups", name, &e, &to),
    }
}

// ---- Roles ----------------------------------------------------------------------------

pub fn roles(c: &Console, r: &ConsoleRequest) -> Reply {
    let list = match call_as!(c, ListRoles, [("Action", "ListRoles"), ("MaxItems", MAX)]) {
        Ok(l) => l.roles,
        Err(e) => return html::failed(c, "Roles", "Roles", &e, "/console/home"),
    };
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|role| {
            vec![
                format!(
                    "<a href=\"/console/roles/{}\">{}</a>",
                    url(&role.role_name),
                    esc(&role.role_name)
                ),
                trusted_entities(role.assume_role_policy_document.as_deref()),
                html::date(Some(&role.create_date)),
            ]
        })
        .collect();
    let total = rows.len();
    let (rows, pager) = html::paginate(rows, r.q("page"), "/console/roles", "");
    let body = format!(
        "{}<div class=\"toolbar\"><span></span><a class=\"button primary\" href=\"/console/create-role\">Create role</a></div>{}{pager}",
        notice(r.q("notice")),
        table(
            &format!("Roles ({total})"),
            &["Role name", "Trusted entities", "Created"],
            &rows,
            "No roles."
        )
    );
    Reply::ok(page(c, "Roles", "Roles", &body))
}

/// "AWS Service: lambda", "Account: 111122223333", … from a (URL-encoded) trust policy.
fn trusted_entities(doc: Option<&str>) -> String {
    let Some(doc) = doc else {
        return "-".into();
    };
    let text = percent_encoding::percent_decode_str(doc).decode_utf8_lossy();
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return "-".into();
    };
    let mut out = Vec::new();
    for s in crate::model::policy_json::statements(&json) {
        let Some(principal) = s.get("Principal") else {
            continue;
        };
        for (kind, label) in [
            ("Service", "AWS Service"),
            ("AWS", "Account"),
            ("Federated", "Identity provider"),
        ] {
            let values = match principal.get(kind) {
                Some(serde_json::Value::String(v)) => vec![v.clone()],
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            for v in values {
                let short = v.strip_suffix(".amazonaws.com").unwrap_or(&v);
                out.push(format!("{label}: {}", esc(short)));
            }
        }
    }
    if out.is_empty() {
        "-".into()
    } else {
        out.join("<br>")
    }
}

/// The trust policy AWS's console generates for a service or another account.
pub fn trust_policy(kind: &str, who: &str) -> String {
    let (key, value) = if kind == "account" {
        ("AWS", format!("arn:aws:iam::{who}:root"))
    } else {
        ("Service", format!("{who}.amazonaws.com"))
    };
    let value = serde_json::Value::String(value).to_string();
    // The layout the page's script gives (JSON.stringify with 2 spaces), key order kept.
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \
         \"Principal\": {{\n        \"{key}\": {value}\n      }},\n      \"Action\": \"sts:AssumeRole\"\n    }}\n  ]\n}}"
    )
}

pub fn role_wizard(c: &Console, r: &ConsoleRequest, error: Option<&ApiError>) -> Reply {
    let kind = if r.f("trusted") == "account" {
        "account"
    } else {
        "service"
    };
    let service = if r.f("service").is_empty() {
        "lambda"
    } else {
        r.f("service")
    };
    let doc = if r.f("trust").is_empty() {
        trust_policy("service", service)
    } else {
        r.f("trust").to_owned()
    };
    let mut options = String::new();
    for (v, label) in [
        ("lambda", "Lambda"),
        ("ec2", "EC2"),
        ("ecs-tasks", "Elastic Container Service task"),
        ("states", "Step Functions"),
        ("glue", "Glue"),
    ] {
        let sel = if v == service { " selected" } else { "" };
        let _ = write!(options, "<option value=\"{v}\"{sel}>{label}</option>");
    }
    let body = format!(
        "{err}<form method=\"post\" action=\"/console/create-role\" class=\"wizard\">{csrf}\
         <fieldset class=\"card\"><legend>Step 1: Select trusted entity</legend>\
         <label class=\"check\"><input type=\"radio\" name=\"trusted\" value=\"service\" id=\"trusted-service\"{svc}> AWS service</label>\
         <label for=\"service\">Service or use case</label><select id=\"service\" name=\"service\">{options}</select>\
         <label class=\"check\"><input type=\"radio\" name=\"trusted\" value=\"account\" id=\"trusted-account\"{acct}> Another AWS account</label>\
         <label for=\"account\">Account ID</label><input id=\"account\" name=\"account\" inputmode=\"numeric\" value=\"{account}\">\
         <label for=\"trust\">Trust policy (generated; editable)</label>\
         <textarea id=\"trust\" name=\"trust\" rows=\"12\" class=\"code\" spellcheck=\"false\">{doc}</textarea></fieldset>\
         <fieldset class=\"card\"><legend>Step 2: Add permissions</legend>{boxes}\
         <label for=\"more\">Other policies (names or ARNs, one per line)</label>\
         <textarea id=\"more\" name=\"more_policies\" rows=\"2\">{more}</textarea></fieldset>\
         <fieldset class=\"card\"><legend>Step 3: Name and review</legend>\
         <label for=\"name\">Role name</label><input id=\"name\" name=\"name\" required maxlength=\"64\" value=\"{name}\">\
         <label for=\"description\">Description</label><input id=\"description\" name=\"description\" value=\"{desc}\"></fieldset>\
         <div class=\"actions\"><a class=\"button\" href=\"/console/roles\">Cancel</a>\
         <button type=\"submit\" class=\"primary\">Create role</button></div></form>",
        err = error.map(error_box).unwrap_or_default(),
        csrf = csrf(c),
        svc = if kind == "service" { " checked" } else { "" },
        acct = if kind == "account" { " checked" } else { "" },
        account = esc(r.f("account")),
        doc = esc(&doc),
        boxes = policy_checkboxes(),
        more = esc(r.f("more_policies")),
        name = esc(r.f("name")),
        desc = esc(r.f("description")),
    );
    let status = html::form_status(error);
    Reply::Html(status, page(c, "Roles", "Create role", &body))
}

pub fn create_role(c: &Console, r: &ConsoleRequest) -> Reply {
    let name = r.f("name").trim();
    let trust = if r.f("trust").trim().is_empty() {
        if r.f("trusted") == "account" {
            trust_policy("account", r.f("account"))
        } else {
            trust_policy("service", r.f("service"))
        }
    } else {
        r.f("trust").to_owned()
    };
    let mut pairs = vec![
        ("Action", "CreateRole"),
        ("RoleName", name),
        ("AssumeRolePolicyDocument", trust.as_str()),
    ];
    if !r.f("description").is_empty() {
        pairs.push(("Description", r.f("description")));
    }
    if let Err(e) = done(c.call(&pairs)) {
        return role_wizard(c, r, Some(&e));
    }
    for arn in chosen_policies(c, r) {
        if let Err(e) = done(c.call(&[
            ("Action", "AttachRolePolicy"),
            ("RoleName", name),
            ("PolicyArn", &arn),
        ])) {
            return html::failed(
                c,
                "Roles",
                name,
                &e,
                &format!("/console/roles/{}", url(name)),
            );
        }
    }
    Reply::Redirect(format!("/console/roles/{}?notice=Role+created", url(name)))
}

pub fn role(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let role = match call_as!(c, GetRole, [("Action", "GetRole"), ("RoleName", name)]) {
        Ok(x) => x.role,
        Err(e) => return html::failed(c, "Roles", name, &e, "/console/roles"),
    };
    let policies = match call_as!(
        c,
        ListAttachedRolePolicies,
        [("Action", "ListAttachedRolePolicies"), ("RoleName", name)]
    ) {
        Ok(p) => attached_table(
            c,
            &format!("/console/roles/{}", url(name)),
            &attached(p.attached_policies),
        ),
        Err(e) => error_box(&e),
    };
    let attach = format!(
        "<form method=\"post\" action=\"/console/roles/{}/policies\" class=\"row\">{}\
         <label for=\"policy\">Attach policy (name or ARN)</label>\
         <input id=\"policy\" name=\"policy\" list=\"common-policies\" required>{}\
         <button type=\"submit\">Attach policy</button></form>",
        url(name),
        csrf(c),
        policy_datalist()
    );
    let trust = role
        .assume_role_policy_document
        .as_deref()
        .map(|d| pretty(&percent_encoding::percent_decode_str(d).decode_utf8_lossy()))
        .unwrap_or_default();
    let body = format!(
        "{}<section class=\"card\"><h2>Summary</h2><dl class=\"summary\"><dt>ARN</dt><dd><code>{}</code></dd>\
         <dt>Description</dt><dd>{}</dd><dt>Created</dt><dd>{}</dd><dt>Maximum session duration</dt><dd>{} s</dd></dl></section>\
         <section class=\"card\"><h2>Permissions</h2>{}{}</section>\
         <section class=\"card\"><h2>Trust relationships</h2><p>{}</p><pre class=\"code\">{}</pre></section>{}{}{}",
        notice(r.q("notice")),
        esc(&role.arn),
        esc(role.description.as_deref().unwrap_or("-")),
        html::date(Some(&role.create_date)),
        role.max_session_duration.unwrap_or(3600),
        policies,
        attach,
        trusted_entities(role.assume_role_policy_document.as_deref()),
        esc(&trust),
        super::extras::boundary_section(
            c,
            super::extras::Kind::Role,
            name,
            role.permissions_boundary.as_ref()
        ),
        super::extras::tags_section(
            c,
            super::extras::Kind::Role,
            name,
            role.tags.as_deref().unwrap_or_default()
        ),
        delete_card(c, "role", &format!("/console/roles/{}/delete", url(name))),
    );
    Reply::ok(page(c, "Roles", name, &body))
}

fn pretty(doc: &str) -> String {
    serde_json::from_str::<serde_json::Value>(doc)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| doc.to_owned())
}

// ---- Policies -------------------------------------------------------------------------

pub fn policies(c: &Console, r: &ConsoleRequest) -> Reply {
    let scope = match r.q("scope") {
        "AWS" => "AWS",
        "Local" => "Local",
        _ => "All",
    };
    let list = match call_as!(
        c,
        ListPolicies,
        [
            ("Action", "ListPolicies"),
            ("Scope", scope),
            ("MaxItems", MAX)
        ]
    ) {
        Ok(l) => l.policies.unwrap_or_default(),
        Err(e) => return html::failed(c, "Policies", "Policies", &e, "/console/home"),
    };
    let q = r.q("q").to_lowercase();
    let matching: Vec<_> = list
        .iter()
        .filter(|p| {
            q.is_empty()
                || p.policy_name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(&q))
        })
        .collect();
    // Paged: AWS's catalogue alone has over 1,500 policies.
    let rows: Vec<Vec<String>> = matching
        .iter()
        .map(|p| {
            let arn = p.arn.clone().unwrap_or_default();
            vec![
                policy_link(&arn, p.policy_name.as_deref().unwrap_or_default()),
                if arn.starts_with("arn:aws:iam::aws:") {
                    "AWS managed".into()
                } else {
                    "Customer managed".into()
                },
                p.attachment_count.unwrap_or(0).to_string(),
            ]
        })
        .collect();
    let mut scopes = String::new();
    for (v, label) in [
        ("All", "All types"),
        ("AWS", "AWS managed"),
        ("Local", "Customer managed"),
    ] {
        let sel = if v == scope { " selected" } else { "" };
        let _ = write!(scopes, "<option value=\"{v}\"{sel}>{label}</option>");
    }
    let (rows, more) = html::paginate(
        rows,
        r.q("page"),
        "/console/policies",
        &format!("q={}&amp;scope={scope}", url(r.q("q"))),
    );
    let body = format!(
        "{}<div class=\"toolbar\"><form method=\"get\" action=\"/console/policies\" role=\"search\">\
         <label for=\"q\" class=\"sr-only\">Search policies</label>\
         <input id=\"q\" name=\"q\" type=\"search\" placeholder=\"Filter policies by name\" value=\"{}\">\
         <label for=\"scope\" class=\"sr-only\">Type</label><select id=\"scope\" name=\"scope\">{scopes}</select>\
         <button type=\"submit\">Filter</button></form>\
         <a class=\"button primary\" href=\"/console/create-policy\">Create policy</a></div>{}{more}",
        notice(r.q("notice")),
        esc(r.q("q")),
        table(
            &format!("Policies ({})", matching.len()),
            &["Policy name", "Type", "Attached entities"],
            &rows,
            "No policies match."
        ),
    );
    Reply::ok(page(c, "Policies", "Policies", &body))
}

pub fn policy(c: &Console, r: &ConsoleRequest) -> Reply {
    let arn = r.q("arn");
    let p = match call_as!(c, GetPolicy, [("Action", "GetPolicy"), ("PolicyArn", arn)]) {
        Ok(p) => p.policy.unwrap_or_default(),
        Err(e) => return html::failed(c, "Policies", "Policy", &e, "/console/policies"),
    };
    let default = p.default_version_id.clone().unwrap_or_default();
    let document = call_as!(
        c,
        GetPolicyVersion,
        [
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", arn),
            ("VersionId", &default)
        ]
    )
    .ok()
    .and_then(|v| v.policy_version)
    .and_then(|v| v.document)
    .map(|d| pretty(&percent_encoding::percent_decode_str(&d).decode_utf8_lossy()))
    .unwrap_or_default();
    let versions = match call_as!(
        c,
        ListPolicyVersions,
        [("Action", "ListPolicyVersions"), ("PolicyArn", arn)]
    ) {
        Ok(v) => table(
            "Policy versions",
            &["Version", "Default", "Created"],
            &v.versions
                .unwrap_or_default()
                .iter()
                .map(|v| {
                    vec![
                        esc(v.version_id.as_deref().unwrap_or_default()),
                        if v.is_default_version == Some(true) {
                            "Default".into()
                        } else {
                            String::new()
                        },
                        html::date(v.create_date.as_ref()),
                    ]
                })
                .collect::<Vec<_>>(),
            "No versions.",
        ),
        Err(e) => error_box(&e),
    };
    let name = p.policy_name.clone().unwrap_or_default();
    let body = format!(
        "{}<section class=\"card\"><h2>Policy details</h2><dl class=\"summary\">\
         <dt>ARN</dt><dd><code>{}</code></dd><dt>Type</dt><dd>{}</dd><dt>Description</dt><dd>{}</dd>\
         <dt>Attached entities</dt><dd>{}</dd></dl></section>\
         <section class=\"card\"><h2>Permissions defined in this policy ({})</h2><pre class=\"code\">{}</pre>{}</section>\
         <section class=\"card\"><h2>Policy versions</h2>{}</section>",
        notice(r.q("notice")),
        esc(arn),
        if arn.starts_with("arn:aws:iam::aws:") {
            "AWS managed"
        } else {
            "Customer managed"
        },
        esc(p.description.as_deref().unwrap_or("-")),
        p.attachment_count.unwrap_or(0),
        esc(&default),
        esc(&document),
        if arn.starts_with("arn:aws:iam::aws:") {
            String::new()
        } else {
            format!(
                "<p><a class=\"button\" href=\"/console/edit-policy?arn={}\">Edit policy (new version)</a></p>",
                url(arn)
            )
        },
        versions,
    );
    Reply::ok(page(c, "Policies", &name, &body))
}

const POLICY_TEMPLATE: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \
     \"Effect\": \"Allow\",\n      \"Action\": \"\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";

pub fn policy_editor(c: &Console, r: &ConsoleRequest, error: Option<&ApiError>) -> Reply {
    let doc = if r.f("document").is_empty() {
        POLICY_TEMPLATE
    } else {
        r.f("document")
    };
    let body = format!(
        "{err}<form method=\"post\" action=\"/console/create-policy\" class=\"wizard\" id=\"policy-form\">{csrf}\
         <fieldset class=\"card\"><legend>Step 1: Specify permissions</legend>\
         <label for=\"document\">Policy editor (JSON)</label>\
         <textarea id=\"document\" name=\"document\" rows=\"16\" class=\"code\" spellcheck=\"false\" \
          data-validate=\"/console/validate-policy\" aria-describedby=\"validation\">{doc}</textarea>\
         <div id=\"validation\" class=\"validation\" role=\"status\" aria-live=\"polite\"></div></fieldset>\
         <fieldset class=\"card\"><legend>Step 2: Review and create</legend>\
         <label for=\"name\">Policy name</label><input id=\"name\" name=\"name\" required maxlength=\"128\" value=\"{name}\">\
         <label for=\"description\">Description</label><input id=\"description\" name=\"description\" value=\"{desc}\"></fieldset>\
         <div class=\"actions\"><a class=\"button\" href=\"/console/policies\">Cancel</a>\
         <button type=\"submit\" class=\"primary\">Create policy</button></div></form>",
        err = error.map(error_box).unwrap_or_default(),
        csrf = csrf(c),
        doc = esc(doc),
        name = esc(r.f("name")),
        desc = esc(r.f("description")),
    );
    let status = html::form_status(error);
    Reply::Html(status, page(c, "Policies", "Create policy", &body))
}

pub fn create_policy(c: &Console, r: &ConsoleRequest) -> Reply {
    let mut pairs = vec![
        ("Action", "CreatePolicy"),
        ("PolicyName", r.f("name").trim()),
        ("PolicyDocument", r.f("document")),
    ];
    if !r.f("description").is_empty() {
        pairs.push(("Description", r.f("description")));
    }
    match call_as!(c, CreatePolicy, pairs) {
        Ok(p) => {
            let arn = p.policy.and_then(|p| p.arn).unwrap_or_default();
            Reply::Redirect(format!(
                "/console/policy?arn={}&notice=Policy+created",
                url(&arn)
            ))
        }
        Err(e) => policy_editor(c, r, Some(&e)),
    }
}

/// The editor for a new default version of a customer managed policy.
pub fn policy_edit(c: &Console, r: &ConsoleRequest, error: Option<&ApiError>) -> Reply {
    let arn = if r.f("arn").is_empty() {
        r.q("arn")
    } else {
        r.f("arn")
    };
    let doc = if r.f("document").is_empty() {
        let p = call_as!(c, GetPolicy, [("Action", "GetPolicy"), ("PolicyArn", arn)]);
        let version = p
            .ok()
            .and_then(|p| p.policy)
            .and_then(|p| p.default_version_id)
            .unwrap_or_default();
        call_as!(
            c,
            GetPolicyVersion,
            [
                ("Action", "GetPolicyVersion"),
                ("PolicyArn", arn),
                ("VersionId", &version)
            ]
        )
        .ok()
        .and_then(|v| v.policy_version)
        .and_then(|v| v.document)
        .map(|d| pretty(&percent_encoding::percent_decode_str(&d).decode_utf8_lossy()))
        .unwrap_or_default()
    } else {
        r.f("document").to_owned()
    };
    let body = format!(
        "{err}<form method=\"post\" action=\"/console/edit-policy\" class=\"wizard\" id=\"policy-form\">{csrf}\
         <input type=\"hidden\" name=\"arn\" value=\"{arn}\">\
         <fieldset class=\"card\"><legend>Policy editor</legend><p><code>{arn}</code></p>\
         <label for=\"document\">Policy document (JSON)</label>\
         <textarea id=\"document\" name=\"document\" rows=\"16\" class=\"code\" spellcheck=\"false\" \
          data-validate=\"/console/validate-policy\" aria-describedby=\"validation\">{doc}</textarea>\
         <div id=\"validation\" class=\"validation\" role=\"status\" aria-live=\"polite\"></div>\
         <p class=\"hint\">Saving creates a new version and makes it the default (at most 5 versions).</p></fieldset>\
         <div class=\"actions\"><a class=\"button\" href=\"/console/policy?arn={arn_url}\">Cancel</a>\
         <button type=\"submit\" class=\"primary\">Save changes</button></div></form>",
        err = error.map(error_box).unwrap_or_default(),
        csrf = csrf(c),
        arn = esc(arn),
        arn_url = url(arn),
        doc = esc(&doc),
    );
    let status = html::form_status(error);
    Reply::Html(status, page(c, "Policies", "Edit policy", &body))
}

pub fn create_policy_version(c: &Console, r: &ConsoleRequest) -> Reply {
    let arn = r.f("arn");
    match c.call(&[
        ("Action", "CreatePolicyVersion"),
        ("PolicyArn", arn),
        ("PolicyDocument", r.f("document")),
        ("SetAsDefault", "true"),
    ]) {
        Ok(_) => Reply::Redirect(format!(
            "/console/policy?arn={}&notice=New+version+saved",
            url(arn)
        )),
        Err(e) => policy_edit(c, r, Some(&e)),
    }
}

/// `POST /console/validate-policy` (form field `document`): the validator `CreatePolicy`
/// applies (identity policy, version 2012-10-17 required), answered as JSON:
/// `{"valid":true}` or `{"valid":false,"code":…,"message":…,"line":…,"column":…}`.
pub fn validate(r: &ConsoleRequest) -> Reply {
    let options = ParseOptions {
        size_limit: None,
        require_version_2012: true,
    };
    let body = match Policy::parse_with(r.f("document"), PolicyKind::Identity, &options) {
        Ok(_) => serde_json::json!({ "valid": true }),
        Err(e) => {
            let code = match e.kind() {
                oxiam_policy::ErrorKind::LimitExceeded => ErrorCode::LimitExceeded,
                oxiam_policy::ErrorKind::MalformedPolicyDocument => {
                    ErrorCode::MalformedPolicyDocument
                }
            };
            let at = e.location();
            serde_json::json!({
                "valid": false,
                "code": code.code(),
                "message": e.message(),
                "line": at.line,
                "column": at.column,
                "offset": at.offset,
            })
        }
    };
    Reply::Json(StatusCode::OK, body.to_string())
}
