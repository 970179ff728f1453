//! Users: the list (with search), a user's detail (groups, policies, access keys with their
//! last use, MFA, tags, console access), the add-user wizard ending with the one-time
//! credentials and their `.csv`, access keys, MFA with a QR code, and deletion.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use oxiam_protocol::error::{ApiError, ErrorCode};
use oxiam_protocol::iam;

use super::html::{self, csrf, error_box, esc, notice, page, table, url};
use super::{Console, ConsoleRequest, Reply, attached, done, policy_arn};

const MAX: &str = "1000";

/// Policies offered as checkboxes in forms (any other by name or ARN in the text field).
pub const COMMON_POLICIES: [&str; 6] = [
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "IAMUserChangePassword",
    "AmazonEC2ReadOnlyAccess",
    "AmazonS3ReadOnlyAccess",
];

pub fn list(c: &Console, r: &ConsoleRequest) -> Reply {
    let users = match call_as!(c, ListUsers, [("Action", "ListUsers"), ("MaxItems", MAX)]) {
        Ok(u) => u.users,
        Err(e) => return html::failed(c, "Users", "Users", &e, "/console/home"),
    };
    let q = r.q("q").to_lowercase();
    let rows: Vec<Vec<String>> = users
        .iter()
        .filter_map(|u| Some((u, u.user_name.as_deref()?)))
        .filter(|(_, name)| q.is_empty() || name.to_lowercase().contains(&q))
        .map(|(u, name)| {
            vec![
                format!("<a href=\"/console/users/{}\">{}</a>", url(name), esc(name)),
                esc(u.path.as_deref().unwrap_or_default()),
                html::date(u.password_last_used.as_ref()),
                html::date(Some(&u.create_date)),
            ]
        })
        .collect();
    let total = rows.len();
    let (rows, pager) = html::paginate(
        rows,
        r.q("page"),
        "/console/users",
        &format!("q={}", url(r.q("q"))),
    );
    let body = format!(
        "{}<div class=\"toolbar\"><form method=\"get\" action=\"/console/users\" role=\"search\">\
         <label for=\"q\" class=\"sr-only\">Search users</label>\
         <input id=\"q\" name=\"q\" type=\"search\" placeholder=\"Find users by name\" value=\"{}\">\
         <button type=\"submit\">Search</button></form>\
         <a class=\"button primary\" href=\"/console/create-user\">Create user</a></div>{}{pager}",
        notice(r.q("notice")),
        esc(r.q("q")),
        table(
            &format!("Users ({total})"),
            &["User name", "Path", "Console last sign-in", "Created"],
            &rows,
            "No users.",
        )
    );
    Reply::ok(page(c, "Users", "Users", &body))
}

