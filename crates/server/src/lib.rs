//! The `cxc` server: command line, HTTP, database and translations around the `cxc-core` domain.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod cohorts;
pub mod config;
pub mod db;
pub mod demo;
pub mod directory;
pub mod error;
pub mod exchange;
pub mod http;
pub mod i18n;
pub mod interchange;
pub mod mail;
pub mod moderation;
pub mod oauth;
pub mod programmes;
pub mod read_model;
pub mod reference;
pub mod state;
pub mod text_index;

pub use config::Config;
pub use http::app_state::AppState;
