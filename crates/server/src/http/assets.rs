//! Static files, embedded in the binary and served under content-hashed names with a one-year
//! immutable cache lifetime: a new release changes the name, so browsers never see stale CSS.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::extract::Path;
use crate::AppState;
use crate::error::AppError;

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../../static/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../static/app.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../../../static/icon.svg"),
    ),
    (
        "icons.svg",
        "image/svg+xml",
        include_bytes!("../../../../static/icons.svg"),
    ),
    (
        "art.svg",
        "image/svg+xml",
        include_bytes!("../../../../static/art.svg"),
    ),
];

struct Asset {
    name: &'static str,
    hashed_name: String,
    content_type: &'static str,
    body: &'static [u8],
    etag: String,
}

pub struct Assets(Vec<Asset>);

impl Assets {
    pub fn load() -> Assets {
        Assets(
            FILES
                .iter()
                .map(|(name, content_type, body)| {
                    let digest: String = Sha256::digest(body)
                        .iter()
                        .take(5)
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
                    Asset {
                        name,
                        hashed_name: format!("{stem}.{digest}.{ext}"),
                        content_type,
                        body,
                        etag: format!("\"{digest}\""),
                    }
                })
                .collect(),
        )
    }

    /// The address of a file, e.g. `/static/style.1a2b3c4d5e.css`.
    pub fn url(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|a| a.name == name)
            .map(|a| format!("/static/{}", a.hashed_name))
            .unwrap_or_default()
    }
}

pub async fn serve(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let asset = state
        .assets
        .0
        .iter()
        .find(|a| a.hashed_name == file)
        .ok_or(AppError::NotFound)?;
    let cache = [
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::ETAG, asset.etag.as_str()),
    ];
    let revalidated = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag));
    if revalidated {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(header::CONTENT_TYPE, asset.content_type)],
        asset.body,
    )
        .into_response())
}
