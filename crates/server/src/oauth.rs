//! Signing in with a Wikimedia account: OAuth 2.0 authorization code with PKCE against
//! Meta-Wiki's `rest.php/oauth2` endpoints (configurable, so tests run a local provider).

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, TokenResponse, TokenUrl,
};

use crate::config::OAuthConfig;
use crate::error::AppError;

pub const CALLBACK_PATH: &str = "/oauth/callback";
const USER_AGENT: &str = concat!(
    "cxc/",
    env!("CARGO_PKG_VERSION"),
    " (Capacity Exchange; https://meta.wikimedia.org/wiki/Capacity_Exchange)"
);

pub struct WikimediaOAuth {
    config: OAuthConfig,
    redirect_url: RedirectUrl,
    http: reqwest::Client,
}

/// Where to send the person, and what to keep until they come back.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
}

/// The identity Wikimedia vouches for. `sub` is the stable central user id; usernames can change.
#[derive(Debug, Clone)]
pub struct WikimediaIdentity {
    pub sub: String,
    pub username: String,
    pub blocked: bool,
}

#[derive(serde::Deserialize)]
struct Profile {
    sub: serde_json::Value,
    username: String,
    #[serde(default)]
    blocked: bool,
}

impl WikimediaOAuth {
    pub fn new(config: OAuthConfig, base_url: &str) -> anyhow::Result<Self> {
        let redirect_url = RedirectUrl::new(format!("{base_url}{CALLBACK_PATH}"))?;
        AuthUrl::new(config.authorize_url.clone())?;
        TokenUrl::new(config.token_url.clone())?;
        let http = reqwest::Client::builder()
            // Following redirects from the token endpoint would open the door to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .user_agent(USER_AGENT)
            .build()?;
        Ok(WikimediaOAuth {
            config,
            redirect_url,
            http,
        })
    }

    fn client(
        &self,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        AppError,
    > {
        let urls = AuthUrl::new(self.config.authorize_url.clone())
            .and_then(|a| Ok((a, TokenUrl::new(self.config.token_url.clone())?)))
            .map_err(anyhow::Error::from)?;
        Ok(
            BasicClient::new(ClientId::new(self.config.client_id.clone()))
                .set_client_secret(ClientSecret::new(self.config.client_secret.clone()))
                .set_auth_uri(urls.0)
                .set_token_uri(urls.1)
                .set_redirect_uri(self.redirect_url.clone())
                .set_auth_type(AuthType::RequestBody),
        )
    }

    /// Starts a sign-in. No scope is asked for: the consumer is registered for identity only.
    pub fn authorize(&self) -> Result<Authorization, AppError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client()?
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code for a token and asks who it belongs to.
    pub async fn finish(
        &self,
        code: String,
        pkce_verifier: String,
    ) -> Result<WikimediaIdentity, AppError> {
        let token = self
            .client()?
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "Wikimedia token exchange failed");
                AppError::Forbidden("cxc-error-oauth-failed")
            })?;
        let profile = self.profile(token.access_token().secret()).await?;
        let sub = match profile.sub {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(AppError::Forbidden("cxc-error-oauth-failed")),
        };
        Ok(WikimediaIdentity {
            sub,
            username: profile.username,
            blocked: profile.blocked,
        })
    }

    /// Meta-Wiki's profile endpoint answers with intermittent 500s: try it up to three times.
    async fn profile(&self, access_token: &str) -> Result<Profile, AppError> {
        let mut last_error = String::new();
        for attempt in 0..3u64 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            let response = self
                .http
                .get(&self.config.profile_url)
                .bearer_auth(access_token)
                .send()
                .await;
            match response {
                Ok(r) if r.status().is_success() => {
                    return r.json::<Profile>().await.map_err(|e| {
                        tracing::warn!(error = %e, "unreadable Wikimedia profile");
                        AppError::Forbidden("cxc-error-oauth-failed")
                    });
                }
                Ok(r) if r.status().is_server_error() => last_error = r.status().to_string(),
                Ok(r) => {
                    tracing::warn!(status = %r.status(), "Wikimedia profile refused");
                    return Err(AppError::Forbidden("cxc-error-oauth-failed"));
                }
                Err(e) => last_error = e.to_string(),
            }
        }
        tracing::warn!(error = %last_error, "Wikimedia profile unavailable");
        Err(AppError::Forbidden("cxc-error-oauth-failed"))
    }
}
