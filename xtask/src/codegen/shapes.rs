//! The Rust types and codecs of one service.
//!
//! For each structure reachable from an operation: a struct (fields in model order, `Option`
//! unless `required`). For each shape reachable from an input: a `dec_*` function calling the
//! `codec::Decoder` primitive of its kind with its constraints. For each structure reachable
//! from an output: an `XmlEncode` impl. Then `Operation`, `Request` and `Response`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use super::{HEADER, Service, field_ident, lit, snake_case};
use crate::json::Json;

/// Names the generated module defines itself; a model structure may not take them.
const RESERVED: &[&str] = &[
    "Operation",
    "Request",
    "Response",
    "DateTime",
    "BTreeMap",
    "Params",
    "ApiError",
    "Decoder",
    "Key",
    "StrRule",
    "NumRule",
    "LenRule",
    "XmlEncode",
    "XmlWriter",
    "String",
    "Vec",
    "Option",
];

struct Shape<'a> {
    name: &'a str,
    json: &'a Json,
    kind: &'a str,
}

struct Model<'a> {
    service: &'a Service,
    shapes: HashMap<&'a str, Shape<'a>>,
    /// Shape names in model order, for deterministic output.
    order: Vec<&'a str>,
    /// Snake-case names of shapes, unique among generated shapes.
    snake: HashMap<&'a str, String>,
}

struct Op<'a> {
    name: &'a str,
    /// The input shape; operations without one get an empty `{name}Request` struct so
    /// that every `Request` variant holds a type that implements `Input`.
    input: Option<&'a str>,
    /// `authtype: none`: served without a SigV4 signature (the request carries its own
    /// credential, a web identity token or a SAML assertion).
    unsigned: bool,
    output: Option<&'a str>,
    wrapper: Option<&'a str>,
}

