//! Role templates: GetRoleTemplateVersion and AcquireRole, over the catalogue of AWS-owned
//! templates ([`role_templates`]).
//!
//! AcquireRole makes a real role: the template version's patterns, filled with the
//! request's replacement values, become a CreateRole request decoded by the protocol's own
//! decoder (so a name, path, description or tag the values produce is validated exactly as
//! CreateRole validates it), then CreateRole, PutRolePolicy and AttachRolePolicy run on it in
//! the same transaction: the role is made whole or not at all. The role records the
//! template ARN and minor version (`SourceRoleTemplate`).
//!
//! A role of that name made from the same template, and still as the template made it, is
//! returned as it is (AWS: "If a role that matches the template already exists in the
//! account, AcquireRole returns that role"); any other role of that name is a NameConflict.

use std::collections::BTreeMap;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;
use oxiam_protocol::query::Params;

use super::roles::{self, Detail, wire_role};
use super::{Ctx, attached, encode_document, inline};
use crate::auth::target::Target;
use crate::model::error::{ServerError, api, invalid_input, no_such_entity};
use crate::model::role_templates::{self, Resolved, RoleTemplate, TemplateError, TemplateVersion};
use crate::model::{Role, SourceRoleTemplate, to_datetime};
use crate::ops::Resolver;
use crate::state::Tx;

/// The ARN prefix of AWS-owned role templates.
const TEMPLATE_ARN_PREFIX: &str = "arn:aws:iam::aws:role-template/";
/// The condition key set on every action AcquireRole performs (IAM User Guide: SCPs deny
/// `iam:*` where `iam:RoleTemplateARN` is not null to stop templated role creation).
const ROLE_TEMPLATE_ARN_KEY: &str = "iam:RoleTemplateARN";

/// AWS's error for each way a template or its values cannot serve the request.
fn template_error(e: TemplateError) -> ServerError {
    match e {
        TemplateError::NoSuchTemplate(arn) => {
            no_such_entity(format!("The role template with ARN {arn} cannot be found."))
        }
        TemplateError::NoSuchMinorVersion { arn, minor } => no_such_entity(format!(
            "Minor version {minor} of the role template with ARN {arn} cannot be found."
        )),
        TemplateError::Disabled(arn) => api(
            ErrorCode::RoleTemplateDisabled,
            format!("The role template with ARN {arn} is disabled."),
        ),
        TemplateError::UnknownParameter(name) => invalid_input(format!(
            "Parameter {name} is not defined in the role template version."
        )),
        TemplateError::MissingParameter(name) => {
            invalid_input(format!("Missing value for required parameter {name}."))
        }
        TemplateError::BadValue { name, what } => {
            invalid_input(format!("Parameter {name} takes {what}."))
        }
    }
}

/// The template and minor version a request names. An ARN that is not a role template ARN
/// is InvalidInput; a minor version below zero too.
fn lookup(
    arn: &str,
    minor: Option<i32>,
) -> Result<(&'static RoleTemplate, &'static TemplateVersion), ServerError> {
    if !arn.starts_with("arn:aws:iam::") || !arn.contains(":role-template/") {
        return Err(invalid_input(format!("ARN {arn} is not valid.")));
    }
    if minor.is_some_and(|m| m < 0) {
        return Err(invalid_input(
            "Minor version must be a non-negative integer.",
        ));
    }
    if !arn.starts_with(TEMPLATE_ARN_PREFIX) {
        // Only AWS owns role templates: an account's ARN names none.
        return Err(template_error(TemplateError::NoSuchTemplate(
            arn.to_owned(),
        )));
    }
    let template = role_templates::get(arn).map_err(template_error)?;
    let version = template.version(minor).map_err(template_error)?;
    Ok((template, version))
}

pub fn get_role_template_version(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    r: &iam::GetRoleTemplateVersionRequest,
) -> Result<iam::GetRoleTemplateVersionResponse, ServerError> {
    let (t, v) = lookup(&r.template_arn, r.minor_version)?;
    Ok(iam::GetRoleTemplateVersionResponse {
        role_template_version: wire_template(t, v),
    })
}