pub fn detail(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let back = "/console/users";
    let user = match call_as!(c, GetUser, [("Action", "GetUser"), ("UserName", name)]) {
        Ok(u) => u.user,
        Err(e) => return html::failed(c, "Users", name, &e, back),
    };
    let n = user.user_name.as_deref().unwrap_or(name);
    let groups = call_as!(
        c,
        ListGroupsForUser,
        [("Action", "ListGroupsForUser"), ("UserName", n)]
    )
    .map(|g| g.groups);
    let policies = call_as!(
        c,
        ListAttachedUserPolicies,
        [("Action", "ListAttachedUserPolicies"), ("UserName", n)]
    )
    .map(|p| attached(p.attached_policies));
    let inline = call_as!(
        c,
        ListUserPolicies,
        [("Action", "ListUserPolicies"), ("UserName", n)]
    )
    .map(|p| p.policy_names);
    let keys = call_as!(
        c,
        ListAccessKeys,
        [("Action", "ListAccessKeys"), ("UserName", n)]
    )
    .map(|k| k.access_key_metadata);
    let mfa = call_as!(
        c,
        ListMFADevices,
        [("Action", "ListMFADevices"), ("UserName", n)]
    )
    .map(|m| m.mfa_devices);
    let login = call_as!(
        c,
        GetLoginProfile,
        [("Action", "GetLoginProfile"), ("UserName", n)]
    );

    let mut body = notice(r.q("notice"));
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Summary</h2><dl class=\"summary\">\
         <dt>ARN</dt><dd><code>{}</code></dd><dt>Created</dt><dd>{}</dd>\
         <dt>Console access</dt><dd>{}</dd><dt>Console last sign-in</dt><dd>{}</dd></dl></section>",
        esc(&user.arn),
        html::date(Some(&user.create_date)),
        match &login {
            Ok(l) if l.login_profile.password_reset_required == Some(true) =>
                "Enabled (password reset required)".to_owned(),
            Ok(_) => "Enabled".to_owned(),
            Err(e) if e.code == ErrorCode::NoSuchEntity => "Disabled".to_owned(),
            Err(e) => format!("{}: {}", esc(e.code.code()), esc(&e.message)),
        },
        html::date(user.password_last_used.as_ref()),
    );
    let console_form = match &login {
        Ok(_) => format!(
            "<form method=\"post\" action=\"/console/users/{}/console-access\">{}\
             <input type=\"hidden\" name=\"action\" value=\"disable\">\
             <button type=\"submit\">Disable console access</button></form>",
            url(n),
            csrf(c)
        ),
        Err(_) => format!(
            "<form method=\"post\" action=\"/console/users/{}/console-access\" class=\"row\">{}\
             <input type=\"hidden\" name=\"action\" value=\"enable\">\
             <label for=\"console-password\">Console password (empty: autogenerated)</label>\
             <input id=\"console-password\" name=\"password\" type=\"password\" autocomplete=\"new-password\">\
             <button type=\"submit\">Enable console access</button></form>",
            url(n),
            csrf(c)
        ),
    };
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Console access</h2>{console_form}</section>"
    );

    // Permissions.
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Permissions policies</h2>"
    );
    match (&policies, &inline) {
        (Ok(p), Ok(_)) => {
            let rows: Vec<Vec<String>> = p
                .iter()
                .map(|a| {
                    let arn = a.policy_arn.clone().unwrap_or_default();
                    vec![
                        format!(
                            "<a href=\"/console/policy?arn={}\">{}</a>",
                            url(&arn),
                            esc(a.policy_name.as_deref().unwrap_or_default())
                        ),
                        kind_of(&arn).into(),
                        html::button(
                            c,
                            &format!("/console/users/{}/policies/detach", url(n)),
                            &[("arn", &arn)],
                            "Detach",
                            &format!("Detach {}", a.policy_name.as_deref().unwrap_or_default()),
                        ),
                    ]
                })
                .collect();
            body.push_str(&table(
                "Attached directly",
                &["Policy name", "Type", "Actions"],
                &rows,
                "No policies.",
            ));
        }
        (Err(e), _) | (_, Err(e)) => body.push_str(&error_box(e)),
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/console/users/{u}/policies\" class=\"row\">{csrf}\
         <label for=\"policy\">Attach policy (name or ARN)</label>\
         <input id=\"policy\" name=\"policy\" list=\"common-policies\" required>{dl}\
         <button type=\"submit\">Attach policy</button></form></section>",
        u = url(n),
        csrf = csrf(c),
        dl = policy_datalist(),
    );

    // Groups.
    let _ = write!(body, "<section class=\"card\"><h2>Groups</h2>");
    match &groups {
        Ok(g) => {
            let remove = format!("/console/users/{}/groups/remove", url(n));
            let rows: Vec<Vec<String>> = g
                .iter()
                .map(|g| {
                    let aria = format!("Remove from {}", g.group_name);
                    html::member_row(c, "groups", &g.group_name, &remove, "group", &aria)
                })
                .collect();
            body.push_str(&table(
                "Group memberships",
                &["Group name", "Actions"],
                &rows,
                "Not in any group.",
            ));
        }
        Err(e) => body.push_str(&error_box(e)),
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/console/users/{}/groups\" class=\"row\">{}\
         <label for=\"group\">Add to group</label><input id=\"group\" name=\"group\" required>\
         <button type=\"submit\">Add user to group</button></form></section>",
        url(n),
        csrf(c)
    );

    // Access keys.
    let _ = write!(body, "<section class=\"card\"><h2>Access keys</h2>");
    match &keys {
        Ok(keys) => {
            let rows: Vec<Vec<String>> = keys.iter().map(|k| key_row(c, n, k)).collect();
            body.push_str(&table(
                "Access keys",
                &["Access key ID", "Status", "Created", "Last used", "Actions"],
                &rows,
                "No access keys.",
            ));
        }
        Err(e) => body.push_str(&error_box(e)),
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/console/users/{}/access-keys\">{}\
         <button type=\"submit\">Create access key</button></form></section>",
        url(n),
        csrf(c)
    );

    // MFA.
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Multi-factor authentication (MFA)</h2>"
    );
    match &mfa {
        Ok(devices) => {
            let rows: Vec<Vec<String>> = devices
                .iter()
                .map(|d| {
                    vec![
                        format!("<code>{}</code>", esc(&d.serial_number)),
                        html::date(Some(&d.enable_date)),
                        format!(
                            "<form method=\"post\" action=\"/console/users/{}/mfa/remove\" class=\"inline\">{}\
                             <input type=\"hidden\" name=\"serial\" value=\"{}\">\
                             <button type=\"submit\" class=\"danger\">Remove</button></form>",
                            url(n),
                            csrf(c),
                            esc(&d.serial_number)
                        ),
                    ]
                })
                .collect();
            body.push_str(&table(
                "MFA devices",
                &["Identifier", "Enabled", "Actions"],
                &rows,
                "No MFA device assigned.",
            ));
        }
        Err(e) => body.push_str(&error_box(e)),
    }
    body.push_str(&assign_mfa_form(c, n));

    if let Ok(names) = &inline {
        body.push_str(&super::extras::inline_section(c, n, names));
    }
    body.push_str(&super::extras::boundary_section(
        c,
        super::extras::Kind::User,
        n,
        user.permissions_boundary.as_ref(),
    ));
    body.push_str(&super::extras::tags_section(
        c,
        super::extras::Kind::User,
        n,
        user.tags.as_deref().unwrap_or_default(),
    ));

    // Delete.
    let _ = write!(
        body,
        "<section class=\"card danger\"><h2>Delete user</h2>\
         <p>AWS refuses to delete a user who still has access keys, a password, MFA devices, \
         policies or group memberships; the error says which.</p>\
         <form method=\"post\" action=\"/console/users/{}/delete\">{}\
         <button type=\"submit\" class=\"danger\">Delete user</button></form></section>",
        url(n),
        csrf(c)
    );
    Reply::ok(page(c, "Users", n, &body))
}

