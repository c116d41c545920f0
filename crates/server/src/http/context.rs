//! What the server knows about a request before any handler runs: the interface language, the
//! signed-in account (session cookie or API token), the CSRF token. It also refuses forged form
//! posts, and renders errors in the caller's language as a page or a problem document.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::auth::{random_secret, secret_hash};
use crate::db::accounts::{self, Account};
use crate::error::{AppError, ErrorReport};

pub const SESSION_COOKIE: &str = "cxc_session";
pub const LANGUAGE_COOKIE: &str = "cxc_lang";
/// The light or dark theme chosen with the header's toggle, over the system's preference.
pub const THEME_COOKIE: &str = "cxc_theme";
pub const CSRF_COOKIE: &str = "cxc_csrf";
/// A Wikimedia sign-in in progress.
pub const OAUTH_COOKIE: &str = "cxc_oauth";
pub const CSRF_FIELD: &str = "csrf_token";
/// Forms are small; a larger body on a form route is refused before it is read.
const FORM_BODY_LIMIT: usize = 1 << 20;
/// Any body read before its handler runs (axum's own default for a handler's body).
const BODY_LIMIT: usize = 2 << 20;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub lang: &'static str,
    pub account: Option<Account>,
    /// The hash of the session id, when signed in through a session cookie.
    pub session_hash: Option<String>,
    pub csrf: String,
    pub client_ip: IpAddr,
    /// Path and query, for coming back after choosing a language or signing in.
    pub path: String,
    pub is_api: bool,
    /// Whether errors go out as problem documents rather than pages.
    pub problem: bool,
    /// Unread notifications of the signed-in person, for the header of pages.
    pub unread: i64,
    /// `light` or `dark` when chosen over the system's preference.
    pub theme: Option<&'static str>,
}

impl RequestContext {
    pub fn require_account(&self) -> Result<&Account, AppError> {
        self.account.as_ref().ok_or(AppError::Unauthorized)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request context missing")))
    }
}

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Lax always, Secure on https sites.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).expect("cookie values are URL-safe")
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Problem documents for the API, and elsewhere for clients that ask for JSON but not HTML
/// (browsers always name HTML).
fn wants_problem(is_api: bool, headers: &HeaderMap) -> bool {
    is_api
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("json") && !accept.contains("text/html"))
}

/// Paths for programs rather than people: the API and the health check, which the API's
/// document describes too. They answer problem documents and take API tokens.
fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz"
}

