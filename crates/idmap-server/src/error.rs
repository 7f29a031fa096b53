//! The one error type of the HTTP layer: every failure a client can see,
//! with the whole status mapping in one `match`, answered as the JSON
//! envelope of `idmap_common::error` (or the older `{"status":"error"}` body
//! for `/api/save` validation), plus RFC 6750 `WWW-Authenticate` headers.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use idmap_actix_auth::{AuthError, Invalid};
use idmap_common::error::{ErrorBody, ErrorCode, ErrorDetail};
use idmap_common::verifier::VerifyError;
use idmap_storage::{ErrorKind, Exhaustion, STORAGE_RETRY_AFTER, StorageError};
use idmap_web::internal_error::InternalError;

/// Realm announced in every `WWW-Authenticate` header.
pub const REALM: &str = "idmap";

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// A failure answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request has no bearer token")]
    MissingToken,
    #[error("{0}")]
    InvalidToken(VerifyError),
    #[error("the token lacks the {0} scope")]
    InsufficientScope(&'static str),
    #[error("the token is not issued to a partner client")]
    PartnerRequired,
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// Malformed JSON, wrong types, unknown fields, too many items.
    #[error("{0}")]
    BadRequest(String),
    /// Item-level validation failures, each with its index and field.
    #[error("{description}")]
    Invalid {
        description: String,
        details: Vec<ErrorDetail>,
    },
    /// `/api/save` validation failures, in the older clients' format.
    #[error("{0}")]
    Legacy(String),
    #[error("salt fingerprint is missing or does not match the network's salt")]
    SaltMismatch,
    #[error("no such resource")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request contradicts the stored state (a repeated merge, a
    /// cycle, a rule that exists); the message says which.
    #[error("{0}")]
    Conflict(String),
    /// JWKS not loaded yet, or another reason to retry later.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The database failed; the kind feeds `idmap_db_errors_total`.
    #[error("{0}")]
    Database(DbFailure),
    /// Logged where it was created; the client sees only the reference.
    #[error("{0}")]
    Internal(InternalError),
}

/// How a database call failed, as counted in the metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbFailure {
    /// Down, unreachable, or no pooled connection in time: 503.
    #[error("the database is unavailable; retry later")]
    Unavailable,
    /// The transaction kept losing races after the storage layer's retries: 503.
    #[error("the database is busy; retry later")]
    Race,
    /// Full, read-only, or out of connections: 507 or 503.
    #[error("{}", exhaustion_message(*.0))]
    Exhausted(Exhaustion),
    /// Anything else, logged with the reference the client sees: 500.
    #[error("{0}")]
    Other(InternalError),
}

impl DbFailure {
    /// The `kind` label of `idmap_db_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Race => "race",
            Self::Exhausted(Exhaustion::Storage) => "storage_exhausted",
            Self::Exhausted(Exhaustion::Capacity) => "capacity_exhausted",
            Self::Other(_) => "other",
        }
    }
}

fn exhaustion_message(e: Exhaustion) -> &'static str {
    match e {
        Exhaustion::Storage => {
            "the registry cannot store new data right now (storage full or read-only); \
             patients already stored are still answered; retry later"
        }
        Exhaustion::Capacity => "the database takes no more connections; retry later",
    }
}

impl ApiError {
    /// Logs `err` with its cause chain once and hides it from the client.
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        Self::Internal(InternalError::log(err))
    }

    fn code(&self) -> ErrorCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) => ErrorCode::InvalidToken,
            Self::InsufficientScope(_) => ErrorCode::InsufficientScope,
            Self::PartnerRequired => ErrorCode::PartnerRequired,
            Self::TooLarge(_) => ErrorCode::RequestTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::BadRequest(_) | Self::Invalid { .. } | Self::Legacy(_) => {
                ErrorCode::InvalidRequest
            }
            Self::SaltMismatch => ErrorCode::SaltMismatch,
            Self::NotFound => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Unavailable(_) | Self::Database(DbFailure::Unavailable | DbFailure::Race) => {
                ErrorCode::TemporarilyUnavailable
            }
            Self::Database(DbFailure::Exhausted(_)) => ErrorCode::StorageExhausted,
            Self::Internal(_) | Self::Database(DbFailure::Other(_)) => ErrorCode::ServerError,
        }
    }

    /// Seconds a client should wait before retrying, for the answers
    /// worth retrying.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Database(DbFailure::Exhausted(Exhaustion::Storage)) => {
                Some(STORAGE_RETRY_AFTER.as_secs())
            }
            _ if self.status_code() == StatusCode::SERVICE_UNAVAILABLE => Some(5),
            _ => None,
        }
    }

    fn www_authenticate(&self) -> Option<String> {
        match self {
            Self::MissingToken => Some(format!("Bearer realm=\"{REALM}\"")),
            Self::InvalidToken(e) => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{}\"",
                e.to_string().replace(['"', '\\'], "")
            )),
            Self::InsufficientScope(scope) => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            _ => None,
        }
    }
}

