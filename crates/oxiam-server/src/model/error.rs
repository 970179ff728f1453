//! The server's error type and its one mapping onto the wire error table.

use oxiam_protocol::Service;
use oxiam_protocol::error::{ApiError, ErrorCode};
use oxiam_store::StoreError;

/// What can go wrong while serving a call.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// An error AWS would return, sent to the caller as it is.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Another writer committed first; the handler runs again on the newer state.
    #[error("write conflict")]
    Conflict,
    /// The store failed; logged, and the caller sees only a generic failure.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A bug or a corrupt state; logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
    /// The node cannot start as configured (a missing key, an unreadable file): said to
    /// the operator as it is, never an internal failure.
    #[error("{0}")]
    Startup(String),
}

impl ServerError {
    /// The error as it goes on the wire. Internal detail is never sent: it is logged by the
    /// pipeline under the request ID instead.
    pub fn to_api(&self, service: Service) -> ApiError {
        match self {
            ServerError::Api(e) => e.clone(),
            ServerError::Conflict
            | ServerError::Store(_)
            | ServerError::Internal(_)
            | ServerError::Startup(_) => match service {
                Service::Iam => ApiError::new(
                    ErrorCode::ServiceFailure,
                    "The request processing has failed because of an unknown error, exception or failure.",
                ),
                Service::Sts => ApiError::new(
                    ErrorCode::InternalFailure,
                    "The request processing has failed because of an unknown error, exception or failure.",
                ),
            },
        }
    }

    pub fn is_internal(&self) -> bool {
        !matches!(self, ServerError::Api(_))
    }
}

pub fn api(code: ErrorCode, message: impl Into<String>) -> ServerError {
    ServerError::Api(ApiError::new(code, message))
}

pub fn no_such_entity(message: impl Into<String>) -> ServerError {
    api(ErrorCode::NoSuchEntity, message)
}

pub fn no_such_user(name: &str) -> ServerError {
    no_such_entity(format!("The user with name {name} cannot be found."))
}

pub fn already_exists(message: impl Into<String>) -> ServerError {
    api(ErrorCode::EntityAlreadyExists, message)
}

pub fn limit_exceeded(message: impl Into<String>) -> ServerError {
    api(ErrorCode::LimitExceeded, message)
}

pub fn delete_conflict(message: impl Into<String>) -> ServerError {
    api(ErrorCode::DeleteConflict, message)
}

pub fn invalid_input(message: impl Into<String>) -> ServerError {
    api(ErrorCode::InvalidInput, message)
}

pub fn validation(message: impl Into<String>) -> ServerError {
    api(ErrorCode::ValidationError, message)
}

/// For operations of the model that have no handler yet: a clear answer naming them (and,
/// where there is one, why).
pub fn not_implemented(operation: &str) -> ServerError {
    let message = match operation {
        // No crate we could vet verifies XML signatures soundly and leanly: samael (0.0.x)
        // binds libxmlsec1 through unsafe FFI and leaves signature-wrapping defence to its
        // caller; hand-rolled canonicalization is how SAML bypasses happen. Refusing
        // clearly beats half-verifying an assertion that grants a role.
        "AssumeRoleWithSAML" => "oxiam does not implement AssumeRoleWithSAML: it has no vetted XML signature verifier, and it does not accept SAML assertions it cannot verify".to_owned(),
        _ => format!("oxiam does not implement the operation {operation} yet"),
    };
    api(ErrorCode::NotImplemented, message)
}