/// The methods cxc's routes change things with. Any other method (TRACE, PROPFIND…) matches no
/// route, so the router answers it with 405 without it needing a CSRF token first.
fn is_unsafe(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The interface language a request asks for: `uselang`, the language cookie, or the
/// browser's languages.
fn language(state: &AppState, uri: &Uri, headers: &HeaderMap) -> &'static str {
    let uselang = query_param(uri.query(), "uselang");
    state.i18n.negotiate(
        uselang.as_deref(),
        cookie(headers, LANGUAGE_COOKIE),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The theme the cookie names, if it names one cxc has.
fn theme(headers: &HeaderMap) -> Option<&'static str> {
    match cookie(headers, THEME_COOKIE) {
        Some("light") => Some("light"),
        Some("dark") => Some("dark"),
        _ => None,
    }
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

impl RequestContext {
    /// A visitor known only by what the request says, for errors answered outside the context.
    fn anonymous(state: &AppState, uri: &Uri, headers: &HeaderMap) -> RequestContext {
        let is_api = is_api_path(uri.path());
        RequestContext {
            lang: language(state, uri, headers),
            account: None,
            session_hash: None,
            csrf: String::new(),
            client_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            path: path_and_query(uri),
            is_api,
            problem: wants_problem(is_api, headers),
            unread: 0,
            theme: theme(headers),
        }
    }
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let lang = language(&state, req.uri(), headers);
    let is_api = is_api_path(req.uri().path());
    let existing_csrf = cookie(headers, CSRF_COOKIE)
        .filter(|v| v.len() == 43)
        .map(str::to_owned);
    let new_csrf = existing_csrf.is_none().then(random_secret);
    let csrf = existing_csrf
        .clone()
        .or_else(|| new_csrf.clone())
        .unwrap_or_default();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
    let forwarded_for: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let client_ip = state.config.client_address(peer, &forwarded_for);
    let path = path_and_query(req.uri());

    let mut ctx = RequestContext {
        lang,
        account: None,
        session_hash: None,
        csrf,
        client_ip,
        path,
        is_api,
        problem: wants_problem(is_api, headers),
        unread: 0,
        theme: theme(headers),
    };
    let checked = match refuse_control_characters(req).await {
        Ok(req) => authenticate(&state, &mut ctx, existing_csrf, req).await,
        Err(e) => Err(e),
    };
    let response = match checked {
        Ok(mut req) => {
            // Only pages show the count, and only in answer to a GET.
            if let Some(account) = ctx.account.as_ref().filter(|_| !ctx.is_api)
                && req.method() == Method::GET
            {
                ctx.unread = crate::db::notifications::unread_count(&state.db, account.id)
                    .await
                    .unwrap_or(0);
            }
            req.extensions_mut().insert(ctx.clone());
            next.run(req).await
        }
        Err(err) => err.into_response(),
    };
    finish(&state, &ctx, new_csrf, response)
}

/// Fields that hold several lines of text, where tabs and line breaks belong: the ones in
/// [`MULTI_LINE_FIELDS`] and a capacity's description in each language.
pub fn is_multi_line(field: &str) -> bool {
    MULTI_LINE_FIELDS.contains(&field) || field.starts_with("description_")
}

/// The fields written in a `<textarea>` on some page (or their JSON names), where a person's
/// Enter key must be kept. A test holds the list to the templates.
const MULTI_LINE_FIELDS: &[&str] = &[
    "bio",
    "description",
    "body",
    "message",
    "details",
    "answer",
    "answers",
    "mentor_questions",
    "mentee_questions",
    "pinned",
    "forbidden",
    "members",
    "facilitators",
];

/// Whether text holds a control character, beyond the tabs and line breaks of multi-line text.
fn has_control(text: &str, multi_line: bool) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(multi_line && matches!(c, '\t' | '\n' | '\r')))
}

/// Refuses control characters in the address and in form and JSON bodies, before anything
/// reads them: PostgreSQL cannot store NUL (it would answer 500 where SQLite stores it), and
/// the others are invisible or break the pages and links they end up in. Both engines so
/// see the same input, and the person a clear message.
async fn refuse_control_characters(req: Request) -> Result<Request, AppError> {
    let path = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
    let query = req.uri().query().unwrap_or_default();
    let query_pairs =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default();
    if has_control(&path, false)
        || query_pairs
            .iter()
            .any(|(k, v)| has_control(k, false) || has_control(v, false))
    {
        return Err(AppError::BadRequest("cxc-error-control-characters"));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let json = content_type.starts_with("application/json");
    if !is_unsafe(req.method()) || !(form || json) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge)?;
    if form {
        // A form comes from a page, whose error page says what is wrong.
        let refused = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .unwrap_or_default()
            .iter()
            .any(|(k, v)| has_control(k, false) || has_control(v, is_multi_line(k)));
        if refused {
            return Err(AppError::BadRequest("cxc-error-control-characters"));
        }
    } else {
        // An API client is told which field.
        let offending = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| control_in_json(&v, ""));
        if let Some(field) = offending {
            return Err(AppError::invalid(&field, "cxc-error-control-characters"));
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The first field of a JSON document whose text holds a control character.
fn control_in_json(value: &serde_json::Value, field: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => has_control(s, is_multi_line(field)).then(|| field.to_owned()),
        Value::Array(items) => items.iter().find_map(|v| control_in_json(v, field)),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if has_control(k, false) {
                Some(k.clone())
            } else {
                control_in_json(v, k)
            }
        }),
        _ => None,
    }
}

