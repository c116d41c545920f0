//! The read side, which stands on its own, and the rate limits the web front end applies.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
// parking_lot locks are not poisoned: a request that panics while holding one (answered with
// a 500) does not make every later request that needs it panic too.
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::Clock;
use crate::db::Db;
use crate::db::catalog;
use crate::directory::Directory;
use crate::error::AppError;
use crate::i18n::I18n;
use crate::read_model::{ExposureCounts, ReadModel};
use crate::reference::{Reference, project_family, timezone_exists};

/// The read side: the database, the reference data, the taxonomy directory and the in-memory
/// read model with its text index, kept current from the change log. It stands on its own —
/// no router, page or metrics recorder — so that a command, a test or another front end can
/// build and follow it.
pub struct ReadSide {
    pub db: Db,
    pub i18n: I18n,
    pub reference: Reference,
    directory: RwLock<(Arc<Directory>, DirectoryVersion)>,
    read_model: RwLock<ReadModel>,
    /// Keeps change-log syncs in order.
    pub sync_lock: tokio::sync::Mutex<()>,
    /// How often each person was suggested lately, for spreading attention.
    pub exposure: ExposureCounts,
}

pub type DirectoryVersion = i64;

impl ReadSide {
    /// Loads translations, reference data and the directory, puts the default taxonomy into a
    /// database that has none, and builds the read model.
    pub async fn open(db: Db) -> anyhow::Result<ReadSide> {
        let i18n = I18n::load()?;
        let reference = Reference::load()?;
        crate::interchange::load_default_taxonomy(&db, &reference, &i18n).await?;
        let directory = catalog::load_directory(db.pool()).await?;
        let version = catalog::directory_version(db.pool()).await?;
        let read_model = ReadModel::build(db.pool(), &directory, &reference).await?;
        Ok(ReadSide {
            db,
            i18n,
            reference,
            directory: RwLock::new((Arc::new(directory), version)),
            read_model: RwLock::new(read_model),
            sync_lock: tokio::sync::Mutex::new(()),
            exposure: ExposureCounts::default(),
        })
    }

    /// The read model, for searching and matching.
    pub fn read_model(&self) -> RwLockReadGuard<'_, ReadModel> {
        self.read_model.read()
    }

    pub fn read_model_mut(&self) -> RwLockWriteGuard<'_, ReadModel> {
        self.read_model.write()
    }

    /// The taxonomy and organizations as last loaded.
    pub fn directory(&self) -> Arc<Directory> {
        self.directory.read().0.clone()
    }

    /// The directory with the version it was loaded at, for caches of what it labels.
    pub fn versioned_directory(&self) -> (Arc<Directory>, DirectoryVersion) {
        let current = self.directory.read();
        (current.0.clone(), current.1)
    }

    /// Reloads the directory when the database holds a newer one (a change made here, by an
    /// import, or by another instance). Cheap when nothing changed: one small query.
    pub async fn refresh_directory(&self) -> Result<Arc<Directory>, crate::error::AppError> {
        let version = catalog::directory_version(self.db.pool()).await?;
        if self.directory.read().1 == version {
            return Ok(self.directory());
        }
        let fresh = Arc::new(catalog::load_directory(self.db.pool()).await?);
        *self.directory.write() = (fresh.clone(), version);
        Ok(fresh)
    }
}

/// Validation against the live directory and the reference data.
pub struct Live<'a> {
    pub state: &'a ReadSide,
    pub directory: &'a Directory,
}

impl cxc_core::profile::Reference for Live<'_> {
    fn capacity_exists(&self, key: &str) -> bool {
        self.directory.taxonomy().contains(key)
    }
    fn language_exists(&self, code: &str) -> bool {
        self.state.i18n.language_known(code)
    }
    fn region_of(&self, country: &str) -> Option<cxc_core::Region> {
        self.state.reference.region_of(country)
    }
    fn organization_exists(&self, key: &str) -> bool {
        self.directory.organization(key).is_some()
    }
    fn project_exists(&self, code: &str) -> bool {
        project_family(code, &self.state.i18n).is_some()
    }
    fn timezone_exists(&self, name: &str) -> bool {
        timezone_exists(name)
    }
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, Clock, NoOpMiddleware<Duration>>;

/// Limits on what can be tried again and again: guessing passwords, creating accounts, and
/// sending requests and messages (so that nobody can flood others). A
/// sign-in is limited per account *and* address, so that someone guessing an account's
/// password neither locks its owner out nor, behind a shared address, everyone else; looser
/// caps per account and per address bound guessing from many addresses or at many accounts.
/// Kept in memory: each instance limits on its own, which still bounds guessing.
pub struct Limits {
    clock: Clock,
    sign_in_per_account_and_address: Keyed<(String, IpAddr)>,
    sign_in_per_account: Keyed<String>,
    sign_in_per_address: Keyed<IpAddr>,
    sign_up_per_address: Keyed<IpAddr>,
    requests_per_account: Keyed<i64>,
    messages_per_account: Keyed<i64>,
}

impl Limits {
    pub const SIGN_INS_PER_ACCOUNT_AND_ADDRESS_PER_MINUTE: u32 = 5;
    pub const SIGN_INS_PER_ACCOUNT_PER_HOUR: u32 = 100;
    pub const SIGN_INS_PER_ADDRESS_PER_HOUR: u32 = 300;
    pub const SIGN_UPS_PER_ADDRESS_PER_HOUR: u32 = 10;
    pub const REQUESTS_PER_ACCOUNT_PER_HOUR: u32 = 20;
    pub const MESSAGES_PER_ACCOUNT_PER_HOUR: u32 = 120;

