//! The integration suite: one binary, run unchanged against SQLite (the default) and against
//! PostgreSQL when `CXC_TEST_POSTGRES_URL` names a server (each test gets a fresh database).

mod accounts;
mod api;
mod cli;
mod common;
mod i18n_files;
mod oauth;
mod pages;
mod schema;
