//! What every request handler can reach.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::ops::Deref;
use std::sync::{Arc, RwLock};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::db::catalog;
use crate::directory::Directory;
use crate::http::assets::Assets;
use crate::http::search::FacetLabels;
use crate::i18n::I18n;
use crate::oauth::WikimediaOAuth;
use crate::read_model::{ExposureCounts, ReadModel};
use crate::reference::Reference;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub i18n: I18n,
    pub config: Config,
    pub login_limits: LoginLimits,
    pub assets: Assets,
    pub metrics: PrometheusHandle,
    pub oauth: Option<WikimediaOAuth>,
    /// What time it is; tests move it.
    pub clock: Clock,
    pub reference: Reference,
    directory: RwLock<(Arc<Directory>, DirectoryVersion)>,
    read_model: RwLock<ReadModel>,
    /// Keeps change-log syncs in order.
    pub sync_lock: tokio::sync::Mutex<()>,
    pub matching: cxc_core::matching::Config,
    pub exposure: ExposureCounts,
    /// Facet labels per language, for search responses.
    pub facet_labels: RwLock<HashMap<&'static str, Arc<FacetLabels>>>,
}

type DirectoryVersion = i64;

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state: loads translations, reference data and the directory, and puts the
    /// default taxonomy into a database that has none.
    pub async fn new(db: Db, config: Config) -> anyhow::Result<AppState> {
        let i18n = I18n::load()?;
        let reference = Reference::load()?;
        crate::interchange::load_default_taxonomy(&db, &reference, &i18n).await?;
        let directory = catalog::load_directory(db.pool()).await?;
        let version = catalog::directory_version(db.pool()).await?;
        let read_model = ReadModel::build(db.pool(), &directory, &reference).await?;
        let oauth = config
            .oauth
            .as_ref()
            .map(|o| WikimediaOAuth::new(o.clone(), &config.base_url))
            .transpose()?;
        Ok(AppState(Arc::new(Inner {
            db,
            i18n,
            reference,
            directory: RwLock::new((Arc::new(directory), version)),
            read_model: RwLock::new(read_model),
            sync_lock: tokio::sync::Mutex::new(()),
            matching: config.matching.clone(),
            exposure: ExposureCounts::default(),
            facet_labels: RwLock::default(),
            login_limits: LoginLimits::new(),
            assets: Assets::load(),
            metrics: crate::http::metrics::handle(),
            oauth,
            clock: Clock::default(),
            config,
        })))
    }
}

impl Inner {
    /// The read model, for searching and matching.
    pub fn read_model(&self) -> std::sync::RwLockReadGuard<'_, ReadModel> {
        self.read_model.read().expect("read model lock")
    }

    pub fn read_model_mut(&self) -> std::sync::RwLockWriteGuard<'_, ReadModel> {
        self.read_model.write().expect("read model lock")
    }

    /// The taxonomy and organizations as last loaded.
    pub fn directory(&self) -> Arc<Directory> {
        self.directory.read().expect("directory lock").0.clone()
    }

    /// The directory with the version it was loaded at, for caches of what it labels.
    pub fn versioned_directory(&self) -> (Arc<Directory>, DirectoryVersion) {
        let current = self.directory.read().expect("directory lock");
        (current.0.clone(), current.1)
    }

    /// Reloads the directory when the database holds a newer one (a change made here, by an
    /// import, or by another instance). Cheap when nothing changed: one small query.
    pub async fn refresh_directory(&self) -> Result<Arc<Directory>, crate::error::AppError> {
        let version = catalog::directory_version(self.db.pool()).await?;
        if self.directory.read().expect("directory lock").1 == version {
            return Ok(self.directory());
        }
        let fresh = Arc::new(catalog::load_directory(self.db.pool()).await?);
        *self.directory.write().expect("directory lock") = (fresh.clone(), version);
        Ok(fresh)
    }
}

/// Sign-in attempts allowed per account and per address, against password guessing. Kept in
/// memory: each instance limits on its own, which still bounds guessing to a few per minute.
pub struct LoginLimits {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimits {
    pub const PER_ACCOUNT_PER_MINUTE: u32 = 5;
    pub const PER_ADDRESS_PER_MINUTE: u32 = 20;

    fn new() -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).expect("quota is positive"));
        LoginLimits {
            per_account: RateLimiter::keyed(quota(Self::PER_ACCOUNT_PER_MINUTE)),
            per_address: RateLimiter::keyed(quota(Self::PER_ADDRESS_PER_MINUTE)),
        }
    }

    /// Counts an attempt; false when either limit is reached.
    pub fn attempt(&self, account_key: &str, address: IpAddr) -> bool {
        let address_ok = self.per_address.check_key(&address).is_ok();
        let account_ok = self.per_account.check_key(&account_key.to_owned()).is_ok();
        address_ok && account_ok
    }

    /// Forgets keys whose limits have recovered, so memory stays bounded.
    pub fn forget_recovered(&self) {
        self.per_account.retain_recent();
        self.per_address.retain_recent();
    }
}