/// A request with an unsafe method that must prove it comes from the site itself: carried to
/// [`forgery_guard`], which runs only once a route has matched.
#[derive(Clone)]
struct ForgeryCheck {
    csrf_cookie: Option<String>,
}

/// Finds who is calling; an unsafe request not made with an API token is marked for
/// [`forgery_guard`].
async fn authenticate(
    state: &AppState,
    ctx: &mut RequestContext,
    csrf_cookie: Option<String>,
    mut req: Request,
) -> Result<Request, AppError> {
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer.filter(|_| ctx.is_api) {
        ctx.account = accounts::by_token(&state.db, &secret_hash(token)).await?;
        match &ctx.account {
            None => return Err(AppError::Unauthorized),
            Some(a) if a.is_suspended(state.clock.unix()) => {
                return Err(AppError::Forbidden("cxc-error-suspended"));
            }
            Some(_) => {}
        }
        // A token is not sent by browsers on their own, so it cannot be forged cross-site.
        return Ok(req);
    }
    if let Some(session) = cookie(headers, SESSION_COOKIE) {
        let hash = secret_hash(session);
        // A suspended account's sessions end when it is suspended; one that slipped through
        // is treated as signed out.
        ctx.account = accounts::by_session(&state.db, &hash)
            .await?
            .filter(|a| !a.is_suspended(state.clock.unix()));
        ctx.session_hash = ctx.account.as_ref().map(|_| hash);
    }
    if is_unsafe(req.method()) && req.uri().path() != super::email::ONE_CLICK {
        req.extensions_mut().insert(ForgeryCheck { csrf_cookie });
    }
    Ok(req)
}

/// Refuses a forged request (a cross-site form or script acting with the visitor's cookies).
/// It is a route layer, so that a path no route takes is answered 404 first.
pub async fn forgery_guard(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(check) = req.extensions_mut().remove::<ForgeryCheck>() else {
        return next.run(req).await;
    };
    let is_api = is_api_path(req.uri().path());
    match check_forgery(&state, is_api, check.csrf_cookie, req).await {
        Ok(req) => next.run(req).await,
        Err(err) => err.into_response(),
    }
}

async fn check_forgery(
    state: &AppState,
    is_api: bool,
    csrf_cookie: Option<String>,
    req: Request,
) -> Result<Request, AppError> {
    let headers = req.headers();
    check_origin(headers, &state.config.base_url)?;
    if is_api {
        // Cross-site forms cannot send JSON without a CORS preflight, which cxc never grants.
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        return if json { Ok(req) } else { Err(AppError::Csrf) };
    }
    let expected = csrf_cookie.ok_or(AppError::Csrf)?;
    let from_header = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, FORM_BODY_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge)?;
    let submitted = from_header.or_else(|| {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v)
    });
    match submitted {
        Some(token) if bool::from(token.as_bytes().ct_eq(expected.as_bytes())) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(AppError::Csrf),
    }
}

/// Browsers say where a request comes from; a cross-site origin is refused outright.
fn check_origin(headers: &HeaderMap, base_url: &str) -> Result<(), AppError> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site == Some("cross-site") {
        return Err(AppError::Csrf);
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) if origin != base_url && site != Some("same-origin") => Err(AppError::Csrf),
        _ => Ok(()),
    }
}

/// An error response without an explanation: axum's own (405, an extractor's rejection), or
/// a layer's (the timeout's 408, a body limit's 413). Pages and problem documents that
/// handlers render have a content type of their own.
fn is_unexplained(response: &Response) -> bool {
    let status = response.status();
    (status.is_client_error() || status.is_server_error())
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"))
}

/// The error page or problem document for `report`, in place of `response`'s body.
fn explain(
    state: &AppState,
    ctx: &RequestContext,
    report: &ErrorReport,
    response: Response,
) -> Response {
    let mut rendered = if ctx.problem {
        super::api::problem(state, ctx.lang, report)
    } else {
        super::page::error_page(state, ctx, report)
    };
    // Keep what the handler set besides the body (WWW-Authenticate, Retry-After, Allow, cookies).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().append(name, value.clone());
        }
    }
    *rendered.status_mut() = report.status;
    vary_on_accept(&mut rendered);
    rendered
}

