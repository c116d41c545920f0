//! Signing up, in and out, changing a password, signing in with Wikimedia.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cxc_core::{Password, Username};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::context::{OAUTH_COOKIE, RequestContext, SESSION_COOKIE, cookie, set_cookie};
use super::extract::{Form, Query};
use super::page::{FieldErrors, Page, render};
use crate::AppState;
use crate::auth::{hash_password, random_secret, secret_hash, verify_password};
use crate::db::accounts::{self, Account, NewAccount};
use crate::db::now;
use crate::error::AppError;
use crate::oauth::CALLBACK_PATH;

const SESSION_SECONDS: i64 = 30 * 24 * 3600;
const OAUTH_LOGIN_SECONDS: i64 = 10 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/signup", get(signup_form).post(signup))
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/login/wikimedia", get(wikimedia_start))
        .route(CALLBACK_PATH, get(wikimedia_callback))
}

/// Where to go back to after signing in or choosing a language: only a path on this site, as
/// the browser will read it. An open redirect would let a phishing link borrow cxc's name, and
/// browsers drop tabs and newlines anywhere in a URL and read `\\` as `/`, so `/\t/evil.example`
/// would become `//evil.example`; any control character or backslash sends people home instead.
/// What is left is percent-encoded where a `Location` header could not carry it as it is.
pub(super) fn safe_return(target: Option<&str>) -> String {
    const OUTSIDE_A_HEADER: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b' ');
    let on_site = |t: &str| {
        t.starts_with('/')
            && !t.starts_with("//")
            && !t.chars().any(|c| c.is_control() || c == '\\')
    };
    match target {
        Some(t) if on_site(t) => {
            percent_encoding::utf8_percent_encode(t, OUTSIDE_A_HEADER).to_string()
        }
        _ => "/".to_owned(),
    }
}

/// Starts a session: a random id in an HttpOnly cookie, its hash in the database.
async fn signed_in(state: &AppState, account: &Account, to: &str) -> Result<Response, AppError> {
    if account.is_suspended(state.clock.unix()) {
        return Err(AppError::Forbidden("cxc-error-suspended"));
    }
    let session = random_secret();
    accounts::create_session(
        &state.db,
        &secret_hash(&session),
        account.id,
        now() + SESSION_SECONDS,
    )
    .await?;
    let cookie = set_cookie(
        SESSION_COOKIE,
        &session,
        Some(SESSION_SECONDS),
        state.config.secure_cookies(),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response())
}

fn sign_in_required(ctx: &RequestContext) -> Response {
    let to = format!("/login?return={}", super::page::url_component(&ctx.path));
    Redirect::to(&to).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    page: Page,
    error: Option<String>,
    username: String,
    return_to: String,
}

