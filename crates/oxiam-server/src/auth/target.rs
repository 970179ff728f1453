//! [`Target`]: what a request asks to do, as policies see it — the action, the resource
//! ARN, the condition keys the request sets, and the further actions it needs allowed.
//! The operations table (`crate::ops`) builds one per request; authorization reads it.

use oxiam_policy::{Context, ContextValue, Principal, Request};
use oxiam_protocol::{iam, sts};

use crate::model::Tag;

/// What a request asks to do, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `iam:CreateUser`, `sts:GetCallerIdentity`, …
    pub action: String,
    /// The resource ARN AWS authorizes the action on.
    pub resource: String,
    /// Whether the action needs no permission at all (sts:GetCallerIdentity), or is
    /// decided by its handler (sts:AssumeRole, with the role's trust policy).
    pub always_allowed: bool,
    /// The condition keys this request sets (`iam:PolicyARN`, `aws:RequestTag/…`,
    /// `aws:ResourceTag/…`, …), besides the global keys the pipeline adds.
    pub keys: Vec<(String, ContextValue)>,
    /// How AccessDenied messages name the resource when not by its ARN: IAM names an
    /// entity the request addresses by name as `user NAME`, `role NAME`, `group NAME`,
    /// `instance profile NAME`, `server certificate NAME`, and a managed policy as
    /// `policy ARN` (one being created as `policy NAME`, ListPolicies as `policy path
    /// PREFIX`); other created resources and List* prefixes by ARN.
    pub display: Option<String>,
    /// Further actions AWS authorizes for this request ("dependent actions": `iam:PassRole`
    /// on the role added to an instance profile); each must be allowed too.
    pub dependent: Vec<Target>,
}

impl Target {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Target {
        Target {
            action: action.into(),
            resource: resource.into(),
            always_allowed: false,
            keys: Vec::new(),
            display: None,
            dependent: Vec::new(),
        }
    }

    /// The policy engine's request: `principal` asks for this action on this resource,
    /// owned by `resource_account`, in `context`.
    pub fn request<'a>(
        &'a self,
        principal: Principal<'a>,
        resource_account: &'a str,
        context: &'a Context,
    ) -> Request<'a> {
        Request {
            principal,
            action: &self.action,
            resource: &self.resource,
            resource_account: Some(resource_account),
            context,
        }
    }

    /// An action that needs no permission (or is decided by its handler).
    pub fn always(action: impl Into<String>, resource: impl Into<String>) -> Target {
        Target {
            always_allowed: true,
            ..Target::new(action, resource)
        }
    }

    /// Named `shown` in AccessDenied messages (see [`Target::display`]).
    pub fn shown_as(mut self, shown: impl Into<String>) -> Target {
        self.display = Some(shown.into());
        self
    }

    /// The resource as AccessDenied messages show it.
    pub fn shown_resource(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.resource)
    }

    pub fn key(&mut self, key: &str, value: impl Into<ContextValue>) {
        self.keys.push((key.to_owned(), value.into()));
    }

    /// [`Target::key`], for building a target in one expression.
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Target {
        self.key(key, value);
        self
    }

    /// `aws:ResourceTag/<key>` for each tag of an existing resource.
    pub fn resource_tags(mut self, tags: &[Tag]) -> Target {
        for t in tags {
            self.key(&format!("aws:ResourceTag/{}", t.key), t.value.as_str());
        }
        self
    }

    /// `aws:RequestTag/<key>` for each tag in the request, and `aws:TagKeys` (set even when
    /// the request has a `Tags` member without entries, absent when it has none).
    pub fn request_tags(self, tags: Option<&[iam::Tag]>) -> Target {
        self.tags_of_request(tags.map(|t| t.iter().map(|t| (&*t.key, &*t.value))))
    }

    /// [`Target::request_tags`] for the tag map a REST-JSON request passes (Access
    /// Analyzer's `tags`).
    pub fn request_tag_map(
        self,
        tags: Option<&std::collections::BTreeMap<String, String>>,
    ) -> Target {
        self.tags_of_request(tags.map(|t| t.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    }

    /// [`Target::request_tags`] for the session tags an STS request passes.
    pub fn session_tags(self, tags: Option<&[sts::Tag]>) -> Target {
        self.tags_of_request(tags.map(|t| t.iter().map(|t| (&*t.key, &*t.value))))
    }

    fn tags_of_request<'a>(
        mut self,
        tags: Option<impl Iterator<Item = (&'a str, &'a str)> + Clone>,
    ) -> Target {
        let Some(tags) = tags else { return self };
        for (key, value) in tags.clone() {
            self.key(&format!("aws:RequestTag/{key}"), value);
        }
        self.tag_keys(&tags.map(|(key, _)| key.to_owned()).collect::<Vec<_>>())
    }

    /// `aws:TagKeys` of an Untag* request.
    pub fn tag_keys(self, keys: &[String]) -> Target {
        self.with("aws:TagKeys", keys.to_vec())
    }

    /// `iam:PermissionsBoundary`: the boundary a request sets, or the one the entity has.
    pub fn boundary(self, arn: Option<&str>) -> Target {
        match arn {
            Some(arn) => self.with("iam:PermissionsBoundary", arn),
            None => self,
        }
    }

    /// A further action this request needs allowed (see [`Target::dependent`]).
    pub fn needs(mut self, dependent: Target) -> Target {
        self.dependent.push(dependent);
        self
    }

    /// A create request with tags also needs the resource type's tagging action (`iam:TagUser`
    /// for CreateUser, …) allowed on the resource it creates, with the same `aws:RequestTag/…`
    /// and `aws:TagKeys` keys (IAM User Guide, "Tagging IAM resources"). Without tags in the
    /// request, nothing is added. Call after [`Target::request_tags`].
    pub fn with_tagging(self, action: &str) -> Target {
        if !self
            .keys
            .iter()
            .any(|(k, _)| k.starts_with("aws:RequestTag/"))
        {
            return self;
        }
        let mut tagging = Target::new(action, self.resource.clone());
        tagging.display.clone_from(&self.display);
        tagging.keys = self
            .keys
            .iter()
            .filter(|(k, _)| k.starts_with("aws:RequestTag/") || k == "aws:TagKeys")
            .cloned()
            .collect();
        self.needs(tagging)
    }
}