    pub fn new(clock: Clock) -> Self {
        let n = |n: u32| NonZeroU32::new(n).expect("quota is positive");
        Limits {
            sign_in_per_account_and_address: keyed(
                &clock,
                Quota::per_minute(n(Self::SIGN_INS_PER_ACCOUNT_AND_ADDRESS_PER_MINUTE)),
            ),
            sign_in_per_account: keyed(
                &clock,
                Quota::per_hour(n(Self::SIGN_INS_PER_ACCOUNT_PER_HOUR)),
            ),
            sign_in_per_address: keyed(
                &clock,
                Quota::per_hour(n(Self::SIGN_INS_PER_ADDRESS_PER_HOUR)),
            ),
            sign_up_per_address: keyed(
                &clock,
                Quota::per_hour(n(Self::SIGN_UPS_PER_ADDRESS_PER_HOUR)),
            ),
            requests_per_account: keyed(
                &clock,
                Quota::per_hour(n(Self::REQUESTS_PER_ACCOUNT_PER_HOUR)),
            ),
            messages_per_account: keyed(
                &clock,
                Quota::per_hour(n(Self::MESSAGES_PER_ACCOUNT_PER_HOUR)),
            ),
            clock,
        }
    }

    /// Counts a sign-in attempt (or a check of the current password), or says how long to wait.
    /// A refusal by a narrower limit leaves the wider ones untouched.
    pub fn sign_in(&self, account_key: &str, address: IpAddr) -> Result<(), AppError> {
        let address = limited_address(address);
        self.check(
            &self.sign_in_per_account_and_address,
            &(account_key.to_owned(), address),
        )?;
        self.check(&self.sign_in_per_address, &address)?;
        self.check(&self.sign_in_per_account, &account_key.to_owned())
    }

    /// Counts the creation of an account from an address, or says how long to wait.
    pub fn sign_up(&self, address: IpAddr) -> Result<(), AppError> {
        self.check(&self.sign_up_per_address, &limited_address(address))
    }

    /// Counts a connection request by an account, or says how long to wait.
    pub fn request(&self, account_id: i64) -> Result<(), AppError> {
        self.check(&self.requests_per_account, &account_id)
    }

    /// Counts a message by an account, or says how long to wait.
    pub fn message(&self, account_id: i64) -> Result<(), AppError> {
        self.check(&self.messages_per_account, &account_id)
    }

    fn check<K: Hash + Eq + Clone>(&self, limiter: &Keyed<K>, key: &K) -> Result<(), AppError> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&self.clock));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets keys whose limits have recovered, so memory stays bounded.
    pub fn forget_recovered(&self) {
        self.sign_in_per_account_and_address.retain_recent();
        self.sign_in_per_account.retain_recent();
        self.sign_in_per_address.retain_recent();
        self.sign_up_per_address.retain_recent();
        self.requests_per_account.retain_recent();
        self.messages_per_account.retain_recent();
    }
}

fn keyed<K: Hash + Eq + Clone>(clock: &Clock, quota: Quota) -> Keyed<K> {
    RateLimiter::dashmap_with_clock(quota, clock.clone())
}

/// The address limits count on: an IPv6 client usually holds a whole /64, so that is what
/// identifies it; an IPv4 address written as IPv6 counts as itself.
fn limited_address(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_after(limits: &Limits, mut attempt: impl FnMut(u32) -> Result<(), AppError>) -> u32 {
        let _ = limits;
        (0..10_000)
            .find(|i| attempt(*i).is_err())
            .expect("a limit is reached")
    }

    #[test]
    fn caps_per_account_and_per_address_bound_guessing_from_many_places() {
        let clock = Clock::default();
        let limits = Limits::new(clock.clone());
        let address = |i: u32| IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
        let n = refused_after(&limits, |i| limits.sign_in("target", address(i)));
        assert_eq!(n, Limits::SIGN_INS_PER_ACCOUNT_PER_HOUR);
        let n = refused_after(&limits, |i| {
            limits.sign_in(&format!("account {i}"), IpAddr::from([192, 0, 2, 1]))
        });
        assert_eq!(n, Limits::SIGN_INS_PER_ADDRESS_PER_HOUR);
        let Err(AppError::RateLimited { retry_after_secs }) =
            limits.sign_in("someone else", IpAddr::from([192, 0, 2, 1]))
        else {
            panic!("the address is capped");
        };
        assert!((1..=3600).contains(&retry_after_secs), "{retry_after_secs}");
        clock.advance(Duration::from_secs(retry_after_secs));
        assert!(
            limits
                .sign_in("someone else", IpAddr::from([192, 0, 2, 1]))
                .is_ok()
        );
        limits.forget_recovered();
    }

    #[test]
    fn requests_and_messages_are_limited_per_person_until_time_passes() {
        let clock = Clock::default();
        let limits = Limits::new(clock.clone());
        let n = refused_after(&limits, |_| limits.request(7));
        assert_eq!(n, Limits::REQUESTS_PER_ACCOUNT_PER_HOUR);
        assert!(limits.request(8).is_ok(), "someone else is not held back");
        let n = refused_after(&limits, |_| limits.message(7));
        assert_eq!(n, Limits::MESSAGES_PER_ACCOUNT_PER_HOUR);
        let Err(AppError::RateLimited { retry_after_secs }) = limits.request(7) else {
            panic!("still limited");
        };
        clock.advance(Duration::from_secs(retry_after_secs));
        assert!(limits.request(7).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limited_address(a), limited_address(b));
        assert_ne!(limited_address(a), limited_address(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(limited_address(mapped), IpAddr::from([192, 0, 2, 7]));
    }
}
