//! The command line. Every setting has a `CXC_*` environment variable and a default that needs
//! no configuration.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ipnet::IpNet;

use crate::config::{
    Config, OAuthConfig, WIKIMEDIA_AUTHORIZE_URL, WIKIMEDIA_PROFILE_URL, WIKIMEDIA_TOKEN_URL,
};

#[derive(Parser, Debug)]
#[command(
    name = "cxc",
    version,
    about = "The Capacity Exchange for the Wikimedia movement",
    long_about = "The Capacity Exchange for the Wikimedia movement: people and groups say which \
capacities they have, offer and want to learn, find peers, and see a live map of the movement's \
assets and needs.\n\nTo try it: `cxc serve --demo`, then open the address it prints. Data goes \
to an embedded SQLite file under ./data/ unless --database names another file or a postgres:// \
URL.",
    after_help = "Every option can also be set through the environment variable shown beside it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web site and API
    Serve(Box<ServeArgs>),
    /// Create, list and promote local accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Create, list and revoke API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create or upgrade the database schema, then exit (serve does this by itself)
    Migrate(DatabaseArgs),
    /// Import capacities, organizations and profiles from JSON Lines files (all or nothing)
    Import {
        /// Files in the interchange format, read in order (a record may refer only to records
        /// before it)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Do not show a progress bar
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Export capacities, organizations and profiles as JSON Lines (the format import reads)
    Export {
        /// Write to this file instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Copy a SQLite database to a new file, consistently, even while cxc serves and writes to
    /// it (for PostgreSQL, use pg_dump: see the README)
    #[command(
        long_about = "Copy a SQLite database to a new file, consistently, even while cxc serves \
and writes to it: the copy holds every write finished before it began and none of those after. \
Restore it by stopping cxc and putting the copy in the database's place, or by starting cxc \
with --database naming the copy. The file must not exist yet. For PostgreSQL, use pg_dump \
(see the README)."
    )]
    Backup {
        /// Where to write the copy (a new file)
        #[arg(value_name = "PATH")]
        path: PathBuf,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// The capacity taxonomy's translations
    #[command(subcommand)]
    Taxonomy(TaxonomyCommand),
    /// Write a synthetic community (for tests, benchmarks and trying cxc at scale) as JSON Lines
    #[command(
        long_about = "Write a synthetic community in the interchange format: taxonomy.jsonl (150 \
capacities in three levels), organizations.jsonl (43 chapters and 7 thematic groups) and \
profiles.jsonl (the people) into the folder given with --out. The same seed always writes the \
same files, and the first N people of a larger community are exactly a smaller one's. Import it \
with `cxc import DIR/taxonomy.jsonl DIR/organizations.jsonl DIR/profiles.jsonl`."
    )]
    DemoData {
        /// How many people to write
        #[arg(long, value_name = "N")]
        profiles: u64,
        /// The folder to write into (created if missing; files there of the same names are
        /// replaced)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Another seed writes another community of the same shape
        #[arg(long, default_value_t = 42, value_name = "S")]
        seed: u64,
        /// Do not show a progress bar
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// The database: a SQLite file (created when missing) or a postgres://user@host/db URL
    #[arg(
        long,
        env = "CXC_DATABASE_URL",
        default_value = "data/cxc.sqlite3",
        value_name = "FILE|URL"
    )]
    pub database: String,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines
    Text,
    /// One JSON object per line, for log collectors
    Json,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The address and port to listen on
    #[arg(
        long,
        env = "CXC_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDRESS:PORT"
    )]
    pub listen: SocketAddr,
    /// The address people use to reach the site (default: http:// and the listen address);
    /// https:// makes cookies Secure
    #[arg(long, env = "CXC_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Fill an empty database with a demo community, to look around
    #[arg(long, env = "CXC_DEMO")]
    pub demo: bool,
    /// Whether people may create local accounts (Wikimedia sign-in is not affected)
    #[arg(long, env = "CXC_SIGNUP", default_value_t = true, action = clap::ArgAction::Set, value_name = "true|false")]
    pub signup: bool,
    /// Log format
    #[arg(long, env = "CXC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Seconds a request may take before it is answered with 408
    #[arg(
        long,
        env = "CXC_REQUEST_TIMEOUT",
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    pub request_timeout: u64,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For header
    /// names the real client; rate limits count per client
    #[arg(
        long,
        env = "CXC_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = proxy_range,
        value_name = "ADDRESS|CIDR"
    )]
    pub trusted_proxies: Vec<IpNet>,
    /// Serve /metrics on this separate (private) address
    #[arg(long, env = "CXC_METRICS_LISTEN", value_name = "ADDRESS:PORT")]
    pub metrics_listen: Option<SocketAddr>,
    /// Serve /metrics on the main address too, to anyone
    #[arg(long, env = "CXC_METRICS_PUBLIC")]
    pub metrics_public: bool,
    /// Public maps, statistics and open data hide counts of fewer than this many people
    #[arg(long, env = "CXC_MIN_CELL", default_value_t = 5, value_name = "PEOPLE")]
    pub min_cell: u64,
    /// How many connection requests a person may have waiting for an answer at once
    #[arg(
        long,
        env = "CXC_MAX_PENDING_REQUESTS",
        default_value_t = cxc_core::connection::limits::DEFAULT_MAX_PENDING,
        value_name = "REQUESTS"
    )]
    pub max_pending_requests: usize,
    /// Countries and territories left out of every public aggregate (ISO codes, comma-separated),
    /// e.g. those on the Wikimedia Foundation's Country and Territory Protection List
    #[arg(
        long,
        env = "CXC_PROTECTED_COUNTRIES",
        value_delimiter = ',',
        value_name = "XX,YY"
    )]
    pub protected_countries: Vec<String>,
    /// Extra weight, from 0 to 0.2, that suggestions give people from emerging communities
    /// (it never overrides a requirement such as a shared language)
    #[arg(
        long,
        env = "CXC_MATCH_EMERGING_BOOST",
        default_value_t = 0.1,
        value_name = "0-0.2"
    )]
    pub match_emerging_boost: f32,
    /// Wikimedia regions whose people count as emerging communities for suggestions
    #[arg(
        long,
        env = "CXC_MATCH_EMERGING_REGIONS",
        value_delimiter = ',',
        default_value = "SSA,SA,MENA,LAC,ESEAP,CEECA",
        value_name = "CODES"
    )]
    pub match_emerging_regions: Vec<String>,
    /// Send e-mail notifications through this SMTP server: smtp://host:port for a local
    /// relay, smtp://user:password@host?tls=required for STARTTLS, smtps://… for TLS
    #[arg(
        long,
        env = "CXC_SMTP_URL",
        requires = "mail_from",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub smtp_url: Option<String>,
    /// The sender of e-mail notifications, e.g. "Capacity Exchange <cxc@example.org>"
    #[arg(
        long,
        env = "CXC_MAIL_FROM",
        requires = "smtp_url",
        value_name = "ADDRESS"
    )]
    pub mail_from: Option<String>,
    /// Client id of the Wikimedia OAuth 2.0 consumer; enables "Sign in with Wikimedia"
    #[arg(long, env = "CXC_OAUTH_CLIENT_ID", requires = "oauth_client_secret")]
    pub oauth_client_id: Option<String>,
    /// Client secret of the Wikimedia OAuth 2.0 consumer
    #[arg(long, env = "CXC_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub oauth_client_secret: Option<String>,
    /// OAuth 2.0 authorization endpoint
    #[arg(long, env = "CXC_OAUTH_AUTHORIZE_URL", default_value = WIKIMEDIA_AUTHORIZE_URL)]
    pub oauth_authorize_url: String,
    /// OAuth 2.0 token endpoint
    #[arg(long, env = "CXC_OAUTH_TOKEN_URL", default_value = WIKIMEDIA_TOKEN_URL)]
    pub oauth_token_url: String,
    /// OAuth 2.0 profile (identity) endpoint
    #[arg(long, env = "CXC_OAUTH_PROFILE_URL", default_value = WIKIMEDIA_PROFILE_URL)]
    pub oauth_profile_url: String,
}

