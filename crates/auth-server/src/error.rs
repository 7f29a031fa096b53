//! How errors become responses. [`ApiError`] is the JSON envelope of every
//! endpoint; [`TokenError`] (the token endpoint's, RFC 6749 section 5.2)
//! answers with OAuth codes. Extractor failures are routed here too, so no
//! request ever gets a framework-made plain-text error.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use idmap_actix_auth::AuthError;
use idmap_common::error::{ErrorBody, ErrorCode};
use idmap_storage::{ErrorKind, Exhaustion, STORAGE_RETRY_AFTER, StorageError};
use idmap_web::internal_error::InternalError;

use crate::services::clients::AdminError;
use crate::services::token::TokenError;

/// `WWW-Authenticate` challenge of a failed client authentication.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"idmap\"";

/// `WWW-Authenticate` of bearer-protected endpoints (userinfo, admin API).
pub const BEARER_REALM: &str = "Bearer realm=\"idmap\"";

/// Errors of the non-OAuth endpoints, mapped to status and envelope in one place.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("service temporarily unavailable")]
    Unavailable,
    /// The database is full, refuses writes or takes no more connections.
    #[error("{}", exhaustion_message(*.0))]
    Exhausted(Exhaustion),
    #[error("{0}")]
    Conflict(String),
    /// The caller is known but may not do this (403 `access_denied`).
    #[error("{0}")]
    Forbidden(String),
    /// A bearer-token failure (RFC 6750 section 3): 401 or 403 with a challenge.
    #[error("{description}")]
    Bearer {
        status: StatusCode,
        code: Option<ErrorCode>,
        description: String,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// Wraps any failure of ours; its details are logged, never sent.
    /// A storage error that is a lack of resources gets its own answer.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        let e: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
        match e.downcast_ref::<StorageError>().and_then(exhausted) {
            Some(x) => Self::Exhausted(x),
            None => Self::Internal(e),
        }
    }

    fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_) => ErrorCode::InvalidRequest,
            Self::NotFound => ErrorCode::NotFound,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Self::PayloadTooLarge => ErrorCode::RequestTooLarge,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::Unavailable => ErrorCode::TemporarilyUnavailable,
            Self::Exhausted(_) => ErrorCode::StorageExhausted,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Forbidden(_) => ErrorCode::AccessDenied,
            Self::Bearer { code, .. } => code.unwrap_or(ErrorCode::InvalidToken),
            Self::Internal(_) => ErrorCode::ServerError,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Exhausted(x) => exhaustion_status(*x),
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Bearer { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        let description = match self {
            Self::Internal(source) => internal_description(source.as_ref()),
            Self::Unavailable => {
                builder.insert_header((header::RETRY_AFTER, "5"));
                self.to_string()
            }
            Self::Exhausted(x) => {
                builder.insert_header((header::RETRY_AFTER, retry_after(*x)));
                self.to_string()
            }
            Self::MethodNotAllowed { allow } => {
                builder.insert_header((header::ALLOW, *allow));
                format!("method not allowed; use {allow}")
            }
            Self::Bearer {
                code, description, ..
            } => {
                let challenge = match code {
                    Some(c) => format!("{BEARER_REALM}, error=\"{}\"", c.as_str()),
                    None => BEARER_REALM.to_owned(),
                };
                builder.insert_header((header::WWW_AUTHENTICATE, challenge));
                description.clone()
            }
            other => other.to_string(),
        };
        builder.json(ErrorBody::new(self.code(), description))
    }
}

/// The shared bearer edge's verdicts, in this server's envelope. An invalid
/// token is not told why: the caller only learns it cannot use it here.
impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing { .. } => ApiError::Bearer {
                status: StatusCode::UNAUTHORIZED,
                code: None,
                description: "a bearer token is required".into(),
            },
            AuthError::Invalid { .. } => ApiError::Bearer {
                status: StatusCode::UNAUTHORIZED,
                code: Some(ErrorCode::InvalidToken),
                description: "the access token is invalid, expired, revoked or not for this server"
                    .into(),
            },
            AuthError::InsufficientScope { scope, .. } => ApiError::Bearer {
                status: StatusCode::FORBIDDEN,
                code: Some(ErrorCode::InsufficientScope),
                description: format!("scope '{scope}' is required"),
            },
            AuthError::Unavailable => ApiError::Unavailable,
        }
    }
}