impl<'a> Model<'a> {
    fn shape(&self, name: &str) -> Result<&Shape<'a>, String> {
        self.shapes
            .get(name)
            .ok_or_else(|| format!("shape `{name}` is referenced but not defined"))
    }

    fn is_sensitive(&self, name: &str) -> bool {
        self.service.extra_sensitive.contains(&name)
            || self
                .shapes
                .get(name)
                .and_then(|s| s.json.get("sensitive"))
                .and_then(Json::as_bool)
                == Some(true)
    }

    /// Whether a member of this shape must not be printed: the shape is sensitive, or it is
    /// a list or map holding sensitive values. (A structure prints itself: its `Debug`
    /// redacts its own secrets.)
    fn holds_secret(&self, name: &str) -> Result<bool, String> {
        if self.is_sensitive(name) {
            return Ok(true);
        }
        let shape = self.shape(name)?;
        Ok(match shape.kind {
            "list" => self.holds_secret(target(shape.json, "member")?)?,
            "map" => {
                self.holds_secret(target(shape.json, "key")?)?
                    || self.holds_secret(target(shape.json, "value")?)?
            }
            _ => false,
        })
    }

    /// The Rust type of a shape.
    fn rust_type(&self, name: &str) -> Result<String, String> {
        let shape = self.shape(name)?;
        Ok(match shape.kind {
            "string" => "String".to_owned(),
            "integer" => "i32".to_owned(),
            "long" => "i64".to_owned(),
            "boolean" => "bool".to_owned(),
            "timestamp" => "DateTime".to_owned(),
            "blob" => "Vec<u8>".to_owned(),
            "list" => format!("Vec<{}>", self.rust_type(target(shape.json, "member")?)?),
            "map" => {
                let key = target(shape.json, "key")?;
                if self.shape(key)?.kind != "string" {
                    return Err(format!("map `{name}` has a non-string key"));
                }
                format!(
                    "BTreeMap<String, {}>",
                    self.rust_type(target(shape.json, "value")?)?
                )
            }
            "structure" => name.to_owned(),
            other => return Err(format!("shape `{name}` has unsupported type `{other}`")),
        })
    }

    /// Whether a shape is read from a single parameter (as opposed to names nested below it).
    fn is_scalar(&self, name: &str) -> Result<bool, String> {
        Ok(!matches!(
            self.shape(name)?.kind,
            "structure" | "list" | "map"
        ))
    }

    fn members(&self, name: &str) -> Result<Vec<Member<'a>>, String> {
        // The model marks these required, yet AWS leaves them out of some responses, so
        // they are generated optional: `GetUser` called by the account root answers
        // `UserId`, `Arn` and `CreateDate` only (no `Path`, no `UserName`).
        const LEFT_OUT_BY_AWS: &[(&str, &str)] = &[("User", "Path"), ("User", "UserName")];
        let shape = self.shape(name)?;
        let required: Vec<&str> = shape
            .json
            .get("required")
            .map(Json::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(Json::as_str)
            .collect();
        let mut members = Vec::new();
        for (member_name, member) in shape
            .json
            .get("members")
            .map(Json::as_object)
            .unwrap_or_default()
        {
            for unsupported in ["flattened", "xmlAttribute", "xmlNamespace"] {
                if member.get(unsupported).is_some() {
                    return Err(format!(
                        "{name}.{member_name}: `{unsupported}` is not supported"
                    ));
                }
            }
            let target = member
                .get("shape")
                .and_then(Json::as_str)
                .ok_or_else(|| format!("{name}.{member_name} has no shape"))?;
            let wire = member
                .get("locationName")
                .and_then(Json::as_str)
                .unwrap_or(member_name);
            members.push(Member {
                name: member_name,
                wire,
                field: field_ident(member_name)?,
                target,
                required: required.contains(&member_name.as_str())
                    && !LEFT_OUT_BY_AWS.contains(&(name, member_name.as_str())),
            });
        }
        Ok(members)
    }

    fn snake(&self, name: &str) -> String {
        self.snake
            .get(name)
            .cloned()
            .unwrap_or_else(|| snake_case(name))
    }

    /// Every shape reachable from `roots`, in model order.
    fn reachable(&self, roots: impl Iterator<Item = &'a str>) -> Result<BTreeSet<usize>, String> {
        let position: HashMap<&str, usize> = self
            .order
            .iter()
            .enumerate()
            .map(|(i, n)| (*n, i))
            .collect();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = roots.collect();
        while let Some(name) = stack.pop() {
            let index = *position
                .get(name)
                .ok_or_else(|| format!("shape `{name}` is referenced but not defined"))?;
            if !seen.insert(index) {
                continue;
            }
            let shape = self.shape(name)?;
            for (_, member) in shape
                .json
                .get("members")
                .map(Json::as_object)
                .unwrap_or_default()
            {
                stack.extend(member.get("shape").and_then(Json::as_str));
            }
            for part in ["member", "key", "value"] {
                if let Some(t) = shape
                    .json
                    .get(part)
                    .and_then(|p| p.get("shape"))
                    .and_then(Json::as_str)
                {
                    stack.push(t);
                }
            }
        }
        Ok(seen)
    }
}

struct Member<'a> {
    name: &'a str,
    wire: &'a str,
    field: String,
    target: &'a str,
    required: bool,
}

/// Lists and maps are written `Name.member.N` / `Name.entry.N.key`, `Name.entry.N.value`;
/// custom element names and flattened collections are not supported.
fn check_collection(shape: &Shape<'_>) -> Result<(), String> {
    let parts: &[&str] = match shape.kind {
        "list" => &["member"],
        "map" => &["key", "value"],
        _ => return Ok(()),
    };
    let custom = parts.iter().any(|part| {
        shape
            .json
            .get(part)
            .and_then(|p| p.get("locationName"))
            .is_some()
    });
    if custom || shape.json.get("flattened").is_some() {
        return Err(format!(
            "{} `{}`: custom member names are not supported",
            shape.kind, shape.name
        ));
    }
    Ok(())
}

fn target<'a>(json: &'a Json, part: &str) -> Result<&'a str, String> {
    json.get(part)
        .and_then(|p| p.get("shape"))
        .and_then(Json::as_str)
        .ok_or_else(|| format!("`{part}` has no shape"))
}

fn opt_num<T: std::fmt::Display>(value: Option<T>) -> String {
    match value {
        Some(v) => format!("Some({v})"),
        None => "None".to_owned(),
    }
}

