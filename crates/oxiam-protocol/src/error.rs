//! Wire errors: the [`ErrorCode`] table and the one function that renders the AWS Query error
//! envelope.
//!
//! [`ErrorCode`] is generated (`error/code.rs`) from the error shapes of both models plus
//! `data/models/common-errors.json`, the errors every AWS Query service returns that the
//! models leave out. Each code carries its HTTP status and whether the sender is at fault.

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
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
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
