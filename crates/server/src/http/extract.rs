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
