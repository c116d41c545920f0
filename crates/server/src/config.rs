//! Settings of a running server, independent of how they were given (flags, environment, tests).

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// A SQLite file path or `sqlite:` URL, or a `postgres://` URL.
    pub database: String,
    pub listen: SocketAddr,
    /// Where people reach the site, without a trailing slash: links, OAuth redirects and the
    /// `Secure` cookie flag follow from it.
    pub base_url: String,
    pub demo: bool,
    pub signup: bool,
    pub request_timeout: Duration,
    /// Serve `/metrics` on this address instead of the main listener.
    pub metrics_listen: Option<SocketAddr>,
    pub oauth: Option<OAuthConfig>,
    /// Public aggregates hide counts of fewer than this many people.
    pub min_cell: u64,
    /// ISO 3166-1 alpha-2 codes left out of every public aggregate.
    pub protected_countries: Vec<String>,
    /// How suggestions are ranked: the bounded boost for emerging communities and its regions.
    pub matching: cxc_core::matching::Config,
}

#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub client_id: String,
    pub client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    pub profile_url: String,
}

pub const WIKIMEDIA_AUTHORIZE_URL: &str = "https://meta.wikimedia.org/w/rest.php/oauth2/authorize";
pub const WIKIMEDIA_TOKEN_URL: &str = "https://meta.wikimedia.org/w/rest.php/oauth2/access_token";
pub const WIKIMEDIA_PROFILE_URL: &str =
    "https://meta.wikimedia.org/w/rest.php/oauth2/resource/profile";

impl Config {
    /// Settings that need nothing configured: a local SQLite file, signing up open.
    pub fn new(database: impl Into<String>, listen: SocketAddr) -> Config {
        Config {
            database: database.into(),
            listen,
            base_url: format!("http://{listen}"),
            demo: false,
            signup: true,
            request_timeout: Duration::from_secs(30),
            metrics_listen: None,
            oauth: None,
            min_cell: 5,
            protected_countries: Vec::new(),
            matching: cxc_core::matching::Config::default(),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