/// The one mapping of the admin and user-center services' failures.
impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid(m) => ApiError::BadRequest(m),
            AdminError::NotFound(_) => ApiError::NotFound,
            AdminError::Conflict(m) => ApiError::Conflict(m),
            AdminError::Forbidden(m) => ApiError::Forbidden(m),
            AdminError::Storage(s) => ApiError::from(s),
        }
    }
}

/// A database failure, logged here once: resources out (warn, the storage
/// layer logs the episode), an outage or a lost race (warn, a 503 worth a
/// retry), or a bug or damaged data (logged with the reference the client
/// is given, a 500).
impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        if let Some(x) = exhausted(&e) {
            return ApiError::Exhausted(x);
        }
        if retry_later(&e) {
            tracing::warn!(error = %e, kind = e.kind().as_str(), "database unavailable");
            return ApiError::Unavailable;
        }
        ApiError::Internal(Box::new(e))
    }
}

/// Failures a client may retry after a moment: an outage, or a transaction
/// that kept losing races.
fn retry_later(e: &StorageError) -> bool {
    matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Contention)
}

/// Which resource the database ran out of, if that is why `e` failed;
/// logged here at warn level, the first of an episode at error level by
/// the storage layer.
pub fn exhausted(e: &StorageError) -> Option<Exhaustion> {
    let x = e.exhaustion()?;
    tracing::warn!(error = %e, resource = x.as_str(), "database resources exhausted");
    Some(x)
}

fn exhaustion_message(x: Exhaustion) -> &'static str {
    match x {
        Exhaustion::Storage => {
            "the service cannot store anything right now (storage full or read-only); retry later"
        }
        Exhaustion::Capacity => "the database takes no more connections; retry later",
    }
}

/// 507 when nothing can be stored, 503 when connections ran out.
fn exhaustion_status(x: Exhaustion) -> StatusCode {
    match x {
        Exhaustion::Storage => StatusCode::INSUFFICIENT_STORAGE,
        Exhaustion::Capacity => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn retry_after(x: Exhaustion) -> String {
    match x {
        Exhaustion::Storage => STORAGE_RETRY_AFTER.as_secs().to_string(),
        Exhaustion::Capacity => "5".to_owned(),
    }
}

/// Logs `e` with its cause chain once, and gives the client only a reference.
fn internal_description(e: &(dyn std::error::Error + 'static)) -> String {
    InternalError::log(e).to_string()
}

impl TokenError {
    /// The `error` member of the answer (also the label of
    /// `auth_token_errors_total`).
    pub fn wire_code(&self) -> &'static str {
        match self {
            Self::OAuth(e) => e.wire(),
            other => other.code().as_str(),
        }
    }

    fn code(&self) -> ErrorCode {
        match self {
            Self::OAuth(e) => e.code,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::TooLarge => ErrorCode::InvalidRequest,
            Self::Storage(e) if e.exhaustion().is_some() => ErrorCode::StorageExhausted,
            Self::Storage(e) if retry_later(e) => ErrorCode::TemporarilyUnavailable,
            Self::Storage(_) | Self::Signing(_) | Self::Corrupt(_) => ErrorCode::ServerError,
        }
    }
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::OAuth(e) if e.is_client_authentication_failure() => StatusCode::UNAUTHORIZED,
            Self::OAuth(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Storage(e) if let Some(x) = e.exhaustion() => exhaustion_status(x),
            Self::Storage(e) if retry_later(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Storage(_) | Self::Signing(_) | Self::Corrupt(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut builder = HttpResponse::build(status);
        no_store(&mut builder);
        let body = match self {
            Self::OAuth(e) => {
                if status == StatusCode::UNAUTHORIZED {
                    // RFC 6749 5.2 and RFC 9110 11.6.1: a 401 names the scheme to use.
                    builder.insert_header((header::WWW_AUTHENTICATE, BASIC_CHALLENGE));
                }
                return builder.json(serde_json::json!({
                    "error": e.wire(),
                    "error_description": e.description,
                }));
            }
            Self::RateLimited(wait) => {
                builder.insert_header((header::RETRY_AFTER, wait.to_string()));
                ErrorBody::new(self.code(), "too many failed authentications; retry later")
            }
            Self::TooLarge => ErrorBody::new(self.code(), "request body too large"),
            Self::Storage(e) if let Some(x) = exhausted(e) => {
                builder.insert_header((header::RETRY_AFTER, retry_after(x)));
                ErrorBody::new(self.code(), exhaustion_message(x))
            }
            Self::Storage(e) if retry_later(e) => {
                tracing::warn!(error = %e, kind = e.kind().as_str(), "database unavailable");
                builder.insert_header((header::RETRY_AFTER, "5"));
                ErrorBody::new(
                    self.code(),
                    "the service is temporarily unavailable; retry shortly",
                )
            }
            other => ErrorBody::new(self.code(), internal_description(other)),
        };
        builder.json(body)
    }
}

/// RFC 6749 5.1: token responses must not be cached.
pub fn no_store(builder: &mut HttpResponseBuilder) {
    builder
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
}

/// Largest form body accepted by the OAuth endpoints and the pages' forms.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The form settings of every form endpoint, OAuth or page.
pub fn form_config() -> actix_web::web::FormConfig {
    actix_web::web::FormConfig::default()
        .limit(MAX_FORM_BYTES)
        .error_handler(form_error)
}

/// A resource's fallback for methods it does not serve.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move || async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow })
    })
}

/// The app data of type `T` for an extractor; its absence is a bug of ours
/// (the app was built without it), never the caller's.
pub fn app_data<T: 'static>(req: &HttpRequest) -> Result<actix_web::web::Data<T>, ApiError> {
    req.app_data::<actix_web::web::Data<T>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(MissingState(std::any::type_name::<T>())))
}

