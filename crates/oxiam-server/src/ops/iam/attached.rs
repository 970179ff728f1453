//! Attach/Detach/ListAttached{User,Group,Role}Policies, and [`Holder`]: what users, groups
//! and roles share as holders of policies (also used by `inline`).

use std::sync::Arc;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::{Ctx, paginate};
use crate::model::error::{ServerError, api, limit_exceeded, no_such_entity, validation};
use crate::model::quotas::Quotas;
use crate::model::{Group, InlinePolicies, Role, User};
use crate::state::{Entity, State, Tx};

/// A user, group or role: an entity policies attach to.
pub trait Holder: Entity + Clone {
    /// AWS's name of the kind in messages and quota names (`User`, `Group`, `Role`).
    const KIND: &'static str;
    fn find<'s>(state: &'s State, account: &str, name: &str) -> Option<&'s Arc<Self>>;
    fn name(&self) -> &str;
    fn attached(&self) -> &Vec<String>;
    fn attached_mut(&mut self) -> &mut Vec<String>;
    fn inline(&self) -> &InlinePolicies;
    fn inline_mut(&mut self) -> &mut InlinePolicies;
    /// The aggregate size quota of the entity's inline policies.
    fn inline_quota(quotas: &Quotas) -> usize;
    /// Service-linked roles are modifiable only by their service.
    fn check_modifiable(&self) -> Result<(), ServerError> {
        Ok(())
    }

    /// The entity named in the caller's account, or AWS's NoSuchEntity.
    fn get<'s>(state: &'s State, account: &str, name: &str) -> Result<&'s Arc<Self>, ServerError> {
        Self::find(state, account, name).ok_or_else(|| {
            no_such_entity(format!(
                "The {} with name {name} cannot be found.",
                Self::KIND.to_lowercase()
            ))
        })
    }
}

/// The accessors of [`Holder`]: users, groups and roles keep their name and policies in
/// fields of the same names.
macro_rules! holder_fields {
    () => {
        fn name(&self) -> &str {
            &self.name
        }
        fn attached(&self) -> &Vec<String> {
            &self.attached_policies
        }
        fn attached_mut(&mut self) -> &mut Vec<String> {
            &mut self.attached_policies
        }
        fn inline(&self) -> &InlinePolicies {
            &self.inline_policies
        }
        fn inline_mut(&mut self) -> &mut InlinePolicies {
            &mut self.inline_policies
        }
    };
}

impl Holder for User {
    const KIND: &'static str = "User";
    fn find<'s>(state: &'s State, account: &str, name: &str) -> Option<&'s Arc<Self>> {
        state.user(account, name)
    }
    holder_fields!();
    fn inline_quota(quotas: &Quotas) -> usize {
        quotas.user_inline_policy_size
    }
}

impl Holder for Group {
    const KIND: &'static str = "Group";
    fn find<'s>(state: &'s State, account: &str, name: &str) -> Option<&'s Arc<Self>> {
        state.group(account, name)
    }
    holder_fields!();
    fn inline_quota(quotas: &Quotas) -> usize {
        quotas.group_inline_policy_size
    }
}

impl Holder for Role {
    const KIND: &'static str = "Role";
    fn find<'s>(state: &'s State, account: &str, name: &str) -> Option<&'s Arc<Self>> {
        state.role(account, name)
    }
    holder_fields!();
    fn inline_quota(quotas: &Quotas) -> usize {
        quotas.role_inline_policy_size
    }
    fn check_modifiable(&self) -> Result<(), ServerError> {
        if self.path.starts_with("/aws-service-role/") {
            return Err(api(
                ErrorCode::UnmodifiableEntity,
                format!(
                    "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                    self.name
                ),
            ));
        }
        Ok(())
    }
}

/// A managed policy as attachments see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub name: String,
    pub path: String,
    /// AWS managed policies under `/aws-service-role/` attach only to service-linked roles.
    pub service_role_policy: bool,
}

/// A managed policy by ARN: a customer policy of the caller's account or an AWS managed one.
pub fn policy_ref(state: &State, account: &str, arn: &str) -> Option<PolicyRef> {
    if let Some(p) = crate::model::aws_managed::get(arn) {
        return Some(PolicyRef {
            name: p.name.clone(),
            path: p.path.clone(),
            service_role_policy: p.path.starts_with("/aws-service-role/"),
        });
    }
    state
        .policy_by_arn(arn)
        .filter(|p| p.account == account)
        .map(|p| PolicyRef {
            name: p.name.clone(),
            path: p.path.clone(),
            service_role_policy: false,
        })
}