#[derive(Deserialize)]
struct ReturnQuery {
    #[serde(rename = "return")]
    return_to: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let return_to = safe_return(q.return_to.as_deref());
    if ctx.account.is_some() {
        return Ok(Redirect::to(&return_to).into_response());
    }
    Ok(render(&LoginTemplate {
        page: Page::new(&state, &ctx, "cxc-login-title"),
        error: None,
        username: String::new(),
        return_to,
    })?
    .into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    return_to: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let return_to = safe_return(form.return_to.as_deref());
    let refuse = |status: StatusCode, key: &str| -> Result<Response, AppError> {
        let page = Page::new(&state, &ctx, "cxc-login-title");
        let error = Some(page.t(key));
        Ok((
            status,
            render(&LoginTemplate {
                page,
                error,
                username: form.username.clone(),
                return_to: return_to.clone(),
            })?,
        )
            .into_response())
    };
    state
        .limits
        .sign_in(&Username::key_of(&form.username), ctx.client_ip)?;
    let account = accounts::by_username(&state.db, &form.username).await?;
    let hash = match &account {
        Some(a) => accounts::password_hash(&state.db, a.id).await?,
        None => None,
    };
    let verified = verify_password(form.password.clone(), hash).await?;
    match account {
        Some(account) if verified && account.is_suspended(state.clock.unix()) => {
            refuse(StatusCode::FORBIDDEN, "cxc-error-suspended")
        }
        Some(account) if verified => signed_in(&state, &account, &return_to).await,
        _ => refuse(StatusCode::UNAUTHORIZED, "cxc-login-failed"),
    }
}

async fn logout(State(state): State<AppState>, ctx: RequestContext) -> Result<Response, AppError> {
    if let Some(hash) = &ctx.session_hash {
        accounts::delete_session(&state.db, hash).await?;
    }
    let clear = set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies());
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/")).into_response())
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupTemplate {
    page: Page,
    errors: FieldErrors,
    username: String,
}

async fn signup_form(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    if !state.config.signup {
        return Err(AppError::Forbidden("cxc-error-signup-closed"));
    }
    Ok(render(&SignupTemplate {
        page: Page::new(&state, &ctx, "cxc-signup-title"),
        errors: FieldErrors::default(),
        username: String::new(),
    })?
    .into_response())
}

#[derive(Deserialize)]
struct SignupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn signup(
    State(state): State<AppState>,
    ctx: RequestContext,
    Form(form): Form<SignupForm>,
) -> Result<Response, AppError> {
    if !state.config.signup {
        return Err(AppError::Forbidden("cxc-error-signup-closed"));
    }
    let page = Page::new(&state, &ctx, "cxc-signup-title");
    let mut errors = FieldErrors::default();
    let username = Username::parse(&form.username)
        .map_err(|e| errors.add(&page, "username", e.0))
        .ok();
    let password = Password::parse(&form.password)
        .map_err(|e| errors.add(&page, "password", e.0))
        .ok();
    if form.password != form.password_confirm {
        errors.add(&page, "password_confirm", "cxc-error-password-mismatch");
    }
    if let (Some(username), Some(password), true) = (&username, password, errors.is_empty()) {
        // Counted once the form is right, so that typing mistakes cost nothing.
        state.limits.sign_up(ctx.client_ip)?;
        let hash = hash_password(password.expose().to_owned()).await?;
        let created = accounts::create(
            &state.db,
            NewAccount {
                username,
                password_hash: Some(&hash),
                is_admin: false,
                wikimedia_sub: None,
            },
        )
        .await;
        match created {
            Ok(account) => return signed_in(&state, &account, "/").await,
            Err(AppError::Conflict(key)) => errors.add(&page, "username", key),
            Err(e) => return Err(e),
        }
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&SignupTemplate {
            page,
            errors,
            username: form.username,
        })?,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTemplate {
    page: Page,
    errors: FieldErrors,
    saved: bool,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn account_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        return Ok(sign_in_required(&ctx));
    }
    Ok(render(&AccountTemplate {
        page: Page::new(&state, &ctx, "cxc-account-title"),
        errors: FieldErrors::default(),
        saved: q.saved.is_some(),
    })?
    .into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(sign_in_required(&ctx));
    };
    let page = Page::new(&state, &ctx, "cxc-account-title");
    let mut errors = FieldErrors::default();
    if account.has_password {
        state
            .limits
            .sign_in(&Username::key_of(&account.username), ctx.client_ip)?;
        let hash = accounts::password_hash(&state.db, account.id).await?;
        if !verify_password(form.current_password.clone(), hash).await? {
            errors.add(&page, "current_password", "cxc-error-password-wrong");
        }
    }
    let password = Password::parse(&form.password)
        .map_err(|e| errors.add(&page, "password", e.0))
        .ok();
    if form.password != form.password_confirm {
        errors.add(&page, "password_confirm", "cxc-error-password-mismatch");
    }
    match password {
        Some(password) if errors.is_empty() => {
            let hash = hash_password(password.expose().to_owned()).await?;
            accounts::set_password(&state.db, account.id, &hash, ctx.session_hash.as_deref())
                .await?;
            Ok(Redirect::to("/account?saved=1").into_response())
        }
        _ => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&AccountTemplate {
                page,
                errors,
                saved: false,
            })?,
        )
            .into_response()),
    }
}