#[derive(Debug, thiserror::Error)]
#[error("application state missing: {0}")]
struct MissingState(&'static str);

/// Fallback for unknown paths.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// Form extractor failures: RFC 6749 codes.
pub fn form_error(err: actix_web::error::UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::UrlencodedError as E;
    let e = match err {
        E::Overflow { .. } => TokenError::TooLarge,
        E::ContentType => {
            TokenError::OAuth(crate::domain::oauth_error::OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ))
        }
        _ => TokenError::OAuth(crate::domain::oauth_error::OAuthError::invalid_request(
            "the body is not valid application/x-www-form-urlencoded",
        )),
    };
    e.into()
}

/// JSON body failures, of the extractor and of `http::body` alike.
impl From<actix_web::error::JsonPayloadError> for ApiError {
    fn from(err: actix_web::error::JsonPayloadError) -> Self {
        use actix_web::error::JsonPayloadError as E;
        match err {
            E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::PayloadTooLarge,
            E::ContentType => {
                ApiError::UnsupportedMediaType("the body must be application/json".into())
            }
            E::Deserialize(e) => ApiError::BadRequest(format!("invalid JSON body: {e}")),
            _ => ApiError::BadRequest("invalid JSON body".into()),
        }
    }
}

/// JSON extractor failures.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::from(err).into()
}

/// Query-string extractor failures.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {err}")).into()
}

/// Path extractor failures.
pub fn path_error(_err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound.into()
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn query(kind: DatabaseErrorKind, message: &str) -> StorageError {
        StorageError::Query(Error::DatabaseError(kind, Box::new(message.to_owned())))
    }

    fn status_of(e: StorageError) -> u16 {
        ApiError::from(e).status_code().as_u16()
    }

    #[test]
    fn storage_failures_are_answered_by_their_kind() {
        assert_eq!(status_of(StorageError::Unavailable("refused".into())), 503);
        assert_eq!(
            status_of(query(DatabaseErrorKind::Unknown, "database is locked")),
            503
        );
        assert_eq!(
            status_of(query(
                DatabaseErrorKind::Unknown,
                "database or disk is full"
            )),
            507
        );
        // A broken constraint or a damaged row is our bug, not an outage.
        assert_eq!(
            status_of(query(DatabaseErrorKind::CheckViolation, "CHECK failed")),
            500
        );
        assert_eq!(
            status_of(query(
                DatabaseErrorKind::Unknown,
                "database disk image is malformed"
            )),
            500
        );
    }
}