impl ServeArgs {
    pub fn config(&self) -> Config {
        let mut config = Config::new(self.db.database.clone(), self.listen);
        if let Some(base) = &self.base_url {
            config.base_url = base.trim_end_matches('/').to_owned();
        }
        config.demo = self.demo;
        config.signup = self.signup;
        config.request_timeout = std::time::Duration::from_secs(self.request_timeout);
        config.trusted_proxies = self.trusted_proxies.clone();
        config.metrics_listen = self.metrics_listen;
        config.metrics_public = self.metrics_public;
        config.min_cell = self.min_cell.max(1);
        config.max_pending_requests = self.max_pending_requests.max(1);
        config.smtp_url = self.smtp_url.clone();
        config.mail_from = self.mail_from.clone();
        config.matching.emerging_boost = self.match_emerging_boost.clamp(0.0, 0.2);
        config.matching.emerging_regions = self
            .match_emerging_regions
            .iter()
            .filter_map(|r| cxc_core::Region::parse(&r.trim().to_ascii_uppercase()))
            .collect();
        config.protected_countries = self
            .protected_countries
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        config.oauth = match (&self.oauth_client_id, &self.oauth_client_secret) {
            (Some(id), Some(secret)) => Some(OAuthConfig {
                client_id: id.clone(),
                client_secret: secret.clone(),
                authorize_url: self.oauth_authorize_url.clone(),
                token_url: self.oauth_token_url.clone(),
                profile_url: self.oauth_profile_url.clone(),
            }),
            _ => None,
        };
        config
    }
}

