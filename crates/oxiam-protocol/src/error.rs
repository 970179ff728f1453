//! Wire errors: the [`ErrorCode`] table and the two functions that render an error, one per
//! protocol: [`ApiError::render`] (the AWS Query XML envelope) and [`ApiError::render_json`]
//! (the REST-JSON envelope: `x-amzn-ErrorType` header, `{"message": …}` body).
//!
//! [`ErrorCode`] is generated (`error/code.rs`) from the error shapes of every model plus
//! `data/models/common-errors.json`, the errors AWS services return that the models leave
//! out. Each code carries its HTTP status and whether the sender is at fault.

mod code;

pub use code::ErrorCode;

use crate::Service;
use crate::xml::XmlWriter;

/// An error to send to the client: a wire code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    /// The wire error code.
    pub code: ErrorCode,
    /// The `<Message>`: shown to the client, so it must never carry internal detail.
    pub message: String,
    /// Members of the JSON error body besides `message` (`reason` and `fieldList` of a
    /// `ValidationException`, `resourceId` and `resourceType` of a
    /// `ResourceNotFoundException`); the Query envelope has no place for them.
    pub extra: Vec<(&'static str, serde_json::Value)>,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// This error with one more member of its JSON body.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: serde_json::Value) -> Self {
        self.extra.push((name, value));
        self
    }

    /// The HTTP status, the value of the `x-amzn-ErrorType` header and the body of the
    /// REST-JSON error envelope: `{"message": "…", …extra}`. botocore reads the code from the
    /// header (and from `code`/`__type` in the body when the header is absent).
    pub fn render_json(&self) -> (u16, &'static str, String) {
        let mut body = serde_json::Map::new();
        body.insert(
            "message".to_owned(),
            serde_json::Value::from(self.message.as_str()),
        );
        for (name, value) in &self.extra {
            body.insert((*name).to_owned(), value.clone());
        }
        (
            self.code.http_status(),
            self.code.code(),
            serde_json::Value::Object(body).to_string(),
        )
    }

    /// The HTTP status and body of the AWS Query error envelope:
    ///
    /// ```text
    /// <ErrorResponse xmlns="NS"><Error><Type>Sender|Receiver</Type><Code>…</Code>
    ///   <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>
    /// ```
    pub fn render(&self, service: Service, request_id: &str) -> (u16, String) {
        let mut w = XmlWriter::new();
        w.start_with_namespace("ErrorResponse", service.namespace());
        w.start("Error");
        let fault = if self.code.is_sender_fault() {
            "Sender"
        } else {
            "Receiver"
        };
        w.element("Type", fault);
        w.element("Code", self.code.code());
        w.element("Message", &self.message);
        w.end("Error");
        w.element("RequestId", request_id);
        w.end("ErrorResponse");
        (self.code.http_status(), w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips_codes() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.code()), Some(code));
            assert_eq!(
                format!("{code:?}"),
                code.code(),
                "variant is named after the wire code"
            );
            let status = code.http_status();
            assert!((400..600).contains(&status), "{code:?} {status}");
            assert_eq!(code.is_sender_fault(), status < 500, "{code:?}");
        }
        assert_eq!(ErrorCode::from_code("NoSuchThing"), None);
    }

    #[test]
    fn model_and_common_codes_carry_their_status() {
        assert_eq!(ErrorCode::NoSuchEntity.http_status(), 404);
        assert_eq!(ErrorCode::EntityAlreadyExists.http_status(), 409);
        assert_eq!(ErrorCode::LimitExceeded.http_status(), 409);
        assert_eq!(ErrorCode::DeleteConflict.http_status(), 409);
        assert_eq!(ErrorCode::MalformedPolicyDocument.http_status(), 400);
        assert_eq!(ErrorCode::ExpiredTokenException.http_status(), 400);
        assert_eq!(ErrorCode::ServiceFailure.http_status(), 500);
        assert!(!ErrorCode::ServiceFailure.is_sender_fault());
        assert_eq!(ErrorCode::AccessDenied.http_status(), 403);
        assert_eq!(ErrorCode::InvalidClientTokenId.http_status(), 403);
        assert_eq!(ErrorCode::SignatureDoesNotMatch.http_status(), 403);
        assert_eq!(ErrorCode::MalformedQueryString.http_status(), 404);
        assert_eq!(ErrorCode::ValidationError.http_status(), 400);
        assert_eq!(ErrorCode::InternalFailure.http_status(), 500);
        assert_eq!(ErrorCode::ServiceUnavailable.http_status(), 503);
        assert!(!ErrorCode::InternalFailure.is_sender_fault());
    }
}
