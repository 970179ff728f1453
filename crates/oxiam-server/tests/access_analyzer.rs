//! IAM Access Analyzer's analyzers are durable: what one server wrote, the next one opened
//! on the same data directory reads back (tags and configuration included), and a deleted
//! analyzer stays deleted.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed step must fail the test loudly"
)]

use oxiam_protocol::accessanalyzer::{self as aa, Request as AaRequest};
use oxiam_protocol::rest_json::HttpRequest;
use oxiam_server::auth::authn::Caller;
use oxiam_server::auth::decide::RequestEnv;
use oxiam_server::model::error::ServerError;
use oxiam_server::ops::table::dispatch;
use oxiam_server::ops::{Request, Response};
use oxiam_server::{App, Config};

const ACCOUNT: &str = "123456789012";

fn call(app: &App, method: &str, path: &str, body: &str) -> Result<aa::Response, ServerError> {
    let http = HttpRequest {
        method,
        path,
        query: "",
        body: body.as_bytes(),
    };
    let request = Request::AccessAnalyzer(AaRequest::decode(&http).unwrap());
    let root = Caller::root(ACCOUNT, "AKIAROOTFIXTURE00001");
    match dispatch(app, &root, &RequestEnv::now(), &request)? {
        Response::AccessAnalyzer(r) => Ok(r),
        other => panic!("answered as another service: {other:?}"),
    }
}

fn open(dir: &std::path::Path) -> std::sync::Arc<App> {
    App::open(Config {
        default_account: Some(ACCOUNT.to_owned()),
        data_dir: Some(dir.to_path_buf()),
        ..Config::default()
    })
    .unwrap()
    .0
}

#[test]
fn analyzers_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let app = open(dir.path());
        call(
            &app,
            "PUT",
            "/analyzer",
            r#"{"analyzerName":"kept","type":"ACCOUNT_UNUSED_ACCESS","tags":{"team":"sec"},
                "configuration":{"unusedAccess":{"unusedAccessAge":45}}}"#,
        )
        .unwrap();
        call(
            &app,
            "PUT",
            "/analyzer",
            r#"{"analyzerName":"gone","type":"ACCOUNT"}"#,
        )
        .unwrap();
        call(&app, "DELETE", "/analyzer/gone", "").unwrap();
    }
    let app = open(dir.path());
    let aa::Response::GetAnalyzer(got) = call(&app, "GET", "/analyzer/kept", "").unwrap() else {
        panic!("not GetAnalyzer");
    };
    let analyzer = got.analyzer;
    assert_eq!(
        analyzer.arn,
        format!("arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer/kept")
    );
    assert_eq!(analyzer.r#type, "ACCOUNT_UNUSED_ACCESS");
    assert_eq!(
        analyzer.tags.unwrap().get("team").map(String::as_str),
        Some("sec")
    );
    let Some(aa::AnalyzerConfiguration::UnusedAccess(u)) = analyzer.configuration else {
        panic!("no unused access configuration");
    };
    assert_eq!(u.unused_access_age, Some(45));
    let err = call(&app, "GET", "/analyzer/gone", "").unwrap_err();
    let ServerError::Api(api) = err else {
        panic!("not an API error: {err:?}");
    };
    assert_eq!(api.message, "Analyzer gone not found");
}
