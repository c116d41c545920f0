//! axum's extractors, with their rejections (a malformed query, a path that is not UTF-8, an
//! unreadable form) turned into [`AppError`]s, so they are answered like every other error: a
//! translated problem document or page, not axum's plain text.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|_| AppError::BadRequest("cxc-error-bad-query"))
    }
}

pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|_| AppError::BadRequest("cxc-error-bad-path"))
    }
}

pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::Form::from_request(req, state)
            .await
            .map(|f| Form(f.0))
            .map_err(|_| AppError::BadRequest("cxc-error-bad-form"))
    }
}

/// A submitted form's fields, in order, for forms whose fields repeat (several capacities or
/// languages) or whose names follow the data, which a typed form cannot say. An unreadable
/// body is a 400 like any other.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &[u8]) -> Result<FormFields, AppError> {
        serde_urlencoded::from_bytes(body)
            .map(FormFields)
            .map_err(|_| AppError::BadRequest("cxc-error-bad-form"))
    }

    /// The first value of a field, trimmed; empty when the field is missing.
    pub fn one(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    /// The first value of a field, trimmed, unless it is missing or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Whether one of a field's values is `value` (a ticked box, a chosen option).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v.trim() == value)
    }

    /// Every value of a field that is not empty, trimmed.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

/// A JSON body of the expected shape, or a 400 saying it is not. Read from the bytes (not
/// axum's `Json`) so that a missing or wrong content type is the forgery check's to answer.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|_| AppError::BadRequest("cxc-error-bad-json"))
}

/// A JSON body that may be left out: an empty body reads as the default.
pub fn json_body_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        json_body(body)
    }
}
