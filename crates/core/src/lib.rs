//! The domain of the Capacity Exchange, free of I/O.
//!
//! Values here are valid by construction ("parse, don't validate"): a function that takes a
//! [`Username`] never has to check it again. Rejections carry a message key, never English, so
//! the web layer can translate them.

pub mod account;
pub mod aggregates;
pub mod assignment;
pub mod board;
pub mod capacity;
pub mod catalog;
pub mod cohort;
pub mod connection;
pub mod dashboard;
pub mod event;
pub mod mail;
pub mod matching;
pub mod model;
pub mod moderation;
pub mod post;
pub mod profile;
pub mod programme;
pub mod search;
pub mod taxonomy;

pub use account::{Invalid, Password, Role, Username};
pub use capacity::{CapacityEntry, Format, Method, Relation};
pub use profile::{FieldError, LanguageLevel, Region, Visibility};
pub use taxonomy::Taxonomy;