#[derive(Subcommand, Debug)]
pub enum TaxonomyCommand {
    /// The capacities' labels and descriptions as a Banana message group (translatewiki.net)
    #[command(subcommand)]
    Messages(MessagesCommand),
}

#[derive(Subcommand, Debug)]
pub enum MessagesCommand {
    /// Write the labels and descriptions of every active capacity into DIR: one file per
    /// language with texts (en.json is the source) and qqq.json saying what each message is
    #[command(
        long_about = "Write the labels and descriptions of every active capacity into DIR as a \
Banana message group, the format translatewiki.net and MediaWiki use: one JSON file per language \
that has texts (en.json is the source), and qqq.json, which tells translators what each message \
is. Keys are cxc-capacity-label-KEY and cxc-capacity-description-KEY. Files of the same names \
in DIR are replaced."
    )]
    Export {
        /// The folder to write into (created if missing)
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Read translations back from the *.json files of DIR (qqq.json is skipped), all or
    /// nothing: a message for an unknown capacity changes nothing and is named
    Import {
        /// The folder of message files, one per language
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a local account
    Add {
        /// The username (2–85 characters)
        name: String,
        /// Make the account an administrator
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (one line), so it stays out of the shell history
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List accounts
    List {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Suspend an account: it cannot sign in, post or write, and leaves search and matching
    Suspend {
        /// The account's username
        name: String,
        /// The day the suspension ends (YYYY-MM-DD); indefinitely when left out
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Why, for the audit log
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Lift an account's suspension
    Unsuspend {
        /// The account's username
        name: String,
        /// Why, for the audit log
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Give an account a role: moderator (acts on reports and suspensions), admin, or member
    /// (neither)
    Role {
        /// The account's username
        name: String,
        #[arg(value_parser = ["member", "moderator", "admin"])]
        role: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for an account; the token is printed once, as the last line
    Create {
        /// The account's username
        name: String,
        /// A note to recognise the token by
        #[arg(long, default_value = "cli")]
        label: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List tokens (not their secrets), of one account or all
    List {
        /// Only this account's tokens
        name: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Revoke a token by the id `token list` shows
    Revoke {
        id: i64,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// A trusted proxy: one address, or a CIDR range of them.
fn proxy_range(raw: &str) -> Result<IpNet, String> {
    let raw = raw.trim();
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{raw:?} is neither an address nor a CIDR range"))
}

/// Where the default SQLite file lives, for messages.
pub fn describe_database(raw: &str) -> String {
    if raw.starts_with("postgres") {
        "PostgreSQL".to_owned()
    } else {
        format!("SQLite file {}", PathBuf::from(raw).display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Config {
        let cli = Cli::try_parse_from([&["cxc", "serve"], args].concat()).expect("valid arguments");
        match cli.command {
            Command::Serve(args) => args.config(),
            _ => unreachable!("serve was parsed"),
        }
    }

    #[test]
    fn defaults_need_no_configuration() {
        let config = serve(&[]);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.base_url, "http://127.0.0.1:8080");
        assert_eq!(config.min_cell, 5);
        assert!(config.protected_countries.is_empty());
        assert!(config.oauth.is_none());
        assert!(config.trusted_proxies.is_empty());
        assert!(
            !config.metrics_public,
            "metrics are private unless asked for"
        );
        assert!(serve(&["--metrics-public"]).metrics_public);
        let config = serve(&["--trusted-proxies", "10.0.0.0/8, 192.0.2.1,::1"]);
        assert_eq!(config.trusted_proxies.len(), 3);
        assert!(
            Cli::try_parse_from(["cxc", "serve", "--trusted-proxies", "proxy.example"]).is_err()
        );
    }

    #[test]
    fn the_emerging_boost_is_bounded_and_its_regions_configurable() {
        let config = serve(&[
            "--match-emerging-boost",
            "5",
            "--match-emerging-regions",
            "SSA,mena,XX",
        ]);
        assert_eq!(config.matching.emerging_boost, 0.2);
        assert_eq!(
            config.matching.emerging_regions,
            vec![
                cxc_core::Region::SubSaharanAfrica,
                cxc_core::Region::MiddleEastNorthAfrica
            ]
        );
        let config = serve(&[
            "--protected-countries",
            "ir, cn",
            "--min-cell",
            "0",
            "--base-url",
            "https://cxc.example/",
        ]);
        assert_eq!(config.protected_countries, ["IR", "CN"]);
        assert_eq!(
            config.min_cell, 1,
            "a threshold of zero would publish every count"
        );
        assert_eq!(config.base_url, "https://cxc.example");
        assert!(config.secure_cookies());
    }
}