/// A Wikimedia sign-in in progress, kept in a short-lived HttpOnly cookie of the browser that
/// started it: the callback is accepted only from that browser, so a link to an attacker's
/// callback cannot sign a victim into the attacker's account (login CSRF), and starting a
/// sign-in writes nothing to the database.
struct PendingSignIn {
    started_at: i64,
    state: String,
    pkce_verifier: String,
    return_to: String,
}

impl PendingSignIn {
    fn cookie_value(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.started_at,
            self.state,
            self.pkce_verifier,
            super::page::url_component(&self.return_to)
        )
    }

    /// The sign-in this browser started, if its cookie is well formed.
    fn from_cookie(value: &str) -> Option<PendingSignIn> {
        let mut parts = value.splitn(4, '|');
        let started_at = parts.next()?.parse().ok()?;
        let state = parts.next()?.to_owned();
        let pkce_verifier = parts.next()?.to_owned();
        let return_to = percent_encoding::percent_decode_str(parts.next()?)
            .decode_utf8()
            .ok()?;
        Some(PendingSignIn {
            started_at,
            state,
            pkce_verifier,
            // The cookie comes back from the browser: its target is checked again.
            return_to: safe_return(Some(&return_to)),
        })
    }
}

async fn wikimedia_start(
    State(state): State<AppState>,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let oauth = state
        .oauth
        .as_ref()
        .ok_or(AppError::Forbidden("cxc-error-oauth-not-configured"))?;
    let authorization = oauth.authorize()?;
    let pending = PendingSignIn {
        started_at: state.clock.unix(),
        state: authorization.state,
        pkce_verifier: authorization.pkce_verifier,
        return_to: safe_return(q.return_to.as_deref()),
    };
    let cookie = set_cookie(
        OAUTH_COOKIE,
        &pending.cookie_value(),
        Some(OAUTH_LOGIN_SECONDS),
        state.config.secure_cookies(),
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&authorization.url),
    )
        .into_response())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

/// The end of a Wikimedia sign-in: whatever the outcome, the pending sign-in is used up.
async fn wikimedia_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let used_up = set_cookie(OAUTH_COOKIE, "", Some(0), state.config.secure_cookies());
    let pending = cookie(&headers, OAUTH_COOKIE).and_then(PendingSignIn::from_cookie);
    let outcome = finish_wikimedia_sign_in(&state, pending, q).await;
    // Appended: a successful sign-in sets its session cookie too.
    (AppendHeaders([(header::SET_COOKIE, used_up)]), outcome).into_response()
}

async fn finish_wikimedia_sign_in(
    state: &AppState,
    pending: Option<PendingSignIn>,
    q: CallbackQuery,
) -> Result<Response, AppError> {
    let oauth = state
        .oauth
        .as_ref()
        .ok_or(AppError::Forbidden("cxc-error-oauth-not-configured"))?;
    let pending = pending
        .filter(|p| {
            let same_state = q
                .state
                .as_deref()
                .is_some_and(|s| bool::from(s.as_bytes().ct_eq(p.state.as_bytes())));
            same_state && state.clock.unix() < p.started_at + OAUTH_LOGIN_SECONDS
        })
        .ok_or(AppError::Forbidden("cxc-error-oauth-state"))?;
    let (verifier, return_to) = (pending.pkce_verifier, pending.return_to);
    // The person declined, or the provider failed: no code comes back.
    let code = q
        .code
        .ok_or(AppError::Forbidden("cxc-error-oauth-failed"))?;
    let identity = oauth.finish(code, verifier).await?;
    if identity.blocked {
        return Err(AppError::Forbidden("cxc-error-oauth-blocked"));
    }
    let username = Username::parse(&identity.username)
        .map_err(|_| AppError::Forbidden("cxc-error-oauth-failed"))?;
    let account = wikimedia_account(state, &identity.sub, &username).await?;
    signed_in(state, &account, &return_to).await
}

