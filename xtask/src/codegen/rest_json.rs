//! The Rust types and codecs of one REST-JSON service (IAM Access Analyzer).
//!
//! For each structure reachable from an operation: a struct (fields in model order, `Option`
//! unless `required`); for each union: an enum with one variant per member. For each shape
//! reachable from an input: a `dec_*` function calling the `rest_json::Decoder` primitive of
//! its kind with its constraints. For each structure or union reachable from an output: a
//! `JsonEncode` impl. Then `Operation` (with its method and path template), `Request` and
//! `Response`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use super::{HEADER, Service, field_ident, lit, snake_case};
use crate::json::Json;

/// Names the generated module uses itself; a model structure may not take them.
const RESERVED: &[&str] = &[
    "Operation",
    "Request",
    "Response",
    "DateTime",
    "BTreeMap",
    "ApiError",
    "Decoder",
    "Key",
    "StrRule",
    "NumRule",
    "LenRule",
    "JsonEncode",
    "HttpRequest",
    "Loc",
    "Kind",
    "Value",
    "Map",
    "Pattern",
    "String",
    "Vec",
    "Option",
];

struct Member<'a> {
    wire: &'a str,
    field: String,
    target: &'a str,
    required: bool,
    location: Option<&'a str>,
}

struct Model<'a> {
    shapes: HashMap<&'a str, (&'a Json, &'a str)>,
    order: Vec<&'a str>,
}

impl<'a> Model<'a> {
    fn shape(&self, name: &str) -> Result<(&'a Json, &'a str), String> {
        self.shapes
            .get(name)
            .copied()
            .ok_or_else(|| format!("shape `{name}` is referenced but not defined"))
    }

    fn is_union(&self, name: &str) -> bool {
        self.shapes
            .get(name)
            .and_then(|(j, _)| j.get("union"))
            .and_then(Json::as_bool)
            == Some(true)
    }

    fn rust_type(&self, name: &str) -> Result<String, String> {
        let (json, kind) = self.shape(name)?;
        Ok(match kind {
            "string" => "String".to_owned(),
            "integer" => "i32".to_owned(),
            "boolean" => "bool".to_owned(),
            "timestamp" => "DateTime".to_owned(),
            "list" => format!("Vec<{}>", self.rust_type(part(json, "member")?)?),
            "map" => format!(
                "BTreeMap<String, {}>",
                self.rust_type(part(json, "value")?)?
            ),
            "structure" => name.to_owned(),
            other => return Err(format!("shape `{name}` has unsupported type `{other}`")),
        })
    }

    fn members(&self, name: &str) -> Result<Vec<Member<'a>>, String> {
        let (json, _) = self.shape(name)?;
        let required: Vec<&str> = json
            .get("required")
            .map(Json::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(Json::as_str)
            .collect();
        let mut out = Vec::new();
        for (member_name, member) in json.get("members").map(Json::as_object).unwrap_or_default() {
            let target = member
                .get("shape")
                .and_then(Json::as_str)
                .ok_or_else(|| format!("{name}.{member_name} has no shape"))?;
            let location = member.get("location").and_then(Json::as_str);
            if matches!(location, Some(l) if l != "uri" && l != "querystring") {
                return Err(format!(
                    "{name}.{member_name}: location {location:?} is not supported"
                ));
            }
            if member.get("jsonvalue").is_some() || member.get("hostLabel").is_some() {
                return Err(format!("{name}.{member_name}: unsupported member trait"));
            }
            out.push(Member {
                wire: member
                    .get("locationName")
                    .and_then(Json::as_str)
                    .unwrap_or(member_name),
                field: field_ident(member_name)?,
                target,
                required: required.contains(&member_name.as_str()),
                location,
            });
        }
        Ok(out)
    }

    fn reachable(&self, roots: impl Iterator<Item = &'a str>) -> Result<Vec<&'a str>, String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = roots.collect();
        while let Some(name) = stack.pop() {
            if !seen.insert(name) {
                continue;
            }
            let (json, _) = self.shape(name)?;
            for (_, member) in json.get("members").map(Json::as_object).unwrap_or_default() {
                stack.extend(member.get("shape").and_then(Json::as_str));
            }
            for p in ["member", "key", "value"] {
                if let Ok(t) = part(json, p) {
                    stack.push(t);
                }
            }
        }
        Ok(self
            .order
            .iter()
            .copied()
            .filter(|n| seen.contains(n))
            .collect())
    }
}

