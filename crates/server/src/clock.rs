//! The time as the server sees it: the system's, which tests move forward so that whatever
//! depends on elapsed time (sign-in deadlines, rate limits) is tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Clock(Arc<Inner>);

struct Inner {
    started: Instant,
    /// How far the clock was moved forward, in milliseconds.
    ahead_ms: AtomicU64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock(Arc::new(Inner {
            started: Instant::now(),
            ahead_ms: AtomicU64::new(0),
        }))
    }
}

impl Clock {
    fn ahead(&self) -> Duration {
        Duration::from_millis(self.0.ahead_ms.load(Ordering::Relaxed))
    }

    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        crate::db::now() + i64::try_from(self.ahead().as_secs()).unwrap_or(i64::MAX / 2)
    }

    /// Today's date in UTC.
    pub fn today(&self) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp(self.unix())
            .map_or_else(|_| time::OffsetDateTime::now_utc().date(), |t| t.date())
    }

    /// Moves the clock forward, as if `by` had passed.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.0.ahead_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Rate limiters count on the same clock, so moving it refills them.
impl governor::clock::Clock for Clock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.started.elapsed() + self.ahead()
    }
}