/// The account of a Wikimedia identity: found by its `sub` (following a rename), or an
/// imported profile with that username that nobody has claimed yet, or a new account. When a
/// local account already holds the name, the new one gets a number, so nobody is locked out.
async fn wikimedia_account(
    state: &AppState,
    sub: &str,
    username: &Username,
) -> Result<Account, AppError> {
    if let Some(mut account) = accounts::by_wikimedia_sub(&state.db, sub).await? {
        if account.username != username.as_str()
            && accounts::link_wikimedia(&state.db, account.id, sub, username)
                .await
                .is_ok()
        {
            account.username = username.to_string();
        }
        return Ok(account);
    }
    let unclaimed = accounts::by_username(&state.db, username.as_str())
        .await?
        .filter(|a| a.wikimedia_sub.is_none() && !a.has_password);
    if let Some(account) = unclaimed {
        accounts::link_wikimedia(&state.db, account.id, sub, username).await?;
        return Ok(Account {
            wikimedia_sub: Some(sub.to_owned()),
            ..account
        });
    }
    let mut candidate = username.clone();
    for n in 2..=20 {
        let created = accounts::create(
            &state.db,
            NewAccount {
                username: &candidate,
                password_hash: None,
                is_admin: false,
                wikimedia_sub: Some(sub),
            },
        )
        .await;
        match created {
            Err(AppError::Conflict(_)) => {
                candidate = Username::parse(&format!("{username} ({n})"))
                    .map_err(|_| AppError::Conflict("cxc-error-username-taken"))?;
            }
            other => return other,
        }
    }
    Err(AppError::Conflict("cxc-error-username-taken"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_stay_on_this_site() {
        assert_eq!(safe_return(Some("/about?x=1")), "/about?x=1");
        assert_eq!(
            safe_return(Some("/people?q=José Ana")),
            "/people?q=Jos%C3%A9%20Ana"
        );
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "/a\0",
            "/a\u{7f}",
            "/a\u{85}",
            "https://evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_return(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_return(None), "/");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Targets an attacker would try: schemes, slashes and backslashes, the characters
        /// browsers drop, encoded forms, and anything else.
        fn target() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("/".to_owned()),
                Just("\\".to_owned()),
                Just("//".to_owned()),
                Just("evil.example".to_owned()),
                Just("https:".to_owned()),
                Just("javascript:".to_owned()),
                Just("%2f".to_owned()),
                Just("@".to_owned()),
                Just("..".to_owned()),
                Just("?".to_owned()),
                Just("#".to_owned()),
                "[\\t\\n\\r \\x00\\x0b\\x7f\\u{85}\\u{a0}\\u{2028}\\u{feff}]",
                "\\PC{0,3}",
            ];
            prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4096))]

            /// Read as a browser reads a `Location` header (the WHATWG URL parser), wherever a
            /// return target leads stays on this site, and it always fits in a header.
            #[test]
            fn every_return_target_stays_on_this_site(t in target()) {
                let site = url::Url::parse("https://cxc.example/account").unwrap();
                let to = safe_return(Some(&t));
                prop_assert!(axum::http::HeaderValue::from_str(&to).is_ok(), "{to:?}");
                let landed = site.join(&to).unwrap();
                prop_assert_eq!(landed.scheme(), "https");
                prop_assert_eq!(landed.host_str(), Some("cxc.example"), "{:?} became {:?}", t, to);
                prop_assert!(landed.username().is_empty() && landed.port().is_none());
            }

            /// A plain path on this site comes back as it was: the check refuses only what it must.
            #[test]
            fn plain_paths_are_kept(t in "/[a-z0-9/_.-]{0,20}(\\?[a-z=&]{0,10})?") {
                prop_assume!(!t.starts_with("//"));
                prop_assert_eq!(safe_return(Some(&t)), t);
            }
        }
    }
}
