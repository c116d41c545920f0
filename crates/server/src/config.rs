//! Settings of a running server, independent of how they were given (flags, environment, tests).

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
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
    /// How long a client may take to send its request headers, and how long an idle
    /// connection is kept open.
    pub header_read_timeout: Duration,
    /// Reverse proxies whose `X-Forwarded-For` says who the client is (for rate limits).
    pub trusted_proxies: Vec<IpNet>,
    /// Serve `/metrics` on this address.
    pub metrics_listen: Option<SocketAddr>,
    /// Serve `/metrics` on the main listener too, to anyone who asks.
    pub metrics_public: bool,
    pub oauth: Option<OAuthConfig>,
    /// Where e-mail goes out (an `smtp://` or `smtps://` URL), and who it is from; e-mail is
    /// off unless both are set.
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    /// Public aggregates hide counts of fewer than this many people.
    pub min_cell: u64,
    /// Connection requests a person may have waiting at once.
    pub max_pending_requests: usize,
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
            header_read_timeout: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            metrics_listen: None,
            metrics_public: false,
            oauth: None,
            smtp_url: None,
            mail_from: None,
            min_cell: 5,
            max_pending_requests: cxc_core::connection::limits::DEFAULT_MAX_PENDING,
            protected_countries: Vec::new(),
            matching: cxc_core::matching::Config::default(),
        }
    }

    /// The rule every public figure follows, for this model's country numbers.
    pub fn public_rule(&self, model: &cxc_core::model::Model) -> cxc_core::aggregates::Rule {
        cxc_core::aggregates::Rule {
            protected: self
                .protected_countries
                .iter()
                .filter_map(|c| model.countries.get(c))
                .collect(),
            min_cell: self.min_cell,
        }
    }

    /// Whether a country (by code) is left out of public figures: for the few figures that
    /// do not come from the model, such as organizations' countries on the map.
    pub fn is_protected(&self, country: &str) -> bool {
        self.protected_countries.iter().any(|c| c == country)
    }

    /// Who sent a request: the peer, or, when the peer is a trusted proxy, the nearest address
    /// in `X-Forwarded-For` that is not one (each proxy appends the address it saw, so what
    /// lies further left could have been written by the client itself).
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let mut client = peer;
        let hops = forwarded_for.iter().rev().flat_map(|v| v.rsplit(','));
        for hop in hops {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if trusted(&ip) => client = ip,
                Ok(ip) => return ip,
                Err(_) => break,
            }
        }
        client
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_nearest_untrusted_forwarded_address() {
        let mut config = Config::new("x", "127.0.0.1:1".parse().unwrap());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let peer = ip("10.0.0.2");
        // Nobody is trusted: the header is ignored.
        assert_eq!(config.client_address(peer, &["203.0.113.9"]), peer);
        config.trusted_proxies = vec![
            "10.0.0.0/8".parse().unwrap(),
            "192.0.2.1/32".parse().unwrap(),
        ];
        assert_eq!(
            config.client_address(peer, &["203.0.113.9"]),
            ip("203.0.113.9")
        );
        // What the client wrote itself, left of what the proxies saw, does not count.
        assert_eq!(
            config.client_address(peer, &["1.1.1.1, 203.0.113.9", "192.0.2.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            config.client_address(peer, &["garbage, 10.0.0.7"]),
            ip("10.0.0.7")
        );
        assert_eq!(config.client_address(peer, &[]), peer);
        assert_eq!(
            config.client_address(ip("198.51.100.1"), &["203.0.113.9"]),
            ip("198.51.100.1")
        );
    }
}