/// The policy an attach names, as AWS checks it: a well-formed ARN, an existing policy, an
/// attachable one. Also used for permissions boundaries.
pub fn attachable(
    state: &State,
    account: &str,
    arn: &str,
    kind: &str,
) -> Result<PolicyRef, ServerError> {
    // A policy named where its ARN belongs (`ReadOnlyAccess`): AWS answers ValidationError
    // with this text (recorded, two spaces included); an ARN of something else that is
    // not a policy is InvalidInput (below, `policy_ref`).
    if !arn.starts_with("arn:") || arn.split(':').count() < 6 {
        return Err(validation("Invalid ARN:  Could not be parsed!"));
    }
    let policy = policy_ref(state, account, arn).ok_or_else(|| {
        no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
    })?;
    if policy.service_role_policy {
        return Err(api(
            ErrorCode::PolicyNotAttachable,
            format!("Cannot attach a Service Role Policy to a Customer {kind}."),
        ));
    }
    Ok(policy)
}

fn attach<E: Holder>(ctx: &Ctx<'_>, tx: &mut Tx, name: &str, arn: &str) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let entity = E::get(tx.state(), account, name)?;
    entity.check_modifiable()?;
    attachable(tx.state(), account, arn, E::KIND)?;
    // Attaching an attached policy again succeeds and changes nothing, as in AWS.
    if entity.attached().iter().any(|a| a == arn) {
        return Ok(());
    }
    let max = ctx.quotas.managed_policies_per_entity;
    if entity.attached().len() >= max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for PoliciesPer{}: {max}",
            E::KIND
        )));
    }
    let mut entity = E::clone(entity);
    entity.attached_mut().push(arn.to_owned());
    tx.put(entity)
}

fn detach<E: Holder>(ctx: &Ctx<'_>, tx: &mut Tx, name: &str, arn: &str) -> Result<(), ServerError> {
    let entity = E::get(tx.state(), &ctx.caller.account, name)?;
    entity.check_modifiable()?;
    // A policy named where its ARN belongs (`ReadOnlyAccess`): AWS answers ValidationError
    // with this text (recorded, two spaces included); an ARN of something else that is
    // not a policy is InvalidInput (below, `policy_ref`).
    if !arn.starts_with("arn:") || arn.split(':').count() < 6 {
        return Err(validation("Invalid ARN:  Could not be parsed!"));
    }
    if !entity.attached().iter().any(|a| a == arn) {
        return Err(no_such_entity(format!("Policy {arn} was not found.")));
    }
    let mut entity = E::clone(entity);
    entity.attached_mut().retain(|a| a != arn);
    tx.put(entity)
}

/// One page of an entity's attached policies, in attachment order, filtered by path prefix.
fn list<E: Holder>(
    ctx: &Ctx<'_>,
    tx: &Tx,
    name: &str,
    path_prefix: Option<&str>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<iam::AttachedPolicy>, Option<String>), ServerError> {
    let state = tx.state();
    let account = &ctx.caller.account;
    let entity = E::get(state, account, name)?;
    let prefix = path_prefix.unwrap_or("/");
    let items = entity.attached().iter().enumerate().filter_map(|(i, arn)| {
        let p = policy_ref(state, account, arn);
        let (name, path) = match &p {
            Some(p) => (p.name.clone(), p.path.as_str()),
            None => (arn.rsplit('/').next().unwrap_or(arn).to_owned(), "/"),
        };
        path.starts_with(prefix).then(|| {
            (
                format!("{i:04}"),
                iam::AttachedPolicy {
                    policy_name: Some(name),
                    policy_arn: Some(arn.clone()),
                },
            )
        })
    });
    let page = paginate(items, marker, max_items)?;
    Ok((page.items, page.next_marker))
}

pub fn attach_user_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AttachUserPolicyRequest,
) -> Result<(), ServerError> {
    attach::<User>(ctx, tx, &r.user_name, &r.policy_arn)
}

pub fn detach_user_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DetachUserPolicyRequest,
) -> Result<(), ServerError> {
    detach::<User>(ctx, tx, &r.user_name, &r.policy_arn)
}

