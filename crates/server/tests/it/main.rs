//! The integration suite: one binary, run unchanged against SQLite (the default) and against
//! PostgreSQL when `CXC_TEST_POSTGRES_URL` names a server (each test gets a fresh database).

mod accounts;
mod admin;
mod api;
mod authorization;
mod changes;
mod cli;
mod cohorts;
mod common;
mod connections;
mod deployment;
mod events;
mod exchange;
mod faults;
mod holes;
mod hostile;
mod i18n_files;
mod interchange;
mod mail;
mod moderation;
mod oauth;
mod pages;
mod posts;
mod programmes;
mod schema;
mod search;
mod stats;