fn part<'a>(json: &'a Json, name: &str) -> Result<&'a str, String> {
    json.get(name)
        .and_then(|p| p.get("shape"))
        .and_then(Json::as_str)
        .ok_or_else(|| format!("`{name}` has no shape"))
}

fn opt_num(value: Option<i64>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| format!("Some({v})"))
}

/// A variant name for a union member (`unusedAccess` → `UnusedAccess`).
fn variant(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(chars)
        .collect()
}

struct Op<'a> {
    name: &'a str,
    method: &'a str,
    uri: &'a str,
    input: Option<&'a str>,
    output: Option<&'a str>,
}

pub fn generate(service: &Service, model_path: &str, json: &Json) -> Result<String, String> {
    let metadata = json.get("metadata").ok_or("model has no metadata")?;
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
    if metadata.get("protocol").and_then(Json::as_str) != Some("rest-json") {
        return Err(format!("{model_path}: not a REST-JSON model"));
    }
    let signing_name = metadata
        .get("signingName")
        .and_then(Json::as_str)
        .ok_or("model has no signingName")?;

    let mut model = Model {
        shapes: HashMap::new(),
        order: Vec::new(),
    };
    for (name, shape) in json.get("shapes").map(Json::as_object).unwrap_or_default() {
        let kind = shape
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("shape `{name}` has no type"))?;
        // Access Analyzer marks policy documents sensitive: they are left out of validation
        // messages, as AWS leaves them out; they are not credentials, so `Debug` shows them.
        if shape.get("sensitive").and_then(Json::as_bool) == Some(true) && kind != "string" {
            return Err(format!("sensitive {kind} `{name}` is not supported"));
        }
        model.shapes.insert(name.as_str(), (shape, kind));
        model.order.push(name.as_str());
    }

    let mut ops = Vec::new();
    for (name, op) in json
        .get("operations")
        .map(Json::as_object)
        .unwrap_or_default()
    {
        let http = op
            .get("http")
            .ok_or_else(|| format!("{name} has no http"))?;
        let uri = http
            .get("requestUri")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{name} has no requestUri"))?;
        if uri.contains(['?', '+']) {
            return Err(format!("{name}: request URI `{uri}` is not supported"));
        }
        if http
            .get("responseCode")
            .and_then(Json::as_i64)
            .is_some_and(|c| c != 200)
        {
            return Err(format!("{name}: only responseCode 200 is supported"));
        }
        ops.push(Op {
            name,
            method: http
                .get("method")
                .and_then(Json::as_str)
                .ok_or_else(|| format!("{name} has no method"))?,
            uri,
            input: op
                .get("input")
                .and_then(|i| i.get("shape"))
                .and_then(Json::as_str),
            output: op
                .get("output")
                .and_then(|o| o.get("shape"))
                .and_then(Json::as_str),
        });
    }

    let inputs = model.reachable(ops.iter().filter_map(|o| o.input))?;
    let outputs = model.reachable(ops.iter().filter_map(|o| o.output))?;
    let all = model.reachable(ops.iter().flat_map(|o| o.input.into_iter().chain(o.output)))?;

    let mut body = String::new();
    let mut patterns: BTreeMap<String, usize> = BTreeMap::new();
    for &name in &all {
        let (_, kind) = model.shape(name)?;
        if kind != "structure" {
            continue;
        }
        if RESERVED.contains(&name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(format!("structure `{name}` cannot be a type name here"));
        }
        emit_type(&model, name, &mut body)?;
    }
    for &name in &inputs {
        emit_decoder(&model, name, &mut body, &mut patterns)?;
    }
    for &name in &outputs {
        if model.shape(name)?.1 == "structure" {
            emit_encoder(&model, name, &mut body)?;
        }
    }
    emit_operations(&model, &ops, &mut body)?;

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
        "//! {} {api_version} (REST-JSON): types and codecs generated from `{model_path}`.\n\
         //!\n\
         //! Every structure of the model is a struct named as the shape, every union an enum;\n\
         //! [`Operation::route`] finds the operation of a method and path, [`Request::decode`]\n\
         //! reads and validates its input, [`Response::to_json`] writes its output.\n",
        service.module
    );
    out.push_str("#![allow(\n    clippy::large_enum_variant,\n    reason = \"a request or response is built once per call and moved, never stored in bulk\"\n)]\n\n");
    for (needle, import) in [
        ("BTreeMap<", "use std::collections::BTreeMap;"),
        ("DateTime", "use crate::types::DateTime;"),
        ("StrRule::", "use crate::codec::StrRule;"),
        ("NumRule::", "use crate::codec::NumRule;"),
        ("LenRule::", "use crate::codec::LenRule;"),
        ("Pattern::new", "use crate::pattern::Pattern;"),
    ] {
        if body.contains(needle) {
            let _ = writeln!(out, "{import}");
        }
    }
    out.push_str(
        "use serde_json::{Map, Value};\n\nuse crate::codec;\nuse crate::error::ApiError;\n\
         use crate::rest_json::{self as rj, Decoder, HttpRequest, JsonEncode, Key, Kind, Loc};\n\n",
    );
    let _ = writeln!(
        out,
        "/// The API version of the model.\npub const API_VERSION: &str = {};\n\
         /// The service name of the SigV4 credential scope.\npub const SIGNING_NAME: &str = {};\n",
        lit(api_version),
        lit(signing_name)
    );
    out.push_str(&body);
    Ok(out)
}

