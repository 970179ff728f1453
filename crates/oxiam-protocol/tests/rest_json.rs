//! The REST-JSON codec of IAM Access Analyzer: routing by method and path, members from
//! labels, the query string and the body, the model's constraints as one
//! `ValidationException`, the JSON error envelope and the response encoding.

use oxiam_protocol::accessanalyzer::{self as aa, Operation, Request};
use oxiam_protocol::error::{ApiError, ErrorCode};
use oxiam_protocol::rest_json::HttpRequest;
use oxiam_protocol::types::DateTime;

fn decode(method: &str, path: &str, query: &str, body: &str) -> Result<Request, ApiError> {
    Request::decode(&HttpRequest {
        method,
        path,
        query,
        body: body.as_bytes(),
    })
}

fn field(err: &ApiError, name: &str) -> serde_json::Value {
    err.extra
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[test]
fn routes_pick_the_operation_of_method_and_path() {
    let route = |m, p| Operation::route(m, p).map(|(op, _)| op);
    assert_eq!(route("PUT", "/analyzer"), Some(Operation::CreateAnalyzer));
    assert_eq!(route("GET", "/analyzer"), Some(Operation::ListAnalyzers));
    assert_eq!(route("GET", "/analyzer/a"), Some(Operation::GetAnalyzer));
    assert_eq!(
        route("DELETE", "/analyzer/a"),
        Some(Operation::DeleteAnalyzer)
    );
    // A literal segment wins over a label.
    assert_eq!(
        route("POST", "/analyzer/findings/statistics"),
        Some(Operation::GetFindingsStatistics)
    );
    assert_eq!(
        route("GET", "/access-preview/x"),
        Some(Operation::GetAccessPreview)
    );
    assert_eq!(
        route("POST", "/access-preview/x"),
        Some(Operation::ListAccessPreviewFindings)
    );
    assert_eq!(route("PATCH", "/analyzer"), None);
    assert_eq!(route("GET", "/nowhere"), None);
    let err = decode("GET", "/nowhere", "", "").unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownOperationException);
    assert_eq!(err.code.http_status(), 404);
}

#[test]
fn create_analyzer_reads_the_body() {
    let body = r#"{"analyzerName":"a1","type":"ACCOUNT_UNUSED_ACCESS","tags":{"k":"v"},
        "clientToken":"t","configuration":{"unusedAccess":{"unusedAccessAge":30}}}"#;
    let Request::CreateAnalyzer(r) = decode("PUT", "/analyzer", "", body).unwrap() else {
        panic!("not CreateAnalyzer");
    };
    assert_eq!(r.analyzer_name, "a1");
    assert_eq!(r.r#type, "ACCOUNT_UNUSED_ACCESS");
    assert_eq!(r.tags.unwrap().get("k").map(String::as_str), Some("v"));
    let Some(aa::AnalyzerConfiguration::UnusedAccess(u)) = r.configuration else {
        panic!("not unusedAccess");
    };
    assert_eq!(u.unused_access_age, Some(30));
}

#[test]
fn labels_and_query_strings_are_members() {
    let Request::UntagResource(r) = decode(
        "DELETE",
        "/tags/arn%3Aaws%3Aaccess-analyzer%3Aus-east-1%3A123456789012%3Aanalyzer%2Fa",
        "tagKeys=a&tagKeys=b",
        "",
    )
    .unwrap() else {
        panic!("not UntagResource");
    };
    assert_eq!(
        r.resource_arn,
        "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a"
    );
    assert_eq!(r.tag_keys, ["a", "b"]);
    let Request::ListAnalyzers(r) =
        decode("GET", "/analyzer", "type=ACCOUNT&maxResults=2", "").unwrap()
    else {
        panic!("not ListAnalyzers");
    };
    assert_eq!(
        (r.r#type.as_deref(), r.max_results),
        (Some("ACCOUNT"), Some(2))
    );
}

#[test]
fn constraints_are_one_validation_exception_with_a_field_list() {
    let err = decode(
        "PUT",
        "/analyzer",
        "",
        r#"{"analyzerName":"1bad","type":"NOPE"}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationException);
    assert_eq!(err.code.http_status(), 400);
    assert_eq!(
        err.message,
        "2 validation errors detected: Value '1bad' at 'analyzerName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [A-Za-z_][A-Za-z0-9_.-]*; \
         Value 'NOPE' at 'type' failed to satisfy constraint: Member must satisfy enum value \
         set: [ACCOUNT, ORGANIZATION, ACCOUNT_UNUSED_ACCESS, ORGANIZATION_UNUSED_ACCESS, \
         ACCOUNT_INTERNAL_ACCESS, ORGANIZATION_INTERNAL_ACCESS]"
    );
    assert_eq!(field(&err, "reason"), "fieldValidationFailed");
    assert_eq!(field(&err, "fieldList")[1]["name"], "type");
    let err = decode("PUT", "/analyzer", "", "{}").unwrap_err();
    assert!(
        err.message.contains("Value null at 'analyzerName'"),
        "{}",
        err.message
    );
}

#[test]
fn unreadable_input_cannot_be_parsed() {
    for (query, body) in [("", "{not json"), ("", "[]"), ("", r#"{"analyzerName":5}"#)] {
        let err = decode("PUT", "/analyzer", query, body).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationException, "{body}");
        assert_eq!(field(&err, "reason"), "cannotParse", "{body}");
    }
    let err = decode("GET", "/analyzer", "maxResults=x", "").unwrap_err();
    assert_eq!(field(&err, "reason"), "cannotParse");
}

#[test]
fn the_json_error_envelope_names_the_code_in_a_header() {
    let err = ApiError::new(
        ErrorCode::ResourceNotFoundException,
        "Analyzer a not found.",
    )
    .with("resourceId", "a".into())
    .with("resourceType", "AWS::AccessAnalyzer::Analyzer".into());
    let (status, code, body) = err.render_json();
    assert_eq!((status, code), (404, "ResourceNotFoundException"));
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"message": "Analyzer a not found.", "resourceId": "a",
            "resourceType": "AWS::AccessAnalyzer::Analyzer"})
    );
    assert_eq!(ErrorCode::ServiceQuotaExceededException.http_status(), 402);
    assert_eq!(ErrorCode::ConflictException.http_status(), 409);
    assert!(!ErrorCode::InternalServerException.is_sender_fault());
}

#[test]
fn responses_are_json_with_iso8601_timestamps() {
    let created = DateTime::parse_iso8601("2026-12-08T01:02:03Z").unwrap();
    let response = aa::Response::GetAnalyzer(aa::GetAnalyzerResponse {
        analyzer: aa::AnalyzerSummary {
            arn: "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a".into(),
            name: "a".into(),
            r#type: "ACCOUNT".into(),
            created_at: created,
            status: "ACTIVE".into(),
            ..Default::default()
        },
    });
    let body: serde_json::Value = serde_json::from_str(&response.to_json()).unwrap();
    assert_eq!(body["analyzer"]["createdAt"], "2026-12-08T01:02:03Z");
    assert_eq!(body["analyzer"]["status"], "ACTIVE");
    assert!(body["analyzer"].get("lastResourceAnalyzed").is_none());
    assert_eq!(aa::Response::DeleteAnalyzer.to_json(), "{}");
}
