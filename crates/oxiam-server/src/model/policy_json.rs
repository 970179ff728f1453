//! Reading a policy document's JSON where the policy engine's compiled form is not what is
//! wanted (its principals as written, its statements to describe): the shapes the grammar
//! allows for `Statement` (one object or a list) and for values (one string or a list).

use serde_json::Value;

/// The statements of a policy document: a list's items, or the one statement.
pub fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(all)) => all.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    }
}

/// The strings of a value the grammar writes as one string or a list of them (anything
/// else is left out).
pub fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::Array(all) => all.iter().filter_map(Value::as_str).collect(),
        one => one.as_str().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn one_or_many_read_alike() {
        let one = json!({"Statement": {"Effect": "Allow"}});
        let many = json!({"Statement": [{"Effect": "Allow"}, {"Effect": "Deny"}]});
        assert_eq!(statements(&one).len(), 1);
        assert_eq!(statements(&many).len(), 2);
        assert!(statements(&json!({})).is_empty());
        assert_eq!(strings(&json!("a")), ["a"]);
        assert_eq!(strings(&json!(["a", 1, "b"])), ["a", "b"]);
        assert!(strings(&json!(3)).is_empty());
    }
}