fn emit_type(model: &Model<'_>, name: &str, out: &mut String) -> Result<(), String> {
    let members = model.members(name)?;
    if model.is_union(name) {
        let _ = writeln!(
            out,
            "#[derive(Debug, Clone, PartialEq)]\npub enum {name} {{"
        );
        for m in &members {
            let _ = writeln!(
                out,
                "    {}({}),",
                variant(m.wire),
                model.rust_type(m.target)?
            );
        }
        out.push_str("}\n\n");
        let first = members
            .first()
            .ok_or_else(|| format!("union `{name}` has no members"))?;
        // A default only for decoding: the decoder returns it alongside a violation.
        let _ = writeln!(
            out,
            "impl Default for {name} {{\n    fn default() -> Self {{\n        Self::{}(Default::default())\n    }}\n}}\n",
            variant(first.wire)
        );
        return Ok(());
    }
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, Default, PartialEq)]\npub struct {name} {{"
    );
    for m in &members {
        let ty = model.rust_type(m.target)?;
        let ty = if m.required {
            ty
        } else {
            format!("Option<{ty}>")
        };
        let _ = writeln!(out, "    pub {}: {ty},", m.field);
    }
    out.push_str("}\n\n");
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
    name: &str,
    out: &mut String,
    patterns: &mut BTreeMap<String, usize>,
) -> Result<(), String> {
    let (json, kind) = model.shape(name)?;
    let ty = model.rust_type(name)?;
    let fn_name = format!("dec_{}", snake_case(name));
    let min = json.get("min").and_then(Json::as_i64);
    let max = json.get("max").and_then(Json::as_i64);
    let body = match kind {
        "string" => {
            let mut rule = format!("StrRule::new({}, {})", opt_num(min), opt_num(max));
            if let Some(p) = json.get("pattern").and_then(Json::as_str) {
                let next = patterns.len();
                let index = *patterns.entry(p.to_owned()).or_insert(next);
                let _ = write!(rule, ".pattern(&PATTERN_{index})");
            }
            let values: Vec<String> = json
                .get("enum")
                .map(Json::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Json::as_str)
                .map(lit)
                .collect();
            if !values.is_empty() {
                let _ = write!(rule, ".values(&[{}])", values.join(", "));
            }
            if json.get("sensitive").and_then(Json::as_bool) == Some(true) {
                rule.push_str(".sensitive()");
            }
            format!("d.string(v, k, &{rule})")
        }
        "integer" => format!(
            "d.int(v, k, &NumRule::new({}, {}))",
            opt_num(min),
            opt_num(max)
        ),
        "boolean" => "d.boolean(v, k)".to_owned(),
        "timestamp" => "d.timestamp(v, k)".to_owned(),
        "list" => format!(
            "d.list(v, k, {}, dec_{})",
            len_rule(json),
            snake_case(part(json, "member")?)
        ),
        "map" => format!(
            "d.map(v, k, {}, dec_{}, dec_{})",
            len_rule(json),
            snake_case(part(json, "key")?),
            snake_case(part(json, "value")?)
        ),
        "structure" if model.is_union(name) => {
            let members = model.members(name)?;
            let names: Vec<String> = members.iter().map(|m| lit(m.wire)).collect();
            let mut arms = String::new();
            for m in &members {
                let _ = writeln!(
                    arms,
                    "        Some(({}, x)) => {name}::{}(dec_{}(d, x, &k.member({}))),",
                    lit(m.wire),
                    variant(m.wire),
                    snake_case(m.target),
                    lit(m.wire)
                );
            }
            format!(
                "match d.union(v, k, &[{}]) {{\n{arms}        _ => {name}::default(),\n    }}",
                names.join(", ")
            )
        }
        "structure" => {
            let members = model.members(name)?;
            if members.is_empty() {
                let _ = writeln!(
                    out,
                    "fn {fn_name}(d: &mut Decoder, v: &Value, k: &Key) -> {ty} {{\n    let _ = d.structure(v, k);\n    {ty} {{}}\n}}\n"
                );
                return Ok(());
            }
            let mut fields = String::new();
            for m in &members {
                let method = if m.required { "req" } else { "opt" };
                let _ = writeln!(
                    fields,
                    "        {}: d.{method}(v, k, {}, dec_{}),",
                    m.field,
                    lit(m.wire),
                    snake_case(m.target)
                );
            }
            format!("let v = d.structure(v, k);\n    {ty} {{\n{fields}    }}")
        }
        other => return Err(format!("shape `{name}` has unsupported type `{other}`")),
    };
    let _ = writeln!(
        out,
        "fn {fn_name}(d: &mut Decoder, v: &Value, k: &Key) -> {ty} {{\n    {body}\n}}\n"
    );
    Ok(())
}