pub fn list_attached_user_policies(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListAttachedUserPoliciesRequest,
) -> Result<iam::ListAttachedUserPoliciesResponse, ServerError> {
    let (items, marker) = list::<User>(
        ctx,
        tx,
        &r.user_name,
        r.path_prefix.as_deref(),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::ListAttachedUserPoliciesResponse {
        attached_policies: Some(items),
        is_truncated: Some(marker.is_some()),
        marker,
    })
}

pub fn attach_group_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AttachGroupPolicyRequest,
) -> Result<(), ServerError> {
    attach::<Group>(ctx, tx, &r.group_name, &r.policy_arn)
}

pub fn detach_group_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DetachGroupPolicyRequest,
) -> Result<(), ServerError> {
    detach::<Group>(ctx, tx, &r.group_name, &r.policy_arn)
}

pub fn list_attached_group_policies(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListAttachedGroupPoliciesRequest,
) -> Result<iam::ListAttachedGroupPoliciesResponse, ServerError> {
    let (items, marker) = list::<Group>(
        ctx,
        tx,
        &r.group_name,
        r.path_prefix.as_deref(),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::ListAttachedGroupPoliciesResponse {
        attached_policies: Some(items),
        is_truncated: Some(marker.is_some()),
        marker,
    })
}

pub fn attach_role_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AttachRolePolicyRequest,
) -> Result<(), ServerError> {
    attach::<Role>(ctx, tx, &r.role_name, &r.policy_arn)
}

pub fn detach_role_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DetachRolePolicyRequest,
) -> Result<(), ServerError> {
    detach::<Role>(ctx, tx, &r.role_name, &r.policy_arn)
}

