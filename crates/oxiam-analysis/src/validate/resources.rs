//! `Resource` and `NotResource`: each ARN's form (`arn:partition:service:region:account:
//! resource`), its partition, the case of its service, its account, and, for services in
//! the catalogue, its Region, account and resource part against the ARN formats of the
//! service's resource types; policy variables outside version 2012-10-17; entries another
//! entry already covers.

use oxiam_policy::wildcard_match;

use super::grammar::{Entry, Statement};
use super::{Ctx, IssueCode, variables};

/// Partitions AWS has.
const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

pub(crate) fn check(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    let Some((element, _)) = s.resources() else {
        return;
    };
    let entries = element.entries();
    for entry in &entries {
        arn(ctx, entry);
    }
    for (i, entry) in entries.iter().enumerate() {
        let redundant = entries.iter().enumerate().any(|(j, other)| {
            j != i && covers(other.text, entry.text) && (j < i || !covers(entry.text, other.text))
        });
        if redundant {
            let at = ctx.node_location(&entry.path, entry.node);
            ctx.report(
                IssueCode::RedundantResource,
                "The resource ARN(s) are redundant because they reference the same resource. Review the use of wildcards (*)".into(),
                vec![at],
            );
        }
    }
}

/// Every resource `inner` names is named by `outer`. Sound: `outer`'s `*` may stand for
/// `inner`'s own `*`; with a `?` in `outer` that is not so, and only wildcard-free `inner`s
/// are compared.
fn covers(outer: &str, inner: &str) -> bool {
    if outer.contains("${") || inner.contains("${") {
        return false;
    }
    if inner.contains(['*', '?']) && outer.contains('?') {
        return false;
    }
    wildcard_match(outer, inner, false)
}

/// The variable `${…}` spans of `text` turned into `*`, for matching.
fn without_variables(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        match rest.get(start..).and_then(|r| r.find('}')) {
            Some(end) => {
                out.push('*');
                rest = rest.get(start + end + 1..).unwrap_or("");
            }
            None => {
                out.push_str(rest.get(start..).unwrap_or(""));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn arn(ctx: &mut Ctx<'_>, entry: &Entry<'_, '_>) {
    let text = entry.text;
    if text == "*" {
        return;
    }
    let at = ctx.node_location(&entry.path, entry.node);
    if text.contains("${") && !ctx.variables {
        ctx.report(
            IssueCode::VariableUnsupportedInVersion,
            "To include variables in your policy, use the policy version 2012-10-17 or later."
                .into(),
            vec![at.clone()],
        );
    } else if ctx.variables {
        variables::check(ctx, &entry.path, entry.node, text);
    }
    let text = without_variables(text);
    if !text.starts_with("arn:") {
        ctx.report(
            IssueCode::InvalidArnPrefix,
            "Add the required prefix (arn) to the resource ARN.".into(),
            vec![at],
        );
        return;
    }
    let fields: Vec<&str> = text.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = fields.as_slice() else {
        ctx.report(
            IssueCode::MissingArnField,
            "Resource ARNs must include at least 6 fields in the following structure: arn:partition:service:region:account:resource".into(),
            vec![at],
        );
        return;
    };
    let wild = |s: &str| s.contains(['*', '?']);
    if !wild(partition) && !PARTITIONS.contains(partition) {
        ctx.report(
            IssueCode::InvalidPartition,
            format!(
                "The resource ARN for the service {service} does not support the partition {partition}. Use the supported values: {}",
                PARTITIONS.join(", ")
            ),
            vec![at],
        );
        return;
    }
    if wild(service) {
        if *service != "*" {
            ctx.report(
                IssueCode::WildcardInServiceName,
                "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.".into(),
                vec![at],
            );
        }
        return;
    }
    if service.bytes().any(|b| b.is_ascii_uppercase()) {
        ctx.report(
            IssueCode::InvalidArnServiceCase,
            format!("Update the service name {service} in the resource ARN to use all lowercase letters."),
            vec![at],
        );
        return;
    }
    // `aws` is the account of AWS managed policies (`arn:aws:iam::aws:policy/…`).
    let valid_account = account.is_empty()
        || wild(account)
        || *account == "aws"
        || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    if !valid_account {
        ctx.report(
            IssueCode::InvalidArnAccount,
            format!(
                "The resource ARN account ID {account} is not valid. Provide a 12-digit account ID."
            ),
            vec![at],
        );
        return;
    }
    if !region.is_empty() && !wild(region) && !is_region_shaped(region) {
        ctx.report(
            IssueCode::InvalidArnRegion,
            format!("The Region {region} is not valid for this resource. Update the resource ARN to include a supported Region."),
            vec![at],
        );
        return;
    }
    let Some(known) = ctx.catalogue.service(service) else {
        return;
    };
    // The service's ARN formats, split: (region, account, resource part).
    let formats: Vec<(String, String, String)> = known
        .resource_types
        .iter()
        .filter_map(|r| {
            let f: Vec<&str> = r.arn_format.splitn(6, ':').collect();
            match f.as_slice() {
                [_, _, _, region, account, resource] => Some((
                    (*region).to_owned(),
                    (*account).to_owned(),
                    (*resource).to_owned(),
                )),
                _ => None,
            }
        })
        .collect();
    if formats.is_empty() {
        return;
    }
    if !region.is_empty() && !wild(region) && formats.iter().all(|(r, _, _)| r.is_empty()) {
        ctx.report(
            IssueCode::ArnRegionNotAllowed,
            format!(
                "The service {service} does not support specifying a Region in the resource ARN."
            ),
            vec![at],
        );
        return;
    }
    if region.is_empty() && formats.iter().all(|(r, _, _)| !r.is_empty()) {
        ctx.report(
            IssueCode::MissingArnRegion,
            "Add a Region to the resource ARN.".into(),
            vec![at],
        );
        return;
    }
    if !account.is_empty() && !wild(account) && formats.iter().all(|(_, a, _)| a.is_empty()) {
        ctx.report(
            IssueCode::ArnAccountNotAllowed,
            format!("The service {service} does not support specifying an account ID in the resource ARN."),
            vec![at],
        );
        return;
    }
    if wild(resource) {
        return;
    }
    let fits = formats
        .iter()
        .any(|(_, _, format)| wildcard_match(&placeholders_as_wildcards(format), resource, false));
    if !fits {
        ctx.report(
            IssueCode::InvalidArnResource,
            "Resource ARN does not match the expected ARN format. Update the resource portion of the ARN.".into(),
            vec![at],
        );
    }
}

/// A Region code's shape: lower-case words and a number, joined by `-` (`us-east-1`,
/// `us-gov-west-1`, `eusc-de-east-1`). Only the shape: a list of Regions would call every
/// Region opened after it invalid.
pub(crate) fn is_region_shaped(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    match parts.split_last() {
        Some((number, words)) => {
            words.len() >= 2
                && (1..=2).contains(&number.len())
                && number.bytes().all(|b| b.is_ascii_digit())
                && words
                    .iter()
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        }
        None => false,
    }
}

/// An ARN format's resource part as a pattern: each `${Placeholder}` takes one character
/// or more (`?*`).
fn placeholders_as_wildcards(format: &str) -> String {
    without_variables(format).replace('*', "?*")
}
