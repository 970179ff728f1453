//! HTML building: [`esc`], the one escaping helper every piece of text and attribute goes
//! through, the page layout (top bar, navigation, main) and small widgets. Plain functions
//! over `format!` rather than a template engine: the pages are few and simple, and this
//! keeps the dependency tree lean. The CSS and JS are embedded with `include_str!`.

use std::fmt::Write as _;

use axum::http::StatusCode;
use oxiam_protocol::error::ApiError;

use super::{Console, Reply};

pub const CSS: &str = include_str!("style.css");
pub const JS: &str = include_str!("console.js");

/// Escapes text for HTML content and (double-quoted) attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What links leave unescaped: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment or query value for a link.
pub fn url(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// A page without the navigation (sign-in, errors before sign-in).
pub fn bare(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} | oxiam</title><link rel=\"stylesheet\" href=\"/console/static/style.css\">\
         <script src=\"/console/static/console.js\" defer></script></head>\
         <body class=\"bare\"><header class=\"top\"><span class=\"brand\">oxiam</span>\
         <span class=\"service\">IAM</span></header>\
         <main class=\"signin\">{body}</main></body></html>",
        t = esc(title)
    )
}

/// A signed-in page: top bar with the principal and sign-out, navigation, `body`.
pub fn page(c: &Console, active: &str, title: &str, body: &str) -> String {
    let mut nav = String::new();
    for (href, label) in [
        ("/console/home", "Dashboard"),
        ("/console/users", "Users"),
        ("/console/groups", "User groups"),
        ("/console/roles", "Roles"),
        ("/console/policies", "Policies"),
        ("/console/account-settings", "Account settings"),
        ("/console/security-credentials", "My security credentials"),
    ] {
        let current = if label == active {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(nav, "<li><a href=\"{href}\"{current}>{label}</a></li>");
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} | IAM | oxiam</title><link rel=\"stylesheet\" href=\"/console/static/style.css\">\
         <script src=\"/console/static/console.js\" defer></script></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header class=\"top\"><a class=\"brand\" href=\"/console/home\">oxiam</a>\
         <span class=\"service\">IAM</span>{report_only}<span class=\"spacer\"></span>\
         <span class=\"who\" title=\"{arn}\">{who} @ {account}</span>\
         <form method=\"post\" action=\"/console/signout\" class=\"inline\">{csrf}\
         <button type=\"submit\" class=\"link\">Sign out</button></form></header>\
         <div class=\"shell\"><nav aria-label=\"Identity and Access Management\"><h2>Access management</h2>\
         <ul>{nav}</ul></nav><main id=\"main\"><h1>{t}</h1>{body}</main></div></body></html>",
        t = esc(title),
        arn = esc(&c.caller.arn),
        who = esc(&c.who()),
        account = esc(&c.caller.account),
        csrf = csrf(c),
        report_only = report_only_banner(c),
    )
}

