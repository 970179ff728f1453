//! The catalogue of AWS-owned role templates (`arn:aws:iam::aws:role-template/…`), shipped
//! as data (data/aws/role-templates.json, provenance in data/aws/README.md), and how a
//! template version turns replacement values into a role: [`RoleTemplate::version`] picks
//! the minor version, [`Resolved::new`] checks the values against the version's
//! `ParametersDefinition` and [`Resolved::substitute`] writes them into the patterns.
//!
//! Template versions are immutable, as AWS's are: a minor version once published never
//! changes, so a role records the template ARN and the minor version it came from.
//!
//! Substitution: a pattern names a parameter as `@{Name}` (AWS's notation, from the
//! GetRoleTemplateVersion example `Example-@{Department}`). Inside a JSON document a value
//! is written JSON-escaped, so a value cannot add statements or keys to a policy; a list
//! parameter that is a whole JSON string (`"@{Buckets}"`) becomes a JSON array.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::Epoch;

const DATA: &str = include_str!("../../../../data/aws/role-templates.json");

/// One AWS-owned role template (one major version), with its minor versions.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleTemplate {
    /// `arn:aws:iam::aws:role-template/<service principal>/<name>:<major version>`.
    pub template_arn: String,
    pub template_name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub major_version: i32,
    /// The minor version used when a request names none.
    pub default_minor_version: i32,
    /// A disabled template creates no roles (AcquireRole answers RoleTemplateDisabled).
    pub enabled: bool,
    #[serde(default, deserialize_with = "rfc3339")]
    pub create_timestamp: Option<Epoch>,
    pub versions: Vec<TemplateVersion>,
    /// Where the entry is stated (see data/aws/README.md).
    #[serde(default)]
    pub sources: Vec<String>,
    /// The fields no source states.
    #[serde(default)]
    pub inferred: Vec<String>,
}

/// One minor version of a template: what a role made from it gets.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateVersion {
    pub minor_version: i32,
    /// A disabled minor version creates no roles, as a disabled template.
    #[serde(default = "enabled")]
    pub version_enabled: bool,
    pub role_name_pattern: String,
    #[serde(default)]
    pub role_path_pattern: Option<String>,
    #[serde(default)]
    pub role_description_pattern: Option<String>,
    pub assume_role_policy_document_template: String,
    #[serde(default)]
    pub inline_policy_templates: Vec<InlinePolicyTemplate>,
    #[serde(default)]
    pub managed_policy_arns: Vec<String>,
    #[serde(default)]
    pub permission_boundary_arn: Option<String>,
    #[serde(default)]
    pub parameters_definition: Vec<Parameter>,
    #[serde(default)]
    pub role_tags_template: Vec<TagTemplate>,
    #[serde(default)]
    pub max_session_duration: Option<i32>,
    #[serde(default, deserialize_with = "rfc3339")]
    pub create_timestamp: Option<Epoch>,
}

fn enabled() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicyTemplate {
    pub policy_name: String,
    pub policy_document: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagTemplate {
    pub key: String,
    pub value: String,
}

/// A parameter a template version takes (AWS's `ParameterDefinition`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    pub name: String,
    /// `String`, `StringList`, `Number`, `NumberList`, `Arn` or `ArnList`.
    pub r#type: String,
    #[serde(default)]
    pub sub_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_required: bool,
    #[serde(default)]
    pub default_value: Option<String>,
    #[serde(default)]
    pub immutable: bool,
}

impl Parameter {
    fn is_list(&self) -> bool {
        self.r#type.ends_with("List")
    }
}

fn rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Epoch>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    text.map(|s| {
        time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .map_err(serde::de::Error::custom)
    })
    .transpose()
}

/// Why a request's template or values cannot make a role. Each maps to AWS's error in the
/// handler (`NoSuchEntity`, `InvalidInput`, `RoleTemplateDisabled`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("role template `{0}` does not exist")]
    NoSuchTemplate(String),
    #[error("role template `{arn}` has no minor version `{minor}`")]
    NoSuchMinorVersion { arn: String, minor: i32 },
    #[error("role template `{0}` is disabled")]
    Disabled(String),
    #[error("parameter `{0}` is not defined by the role template version")]
    UnknownParameter(String),
    #[error("required parameter `{0}` has no value")]
    MissingParameter(String),
    #[error("parameter `{name}` takes {what}")]
    BadValue { name: String, what: &'static str },
}

impl RoleTemplate {
    /// The minor version `minor`, or the default minor version when the request names none.
    pub fn version(&self, minor: Option<i32>) -> Result<&TemplateVersion, TemplateError> {
        let minor = minor.unwrap_or(self.default_minor_version);
        self.versions
            .iter()
            .find(|v| v.minor_version == minor)
            .ok_or_else(|| TemplateError::NoSuchMinorVersion {
                arn: self.template_arn.clone(),
                minor,
            })
    }
}