/// A template version as GetRoleTemplateVersion returns it; empty lists are left out.
fn wire_template(t: &RoleTemplate, v: &TemplateVersion) -> iam::RoleTemplateVersion {
    iam::RoleTemplateVersion {
        template_arn: Some(t.template_arn.clone()),
        template_name: Some(t.template_name.clone()),
        template_version_id: None,
        description: t.description.clone(),
        major_version: Some(t.major_version),
        default_minor_version: Some(t.default_minor_version),
        managed_by_type: None,
        managed_by_value: None,
        enabled: Some(t.enabled),
        minor_version: Some(v.minor_version),
        role_name_pattern: Some(v.role_name_pattern.clone()),
        role_path_pattern: v.role_path_pattern.clone(),
        role_description_pattern: v.role_description_pattern.clone(),
        // Policy documents go URL-encoded, as IAM sends every document.
        assume_role_policy_document_template: Some(encode_document(
            &v.assume_role_policy_document_template,
        )),
        inline_policy_templates: (!v.inline_policy_templates.is_empty()).then(|| {
            v.inline_policy_templates
                .iter()
                .map(|p| iam::InlinePolicy {
                    policy_name: p.policy_name.clone(),
                    policy_document: encode_document(&p.policy_document),
                })
                .collect()
        }),
        managed_policy_arns: (!v.managed_policy_arns.is_empty())
            .then(|| v.managed_policy_arns.clone()),
        permission_boundary_arn: v.permission_boundary_arn.clone(),
        parameters_definition: (!v.parameters_definition.is_empty()).then(|| {
            v.parameters_definition
                .iter()
                .map(|p| iam::ParameterDefinition {
                    name: p.name.clone(),
                    r#type: p.r#type.clone(),
                    sub_type: p.sub_type.clone(),
                    description: p.description.clone(),
                    is_required: Some(p.is_required),
                    default_value: p.default_value.clone(),
                    immutable: Some(p.immutable),
                })
                .collect()
        }),
        role_tags_template: (!v.role_tags_template.is_empty()).then(|| {
            v.role_tags_template
                .iter()
                .map(|t| iam::TagTemplate {
                    key: t.key.clone(),
                    value: t.value.clone(),
                })
                .collect()
        }),
        max_session_duration: v.max_session_duration,
        version_enabled: Some(v.version_enabled),
        create_timestamp: v.create_timestamp.or(t.create_timestamp).map(to_datetime),
        update_timestamp: None,
    }
}

/// The role a request would make: the template version's patterns with the request's values.
#[derive(Debug)]
struct Plan {
    template: &'static RoleTemplate,
    version: &'static TemplateVersion,
    name: String,
    path: Option<String>,
    description: Option<String>,
    trust_policy: String,
    inline_policies: Vec<(String, String)>,
    managed_policies: Vec<String>,
    boundary: Option<String>,
    tags: Vec<iam::Tag>,
}

impl Plan {
    fn new(r: &iam::AcquireRoleRequest) -> Result<Plan, ServerError> {
        let (template, version) = lookup(&r.template_arn, r.template_minor_version)?;
        let given: BTreeMap<String, Vec<String>> = r
            .replacement_values
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.values.clone()))
            .collect();
        let values = Resolved::new(template, version, &given).map_err(template_error)?;
        let text = |p: &Option<String>| p.as_deref().map(|p| values.substitute(p));
        Ok(Plan {
            template,
            version,
            name: values.substitute(&version.role_name_pattern),
            path: text(&version.role_path_pattern),
            description: text(&version.role_description_pattern),
            trust_policy: values.substitute_document(&version.assume_role_policy_document_template),
            inline_policies: version
                .inline_policy_templates
                .iter()
                .map(|p| {
                    (
                        values.substitute(&p.policy_name),
                        values.substitute_document(&p.policy_document),
                    )
                })
                .collect(),
            managed_policies: version
                .managed_policy_arns
                .iter()
                .map(|a| values.substitute(a))
                .collect(),
            boundary: text(&version.permission_boundary_arn),
            tags: version
                .role_tags_template
                .iter()
                .map(|t| iam::Tag {
                    key: values.substitute(&t.key),
                    value: values.substitute(&t.value),
                })
                .collect(),
        })
    }

    /// The CreateRole request, as its wire parameters, decoded and validated by the
    /// protocol's decoder: a value that makes a bad name, path, description or tag gets
    /// CreateRole's own ValidationError.
    fn create_role_request(&self) -> Result<iam::CreateRoleRequest, ServerError> {
        let duration = self.version.max_session_duration.map(|d| d.to_string());
        let mut pairs: Vec<(String, String)> = vec![
            ("Action".into(), "CreateRole".into()),
            ("RoleName".into(), self.name.clone()),
            ("AssumeRolePolicyDocument".into(), self.trust_policy.clone()),
        ];
        let optional = [
            ("Path", &self.path),
            ("Description", &self.description),
            ("PermissionsBoundary", &self.boundary),
            ("MaxSessionDuration", &duration),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                pairs.push((name.into(), value.clone()));
            }
        }
        for (i, tag) in self.tags.iter().enumerate() {
            let n = i + 1;
            pairs.push((format!("Tags.member.{n}.Key"), tag.key.clone()));
            pairs.push((format!("Tags.member.{n}.Value"), tag.value.clone()));
        }
        let params: Params = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match iam::Request::decode(&params)? {
            iam::Request::CreateRole(create) => Ok(create),
            other => Err(ServerError::Internal(format!(
                "a CreateRole request decoded as {}",
                other.operation().name()
            ))),
        }
    }
}