pub fn list_attached_role_policies(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListAttachedRolePoliciesRequest,
) -> Result<iam::ListAttachedRolePoliciesResponse, ServerError> {
    let (items, marker) = list::<Role>(
        ctx,
        tx,
        &r.role_name,
        r.path_prefix.as_deref(),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::ListAttachedRolePoliciesResponse {
        attached_policies: Some(items),
        is_truncated: Some(marker.is_some()),
        marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::authn::Caller;
    use crate::model::fixtures::{self, ACCOUNT, group};
    use crate::ops::iam::inline;
    use oxiam_store::crypto::Kek;

    fn role(name: &str, path: &str) -> Role {
        Role {
            path: path.into(),
            ..fixtures::role(name, &format!("AROA{name}"))
        }
    }

    fn world() -> Tx {
        let kek = Arc::new(Kek::generate());
        let mut tx = Tx::new(Arc::new(State::default()), Arc::clone(&kek));
        tx.put(group("Devs")).unwrap();
        tx.put(role("app", "/")).unwrap();
        tx.put(role(
            "AWSServiceRoleForSupport",
            "/aws-service-role/support.amazonaws.com/",
        ))
        .unwrap();
        let (_, state) = tx.finish().unwrap();
        Tx::new(Arc::new(state), kek)
    }

    fn aws(name: &str) -> String {
        format!("arn:aws:iam::aws:policy/{name}")
    }

    fn code(e: ServerError) -> (ErrorCode, String) {
        let api = e.to_api(oxiam_protocol::Service::Iam);
        (api.code, api.message)
    }

    #[test]
    fn group_and_role_attachments_with_quota_names() {
        let caller = Caller::root(ACCOUNT, "AKIAROOT");
        let quotas = Quotas {
            managed_policies_per_entity: 1,
            ..Quotas::default()
        };
        let ctx = Ctx {
            caller: &caller,
            quotas: &quotas,
            env: &crate::auth::decide::RequestEnv::now(),
        };
        let mut tx = world();
        let attach_g = |tx: &mut Tx, p: &str| {
            attach_group_policy(
                &ctx,
                tx,
                &iam::AttachGroupPolicyRequest {
                    group_name: "devs".into(),
                    policy_arn: aws(p),
                },
            )
        };
        attach_g(&mut tx, "ReadOnlyAccess").unwrap();
        attach_g(&mut tx, "ReadOnlyAccess").unwrap();
        let (c, m) = code(attach_g(&mut tx, "IAMReadOnlyAccess").unwrap_err());
        assert_eq!(c, ErrorCode::LimitExceeded);
        assert_eq!(m, "Cannot exceed quota for PoliciesPerGroup: 1");
        let listed = list_attached_group_policies(
            &ctx,
            &mut tx,
            &iam::ListAttachedGroupPoliciesRequest {
                group_name: "Devs".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            listed.attached_policies.unwrap()[0].policy_name.as_deref(),
            Some("ReadOnlyAccess")
        );

        let attach_r = |tx: &mut Tx, role: &str, p: &str| {
            attach_role_policy(
                &ctx,
                tx,
                &iam::AttachRolePolicyRequest {
                    role_name: role.into(),
                    policy_arn: aws(p),
                },
            )
        };
        attach_r(&mut tx, "app", "ReadOnlyAccess").unwrap();
        let (c, m) = code(attach_r(&mut tx, "app", "AdministratorAccess").unwrap_err());
        assert_eq!(
            (c, m.as_str()),
            (
                ErrorCode::LimitExceeded,
                "Cannot exceed quota for PoliciesPerRole: 1"
            )
        );
        let (c, m) = code(
            attach_r(
                &mut tx,
                "app",
                "aws-service-role/AWSSupportServiceRolePolicy",
            )
            .unwrap_err(),
        );
        assert_eq!(c, ErrorCode::PolicyNotAttachable);
        assert_eq!(m, "Cannot attach a Service Role Policy to a Customer Role.");
        let (c, _) =
            code(attach_r(&mut tx, "AWSServiceRoleForSupport", "ReadOnlyAccess").unwrap_err());
        assert_eq!(c, ErrorCode::UnmodifiableEntity);
        detach_role_policy(
            &ctx,
            &mut tx,
            &iam::DetachRolePolicyRequest {
                role_name: "app".into(),
                policy_arn: aws("ReadOnlyAccess"),
            },
        )
        .unwrap();
        assert!(
            tx.state()
                .role(ACCOUNT, "app")
                .unwrap()
                .attached_policies
                .is_empty()
        );
    }

    #[test]
    fn group_and_role_inline_quotas_and_messages() {
        let caller = Caller::root(ACCOUNT, "AKIAROOT");
        let quotas = Quotas::default();
        let ctx = Ctx {
            caller: &caller,
            quotas: &quotas,
            env: &crate::auth::decide::RequestEnv::now(),
        };
        let mut tx = world();
        let doc = |len: usize| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}}}"#,
                "x".repeat(len)
            )
        };
        // A role holds 10,240 characters of inline policies, beyond the 6,144 of one
        // managed policy; a group 5,120.
        let put_r = |tx: &mut Tx, name: &str, d: String| {
            inline::put_role_policy(
                &ctx,
                tx,
                &iam::PutRolePolicyRequest {
                    role_name: "app".into(),
                    policy_name: name.into(),
                    policy_document: d,
                },
            )
        };
        put_r(&mut tx, "big", doc(8000)).unwrap();
        let (c, m) = code(put_r(&mut tx, "more", doc(3000)).unwrap_err());
        assert_eq!(c, ErrorCode::LimitExceeded);
        assert_eq!(
            m,
            "Maximum policy size of 10240 bytes exceeded for role app"
        );
        let put_g = |tx: &mut Tx, d: String| {
            inline::put_group_policy(
                &ctx,
                tx,
                &iam::PutGroupPolicyRequest {
                    group_name: "devs".into(),
                    policy_name: "g".into(),
                    policy_document: d,
                },
            )
        };
        let (_, m) = code(put_g(&mut tx, doc(5100)).unwrap_err());
        assert_eq!(
            m,
            "Maximum policy size of 5120 bytes exceeded for group Devs"
        );
        put_g(&mut tx, doc(100)).unwrap();
        let got = inline::get_group_policy(
            &ctx,
            &mut tx,
            &iam::GetGroupPolicyRequest {
                group_name: "devs".into(),
                policy_name: "g".into(),
            },
        )
        .unwrap();
        assert_eq!(got.group_name, "Devs");
        assert!(got.policy_document.starts_with("%7B%22Version%22"));
        let (c, m) = code(
            inline::delete_role_policy(
                &ctx,
                &mut tx,
                &iam::DeleteRolePolicyRequest {
                    role_name: "app".into(),
                    policy_name: "nope".into(),
                },
            )
            .unwrap_err(),
        );
        assert_eq!(c, ErrorCode::NoSuchEntity);
        assert_eq!(m, "The role policy with name nope cannot be found.");
        let (c, _) = code(
            inline::put_role_policy(
                &ctx,
                &mut tx,
                &iam::PutRolePolicyRequest {
                    role_name: "AWSServiceRoleForSupport".into(),
                    policy_name: "p".into(),
                    policy_document: doc(10),
                },
            )
            .unwrap_err(),
        );
        assert_eq!(c, ErrorCode::UnmodifiableEntity);
    }
}