/// The catalogue, sorted by template ARN, loaded on first use.
pub fn catalogue() -> &'static [RoleTemplate] {
    static CATALOGUE: OnceLock<Vec<RoleTemplate>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut templates: Vec<RoleTemplate> = match serde_json::from_str(DATA) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "the role template catalogue does not parse");
                Vec::new()
            }
        };
        templates.sort_by(|a, b| a.template_arn.cmp(&b.template_arn));
        templates
    })
}

/// The template `arn` names (exactly, as AWS's ARNs are case-sensitive).
pub fn get(arn: &str) -> Result<&'static RoleTemplate, TemplateError> {
    let templates = catalogue();
    templates
        .binary_search_by(|t| t.template_arn.as_str().cmp(arn))
        .ok()
        .and_then(|i| templates.get(i))
        .ok_or_else(|| TemplateError::NoSuchTemplate(arn.to_owned()))
}

/// A template version with the request's values checked against its parameters: every
/// value names a defined parameter, every required parameter has one, single-valued types
/// have exactly one, numbers are numbers and ARNs are ARNs.
#[derive(Debug)]
pub struct Resolved<'t> {
    pub template: &'t RoleTemplate,
    pub version: &'t TemplateVersion,
    values: BTreeMap<&'t str, Vec<String>>,
}