fn key_row(c: &Console, user: &str, k: &iam::AccessKeyMetadata) -> Vec<String> {
    let id = k.access_key_id.clone().unwrap_or_default();
    let last = call_as!(
        c,
        GetAccessKeyLastUsed,
        [("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)]
    )
    .ok()
    .and_then(|l| l.access_key_last_used)
    .map_or_else(
        || "-".to_owned(),
        |l| match l.last_used_date {
            Some(d) => format!(
                "{} ({} in {})",
                html::date(Some(&d)),
                esc(&l.service_name),
                esc(&l.region)
            ),
            None => "Never".to_owned(),
        },
    );
    let status = k.status.clone().unwrap_or_default();
    let toggle = if status == "Active" {
        "Inactive"
    } else {
        "Active"
    };
    let toggle_label = if status == "Active" {
        "Deactivate"
    } else {
        "Activate"
    };
    let action = format!("/console/users/{}/access-keys/{}", url(user), url(&id));
    vec![
        format!("<code>{}</code>", esc(&id)),
        esc(&status),
        html::date(k.create_date.as_ref()),
        last,
        format!(
            "<form method=\"post\" action=\"{action}\" class=\"inline\">{csrf}\
             <input type=\"hidden\" name=\"status\" value=\"{toggle}\">\
             <button type=\"submit\">{toggle_label}</button></form> \
             <form method=\"post\" action=\"{action}\" class=\"inline\">{csrf}\
             <input type=\"hidden\" name=\"status\" value=\"delete\">\
             <button type=\"submit\" class=\"danger\" aria-label=\"Delete {id}\">Delete</button></form>",
            csrf = csrf(c),
            id = esc(&id),
        ),
    ]
}

fn kind_of(arn: &str) -> &'static str {
    if arn.starts_with("arn:aws:iam::aws:policy/") {
        "AWS managed"
    } else {
        "Customer managed"
    }
}

/// Suggestions for policy name fields.
pub fn policy_datalist() -> String {
    let mut out = String::from("<datalist id=\"common-policies\">");
    for p in COMMON_POLICIES {
        let _ = write!(out, "<option value=\"{p}\">");
    }
    out.push_str("</datalist>");
    out
}

/// The add-user wizard: details, permissions and tags on one form, then a review step.
pub fn wizard(c: &Console, r: &ConsoleRequest, error: Option<&ApiError>) -> Reply {
    let groups = call_as!(c, ListGroups, [("Action", "ListGroups"), ("MaxItems", MAX)])
        .map(|g| g.groups)
        .unwrap_or_default();
    let chosen = r.all("group");
    let mut group_boxes = String::new();
    for g in &groups {
        let checked = if chosen.contains(&g.group_name) {
            " checked"
        } else {
            ""
        };
        let _ = write!(
            group_boxes,
            "<label class=\"check\"><input type=\"checkbox\" name=\"group\" value=\"{n}\"{checked}> {n}</label>",
            n = esc(&g.group_name)
        );
    }
    if group_boxes.is_empty() {
        group_boxes = "<p class=\"hint\">No groups yet.</p>".into();
    }
    let chosen_policies = r.all("policy");
    let mut policy_boxes = String::new();
    for p in COMMON_POLICIES {
        let checked = if chosen_policies.iter().any(|c| c == p) {
            " checked"
        } else {
            ""
        };
        let _ = write!(
            policy_boxes,
            "<label class=\"check\"><input type=\"checkbox\" name=\"policy\" value=\"{p}\"{checked}> {p}</label>"
        );
    }
    let checked = |name: &str| {
        if r.f(name).is_empty() { "" } else { " checked" }
    };
    let custom = r.f("password_type") == "custom";
    let mut tag_rows = String::new();
    for i in 1..=3 {
        let _ = write!(
            tag_rows,
            "<div class=\"tagrow\"><div><label for=\"tk{i}\">Key {i}</label><input id=\"tk{i}\" name=\"tag_key{i}\" value=\"{}\"></div>\
             <div><label for=\"tv{i}\">Value {i}</label><input id=\"tv{i}\" name=\"tag_value{i}\" value=\"{}\"></div></div>",
            esc(r.f(&format!("tag_key{i}"))),
            esc(r.f(&format!("tag_value{i}")))
        );
    }
    let body = format!(
        "{err}<form method=\"post\" action=\"/console/create-user\" class=\"wizard\">{csrf}\
         <input type=\"hidden\" name=\"step\" value=\"review\">\
         <fieldset class=\"card\"><legend>Step 1: User details</legend>\
         <label for=\"username\">User name</label>\
         <input id=\"username\" name=\"username\" required maxlength=\"64\" value=\"{name}\" autofocus>\
         <p class=\"hint\">Up to 64 letters, digits and <code>+=,.@_-</code>.</p>\
         <label class=\"check\"><input type=\"checkbox\" name=\"console\" value=\"1\" id=\"console\"{console}> \
         Provide user access to the console</label>\
         <fieldset class=\"nested\" id=\"console-options\"><legend>Console password</legend>\
         <label class=\"check\"><input type=\"radio\" name=\"password_type\" value=\"auto\"{auto}> Autogenerated password</label>\
         <label class=\"check\"><input type=\"radio\" name=\"password_type\" value=\"custom\"{custom}> Custom password</label>\
         <label for=\"password\">Custom password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\">\
         <label class=\"check\"><input type=\"checkbox\" name=\"reset\" value=\"1\"{reset}> \
         Users must create a new password at next sign-in (attaches IAMUserChangePassword)</label>\
         </fieldset>\
         <label class=\"check\"><input type=\"checkbox\" name=\"programmatic\" value=\"1\"{prog}> \
         Create an access key (programmatic access)</label></fieldset>\
         <fieldset class=\"card\"><legend>Step 2: Permissions</legend>\
         <h3>Add user to groups</h3>{group_boxes}\
         <h3>Attach policies directly</h3>{policy_boxes}\
         <label for=\"more\">Other policies (names or ARNs, one per line)</label>\
         <textarea id=\"more\" name=\"more_policies\" rows=\"2\">{more}</textarea></fieldset>\
         <fieldset class=\"card\"><legend>Step 3: Tags (optional)</legend>{tag_rows}</fieldset>\
         <div class=\"actions\"><a href=\"/console/users\" class=\"button\">Cancel</a>\
         <button type=\"submit\" class=\"primary\">Next: Review</button></div></form>",
        err = error.map(error_box).unwrap_or_default(),
        csrf = csrf(c),
        name = esc(r.f("username")),
        console = checked("console"),
        auto = if custom { "" } else { " checked" },
        custom = if custom { " checked" } else { "" },
        reset = if r.form.is_empty() {
            " checked"
        } else {
            checked("reset")
        },
        prog = checked("programmatic"),
        more = esc(r.f("more_policies")),
    );
    let status = html::form_status(error);
    Reply::Html(status, page(c, "Users", "Create user", &body))
}

/// The wizard's answers, read from the form.
struct NewUser {
    name: String,
    console: bool,
    custom_password: Option<String>,
    reset: bool,
    programmatic: bool,
    groups: Vec<String>,
    policies: Vec<String>,
    tags: Vec<(String, String)>,
}

impl NewUser {
    fn read(c: &Console, r: &ConsoleRequest) -> NewUser {
        let mut policies: Vec<String> = r.all("policy");
        policies.extend(
            r.f("more_policies")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
        let console = !r.f("console").is_empty();
        let reset = console && !r.f("reset").is_empty();
        if reset && !policies.iter().any(|p| p == "IAMUserChangePassword") {
            // As AWS's console does: a user who must reset needs the right to.
            policies.push("IAMUserChangePassword".into());
        }
        let policies = policies.iter().map(|p| policy_arn(c, p)).collect();
        NewUser {
            name: r.f("username").trim().to_owned(),
            console,
            custom_password: (r.f("password_type") == "custom").then(|| r.f("password").to_owned()),
            reset,
            programmatic: !r.f("programmatic").is_empty(),
            groups: r.all("group"),
            policies,
            tags: (1..=3)
                .filter_map(|i| {
                    let k = r.f(&format!("tag_key{i}")).trim().to_owned();
                    (!k.is_empty()).then(|| (k, r.f(&format!("tag_value{i}")).to_owned()))
                })
                .collect(),
        }
    }
}

/// POST of the wizard: the review step, or (confirmed) the creation.
pub fn create(c: &Console, r: &ConsoleRequest) -> Reply {
    let u = NewUser::read(c, r);
    if r.f("step") == "review" {
        return review(c, r, &u);
    }
    if r.f("step") == "edit" {
        return wizard(c, r, None);
    }
    create_confirmed(c, &u)
}

fn review(c: &Console, r: &ConsoleRequest, u: &NewUser) -> Reply {
    if u.name.is_empty() {
        let e = ApiError::new(ErrorCode::ValidationError, "Enter a user name.");
        return wizard(c, r, Some(&e));
    }
    if u.console && u.custom_password.as_deref().is_some_and(str::is_empty) {
        let e = ApiError::new(ErrorCode::ValidationError, "Enter the custom password.");
        return wizard(c, r, Some(&e));
    }
    // Every answer travels on as a hidden field, for "Create user" and for "Previous".
    let mut hidden = String::new();
    for (k, v) in r.form.iter() {
        if k == "step" || k == "_csrf" {
            continue;
        }
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        );
    }
    let yes_no = |b: bool| if b { "Yes" } else { "No" };
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.iter().map(|s| esc(s)).collect::<Vec<_>>().join("<br>")
        }
    };
    let tags: Vec<String> = u.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let body = format!(
        "<section class=\"card\"><h2>Step 4: Review and create</h2><dl class=\"summary\">\
         <dt>User name</dt><dd>{name}</dd>\
         <dt>Console access</dt><dd>{console}</dd>\
         <dt>Console password</dt><dd>{pw}</dd>\
         <dt>Require password reset</dt><dd>{reset}</dd>\
         <dt>Access key</dt><dd>{prog}</dd>\
         <dt>Groups</dt><dd>{groups}</dd>\
         <dt>Policies</dt><dd>{policies}</dd>\
         <dt>Tags</dt><dd>{tags}</dd></dl>\
         <div class=\"actions\">\
         <form method=\"post\" action=\"/console/create-user\" class=\"inline\">{csrf}{hidden}\
         <input type=\"hidden\" name=\"step\" value=\"edit\"><button type=\"submit\">Previous</button></form>\
         <form method=\"post\" action=\"/console/create-user\" class=\"inline\">{csrf}{hidden}\
         <input type=\"hidden\" name=\"step\" value=\"create\">\
         <button type=\"submit\" class=\"primary\">Create user</button></form></div></section>",
        name = esc(&u.name),
        console = yes_no(u.console),
        pw = if !u.console {
            "-"
        } else if u.custom_password.is_some() {
            "Custom"
        } else {
            "Autogenerated"
        },
        reset = yes_no(u.reset),
        prog = yes_no(u.programmatic),
        groups = list(&u.groups),
        policies = list(&u.policies),
        tags = list(&tags),
        csrf = csrf(c),
    );
    Reply::ok(page(c, "Users", "Create user", &body))
}

