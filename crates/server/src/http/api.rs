//! The JSON API under `/api/v1/`. Its OpenAPI document is generated from the handlers' own
//! annotations, so it cannot drift from what the server does.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::{RequestContext, SESSION_COOKIE};
use crate::AppState;
use crate::error::{AppError, ErrorReport};
use cxc_core::Role;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Capacity Exchange API",
        description = "Capacities, people, organizations, matches and open aggregates of the Wikimedia Capacity Exchange. Errors are RFC 9457 problem documents with a stable `code`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    modifiers(&Security),
    components(schemas(Problem, FieldProblem))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `cxc token create USERNAME`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
    }
}

/// The API routes, and the OpenAPI document that describes them and the health check.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .routes(routes!(super::health::healthz));
    let router = super::capacities::api(router);
    let router = super::profiles::api(router);
    let router = super::search::api(router);
    let router = super::matches::api(router);
    let router = super::stats::api(router);
    let router = super::posts::api(router);
    let router = super::connections::api(router);
    let router = super::notifications::api(router);
    let router = super::moderation::api(router);
    let router = super::saved::api(router);
    let router = super::email::api(router);
    let router = super::events::api(router);
    let router = super::programmes::api(router);
    let router = super::cohorts::api(router);
    let (router, mut openapi) = super::organizations::api(router).split_for_parts();
    super::api_schema::add_common_responses(&mut openapi);
    (router, openapi)
}

/// An RFC 9457 problem document.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    /// Short, translated summary of the kind of problem.
    title: String,
    status: u16,
    /// Stable machine-readable code, e.g. `unauthorized` or `invalid_input`.
    code: &'static str,
    /// Translated explanation for a person.
    detail: String,
    /// For `invalid_input`: what is wrong with each field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
    /// For `away`: the date (ISO 8601) the person asked is back.
    #[serde(skip_serializing_if = "Option::is_none")]
    returns: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    field: String,
    /// Stable code of the field's problem, e.g. `username_taken`.
    code: String,
    detail: String,
}

/// The stable code of a message key: `cxc-error-username-taken` → `username_taken`.
fn field_code(key: &str) -> String {
    key.trim_start_matches("cxc-error-").replace('-', "_")
}

pub fn problem(state: &AppState, lang: &str, report: &ErrorReport) -> Response {
    let text = |key: &str| state.i18n.text(lang, key, &[]);
    let body = Problem {
        kind: "about:blank",
        title: text(&format!("cxc-problem-{}", report.code.replace('_', "-"))),
        status: report.status.as_u16(),
        code: report.code,
        detail: state.i18n.text(lang, report.key, &report.args()),
        errors: report
            .fields
            .iter()
            .map(|f| FieldProblem {
                field: f.field.clone(),
                code: field_code(f.key),
                detail: text(f.key),
            })
            .collect(),
        returns: report.returns.clone(),
    };
    let mut response = (report.status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_str(lang).unwrap_or(HeaderValue::from_static("en")),
    );
    if report.status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"cxc\""),
        );
    }
    response
}

/// The signed-in account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    username: String,
    /// `member`, and `moderator` and `admin` for those who hold them.
    roles: Vec<String>,
    /// Whether a Wikimedia account is linked.
    wikimedia: bool,
}

/// Who am I? The account behind the session cookie or the bearer token.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    responses(
        (status = 200, description = "The signed-in account", body = Me),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn me(ctx: RequestContext) -> Result<Json<Me>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(Me {
        username: account.username.clone(),
        roles: account
            .roles()
            .into_iter()
            .map(|r| match r {
                Role::Member => "member".to_owned(),
                Role::Moderator => "moderator".to_owned(),
                Role::Admin => "admin".to_owned(),
            })
            .collect(),
        wikimedia: account.wikimedia_sub.is_some(),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_codes_are_derived_from_message_keys() {
        assert_eq!(
            super::field_code("cxc-error-username-taken"),
            "username_taken"
        );
    }
}