/// Says that the response depends on `Accept` (JSON or JSON-LD, a page or a problem
/// document), so that caches keep one per kind.
pub fn vary_on_accept(response: &mut Response) {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept"));
}

/// The longest address answered; hyper itself refuses longer ones only past 64 KiB, and
/// without a word.
const MAX_URI_BYTES: usize = 8 * 1024;

/// The last word on errors, outside every layer that can answer one (the request timeout):
/// an unexplained error response becomes a page or problem document like the others, for a
/// visitor known only by language, since the request context did not see it through. It also
/// refuses addresses too long to be real.
pub async fn explain_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Only what the explanation needs is kept (cheap copies), and read only on an error.
    let uri = req.uri().clone();
    let mut headers = HeaderMap::new();
    for name in [header::ACCEPT, header::ACCEPT_LANGUAGE, header::COOKIE] {
        for value in req.headers().get_all(&name) {
            headers.append(&name, value.clone());
        }
    }
    let uri_length = uri.path_and_query().map_or(0, |p| p.as_str().len());
    let response = if uri_length > MAX_URI_BYTES {
        StatusCode::URI_TOO_LONG.into_response()
    } else {
        next.run(req).await
    };
    if !is_unexplained(&response) {
        return response;
    }
    let ctx = RequestContext::anonymous(&state, &uri, &headers);
    let report = ErrorReport::for_status(response.status());
    explain(&state, &ctx, &report, response)
}

fn finish(
    state: &AppState,
    ctx: &RequestContext,
    new_csrf: Option<String>,
    mut response: Response,
) -> Response {
    let report = match response.extensions_mut().remove::<ErrorReport>() {
        Some(report) => Some(report),
        None => is_unexplained(&response).then(|| ErrorReport::for_status(response.status())),
    };
    if let Some(report) = report {
        response = explain(state, ctx, &report, response);
    }
    let headers = response.headers_mut();
    // A response kept for a year by every cache on the way must be the same for everyone: no
    // cookie of one visitor's.
    let immutable = headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes().windows(9).any(|w| w == b"immutable"));
    if let Some(token) = new_csrf.filter(|_| !immutable) {
        headers.append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &token, None, state.config.secure_cookies()),
        );
    }
    // What was made for a signed-in person, or sets someone's cookies, is theirs: no cache,
    // shared or on disk, keeps it.
    if (ctx.account.is_some() || headers.contains_key(header::SET_COOKIE))
        && !headers.contains_key(header::CACHE_CONTROL)
    {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// A cookie cxc set is found again among any others a browser sends, in any order and
        /// spread over several headers; a name that was never set is not found.
        #[test]
        fn a_set_cookie_is_read_back_among_others(
            value in "[A-Za-z0-9_-]{1,43}",
            others in prop::collection::vec(("[a-z]{1,8}", "[!#-+--:<-~]{0,12}"), 0..6),
            split in any::<bool>(),
        ) {
            let set = set_cookie(SESSION_COOKIE, &value, Some(60), true);
            let sent = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            let mut cookies: Vec<String> = others
                .iter()
                .filter(|(k, _)| k != SESSION_COOKIE)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let half = cookies.len() / 2;
            cookies.insert(half, sent);
            let mut headers = HeaderMap::new();
            if split {
                for c in &cookies {
                    headers.append(header::COOKIE, HeaderValue::from_str(c).unwrap());
                }
            } else {
                headers.insert(header::COOKIE, HeaderValue::from_str(&cookies.join("; ")).unwrap());
            }
            prop_assert_eq!(cookie(&headers, SESSION_COOKIE), Some(value.as_str()));
            prop_assert_eq!(cookie(&headers, "cxc_absent"), None);
        }
    }
}