impl<'t> Resolved<'t> {
    pub fn new(
        template: &'t RoleTemplate,
        version: &'t TemplateVersion,
        given: &BTreeMap<String, Vec<String>>,
    ) -> Result<Resolved<'t>, TemplateError> {
        if let Some(unknown) = given
            .keys()
            .find(|k| !version.parameters_definition.iter().any(|p| &p.name == *k))
        {
            return Err(TemplateError::UnknownParameter(unknown.clone()));
        }
        let mut values = BTreeMap::new();
        for p in &version.parameters_definition {
            let value = match (given.get(&p.name), &p.default_value) {
                (Some(v), _) => v.clone(),
                (None, Some(default)) => vec![default.clone()],
                (None, None) if p.is_required => {
                    return Err(TemplateError::MissingParameter(p.name.clone()));
                }
                (None, None) => Vec::new(),
            };
            check_value(p, &value)?;
            values.insert(p.name.as_str(), value);
        }
        Ok(Resolved {
            template,
            version,
            values,
        })
    }

    /// `pattern` with each `@{Name}` replaced by the parameter's value (list values joined
    /// by `,`); an unknown name is left as written.
    pub fn substitute(&self, pattern: &str) -> String {
        self.replace(pattern, |values| values.join(","))
    }

    /// A JSON document template with each `@{Name}` replaced by the value, JSON-escaped;
    /// `"@{Name}"` of a list parameter becomes a JSON array of its values.
    pub fn substitute_document(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (name, values) in &self.values {
            let list = self
                .version
                .parameters_definition
                .iter()
                .any(|p| p.name == *name && p.is_list());
            if list {
                let array = serde_json::Value::from(values.clone()).to_string();
                out = out.replace(&format!("\"@{{{name}}}\""), &array);
            }
        }
        self.replace(&out, |values| {
            let joined = values.join(",");
            let quoted = serde_json::Value::from(joined).to_string();
            // The escaped text without its surrounding quotes.
            quoted
                .get(1..quoted.len().saturating_sub(1))
                .unwrap_or_default()
                .to_owned()
        })
    }

    fn replace(&self, pattern: &str, render: impl Fn(&[String]) -> String) -> String {
        let mut out = String::with_capacity(pattern.len());
        let mut rest = pattern;
        while let Some(start) = rest.find("@{") {
            let (before, tail) = rest.split_at(start);
            out.push_str(before);
            let name_and_more = tail.get(2..).unwrap_or_default();
            match name_and_more.find('}') {
                Some(end) => {
                    let name = name_and_more.get(..end).unwrap_or_default();
                    match self.values.get(name) {
                        Some(values) => out.push_str(&render(values)),
                        None => {
                            out.push_str("@{");
                            out.push_str(name);
                            out.push('}');
                        }
                    }
                    rest = name_and_more.get(end + 1..).unwrap_or_default();
                }
                None => {
                    out.push_str(tail);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn check_value(p: &Parameter, values: &[String]) -> Result<(), TemplateError> {
    let bad = |what| TemplateError::BadValue {
        name: p.name.clone(),
        what,
    };
    if !p.is_list() && values.len() > 1 {
        return Err(bad("exactly one value"));
    }
    let base = p.r#type.trim_end_matches("List");
    for v in values {
        match base {
            "Number" if v.parse::<f64>().map_or(true, |n| !n.is_finite()) => {
                return Err(bad("numbers"));
            }
            "Arn" if !v.starts_with("arn:") => return Err(bad("ARNs")),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect()
    }

    #[test]
    fn every_entry_parses_and_names_its_own_arn() {
        let templates = catalogue();
        assert!(templates.len() >= 2, "{} templates", templates.len());
        for t in templates {
            assert!(
                t.template_arn
                    .starts_with("arn:aws:iam::aws:role-template/"),
                "{}",
                t.template_arn
            );
            assert!(
                t.template_arn
                    .ends_with(&format!("/{}:{}", t.template_name, t.major_version)),
                "{}",
                t.template_arn
            );
            t.version(None).unwrap();
            for v in &t.versions {
                serde_json::from_str::<serde_json::Value>(&v.assume_role_policy_document_template)
                    .unwrap();
                for arn in &v.managed_policy_arns {
                    assert!(crate::model::aws_managed::get(arn).is_some(), "{arn}");
                }
            }
        }
    }

    #[test]
    fn default_and_named_minor_versions() {
        let t = get("arn:aws:iam::aws:role-template/awsserviceprincipal/Example:1").unwrap();
        assert_eq!(t.version(None).unwrap().minor_version, 1);
        assert_eq!(t.version(Some(1)).unwrap().minor_version, 1);
        assert_eq!(
            t.version(Some(7)).unwrap_err(),
            TemplateError::NoSuchMinorVersion {
                arn: t.template_arn.clone(),
                minor: 7
            }
        );
        assert!(matches!(
            get("arn:aws:iam::aws:role-template/x/Nope:1"),
            Err(TemplateError::NoSuchTemplate(_))
        ));
    }

    #[test]
    fn values_are_checked_against_the_parameters() {
        let t = get("arn:aws:iam::aws:role-template/iam.amazonaws.com/PowerUserRoleTemplate:1")
            .unwrap();
        let v = t.version(None).unwrap();
        let ok = values(&[
            ("RoleName", &["app"]),
            ("AWSServiceName", &["lambda.amazonaws.com"]),
        ]);
        let r = Resolved::new(t, v, &ok).unwrap();
        assert_eq!(r.substitute(&v.role_name_pattern), "app");
        assert_eq!(
            Resolved::new(t, v, &values(&[("RoleName", &["app"])])).unwrap_err(),
            TemplateError::MissingParameter("AWSServiceName".into())
        );
        let mut extra = ok.clone();
        extra.insert("Unused".into(), vec!["x".into()]);
        assert_eq!(
            Resolved::new(t, v, &extra).unwrap_err(),
            TemplateError::UnknownParameter("Unused".into())
        );
        let two = values(&[
            ("RoleName", &["a", "b"]),
            ("AWSServiceName", &["lambda.amazonaws.com"]),
        ]);
        assert!(matches!(
            Resolved::new(t, v, &two),
            Err(TemplateError::BadValue { .. })
        ));
    }

    #[test]
    fn document_values_are_json_escaped() {
        let t = get("arn:aws:iam::aws:role-template/iam.amazonaws.com/PowerUserRoleTemplate:1")
            .unwrap();
        let v = t.version(None).unwrap();
        let hostile = values(&[
            ("RoleName", &["app"]),
            ("AWSServiceName", &["x\"},{\"AWS\":\"*"]),
        ]);
        let r = Resolved::new(t, v, &hostile).unwrap();
        let doc = r.substitute_document(&v.assume_role_policy_document_template);
        let parsed: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            parsed["Statement"][0]["Principal"]["Service"],
            "x\"},{\"AWS\":\"*"
        );
    }

    #[test]
    fn list_parameters_become_arrays_in_documents() {
        let t = RoleTemplate {
            template_arn: "arn:aws:iam::aws:role-template/s3.amazonaws.com/T:1".into(),
            template_name: "T".into(),
            description: None,
            major_version: 1,
            default_minor_version: 0,
            enabled: true,
            create_timestamp: None,
            versions: vec![TemplateVersion {
                minor_version: 0,
                version_enabled: true,
                role_name_pattern: "r-@{Team}".into(),
                role_path_pattern: None,
                role_description_pattern: None,
                assume_role_policy_document_template:
                    r#"{"Resource":"@{Buckets}","Sid":"@{Team}x"}"#.into(),
                inline_policy_templates: Vec::new(),
                managed_policy_arns: Vec::new(),
                permission_boundary_arn: None,
                parameters_definition: vec![
                    Parameter {
                        name: "Buckets".into(),
                        r#type: "ArnList".into(),
                        sub_type: None,
                        description: None,
                        is_required: true,
                        default_value: None,
                        immutable: false,
                    },
                    Parameter {
                        name: "Team".into(),
                        r#type: "String".into(),
                        sub_type: None,
                        description: None,
                        is_required: false,
                        default_value: Some("core".into()),
                        immutable: false,
                    },
                ],
                role_tags_template: Vec::new(),
                max_session_duration: None,
                create_timestamp: None,
            }],
            sources: Vec::new(),
            inferred: Vec::new(),
        };
        let v = t.version(None).unwrap();
        let r = Resolved::new(
            &t,
            v,
            &values(&[("Buckets", &["arn:aws:s3:::a", "arn:aws:s3:::b"])]),
        )
        .unwrap();
        assert_eq!(r.substitute(&v.role_name_pattern), "r-core");
        assert_eq!(
            r.substitute_document(&v.assume_role_policy_document_template),
            r#"{"Resource":["arn:aws:s3:::a","arn:aws:s3:::b"],"Sid":"corex"}"#
        );
        assert!(matches!(
            Resolved::new(&t, v, &values(&[("Buckets", &["not-an-arn"])])),
            Err(TemplateError::BadValue { .. })
        ));
    }
}
