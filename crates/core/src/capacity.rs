//! How a person or group relates to a capacity, and how they are willing to learn or teach it.

use serde::{Deserialize, Serialize};

/// The three relations the exchange records. `Offered` is always a subset of `Known`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    Known,
    Offered,
    Wanted,
}

impl Relation {
    pub const ALL: [Relation; 3] = [Relation::Known, Relation::Offered, Relation::Wanted];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Known => "known",
            Relation::Offered => "offered",
            Relation::Wanted => "wanted",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|m| m.as_str() == s)
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// Ways of learning and teaching: those the original call names, plus peer learning and
    /// review/feedback.
    Method {
        Coaching = "coaching",
        Mentoring = "mentoring",
        Tutoring = "tutoring",
        Internship = "internship",
        TechnicalAssistance = "technical_assistance",
        FinancialAssistance = "financial_assistance",
        GroupLearning = "group_learning",
        CommunityOfPractice = "community_of_practice",
        Training = "training",
        PeerLearning = "peer_learning",
        ReviewFeedback = "review_feedback",
    }
}

code_enum! {
    /// Where an exchange can happen.
    Format {
        Online = "online",
        InPerson = "in_person",
    }
}

/// One capacity in one relation, with its details: `level` (1–5) for known capacities,
/// `methods` and `formats` for offered and wanted ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityEntry {
    pub capacity: String,
    pub level: Option<u8>,
    pub methods: Vec<Method>,
    pub formats: Vec<Format>,
}

impl CapacityEntry {
    pub fn new(capacity: impl Into<String>) -> Self {
        CapacityEntry {
            capacity: capacity.into(),
            level: None,
            methods: Vec::new(),
            formats: Vec::new(),
        }
    }
}

/// Whether text is a Wikidata item id such as `Q2013`.
pub fn is_qid(q: &str) -> bool {
    q.strip_prefix('Q').is_some_and(|n| {
        !n.is_empty() && !n.starts_with('0') && n.chars().all(|c| c.is_ascii_digit())
    })
}

/// Methods or formats stored as one comma-separated column.
pub fn join_codes<T: Copy>(items: &[T], code: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|i| code(*i)).collect::<Vec<_>>().join(",")
}

pub fn split_codes<T>(joined: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    joined
        .split(',')
        .filter(|s| !s.is_empty())
        .filter_map(parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wikidata_item_ids() {
        assert!(is_qid("Q2013"));
        assert!(!is_qid("Q") && !is_qid("Q012") && !is_qid("P31") && !is_qid("Q12a"));
    }

    #[test]
    fn codes_round_trip() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(*m));
        }
        assert_eq!(Method::ALL.len(), 11);
        assert_eq!(Format::parse("in_person"), Some(Format::InPerson));
        assert_eq!(Relation::parse("offered"), Some(Relation::Offered));
        let joined = join_codes(&[Method::Coaching, Method::PeerLearning], Method::as_str);
        assert_eq!(joined, "coaching,peer_learning");
        assert_eq!(
            split_codes(&joined, Method::parse),
            vec![Method::Coaching, Method::PeerLearning]
        );
        assert!(split_codes("", Method::parse).is_empty());
    }
}
