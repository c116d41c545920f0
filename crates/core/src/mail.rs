//! E-mail, as people choose it: never, each notification, or a weekly digest; and how long a
//! message that could not be sent waits before the next try.

use serde::{Deserialize, Serialize};

use crate::capacity::code_enum;

code_enum! {
    /// How someone wants to hear from cxc by e-mail.
    EmailMode {
        Off = "off",
        Each = "each",
        Weekly = "weekly",
    }
}

/// Seconds to wait before trying again after `attempts` failed tries: a minute, then longer,
/// up to six hours, so that an SMTP outage of a day is ridden out with a few dozen tries.
pub fn retry_after(attempts: i64) -> i64 {
    const STEPS: [i64; 5] = [60, 300, 1800, 7200, 21_600];
    STEPS[usize::try_from(attempts.clamp(0, 4)).unwrap_or(4)]
}

/// Whether text looks like an e-mail address worth sending a confirmation to: one `@`, a
/// local part, a domain with a dot, no spaces, at most 254 characters. The SMTP library
/// checks the rest when it builds the message.
pub fn plausible_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    address.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_level_out() {
        assert_eq!(retry_after(0), 60);
        assert_eq!(retry_after(1), 300);
        assert_eq!(retry_after(4), 21_600);
        assert_eq!(retry_after(40), 21_600);
        assert_eq!(EmailMode::parse("weekly"), Some(EmailMode::Weekly));
    }

    #[test]
    fn addresses_that_cannot_be_are_refused() {
        assert!(plausible_address("amara@example.org"));
        assert!(plausible_address("ana.silva+cxc@wikimedia.org.br"));
        for bad in [
            "amara",
            "@example.org",
            "amara@",
            "amara@localhost",
            "a b@example.org",
            "a@b@c.org",
            "a@.org",
        ] {
            assert!(!plausible_address(bad), "{bad}");
        }
    }
}
