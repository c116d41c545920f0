//! What every request handler can reach: the read side, and what only the web needs (settings,
//! rate limits, assets, the metrics recorder, Wikimedia sign-in, the clock).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use parking_lot::RwLock;

use super::assets::Assets;
use super::search::FacetLabels;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::oauth::WikimediaOAuth;
use crate::state::{Limits, ReadSide};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub read: ReadSide,
    pub config: Config,
    pub limits: Limits,
    pub assets: Assets,
    pub metrics: PrometheusHandle,
    pub oauth: Option<WikimediaOAuth>,
    /// E-mail, when an SMTP server is configured.
    pub mailer: Option<crate::mail::Mailer>,
    /// What time it is; tests move it.
    pub clock: Clock,
    pub matching: cxc_core::matching::Config,
    /// Facet labels per language, for search responses.
    pub facet_labels: RwLock<HashMap<&'static str, Arc<FacetLabels>>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Handlers reach the database, the directory and the model as `state.db`, `state.directory()`…
impl Deref for Inner {
    type Target = ReadSide;
    fn deref(&self) -> &ReadSide {
        &self.read
    }
}

impl AppState {
    /// Builds the read side and what the web adds to it.
    pub async fn new(db: Db, config: Config) -> anyhow::Result<AppState> {
        let read = ReadSide::open(db).await?;
        let oauth = config
            .oauth
            .as_ref()
            .map(|o| WikimediaOAuth::new(o.clone(), &config.base_url))
            .transpose()?;
        let mailer = match (&config.smtp_url, &config.mail_from) {
            (Some(url), Some(from)) => Some(crate::mail::Mailer::new(url, from)?),
            _ => None,
        };
        let clock = Clock::default();
        Ok(AppState(Arc::new(Inner {
            mailer,
            read,
            matching: config.matching.clone(),
            facet_labels: RwLock::default(),
            limits: Limits::new(clock.clone()),
            assets: Assets::load(),
            metrics: super::metrics::handle(),
            oauth,
            clock,
            config,
        })))
    }
}