/// On every page of a report-only account: its policy denials are not enforced, which
/// nobody working in it should overlook.
fn report_only_banner(c: &Console) -> &'static str {
    if crate::auth::authz::is_report_only(&c.app.snapshot(), &c.caller.account) {
        "<a class=\"report-only\" id=\"report-only-banner\" role=\"status\" \
         href=\"/console/account-settings#enforcement\">REPORT-ONLY: policy denials are \
         not enforced</a>"
    } else {
        ""
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(c: &Console) -> String {
    format!(
        "<input type=\"hidden\" name=\"_csrf\" value=\"{}\">",
        esc(c.csrf())
    )
}

/// A row of a group's users or of a user's groups: the member, linked to its page under
/// `/console/{kind}/`, and a button posting `field=member` to `remove` (`aria`: what the
/// button does, for screen readers).
pub fn member_row(
    c: &Console,
    kind: &str,
    member: &str,
    remove: &str,
    field: &str,
    aria: &str,
) -> Vec<String> {
    vec![
        format!(
            "<a href=\"/console/{kind}/{}\">{}</a>",
            url(member),
            esc(member)
        ),
        button(c, remove, &[(field, member)], "Remove", aria),
    ]
}

/// A one-button form posting `hidden` fields to `action` (row actions: detach, remove).
pub fn button(
    c: &Console,
    action: &str,
    hidden: &[(&str, &str)],
    label: &str,
    aria: &str,
) -> String {
    let mut out = format!(
        "<form method=\"post\" action=\"{}\" class=\"inline\">{}",
        esc(action),
        csrf(c)
    );
    for (k, v) in hidden {
        let _ = write!(
            out,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        );
    }
    let _ = write!(
        out,
        "<button type=\"submit\" class=\"danger\" aria-label=\"{}\">{}</button></form>",
        esc(aria),
        esc(label)
    );
    out
}

/// An AWS error as a page shows it: its code and message.
pub fn error_box(e: &ApiError) -> String {
    format!(
        "<div class=\"alert error\" role=\"alert\"><strong>{}</strong><p>{}</p></div>",
        esc(e.code.code()),
        esc(&e.message)
    )
}

pub fn notice(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    format!(
        "<div class=\"alert success\" role=\"status\">{}</div>",
        esc(text)
    )
}

/// The HTTP status the API would answer `e` with.
pub fn status_of(e: &ApiError) -> StatusCode {
    StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// The status of a form page: its error's when it is shown again after a failed call.
pub fn form_status(error: Option<&ApiError>) -> StatusCode {
    error.map_or(StatusCode::OK, status_of)
}

/// A failed action: the page with AWS's error, under the HTTP status the API would give.
pub fn failed(c: &Console, active: &str, title: &str, e: &ApiError, back: &str) -> Reply {
    Reply::Html(
        status_of(e),
        page(
            c,
            active,
            title,
            &format!("{}<p><a href=\"{}\">Back</a></p>", error_box(e), esc(back)),
        ),
    )
}

/// A table: header cells and rows of already-escaped HTML cells.
pub fn table(caption: &str, head: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    let mut out = format!("<table><caption>{}</caption><thead><tr>", esc(caption));
    for h in head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\" class=\"empty\">{}</td></tr>",
            head.len().max(1),
            esc(empty)
        );
    }
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Rows per page of a list: keeps every page well under the 50 KB budget.
pub const PAGE_ROWS: usize = 50;

/// One page (`?page=N`, from 1) of `rows`, and the "Showing a–b of n" line with previous
/// and next links that keep the other query parameters (`query`, already URL-encoded).
pub fn paginate(
    rows: Vec<Vec<String>>,
    page: &str,
    path: &str,
    query: &str,
) -> (Vec<Vec<String>>, String) {
    let total = rows.len();
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    let n = page.parse::<usize>().unwrap_or(1).clamp(1, pages);
    let start = (n - 1) * PAGE_ROWS;
    let shown: Vec<Vec<String>> = rows.into_iter().skip(start).take(PAGE_ROWS).collect();
    if pages == 1 {
        return (shown, String::new());
    }
    let link = |to: usize, label: &str, rel: &str| {
        format!("<a href=\"{path}?{query}&amp;page={to}\" rel=\"{rel}\">{label}</a>")
    };
    let mut nav = format!(
        "<nav class=\"pager\" aria-label=\"Pages\">Showing {}–{} of {total} ",
        start + 1,
        start + shown.len()
    );
    if n > 1 {
        nav.push_str(&link(n - 1, "Previous", "prev"));
    }
    if n < pages {
        nav.push(' ');
        nav.push_str(&link(n + 1, "Next", "next"));
    }
    nav.push_str("</nav>");
    (shown, nav)
}

/// A date as the console shows it.
pub fn date(d: Option<&oxiam_protocol::types::DateTime>) -> String {
    d.and_then(|d| {
        d.0.format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .ok()
    })
    .unwrap_or_else(|| "-".to_owned())
}

pub fn forbidden(why: &str) -> Reply {
    Reply::Html(
        StatusCode::FORBIDDEN,
        bare(
            "Forbidden",
            &format!(
                "<h1>Forbidden</h1><p>{}</p><p><a href=\"/console\">Console home</a></p>",
                esc(why)
            ),
        ),
    )
}

pub fn not_found(c: &Console) -> Reply {
    Reply::Html(
        StatusCode::NOT_FOUND,
        page(
            c,
            "",
            "Page not found",
            "<p>There is no such console page.</p>",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(esc("plain"), "plain");
        assert_eq!(url("a b/c"), "a%20b%2Fc");
        assert_eq!(url("my-corp_1.x~"), "my-corp_1.x~");
    }
}