fn create_confirmed(c: &Console, u: &NewUser) -> Reply {
    let mut params: Vec<(String, String)> = vec![
        ("Action".into(), "CreateUser".into()),
        ("UserName".into(), u.name.clone()),
    ];
    for (i, (k, v)) in u.tags.iter().enumerate() {
        params.push((format!("Tags.member.{}.Key", i + 1), k.clone()));
        params.push((format!("Tags.member.{}.Value", i + 1), v.clone()));
    }
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Err(e) = done(c.call(&pairs)) {
        return html::failed(c, "Users", "Create user", &e, "/console/create-user");
    }
    // The user exists from here on: a later failure says what was done.
    let n = u.name.as_str();
    let mut password = None;
    let mut key = None;
    let step = (|| -> Result<(), ApiError> {
        if u.console {
            let pw = u
                .custom_password
                .clone()
                .unwrap_or_else(crate::model::passwords::generate_password);
            done(c.call(&[
                ("Action", "CreateLoginProfile"),
                ("UserName", n),
                ("Password", &pw),
                (
                    "PasswordResetRequired",
                    if u.reset { "true" } else { "false" },
                ),
            ]))?;
            password = Some(pw);
        }
        for g in &u.groups {
            done(c.call(&[
                ("Action", "AddUserToGroup"),
                ("UserName", n),
                ("GroupName", g),
            ]))?;
        }
        for p in &u.policies {
            done(c.call(&[
                ("Action", "AttachUserPolicy"),
                ("UserName", n),
                ("PolicyArn", p),
            ]))?;
        }
        if u.programmatic {
            let k = call_as!(
                c,
                CreateAccessKey,
                [("Action", "CreateAccessKey"), ("UserName", n)]
            )?;
            key = Some(k.access_key);
        }
        Ok(())
    })();
    let mut body = String::new();
    if let Err(e) = &step {
        let _ = write!(
            body,
            "{}<p>The user <a href=\"/console/users/{}\">{}</a> was created; the step above failed \
             and the ones after it were not done.</p>",
            error_box(e),
            url(n),
            esc(n)
        );
    } else {
        body.push_str(&notice("User created."));
    }
    body.push_str(&credentials(c, n, password.as_deref(), key.as_ref()));
    Reply::ok(page(c, "Users", "Retrieve password", &body))
}