pub fn generate(service: &Service, model_path: &str, json: &Json) -> Result<String, String> {
    let metadata = json.get("metadata").ok_or("model has no metadata")?;
    let namespace = metadata
        .get("xmlNamespace")
        .and_then(Json::as_str)
        .ok_or("model has no xmlNamespace")?;
    let api_version = metadata
        .get("apiVersion")
        .and_then(Json::as_str)
        .ok_or("model has no apiVersion")?;
    if api_version != service.api_version {
        return Err(format!(
            "{model_path}: apiVersion {api_version}, expected {}",
            service.api_version
        ));
    }
    if metadata.get("protocol").and_then(Json::as_str) != Some("query") {
        return Err(format!("{model_path}: not an AWS Query model"));
    }

    let mut shapes = HashMap::new();
    let mut order = Vec::new();
    for (name, shape) in json.get("shapes").map(Json::as_object).unwrap_or_default() {
        let kind = shape
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("shape `{name}` has no type"))?;
        shapes.insert(
            name.as_str(),
            Shape {
                name,
                json: shape,
                kind,
            },
        );
        order.push(name.as_str());
    }
    let mut model = Model {
        service,
        shapes,
        order,
        snake: HashMap::new(),
    };

    let mut ops = Vec::new();
    for (name, op) in json
        .get("operations")
        .map(Json::as_object)
        .unwrap_or_default()
    {
        let input = op
            .get("input")
            .and_then(|i| i.get("shape"))
            .and_then(Json::as_str);
        let output = op
            .get("output")
            .and_then(|o| o.get("shape"))
            .and_then(Json::as_str);
        let wrapper = op
            .get("output")
            .and_then(|o| o.get("resultWrapper"))
            .and_then(Json::as_str);
        if output.is_some() && wrapper.is_none() {
            return Err(format!("{name}: output without resultWrapper"));
        }
        let unsigned = op.get("authtype").and_then(Json::as_str) == Some("none");
        ops.push(Op {
            name,
            unsigned,
            input,
            output,
            wrapper,
        });
    }

    let inputs = model.reachable(ops.iter().filter_map(|o| o.input))?;
    let outputs = model.reachable(ops.iter().filter_map(|o| o.output))?;
    let all: BTreeSet<usize> = inputs.union(&outputs).copied().collect();
    let names = |set: &BTreeSet<usize>| -> Vec<&str> {
        set.iter()
            .filter_map(|&i| model.order.get(i).copied())
            .collect()
    };
    let (input_shapes, output_shapes, all_shapes) = (names(&inputs), names(&outputs), names(&all));

    // Decoder function names must be unique; the models have shapes that differ only in case.
    let mut taken: HashMap<String, &str> = HashMap::new();
    let mut snake = HashMap::new();
    for &name in &all_shapes {
        let base = snake_case(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains_key(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(candidate.clone(), name);
        snake.insert(name, candidate);
    }
    model.snake = snake;

    let mut body = String::new();
    let mut patterns: BTreeMap<String, usize> = BTreeMap::new();

    // Collections with custom element names would need other wire names than the codec's.
    for &name in &all_shapes {
        check_collection(model.shape(name)?)?;
    }

    // Types.
    for &name in &all_shapes {
        let shape = model.shape(name)?;
        if shape.kind != "structure" {
            continue;
        }
        if RESERVED.contains(&name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(format!("structure `{name}` cannot be a type name here"));
        }
        emit_struct(&model, shape, &mut body)?;
    }

    // Decoders.
    for &name in &input_shapes {
        emit_decoder(&model, model.shape(name)?, &mut body, &mut patterns)?;
    }

    // Encoders.
    for &name in &output_shapes {
        let shape = model.shape(name)?;
        if shape.kind == "structure" {
            emit_encoder(&model, shape, &mut body)?;
        }
    }

    emit_operations(&model, &ops, &mut body)?;

    // One static per distinct pattern, numbered in order of first use, so each is compiled
    // once per process.
    let mut by_index: Vec<(&usize, &String)> = patterns.iter().map(|(p, i)| (i, p)).collect();
    by_index.sort();
    body.push('\n');
    for (index, pattern) in &by_index {
        let _ = writeln!(
            body,
            "static PATTERN_{index}: Pattern = Pattern::new({});",
            lit(pattern)
        );
    }
    body.push_str("\n/// Every `pattern` of the model, for the test that they all parse.\n#[cfg(test)]\npub(crate) const PATTERNS: &[&Pattern] = &[\n");
    for (index, _) in &by_index {
        let _ = writeln!(body, "    &PATTERN_{index},");
    }
    body.push_str("];\n");

    let mut out = String::new();
    let _ = writeln!(out, "{HEADER}");
    let _ = writeln!(
        out,
        "//! {} {api_version}: types and codecs generated from `{model_path}`.\n\
         //!\n\
         //! Every structure of the model is a struct named as the shape; [`Request::decode`] reads\n\
         //! and validates an operation's input, [`Response::to_xml`] writes its output.\n",
        service.module.to_ascii_uppercase()
    );
    out.push_str(
        "#![allow(\n    clippy::large_enum_variant,\n    reason = \"a request or response is built once per call and moved, never stored in bulk\"\n)]\n\n",
    );
    for (needle, import) in [
        ("BTreeMap<", "use std::collections::BTreeMap;"),
        ("Redacted", "use crate::codec::Redacted;"),
        ("Decoder<", "use crate::codec::{Decoder, Key};"),
        ("StrRule::", "use crate::codec::StrRule;"),
        ("NumRule::", "use crate::codec::NumRule;"),
        ("LenRule::", "use crate::codec::LenRule;"),
        ("XmlEncode", "use crate::codec::XmlEncode;"),
        ("DateTime", "use crate::types::DateTime;"),
        ("XmlWriter", "use crate::xml::XmlWriter;"),
        ("Pattern::new", "use crate::pattern::Pattern;"),
    ] {
        if body.contains(needle) {
            let _ = writeln!(out, "{import}");
        }
    }
    out.push_str("use crate::codec;\nuse crate::error::ApiError;\nuse crate::query::Params;\n\n");
    let _ = writeln!(
        out,
        "/// The XML namespace of responses.\npub const XML_NAMESPACE: &str = {};\n\
         /// The API version requests name in `Version`.\npub const API_VERSION: &str = {};\n",
        lit(namespace),
        lit(api_version)
    );
    out.push_str(&body);
    Ok(out)
}

fn emit_struct(model: &Model<'_>, shape: &Shape<'_>, out: &mut String) -> Result<(), String> {
    let members = model.members(shape.name)?;
    // A sensitive structure (STS's `TrustedIdentityPropagationContext`) is secret as a whole.
    let whole = model.is_sensitive(shape.name);
    let sensitive: Vec<bool> = members
        .iter()
        .map(|m| Ok(whole || model.holds_secret(m.target)?))
        .collect::<Result<_, String>>()?;
    let redact = sensitive.contains(&true);
    let derives = if redact {
        "Clone, Default, PartialEq"
    } else {
        "Debug, Clone, Default, PartialEq"
    };
    let _ = writeln!(out, "#[derive({derives})]\npub struct {} {{", shape.name);
    for member in &members {
        let ty = model.rust_type(member.target)?;
        let ty = if member.required {
            ty
        } else {
            format!("Option<{ty}>")
        };
        let _ = writeln!(out, "    pub {}: {ty},", member.field);
    }
    out.push_str("}\n\n");
    if redact {
        let _ = writeln!(
            out,
            "impl std::fmt::Debug for {name} {{\n    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{\n        f.debug_struct({name_lit})",
            name = shape.name,
            name_lit = lit(shape.name)
        );
        for (member, &secret) in members.iter().zip(&sensitive) {
            let value = match (secret, member.required) {
                (false, _) => format!("&self.{}", member.field),
                (true, true) => "&Redacted".to_owned(),
                (true, false) => format!("&self.{}.as_ref().map(|_| Redacted)", member.field),
            };
            let _ = writeln!(
                out,
                "            .field({}, {value})",
                lit(member.field.trim_start_matches("r#"))
            );
        }
        out.push_str("            .finish()\n    }\n}\n\n");
    }
    Ok(())
}

fn len_rule(json: &Json) -> String {
    format!(
        "&LenRule::new({}, {})",
        opt_num(json.get("min").and_then(Json::as_i64)),
        opt_num(json.get("max").and_then(Json::as_i64))
    )
}

fn emit_decoder(
    model: &Model<'_>,
    shape: &Shape<'_>,
    out: &mut String,
    patterns: &mut BTreeMap<String, usize>,
) -> Result<(), String> {
    let ty = model.rust_type(shape.name)?;
    let fn_name = format!("dec_{}", model.snake(shape.name));
    let json = shape.json;
    let min = json.get("min").and_then(Json::as_i64);
    let max = json.get("max").and_then(Json::as_i64);
    // Validation messages leave out sensitive strings; nothing else can be kept out of them.
    if model.is_sensitive(shape.name) && shape.kind != "string" {
        return Err(format!(
            "sensitive {} `{}` in an input is not supported",
            shape.kind, shape.name
        ));
    }
    let body = match shape.kind {
        "string" => {
            let pattern = json.get("pattern").and_then(Json::as_str);
            let pattern_ref = match pattern {
                Some(p) => {
                    let next = patterns.len();
                    let index = *patterns.entry(p.to_owned()).or_insert(next);
                    format!("&PATTERN_{index}")
                }
                None => String::new(),
            };
            let values: Vec<String> = json
                .get("enum")
                .map(Json::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Json::as_str)
                .map(lit)
                .collect();
            let mut rule = format!("StrRule::new({}, {})", opt_num(min), opt_num(max));
            if pattern.is_some() {
                rule.push_str(&format!(".pattern({pattern_ref})"));
            }
            if !values.is_empty() {
                rule.push_str(&format!(".values(&[{}])", values.join(", ")));
            }
            if model.is_sensitive(shape.name) {
                rule.push_str(".sensitive()");
            }
            format!("d.string(k, &{rule})")
        }
        "integer" | "long" => format!(
            "d.{}(k, &NumRule::new({}, {}))",
            if shape.kind == "integer" {
                "int"
            } else {
                "long"
            },
            opt_num(min),
            opt_num(max)
        ),
        "boolean" => "d.boolean(k)".to_owned(),
        "timestamp" => "d.timestamp(k)".to_owned(),
        "blob" => format!("d.blob(k, {})", len_rule(json)),
        "list" => format!(
            "d.list(k, {}, dec_{})",
            len_rule(json),
            model.snake(target(json, "member")?)
        ),
        "map" => format!(
            "d.map(k, {}, dec_{}, dec_{})",
            len_rule(json),
            model.snake(target(json, "key")?),
            model.snake(target(json, "value")?)
        ),
        "structure" => {
            let members = model.members(shape.name)?;
            if members.is_empty() {
                let _ = writeln!(
                    out,
                    "fn {fn_name}(_: &mut Decoder<'_>, _: &Key) -> {ty} {{\n    {ty} {{}}\n}}\n"
                );
                return Ok(());
            }
            let mut fields = String::new();
            for m in &members {
                let method = match (model.is_scalar(m.target)?, m.required) {
                    (true, true) => "req",
                    (true, false) => "opt",
                    (false, true) => "req_nested",
                    (false, false) => "opt_nested",
                };
                let _ = writeln!(
                    fields,
                    "        {}: d.{method}(k, {}, dec_{}),",
                    m.field,
                    lit(m.wire),
                    model.snake(m.target)
                );
            }
            format!("{ty} {{\n{fields}    }}")
        }
        other => {
            return Err(format!(
                "shape `{}` has unsupported type `{other}`",
                shape.name
            ));
        }
    };
    let _ = writeln!(
        out,
        "fn {fn_name}(d: &mut Decoder<'_>, k: &Key) -> {ty} {{\n    {body}\n}}\n"
    );
    Ok(())
}

fn emit_encoder(model: &Model<'_>, shape: &Shape<'_>, out: &mut String) -> Result<(), String> {
    let members = model.members(shape.name)?;
    if members.is_empty() {
        let _ = writeln!(
            out,
            "impl XmlEncode for {} {{\n    fn encode(&self, _: &mut XmlWriter) {{}}\n}}\n",
            shape.name
        );
        return Ok(());
    }
    let _ = writeln!(
        out,
        "impl XmlEncode for {} {{\n    fn encode(&self, w: &mut XmlWriter) {{",
        shape.name
    );
    for m in &members {
        let target = model.shape(m.target)?;
        let blob = target.kind == "blob";
        if !blob && model.rust_type(m.target)?.contains("Vec<u8>") {
            return Err(format!(
                "{}.{}: blobs inside lists or maps are not supported",
                shape.name, m.name
            ));
        }
        let function = match (blob, m.required) {
            (false, true) => "field",
            (false, false) => "opt_field",
            (true, true) => "blob_field",
            (true, false) => "opt_blob_field",
        };
        let _ = writeln!(
            out,
            "        codec::{function}(w, {}, &self.{});",
            lit(m.wire),
            m.field
        );
    }
    out.push_str("    }\n}\n\n");
    Ok(())
}

fn emit_operations(model: &Model<'_>, ops: &[Op<'_>], out: &mut String) -> Result<(), String> {
    // Operation.
    out.push_str("/// Every operation of the model.\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum Operation {\n");
    for op in ops {
        let _ = writeln!(out, "    {},", op.name);
    }
    out.push_str("}\n\nimpl Operation {\n    /// Every operation, in model order.\n    pub const ALL: &'static [Operation] = &[\n");
    for op in ops {
        let _ = writeln!(out, "        Self::{},", op.name);
    }
    out.push_str("    ];\n\n    /// The name clients send in `Action`.\n    pub fn name(self) -> &'static str {\n        match self {\n");
    for op in ops {
        let _ = writeln!(out, "            Self::{} => {},", op.name, lit(op.name));
    }
    out.push_str("        }\n    }\n\n    /// The operation called `name` (case-sensitive, as AWS).\n    pub fn from_name(name: &str) -> Option<Self> {\n        Some(match name {\n");
    for op in ops {
        let _ = writeln!(out, "            {} => Self::{},", lit(op.name), op.name);
    }
    out.push_str("            _ => return None,\n        })\n    }\n\n    /// The element wrapping the result in a response, for operations with an output.\n    pub fn result_wrapper(self) -> Option<&'static str> {\n        match self {\n");
    let mut without = Vec::new();
    for op in ops {
        match op.wrapper {
            Some(wrapper) => {
                let _ = writeln!(
                    out,
                    "            Self::{} => Some({}),",
                    op.name,
                    lit(wrapper)
                );
            }
            None => without.push(format!("Self::{}", op.name)),
        }
    }
    if !without.is_empty() {
        let _ = writeln!(out, "            {} => None,", without.join(" | "));
    }
    out.push_str("        }\n    }\n\n    /// Whether requests must be SigV4-signed: false for the model's `authtype: none`\n    /// operations, whose token or assertion is the credential.\n    pub fn is_signed(self) -> bool {\n");
    let unsigned: Vec<String> = ops
        .iter()
        .filter(|o| o.unsigned)
        .map(|o| format!("Self::{}", o.name))
        .collect();
    if unsigned.is_empty() {
        out.push_str("        let _ = self;\n        true\n");
    } else {
        let _ = writeln!(out, "        !matches!(self, {})", unsigned.join(" | "));
    }
    out.push_str("    }\n}\n\n");

    // Inputs of operations without one in the model.
    for op in ops.iter().filter(|o| o.input.is_none()) {
        let _ = writeln!(
            out,
            "/// The input of `{0}`, which has no members.\n#[derive(Debug, Clone, Copy, Default, PartialEq)]\npub struct {0}Request;\n",
            op.name
        );
    }

    // Input: each operation's input type, tied to its output and response variant.
    for op in ops {
        let input = op
            .input
            .map_or_else(|| format!("{}Request", op.name), str::to_owned);
        let (output, respond) = match op.output {
            Some(output) => (output.to_owned(), format!("Response::{}(output)", op.name)),
            None => (
                "()".to_owned(),
                format!("let () = output;\n        Response::{}", op.name),
            ),
        };
        let _ = writeln!(
            out,
            "impl codec::Input for {input} {{\n    type Output = {output};\n    type Response = Response;\n    const OPERATION: &'static str = {};\n    fn respond(output: {output}) -> Response {{\n        {respond}\n    }}\n}}\n",
            lit(op.name)
        );
    }

    // Request.
    out.push_str("/// A decoded request: one variant per operation, holding its input.\n#[derive(Debug, Clone, PartialEq)]\npub enum Request {\n");
    for op in ops {
        match op.input {
            Some(input) => {
                let _ = writeln!(out, "    {}({input}),", op.name);
            }
            None => {
                let _ = writeln!(out, "    {0}({0}Request),", op.name);
            }
        }
    }
    out.push_str(
        "}\n\nimpl Request {\n    \
         /// Reads `Action` (checking `Version` when present) and decodes and validates the\n    \
         /// operation's input: `MissingAction`, `InvalidAction`, or one `ValidationError` listing\n    \
         /// every violated constraint as AWS words it.\n    \
         pub fn decode(params: &Params) -> Result<Request, ApiError> {\n        \
         let operation = codec::operation(params, API_VERSION, Operation::from_name)?;\n",
    );
    let any_input = ops.iter().any(|o| o.input.is_some());
    if any_input {
        out.push_str("        let mut d = Decoder::new(params);\n        let k = Key::root();\n        let request = match operation {\n");
    } else {
        out.push_str("        let request = match operation {\n");
    }
    for op in ops {
        match op.input {
            Some(input) => {
                let _ = writeln!(
                    out,
                    "            Operation::{} => Self::{}(dec_{}(&mut d, &k)),",
                    op.name,
                    op.name,
                    model.snake(input)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "            Operation::{0} => Self::{0}({0}Request),",
                    op.name
                );
            }
        }
    }
    if any_input {
        out.push_str("        };\n        d.finish(request)\n    }\n\n");
    } else {
        out.push_str("        };\n        Ok(request)\n    }\n\n");
    }
    out.push_str("    /// The operation this request is for.\n    pub fn operation(&self) -> Operation {\n        match self {\n");
    for op in ops {
        let _ = writeln!(out, "            Self::{0}(_) => Operation::{0},", op.name);
    }
    out.push_str("        }\n    }\n}\n\n");

    // Response.
    out.push_str("/// A response: one variant per operation, holding its output.\n#[derive(Debug, Clone, PartialEq)]\npub enum Response {\n");
    for op in ops {
        match op.output {
            Some(output) => {
                let _ = writeln!(out, "    {}({output}),", op.name);
            }
            None => {
                let _ = writeln!(out, "    {},", op.name);
            }
        }
    }
    out.push_str(
        "}\n\nimpl Response {\n    \
         /// The XML body: `<{Operation}Response xmlns=…><{Operation}Result>…</{Operation}Result>`\n    \
         /// `<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{Operation}Response>`.\n    \
         pub fn to_xml(&self, request_id: &str) -> String {\n        \
         let result: Option<&dyn XmlEncode> = match self {\n",
    );
    for op in ops {
        if op.output.is_some() {
            let _ = writeln!(
                out,
                "            Self::{}(output) => Some(output),",
                op.name
            );
        }
    }
    let no_output: Vec<String> = ops
        .iter()
        .filter(|o| o.output.is_none())
        .map(|o| format!("Self::{}", o.name))
        .collect();
    if !no_output.is_empty() {
        let _ = writeln!(out, "            {} => None,", no_output.join(" | "));
    }
    out.push_str(
        "        };\n        \
         let operation = self.operation();\n        \
         let result = operation.result_wrapper().zip(result);\n        \
         codec::envelope(operation.name(), XML_NAMESPACE, request_id, result)\n    }\n\n",
    );
    out.push_str("    /// The operation this response answers.\n    pub fn operation(&self) -> Operation {\n        match self {\n");
    for op in ops {
        let pattern = if op.output.is_some() { "(_)" } else { "" };
        let _ = writeln!(
            out,
            "            Self::{}{pattern} => Operation::{},",
            op.name, op.name
        );
    }
    out.push_str("        }\n    }\n}\n");
    Ok(())
}