fn emit_encoder(model: &Model<'_>, name: &str, out: &mut String) -> Result<(), String> {
    let members = model.members(name)?;
    if model.is_union(name) {
        let _ = writeln!(
            out,
            "impl JsonEncode for {name} {{\n    fn to_json(&self) -> Value {{\n        match self {{"
        );
        for m in &members {
            let _ = writeln!(
                out,
                "            Self::{}(x) => rj::union_member({}, x),",
                variant(m.wire),
                lit(m.wire)
            );
        }
        out.push_str("        }\n    }\n}\n\n");
        return Ok(());
    }
    if members.is_empty() {
        let _ = writeln!(
            out,
            "impl JsonEncode for {name} {{\n    fn to_json(&self) -> Value {{\n        Value::Object(Map::new())\n    }}\n}}\n"
        );
        return Ok(());
    }
    let _ = writeln!(
        out,
        "impl JsonEncode for {name} {{\n    fn to_json(&self) -> Value {{\n        let mut o = Map::new();"
    );
    for m in &members {
        if m.required {
            let _ = writeln!(
                out,
                "        rj::field(&mut o, {}, &self.{});",
                lit(m.wire),
                m.field
            );
        } else {
            let _ = writeln!(
                out,
                "        rj::opt_field(&mut o, {}, self.{}.as_ref());",
                lit(m.wire),
                m.field
            );
        }
    }
    out.push_str("        Value::Object(o)\n    }\n}\n\n");
    Ok(())
}