/// The one-time credentials page: shown once, with the `.csv` in AWS's columns.
fn credentials(
    c: &Console,
    user: &str,
    password: Option<&str>,
    key: Option<&iam::AccessKey>,
) -> String {
    let login = sign_in_link(c);
    let (kid, secret) = key.map_or((String::new(), String::new()), |k| {
        (k.access_key_id.clone(), k.secret_access_key.clone())
    });
    let csv = format!(
        "User name,Password,Access key ID,Secret access key,Console login link\r\n{},{},{},{},{}\r\n",
        csv_field(user),
        csv_field(password.unwrap_or_default()),
        csv_field(&kid),
        csv_field(&secret),
        csv_field(if password.is_some() { &login } else { "" })
    );
    let href = format!(
        "data:text/csv;charset=utf-8,{}",
        percent_encoding::utf8_percent_encode(&csv, percent_encoding::NON_ALPHANUMERIC)
    );
    let mut rows = Vec::new();
    if let Some(pw) = password {
        rows.push(vec![
            "Console sign-in URL".into(),
            format!("<a href=\"{0}\">{0}</a>", esc(&login)),
        ]);
        rows.push(vec![
            "Console password".into(),
            format!("<code class=\"secret\" id=\"password\">{}</code>", esc(pw)),
        ]);
    }
    if key.is_some() {
        rows.push(vec![
            "Access key ID".into(),
            format!("<code id=\"access-key-id\">{}</code>", esc(&kid)),
        ]);
        rows.push(vec![
            "Secret access key".into(),
            format!(
                "<code class=\"secret\" id=\"secret-access-key\">{}</code>",
                esc(&secret)
            ),
        ]);
    }
    format!(
        "<section class=\"card\"><div class=\"alert info\" role=\"status\">This is the only time the \
         password and secret access key can be viewed or downloaded. Save them now.</div>\
         {}<p><a class=\"button primary\" download=\"{}_credentials.csv\" href=\"{}\">Download .csv</a> \
         <a class=\"button\" href=\"/console/users/{}\">View user</a></p></section>",
        table(
            &format!("Credentials of {user}"),
            &["Credential", "Value"],
            &rows,
            "No password or access key was created."
        ),
        esc(user),
        esc(&href),
        url(user),
    )
}