/// The shared bearer edge's verdicts, in this service's envelope; a broken
/// `Authorization` header is a malformed token here.
impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Missing { .. } => Self::MissingToken,
            AuthError::Invalid {
                reason: Invalid::Token(e),
                ..
            } => Self::InvalidToken(e),
            AuthError::Invalid {
                reason: Invalid::Header(_),
                ..
            } => Self::InvalidToken(VerifyError::Malformed),
            AuthError::InsufficientScope { scope, .. } => Self::InsufficientScope(scope),
            AuthError::Unavailable => {
                Self::Unavailable("signing keys are not loaded yet; retry later")
            }
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        if let Some(exhaustion) = err.exhaustion() {
            // The first failure of an episode is logged at error level
            // by the storage layer.
            tracing::warn!(error = %err, resource = exhaustion.as_str(), "database resources exhausted");
            return Self::Database(DbFailure::Exhausted(exhaustion));
        }
        match err.kind() {
            ErrorKind::Unavailable => {
                tracing::warn!(error = %err, "database unavailable");
                Self::Database(DbFailure::Unavailable)
            }
            ErrorKind::Contention => {
                tracing::warn!(error = %err, "transaction kept losing races");
                Self::Database(DbFailure::Race)
            }
            ErrorKind::Corrupt | ErrorKind::Other => {
                Self::Database(DbFailure::Other(InternalError::log(&err)))
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope(_) | Self::PartnerRequired => StatusCode::FORBIDDEN,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BadRequest(_) | Self::Invalid { .. } | Self::Legacy(_) => StatusCode::BAD_REQUEST,
            Self::SaltMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_)
            | Self::Database(
                DbFailure::Unavailable
                | DbFailure::Race
                | DbFailure::Exhausted(Exhaustion::Capacity),
            ) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(DbFailure::Exhausted(Exhaustion::Storage)) => {
                StatusCode::INSUFFICIENT_STORAGE
            }
            Self::Internal(_) | Self::Database(DbFailure::Other(_)) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(value) = self.www_authenticate()
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            response.insert_header((header::WWW_AUTHENTICATE, value));
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        match self {
            Self::Legacy(message) => response.json(serde_json::json!({
                "status": "error",
                "message": message,
            })),
            Self::Invalid { details, .. } => response
                .json(ErrorBody::new(self.code(), self.to_string()).with_details(details.clone())),
            Self::BadRequest(_) => response
                .json(ErrorBody::new(self.code(), self.to_string()).with_details(Vec::new())),
            _ => response.json(ErrorBody::new(self.code(), self.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn parts(err: ApiError) -> (u16, Option<String>, serde_json::Value) {
        let r = err.error_response();
        let status = r.status().as_u16();
        let www = r
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = r.into_body().try_into_bytes().unwrap();
        (status, www, serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn missing_token_has_no_error_code_in_the_header() {
        let (status, www, body) = parts(ApiError::MissingToken);
        assert_eq!(status, 401);
        assert_eq!(www.as_deref(), Some("Bearer realm=\"idmap\""));
        assert_eq!(body["error"], "invalid_token");
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let (status, www, body) = parts(ApiError::InsufficientScope("idmap:link"));
        assert_eq!(status, 403);
        assert_eq!(
            www.as_deref(),
            Some("Bearer realm=\"idmap\", error=\"insufficient_scope\", scope=\"idmap:link\"")
        );
        assert_eq!(body["error"], "insufficient_scope");
    }

    #[test]
    fn request_level_validation_has_empty_details_and_legacy_has_its_own_shape() {
        let (status, _, body) = parts(ApiError::BadRequest("bad".into()));
        assert_eq!(
            (status, body["details"].clone()),
            (400, serde_json::json!([]))
        );
        let (status, _, body) = parts(ApiError::Legacy("bad".into()));
        assert_eq!(status, 400);
        assert_eq!(
            body,
            serde_json::json!({"status": "error", "message": "bad"})
        );
    }

    #[test]
    fn a_database_outage_is_a_503_json_error() {
        let err = ApiError::from(StorageError::Unavailable("connection refused".into()));
        let r = err.error_response();
        assert!(r.headers().contains_key(header::RETRY_AFTER));
        let (status, _, body) = parts(err);
        assert_eq!(status, 503);
        assert_eq!(body["error"], "temporarily_unavailable");
        assert!(!body.to_string().contains("connection refused"));
    }

    #[test]
    fn a_full_disk_is_a_507_and_refused_connections_a_503_with_their_own_code() {
        use diesel::result::{DatabaseErrorKind, Error};
        let full = StorageError::Query(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database or disk is full".to_owned()),
        ));
        let err = ApiError::from(full);
        let r = err.error_response();
        assert_eq!(r.headers().get(header::RETRY_AFTER).unwrap(), "30");
        let (status, _, body) = parts(err);
        assert_eq!(
            (status, body["error"].as_str()),
            (507, Some("storage_exhausted"))
        );
        assert!(!body.to_string().contains("disk is full"));
        let err = ApiError::from(StorageError::Unavailable(
            "FATAL: sorry, too many clients already".into(),
        ));
        assert!(
            err.error_response()
                .headers()
                .contains_key(header::RETRY_AFTER)
        );
        let (status, _, body) = parts(err);
        assert_eq!(
            (status, body["error"].as_str()),
            (503, Some("storage_exhausted"))
        );
    }

    #[test]
    fn internal_errors_hide_the_cause() {
        let err = std::io::Error::other("secret detail");
        let (status, _, body) = parts(ApiError::internal(&err));
        assert_eq!(status, 500);
        assert!(!body.to_string().contains("secret detail"));
    }
}