fn emit_operations(model: &Model<'_>, ops: &[Op<'_>], out: &mut String) -> Result<(), String> {
    out.push_str("/// Every operation of the model.\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum Operation {\n");
    for op in ops {
        let _ = writeln!(out, "    {},", op.name);
    }
    out.push_str("}\n\nimpl Operation {\n    /// Every operation, in model order.\n    pub const ALL: &'static [Operation] = &[\n");
    for op in ops {
        let _ = writeln!(out, "        Self::{},", op.name);
    }
    out.push_str("    ];\n\n    /// The operation's name.\n    pub fn name(self) -> &'static str {\n        match self {\n");
    for op in ops {
        let _ = writeln!(out, "            Self::{} => {},", op.name, lit(op.name));
    }
    out.push_str("        }\n    }\n\n    /// The HTTP method and path template of the operation.\n    pub fn http(self) -> (&'static str, &'static str) {\n        match self {\n");
    for op in ops {
        let _ = writeln!(
            out,
            "            Self::{} => ({}, {}),",
            op.name,
            lit(op.method),
            lit(op.uri)
        );
    }
    out.push_str(
        "        }\n    }\n\n    \
         /// The operation at `method` and `path` (raw, percent-encoded) with its decoded\n    \
         /// labels; a literal segment wins over a label (`POST /analyzer/findings/statistics`).\n    \
         pub fn route(method: &str, path: &str) -> Option<(Operation, Vec<(&'static str, String)>)> {\n        \
         Self::ALL\n            .iter()\n            \
         .filter(|op| op.http().0.eq_ignore_ascii_case(method))\n            \
         .filter_map(|op| Some((*op, rj::match_route(op.http().1, path)?)))\n            \
         .min_by_key(|(_, labels)| labels.len())\n    }\n}\n\n",
    );

    for op in ops.iter().filter(|o| o.input.is_none()) {
        let _ = writeln!(
            out,
            "/// The input of `{0}`, which has no members.\n#[derive(Debug, Clone, Copy, Default, PartialEq)]\npub struct {0}Request;\n",
            op.name
        );
    }
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

    out.push_str("/// A decoded request: one variant per operation, holding its input.\n#[derive(Debug, Clone, PartialEq)]\npub enum Request {\n");
    for op in ops {
        let input = op
            .input
            .map_or_else(|| format!("{}Request", op.name), str::to_owned);
        let _ = writeln!(out, "    {}({input}),", op.name);
    }
    out.push_str(
        "}\n\nimpl Request {\n    \
         /// Routes the request (`UnknownOperationException` when no operation is at its method\n    \
         /// and path) and decodes and validates the operation's input from its labels, query\n    \
         /// string and JSON body: one `ValidationException` lists every violated constraint.\n    \
         pub fn decode(http: &HttpRequest<'_>) -> Result<Request, ApiError> {\n        \
         let (operation, labels) = Operation::route(http.method, http.path).ok_or_else(rj::unknown_operation)?;\n        \
         Ok(match operation {\n",
    );
    for op in ops {
        let Some(input) = op.input else {
            let _ = writeln!(
                out,
                "            Operation::{0} => Self::{0}({0}Request),",
                op.name
            );
            continue;
        };
        let mut bindings = Vec::new();
        for m in model.members(input)? {
            let loc = match m.location {
                Some("uri") => "Loc::Uri",
                Some("querystring") => "Loc::Query",
                _ => continue,
            };
            let (json, kind) = model.shape(m.target)?;
            let kind = match kind {
                "string" => "Kind::Str",
                "integer" => "Kind::Int",
                "boolean" => "Kind::Bool",
                "list" if model.shape(part(json, "member")?)?.1 == "string" => "Kind::List",
                other => {
                    return Err(format!(
                        "{input}.{}: a located {other} is not supported",
                        m.wire
                    ));
                }
            };
            bindings.push(format!("({}, {loc}, {kind})", lit(m.wire)));
        }
        let _ = writeln!(
            out,
            "            Operation::{} => {{\n                let v = rj::assemble(http, labels, &[{}])?;\n                let mut d = Decoder::new();\n                let input = dec_{}(&mut d, &v, &Key::root());\n                Self::{}(d.finish(input)?)\n            }}",
            op.name,
            bindings.join(", "),
            snake_case(input),
            op.name
        );
    }
    out.push_str("        })\n    }\n\n    /// The operation this request is for.\n    pub fn operation(&self) -> Operation {\n        match self {\n");
    for op in ops {
        let _ = writeln!(out, "            Self::{0}(_) => Operation::{0},", op.name);
    }
    out.push_str("        }\n    }\n}\n\n");

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
    out.push_str("}\n\nimpl Response {\n    /// The JSON body (`{}` for an operation without output).\n    pub fn to_json(&self) -> String {\n        match self {\n");
    for op in ops {
        if op.output.is_some() {
            let _ = writeln!(
                out,
                "            Self::{}(output) => output.to_json().to_string(),",
                op.name
            );
        }
    }
    let none: Vec<String> = ops
        .iter()
        .filter(|o| o.output.is_none())
        .map(|o| format!("Self::{}", o.name))
        .collect();
    if !none.is_empty() {
        let _ = writeln!(
            out,
            "            {} => \"{{}}\".to_owned(),",
            none.join(" | ")
        );
    }
    out.push_str("        }\n    }\n\n    /// The operation this response answers.\n    pub fn operation(&self) -> Operation {\n        match self {\n");
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