/// The sign-in URL for IAM users: by alias when the account has one, as AWS shows it.
/// Absolute on `App::public_url` (`--public-url`), never on the request's `Host`, which a
/// client chooses: a link shown to be copied or put in the CSV must point at this server.
pub fn sign_in_link(c: &Console) -> String {
    let state = c.app.snapshot();
    let id = state
        .accounts
        .get(&c.caller.account)
        .and_then(|a| a.alias.clone())
        .unwrap_or_else(|| c.caller.account.clone());
    format!("{}/console/{}", c.app.public_url(), url(&id))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

pub fn delete(c: &Console, name: &str) -> Reply {
    match done(c.call(&[("Action", "DeleteUser"), ("UserName", name)])) {
        Ok(()) => Reply::Redirect("/console/users?notice=User+deleted".into()),
        Err(e) => html::failed(
            c,
            "Users",
            &format!("Delete {name}"),
            &e,
            &format!("/console/users/{}", url(name)),
        ),
    }
}

pub fn create_key(c: &Console, name: &str) -> Reply {
    match call_as!(
        c,
        CreateAccessKey,
        [("Action", "CreateAccessKey"), ("UserName", name)]
    ) {
        Ok(k) => Reply::ok(page(
            c,
            "Users",
            "Access key created",
            &credentials(c, name, None, Some(&k.access_key)),
        )),
        Err(e) => html::failed(
            c,
            "Users",
            "Create access key",
            &e,
            &format!("/console/users/{}", url(name)),
        ),
    }
}

pub fn update_key(c: &Console, name: &str, id: &str, r: &ConsoleRequest) -> Reply {
    let status = r.f("status");
    let result = if status == "delete" {
        c.call(&[
            ("Action", "DeleteAccessKey"),
            ("UserName", name),
            ("AccessKeyId", id),
        ])
    } else {
        c.call(&[
            ("Action", "UpdateAccessKey"),
            ("UserName", name),
            ("AccessKeyId", id),
            ("Status", status),
        ])
    };
    back_to_user(c, name, result, "Access key updated")
}

pub fn add_to_group(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "AddUserToGroup"),
        ("UserName", name),
        ("GroupName", r.f("group").trim()),
    ]);
    back_to_user(c, name, result, "User added to group")
}

