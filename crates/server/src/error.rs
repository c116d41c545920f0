//! The one error type. Errors carry a stable machine-readable code and a message key; the
//! response is rendered (and translated) by the request-context middleware, which knows the
//! caller's language and whether it asked for HTML or the JSON API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One invalid input field, as the domain's validation names it.
pub use cxc_core::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden ({0})")]
    Forbidden(&'static str),
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("conflict ({0})")]
    Conflict(&'static str),
    /// The person asked is away until this date (YYYY-MM-DD).
    #[error("away until {0}")]
    Away(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("bad request ({0})")]
    BadRequest(&'static str),
    #[error("request body too large")]
    TooLarge,
    #[error("the database does not answer")]
    Unavailable,
    /// The database's disk is full: nothing was written.
    #[error("no space left for the database")]
    StorageFull,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a response needs to show an error: put in the response's extensions by
/// `IntoResponse`, turned into a page or a problem document by the middleware.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub status: StatusCode,
    pub code: &'static str,
    pub key: &'static str,
    pub fields: Vec<FieldError>,
    /// For `away`: the date the person returns, which the message says.
    pub returns: Option<String>,
}

impl ErrorReport {
    /// What to say about an error response that came without an explanation: from axum's
    /// router (405), a body limit (413) or the request timeout (408).
    pub fn for_status(status: StatusCode) -> ErrorReport {
        let (code, key) = match status {
            StatusCode::NOT_FOUND => ("not_found", "cxc-error-not-found"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "cxc-error-method-not-allowed")
            }
            StatusCode::REQUEST_TIMEOUT => ("timeout", "cxc-error-timeout"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "cxc-error-body-too-large"),
            StatusCode::URI_TOO_LONG => ("uri_too_long", "cxc-error-uri-too-long"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "cxc-error-unsupported-media-type")
            }
            StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "cxc-error-unavailable"),
            s if s.is_client_error() => ("bad_request", "cxc-error-bad-request"),
            _ => ("internal", "cxc-error-internal"),
        };
        ErrorReport {
            status,
            code,
            key,
            fields: Vec::new(),
            returns: None,
        }
    }

    /// The message's parameters.
    pub fn args(&self) -> Vec<&str> {
        self.returns.as_deref().into_iter().collect()
    }
}

impl AppError {
    pub fn invalid(field: &str, key: &'static str) -> Self {
        AppError::Invalid(vec![FieldError {
            field: field.to_owned(),
            key,
        }])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict(_) | AppError::Away(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code API clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Csrf => "csrf_failed",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Conflict(_) => "conflict",
            AppError::Away(_) => "away",
            AppError::Invalid(_) => "invalid_input",
            AppError::BadRequest(_) => "bad_request",
            AppError::TooLarge => "payload_too_large",
            AppError::Unavailable => "unavailable",
            AppError::StorageFull => "insufficient_storage",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message that explains the error to a person.
    pub fn message_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "cxc-error-not-found",
            AppError::Unauthorized => "cxc-error-unauthorized",
            AppError::Forbidden(key) | AppError::Conflict(key) | AppError::BadRequest(key) => key,
            AppError::Csrf => "cxc-error-csrf",
            AppError::Away(_) => "cxc-error-away",
            AppError::RateLimited { .. } => "cxc-error-rate-limited",
            AppError::Invalid(_) => "cxc-error-invalid-input",
            AppError::TooLarge => "cxc-error-body-too-large",
            AppError::Unavailable => "cxc-error-unavailable",
            AppError::StorageFull => "cxc-error-storage-full",
            AppError::Internal(_) => "cxc-error-internal",
        }
    }

    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            status: self.status(),
            code: self.code(),
            key: self.message_key(),
            fields: match self {
                AppError::Invalid(fields) => fields.clone(),
                _ => Vec::new(),
            },
            returns: match self {
                AppError::Away(date) => Some(date.clone()),
                _ => None,
            },
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::error!(error = %err, "database unavailable");
                AppError::Unavailable
            }
            other if is_storage_full(&other) => {
                tracing::error!(error = %other, "the database's disk is full");
                AppError::StorageFull
            }
            other => AppError::Internal(other.into()),
        }
    }
}

/// Whether the database refused a write for want of disk space: SQLite's `SQLITE_FULL`, or
/// PostgreSQL's `disk_full`.
fn is_storage_full(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "13" || code == "53100")
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(err) = &self {
            // Logged in full here, never shown: the client sees only the code.
            tracing::error!(error = ?err, "internal error");
        }
        let report = self.report();
        let mut response = (report.status, report.code).into_response();
        if let AppError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response.extensions_mut().insert(report);
        response
    }
}

/// Whether a database error is a unique-constraint violation (a duplicate), on either engine.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
