//! Accounts: who can sign in, and what they may do.

use unicode_normalization::UnicodeNormalization;

/// A rejected value, named by the message key (in `i18n/en.json`) that explains why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

/// A username as people type it: trimmed, NFC-normalised, 2 to 85 characters, without the
/// characters MediaWiki forbids in user names (so a Wikimedia name always fits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// MediaWiki allows 255 bytes; 85 characters of any script fit in that.
    pub const MAX_CHARS: usize = 85;
    const FORBIDDEN: &'static [char] =
        &['#', '<', '>', '[', ']', '|', '{', '}', '/', '@', ':', '%'];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name: String = raw.trim().nfc().collect();
        let chars = name.chars().count();
        if chars < 2 {
            return Err(Invalid("cxc-error-username-too-short"));
        }
        if chars > Self::MAX_CHARS {
            return Err(Invalid("cxc-error-username-too-long"));
        }
        if name
            .chars()
            .any(|c| c.is_control() || Self::FORBIDDEN.contains(&c))
        {
            return Err(Invalid("cxc-error-username-characters"));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identity two spellings share: MediaWiki treats `_` as a space, and people should not
    /// be able to register `ana` beside `Ana` or `Ａｎａ` (full-width) to impersonate someone.
    pub fn key(&self) -> String {
        Self::key_of(&self.0)
    }

    /// What the name looks like: its key's confusable skeleton (Unicode TR39), shared by names
    /// that only look alike, such as `root` and `rоot` with a Cyrillic о. Wikimedia refuses a
    /// new name whose skeleton another name has (AntiSpoof), and so does cxc.
    pub fn skeleton(&self) -> String {
        Self::skeleton_of(&self.0)
    }

    /// The skeleton of text that may not be a valid username (a stored name, say).
    pub fn skeleton_of(raw: &str) -> String {
        unicode_security::skeleton(&Self::key_of(raw)).collect()
    }

    /// The key of text that may not be a valid username (a sign-in attempt, say).
    pub fn key_of(raw: &str) -> String {
        raw.trim()
            .nfkc()
            .map(|c| if c == '_' { ' ' } else { c })
            .collect::<String>()
            .to_lowercase()
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: long enough to resist guessing, short enough not to burden the hasher.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(Invalid("cxc-error-password-too-short"));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(Invalid("cxc-error-password-too-long"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Moderator,
    Admin,
}

impl Role {
    /// Every account is a member; moderators and admins hold that role too.
    pub fn of(is_admin: bool, is_moderator: bool) -> Vec<Role> {
        let mut roles = vec![Role::Member];
        if is_moderator {
            roles.push(Role::Moderator);
        }
        if is_admin {
            roles.push(Role::Admin);
        }
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_normalised() {
        let decomposed = "Jose\u{301}";
        assert_eq!(Username::parse("  José ").unwrap().as_str(), "José");
        assert_eq!(Username::parse(decomposed).unwrap().as_str(), "José");
        assert_eq!(Username::parse("سارة").unwrap().as_str(), "سارة");
    }

    #[test]
    fn usernames_reject_what_mediawiki_forbids() {
        assert_eq!(
            Username::parse("a"),
            Err(Invalid("cxc-error-username-too-short"))
        );
        assert_eq!(
            Username::parse(&"x".repeat(86)),
            Err(Invalid("cxc-error-username-too-long"))
        );
        for bad in ["a#b", "a/b", "a:b", "a\u{7}b", "a|b"] {
            assert_eq!(
                Username::parse(bad),
                Err(Invalid("cxc-error-username-characters"))
            );
        }
    }

    #[test]
    fn look_alike_usernames_share_a_skeleton() {
        let root = Username::parse("root").unwrap().skeleton();
        assert_eq!(
            Username::parse("r\u{43e}ot").unwrap().skeleton(),
            root,
            "Cyrillic о"
        );
        assert_eq!(Username::parse("ROOT").unwrap().skeleton(), root);
        assert_eq!(
            Username::skeleton_of("r\u{41e}\u{41e}t"),
            root,
            "Cyrillic О"
        );
        assert_ne!(Username::parse("rest").unwrap().skeleton(), root);
        assert_eq!(
            Username::skeleton_of("modern"),
            Username::skeleton_of("rnodern")
        );
    }

    #[test]
    fn username_keys_fold_case_width_and_underscores() {
        let key = Username::parse("Ana_Silva").unwrap().key();
        assert_eq!(key, "ana silva");
        assert_eq!(Username::key_of("ＡＮＡ silva"), key);
    }

    #[test]
    fn passwords_have_bounds() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough pass").is_ok());
        assert!(Password::parse(&"p".repeat(2000)).is_err());
    }

    #[test]
    fn admins_and_moderators_are_also_members() {
        assert_eq!(Role::of(true, false), vec![Role::Member, Role::Admin]);
        assert_eq!(Role::of(false, true), vec![Role::Member, Role::Moderator]);
        assert_eq!(Role::of(false, false), vec![Role::Member]);
    }
}