pub fn attach_policy(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let arn = policy_arn(c, r.f("policy"));
    let result = c.call(&[
        ("Action", "AttachUserPolicy"),
        ("UserName", name),
        ("PolicyArn", &arn),
    ]);
    back_to_user(c, name, result, "Policy attached")
}

pub fn detach_policy(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "DetachUserPolicy"),
        ("UserName", name),
        ("PolicyArn", r.f("arn")),
    ]);
    back_to_user(c, name, result, "Policy detached")
}

pub fn remove_from_group(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "RemoveUserFromGroup"),
        ("UserName", name),
        ("GroupName", r.f("group")),
    ]);
    back_to_user(c, name, result, "User removed from group")
}

fn back_to_user(
    c: &Console,
    name: &str,
    result: Result<iam::Response, ApiError>,
    ok: &str,
) -> Reply {
    let to = format!("/console/users/{}", url(name));
    match result {
        Ok(_) => Reply::Redirect(format!("{to}?notice={}", url(ok))),
        Err(e) => html::failed(c, "Users", name, &e, &to),
    }
}

/// Creates a virtual MFA device for the user and shows its QR code and seed, with the
/// form for two consecutive codes. A device left unassigned by an abandoned attempt is
/// replaced.
pub fn mfa_start(c: &Console, name: &str) -> Reply {
    let back = format!("/console/users/{}", url(name));
    let action = format!("/console/users/{}/mfa/enable", url(name));
    match new_device(c, name) {
        Ok(d) => Reply::ok(page(
            c,
            "Users",
            "Set up virtual MFA device",
            &mfa_form(c, &action, &d.serial, &d.seed, &d.qr, None),
        )),
        Err(e) => html::failed(c, "Users", "Assign MFA device", &e, &back),
    }
}

/// A virtual device being set up: its serial number, base32 seed and QR code (base64 PNG).
pub struct NewDevice {
    pub serial: String,
    pub seed: String,
    pub qr: String,
}

impl std::fmt::Debug for NewDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDevice")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// Creates the virtual device `device_name` (replacing an unassigned one of that name left
/// by an abandoned setup).
pub fn new_device(c: &Console, device_name: &str) -> Result<NewDevice, ApiError> {
    let create = || {
        call_as!(
            c,
            CreateVirtualMFADevice,
            [
                ("Action", "CreateVirtualMFADevice"),
                ("VirtualMFADeviceName", device_name)
            ]
        )
    };
    let device = match create() {
        Err(e) if e.code == ErrorCode::EntityAlreadyExists => {
            let serial = format!("arn:aws:iam::{}:mfa/{device_name}", c.caller.account);
            let unassigned = c
                .app
                .snapshot()
                .mfa_devices
                .get(&serial)
                .is_some_and(|d| d.user_id.is_none());
            if unassigned {
                let _ = c.call(&[
                    ("Action", "DeleteVirtualMFADevice"),
                    ("SerialNumber", &serial),
                ]);
            }
            create()
        }
        other => other,
    }?
    .virtual_mfa_device;
    let seed = device
        .base32_string_seed
        .as_deref()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    let qr = device
        .qr_code_png
        .as_deref()
        .map(|png| B64.encode(png))
        .unwrap_or_default();
    Ok(NewDevice {
        serial: device.serial_number,
        seed,
        qr,
    })
}

/// The button that starts assigning a virtual MFA device to the user `name`; it closes
/// the MFA card.
pub fn assign_mfa_form(c: &Console, name: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/console/users/{}/mfa\">{}\
         <button type=\"submit\">Assign MFA device</button></form></section>",
        url(name),
        csrf(c)
    )
}