/// What AcquireRole is authorized on. AWS evaluates "each underlying IAM action against the
/// user's permissions" (IAM User Guide, "Manage access to role manager"), each with
/// `iam:RoleTemplateARN`, the key AWS's SCP examples test to tell templated role creation
/// from other calls; those examples list the actions: `iam:GetRoleTemplateVersion` on the
/// template, then `iam:GetRole` on the role when it exists, or `iam:CreateRole` on the new
/// role (with its tags and boundary) and, as the template needs, `iam:TagRole`,
/// `iam:PutRolePermissionsBoundary`, `iam:PutRolePolicy` and `iam:AttachRolePolicy` (with
/// `iam:PolicyARN`). No `iam:AcquireRole` permission is asked: the User Guide lists what a
/// caller needs and it is not among them. A request whose template or values do not
/// resolve is authorized on the template alone: its handler refuses it.
pub fn acquire_role_target(r: &iam::AcquireRoleRequest, x: &Resolver<'_>) -> Target {
    let template_arn = r.template_arn.as_str();
    let underlying = |action: &str, arn: &str| {
        Target::new(action, arn).with(ROLE_TEMPLATE_ARN_KEY, template_arn)
    };
    let read_template = underlying("iam:GetRoleTemplateVersion", template_arn);
    let Ok(plan) = Plan::new(r) else {
        return read_template;
    };
    if x.state.role(x.account(), &plan.name).is_some() {
        let role = x.role(&plan.name);
        let mut get = underlying("iam:GetRole", &role.arn).resource_tags(&role.tags);
        get.display = role.display;
        return read_template.needs(get);
    }
    let role_arn = x.arn("role", plan.path.as_ref(), &plan.name);
    let boundary = plan.boundary.as_deref();
    let tags = (!plan.tags.is_empty()).then_some(plan.tags.as_slice());
    let mut create = underlying("iam:CreateRole", &role_arn)
        .request_tags(tags)
        .with_tagging("iam:TagRole")
        .boundary(boundary);
    // Authorization reads one level of dependent actions: `iam:TagRole`, which
    // `with_tagging` hangs under CreateRole, moves up beside it.
    let tagging = std::mem::take(&mut create.dependent);
    let mut target = read_template.needs(create);
    for t in tagging {
        target = target.needs(t);
    }
    if boundary.is_some() {
        target = target
            .needs(underlying("iam:PutRolePermissionsBoundary", &role_arn).boundary(boundary));
    }
    if !plan.inline_policies.is_empty() {
        target = target.needs(underlying("iam:PutRolePolicy", &role_arn).boundary(boundary));
    }
    for policy in &plan.managed_policies {
        target = target.needs(
            underlying("iam:AttachRolePolicy", &role_arn)
                .with("iam:PolicyARN", policy.as_str())
                .boundary(boundary),
        );
    }
    target
}

/// Whether `role` is the one the plan makes: created from the same template and still as
/// the template made it. AWS: "After you change a role's policies or trust policies, role
/// manager no longer manages that role" (IAM User Guide, "Apply least-privilege permissions
/// to a role created automatically"); such a role is an ordinary role of that name.
fn matches(role: &Role, plan: &Plan) -> bool {
    let from_template = role
        .source_role_template
        .as_ref()
        .is_some_and(|s| s.template_arn == plan.template.template_arn);
    let same_policies = plan.inline_policies.len() == role.inline_policies.len()
        && plan
            .inline_policies
            .iter()
            .all(|(name, doc)| role.inline_policies.get(name).is_some_and(|d| d == doc));
    let mut attached = role.attached_policies.clone();
    let mut wanted = plan.managed_policies.clone();
    attached.sort_unstable();
    wanted.sort_unstable();
    from_template
        && role.assume_role_policy == plan.trust_policy
        && same_policies
        && attached == wanted
}

pub fn acquire_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AcquireRoleRequest,
) -> Result<iam::AcquireRoleResponse, ServerError> {
    let plan = Plan::new(r)?;
    if !plan.template.enabled || !plan.version.version_enabled {
        return Err(template_error(TemplateError::Disabled(
            r.template_arn.clone(),
        )));
    }
    let account = &ctx.caller.account;
    if let Some(existing) = tx.state().role(account, &plan.name) {
        if matches(existing, &plan) {
            return Ok(iam::AcquireRoleResponse {
                role: wire_role(existing, Detail::Create),
            });
        }
        return Err(api(
            ErrorCode::NameConflict,
            format!(
                "The role name {} conflicts with an existing role in the account.",
                plan.name
            ),
        ));
    }
    let create = plan.create_role_request()?;
    roles::create_role(ctx, tx, &create)?;
    for (policy_name, policy_document) in &plan.inline_policies {
        inline::put_role_policy(
            ctx,
            tx,
            &iam::PutRolePolicyRequest {
                role_name: plan.name.clone(),
                policy_name: policy_name.clone(),
                policy_document: policy_document.clone(),
            },
        )?;
    }
    for policy_arn in &plan.managed_policies {
        attached::attach_role_policy(
            ctx,
            tx,
            &iam::AttachRolePolicyRequest {
                role_name: plan.name.clone(),
                policy_arn: policy_arn.clone(),
            },
        )?;
    }
    let mut role = roles::find(tx.state(), account, &plan.name)?
        .as_ref()
        .clone();
    role.source_role_template = Some(SourceRoleTemplate {
        template_arn: plan.template.template_arn.clone(),
        minor_version: plan.version.minor_version,
    });
    let wire = wire_role(&role, Detail::Create);
    tx.put(role)?;
    Ok(iam::AcquireRoleResponse { role: wire })
}

#[cfg(test)]
mod tests;