/// The MFA set-up form shown again after its codes were refused, on the page `active` and
/// `title` name, under the HTTP status the API gave.
pub fn mfa_form_failed(
    c: &Console,
    active: &str,
    title: &str,
    action: &str,
    r: &ConsoleRequest,
    e: &ApiError,
) -> Reply {
    let form = mfa_form(c, action, r.f("serial"), r.f("seed"), r.f("qr"), Some(e));
    Reply::Html(html::status_of(e), page(c, active, title, &form))
}

pub fn mfa_form(
    c: &Console,
    action: &str,
    serial: &str,
    seed: &str,
    qr: &str,
    error: Option<&ApiError>,
) -> String {
    format!(
        "{err}<section class=\"card\"><ol class=\"steps\">\
         <li>Install an authenticator app on your phone or computer.</li>\
         <li>Scan the QR code with the app, or type the secret key.\
         <div class=\"mfa\"><img src=\"data:image/png;base64,{qr}\" alt=\"QR code of the MFA secret\" width=\"200\" height=\"200\">\
         <p>Secret key: <code id=\"mfa-seed\">{seed}</code></p></div></li>\
         <li>Enter two consecutive codes from the app.</li></ol>\
         <form method=\"post\" action=\"{action}\">{csrf}\
         <input type=\"hidden\" name=\"serial\" value=\"{serial}\">\
         <input type=\"hidden\" name=\"seed\" value=\"{seed}\">\
         <input type=\"hidden\" name=\"qr\" value=\"{qr}\">\
         <label for=\"code1\">MFA code 1</label>\
         <input id=\"code1\" name=\"code1\" required inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" autocomplete=\"off\">\
         <label for=\"code2\">MFA code 2</label>\
         <input id=\"code2\" name=\"code2\" required inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" autocomplete=\"off\">\
         <button type=\"submit\" class=\"primary\">Add MFA</button></form></section>",
        err = error.map(error_box).unwrap_or_default(),
        qr = esc(qr),
        seed = esc(seed),
        serial = esc(serial),
        action = esc(action),
        csrf = csrf(c),
    )
}

pub fn mfa_enable(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let result = c.call(&[
        ("Action", "EnableMFADevice"),
        ("UserName", name),
        ("SerialNumber", r.f("serial")),
        ("AuthenticationCode1", r.f("code1")),
        ("AuthenticationCode2", r.f("code2")),
    ]);
    match result {
        Ok(_) => {
            let to = if c.caller.user_id == user_id_of(c, name) {
                "/console/security-credentials?notice=MFA+device+assigned".to_owned()
            } else {
                format!("/console/users/{}?notice=MFA+device+assigned", url(name))
            };
            Reply::Redirect(to)
        }
        Err(e) => {
            let action = format!("/console/users/{}/mfa/enable", url(name));
            mfa_form_failed(c, "Users", "Set up virtual MFA device", &action, r, &e)
        }
    }
}

fn user_id_of(c: &Console, name: &str) -> String {
    c.app
        .snapshot()
        .user(&c.caller.account, name)
        .map(|u| u.id.clone())
        .unwrap_or_default()
}

pub fn mfa_remove(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    let serial = r.f("serial");
    let result = c
        .call(&[
            ("Action", "DeactivateMFADevice"),
            ("UserName", name),
            ("SerialNumber", serial),
        ])
        .and_then(|_| {
            if serial.contains(":mfa/") {
                c.call(&[
                    ("Action", "DeleteVirtualMFADevice"),
                    ("SerialNumber", serial),
                ])
            } else {
                Ok(iam::Response::DeactivateMFADevice)
            }
        });
    back_to_user(c, name, result, "MFA device removed")
}

/// Enables console access with a password (given, or generated and shown once), or
/// disables it.
pub fn console_access(c: &Console, name: &str, r: &ConsoleRequest) -> Reply {
    if r.f("action") == "disable" {
        let result = c.call(&[("Action", "DeleteLoginProfile"), ("UserName", name)]);
        return back_to_user(c, name, result, "Console access disabled");
    }
    let password = if r.f("password").is_empty() {
        crate::model::passwords::generate_password()
    } else {
        r.f("password").to_owned()
    };
    match c.call(&[
        ("Action", "CreateLoginProfile"),
        ("UserName", name),
        ("Password", &password),
    ]) {
        Ok(_) => Reply::ok(page(
            c,
            "Users",
            "Console access enabled",
            &credentials(c, name, Some(&password), None),
        )),
        Err(e) => html::failed(
            c,
            "Users",
            name,
            &e,
            &format!("/console/users/{}", url(name)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn generated_passwords_have_every_class() {
        for _ in 0..50 {
            let p = crate::model::passwords::generate_password();
            assert_eq!(p.chars().count(), 20);
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()));
        }
    }
}
