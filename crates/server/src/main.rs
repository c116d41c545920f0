use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use clap::Parser;
use cxc::cli::{Cli, Command, LogFormat, TokenCommand, UserCommand, describe_database};
use cxc::db::{Db, accounts};
use cxc::{AppState, auth, demo, http};
use cxc_core::{Password, Username};
use tracing_subscriber::EnvFilter;

/// mimalloc returns freed memory to the system and fragments less than the system allocator
/// under the read model's many small allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prints a line on standard output, and returns the error instead of panicking when nobody
/// reads it any more (`cxc user list | head`).
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)
    };
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match run().await {
        // Whoever read the output has seen enough: that is no failure.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// Whether writing failed because the reader went away (also when JSON was being written).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => Some(io.kind()),
            None => cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind),
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let format = match &cli.command {
        Command::Serve(args) => args.log_format,
        _ => LogFormat::Text,
    };
    init_logging(format);
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Migrate(db) => {
            Db::open(&db.database).await?;
            say!(
                "The database schema is up to date ({}).",
                describe_database(&db.database)
            )?;
            Ok(())
        }
        Command::User(command) => user(command).await,
        Command::Import { files, quiet, db } => import(files, quiet, db).await,
        Command::Export { output, db } => export(output, db).await,
        Command::Backup { path, db } => backup(&path, db).await,
        Command::Token(command) => token(command).await,
        Command::Taxonomy(cxc::cli::TaxonomyCommand::Messages(command)) => messages(command).await,
        Command::DemoData {
            profiles,
            out,
            seed,
            quiet,
        } => demo_data(profiles, &out, seed, quiet),
    }
}

fn demo_data(profiles: u64, out: &std::path::Path, seed: u64, quiet: bool) -> anyhow::Result<()> {
    let bar = progress_bar(profiles, quiet, "people");
    let started = std::time::Instant::now();
    let result = demo::synthetic::write(out, profiles, seed, &|n| bar.inc(n));
    bar.finish_and_clear();
    result?;
    println!(
        "Wrote {profiles} people, {} capacities and {} organizations to {} in {:.1} s.",
        demo::synthetic::TAXONOMY_SIZE,
        demo::synthetic::organizations().len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A progress bar on standard error, hidden when asked or when nobody watches the terminal.
fn progress_bar(total: u64, quiet: bool, unit: &str) -> indicatif::ProgressBar {
    let bar = if quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(total)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit} · {{per_sec}} · {{eta}} left"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("CXC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn serve(args: cxc::cli::ServeArgs) -> anyhow::Result<()> {
    let config = args.config();
    let db = Db::open(&config.database).await.with_context(|| {
        format!(
            "cannot open the database ({})",
            describe_database(&config.database)
        )
    })?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let url = format!("{}/", config.base_url);
    let demo = config.demo;
    let state = AppState::new(db, config).await?;
    if demo {
        demo::fill_if_empty(&state).await?;
    }
    tracing::info!(
        database = state.db.engine().name(),
        "cxc {} started",
        env!("CARGO_PKG_VERSION")
    );
    say!("cxc is running. Open {url} in your browser (Ctrl-C to stop).")?;
    http::serve(state, listener, http::shutdown_signal()).await
}

async fn import(
    files: Vec<std::path::PathBuf>,
    quiet: bool,
    db: cxc::cli::DatabaseArgs,
) -> anyhow::Result<()> {
    let db = Db::open(&db.database).await?;
    let i18n = cxc::i18n::I18n::load()?;
    let reference = cxc::reference::Reference::load()?;
    let mut lines = 0u64;
    for file in &files {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        lines += std::io::BufReader::new(f).lines().count() as u64;
    }
    let bar = progress_bar(lines, quiet, "records");
    let sources = files
        .iter()
        .map(|f| cxc::interchange::open_file(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = std::time::Instant::now();
    let result = cxc::interchange::import(&db, &reference, &i18n, sources, &|n| bar.inc(n)).await;
    bar.finish_and_clear();
    let report = result.context("nothing was imported")?;
    say!(
        "Imported {} capacities, {} organizations and {} profiles in {:.1} s; {} records were unchanged.",
        report.capacities,
        report.organizations,
        report.profiles,
        started.elapsed().as_secs_f64(),
        report.unchanged
    )?;
    db.close().await;
    Ok(())
}

async fn messages(command: cxc::cli::MessagesCommand) -> anyhow::Result<()> {
    use cxc::cli::MessagesCommand;
    use cxc::interchange::messages;
    match command {
        MessagesCommand::Export { dir, db } => {
            let db = Db::open(&db.database).await?;
            let files = messages::export(&db, &dir).await?;
            db.close().await;
            say!("Wrote {files} message files to {}.", dir.display())?;
        }
        MessagesCommand::Import { dir, db } => {
            let db = Db::open(&db.database).await?;
            let reference = cxc::reference::Reference::load()?;
            let i18n = cxc::i18n::I18n::load()?;
            let report = messages::import_group(&db, &reference, &i18n, &dir).await?;
            db.close().await;
            say!(
                "Read {} message files; {} capacities have new texts.",
                report.files,
                report.capacities
            )?;
        }
    }
    Ok(())
}

async fn backup(path: &std::path::Path, db: cxc::cli::DatabaseArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        !path.exists(),
        "{} already exists: a backup is written to a new file",
        path.display()
    );
    // Said before connecting: a PostgreSQL server has its own tools, and may not be reachable.
    anyhow::ensure!(
        cxc::db::database_url(&db.database)?.1 == cxc::db::Engine::Sqlite,
        "cxc backup copies SQLite databases; for PostgreSQL use pg_dump (see the README)"
    );
    let what = describe_database(&db.database);
    let db = Db::open(&db.database).await?;
    let started = std::time::Instant::now();
    eprintln!("Copying the {what} to {}…", path.display());
    cxc::db::backup(&db, path).await?;
    db.close().await;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    say!(
        "Copied to {} ({:.1} MB) in {:.1} s.",
        path.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

async fn export(
    output: Option<std::path::PathBuf>,
    db: cxc::cli::DatabaseArgs,
) -> anyhow::Result<()> {
    let db = Db::open(&db.database).await?;
    let written = match &output {
        Some(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
            let n = cxc::interchange::export(&db, &mut file).await?;
            file.flush()?;
            n
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let n = cxc::interchange::export(&db, &mut out).await?;
            out.flush()?;
            n
        }
    };
    if let Some(path) = output {
        eprintln!("Wrote {written} records to {}.", path.display());
    }
    db.close().await;
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprintln!("Password (input is shown; prefer piping it in):");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            name,
            admin,
            password_stdin,
            db,
        } => {
            let username = Username::parse(&name)
                .map_err(|e| anyhow::anyhow!(e.0))
                .with_context(|| format!("{name:?} cannot be a username"))?;
            let hash = if password_stdin {
                let password = Password::parse(&read_password()?).map_err(|e| {
                    anyhow::anyhow!("{} (at least {} characters)", e.0, Password::MIN_CHARS)
                })?;
                Some(auth::hash_password(password.expose().to_owned()).await?)
            } else {
                None
            };
            let db = Db::open(&db.database).await?;
            let account = accounts::create(
                &db,
                accounts::NewAccount {
                    username: &username,
                    password_hash: hash.as_deref(),
                    is_admin: admin,
                    wikimedia_sub: None,
                },
            )
            .await
            .map_err(|e| {
                let reason = match e {
                    cxc::error::AppError::Conflict(key) => cxc::i18n::I18n::load()
                        .map_or_else(|_| key.to_owned(), |i18n| i18n.text("en", key, &[])),
                    other => other.to_string(),
                };
                anyhow::anyhow!("cannot create {username}: {reason}")
            })?;
            let role = if admin { "administrator" } else { "member" };
            say!("Created {} ({role}, id {}).", account.username, account.id)?;
            if hash.is_none() {
                say!(
                    "It has no password yet: it can sign in once its owner claims it through Wikimedia."
                )?;
            }
            Ok(())
        }
        UserCommand::List { db } => {
            let db = Db::open(&db.database).await?;
            for a in accounts::list(&db).await? {
                let mut notes = Vec::new();
                if a.is_admin {
                    notes.push("admin");
                }
                if a.is_moderator {
                    notes.push("moderator");
                }
                if a.is_suspended(cxc::db::now()) {
                    notes.push("suspended");
                }
                if a.wikimedia_sub.is_some() {
                    notes.push("wikimedia");
                }
                if a.has_password {
                    notes.push("password");
                }
                say!("{}\t{}\t{}", a.id, a.username, notes.join(","))?;
            }
            Ok(())
        }
        UserCommand::Suspend {
            name,
            until,
            note,
            db,
        } => {
            let db = Db::open(&db.database).await?;
            let account =
                cxc::moderation::suspend(&db, None, &name, until.as_deref(), &note, cxc::db::now())
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot suspend {name}: {}", english(&e)))?;
            match until {
                Some(day) => say!("Suspended {} until {day}.", account.username)?,
                None => say!("Suspended {} until further notice.", account.username)?,
            }
            Ok(())
        }
        UserCommand::Unsuspend { name, note, db } => {
            let db = Db::open(&db.database).await?;
            let lifted = cxc::moderation::reinstate(&db, None, &name, &note, cxc::db::now())
                .await
                .map_err(|e| anyhow::anyhow!("cannot reinstate {name}: {}", english(&e)))?;
            if lifted {
                say!("{name} may take part again.")?;
            } else {
                say!("{name} was not suspended.")?;
            }
            Ok(())
        }
        UserCommand::Role { name, role, db } => {
            let db = Db::open(&db.database).await?;
            let Some(account) = accounts::by_username(&db, &name).await? else {
                bail!("no account is called {name:?} (see `cxc user list`)");
            };
            accounts::set_roles(&db, account.id, role == "admin", role == "moderator").await?;
            say!("{} is now {role}.", account.username)?;
            Ok(())
        }
    }
}

/// An error's message in English, for the command line.
fn english(e: &cxc::error::AppError) -> String {
    let key = e.report().fields.first().map_or(e.message_key(), |f| f.key);
    cxc::i18n::I18n::load().map_or_else(|_| key.to_owned(), |i18n| i18n.text("en", key, &[]))
}

async fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { name, label, db } => {
            let db = Db::open(&db.database).await?;
            let Some(account) = accounts::by_username(&db, &name).await? else {
                bail!("no account is called {name:?} (see `cxc user list`)");
            };
            let token = auth::new_api_token();
            let id =
                accounts::create_token(&db, account.id, &label, &auth::secret_hash(&token)).await?;
            say!(
                "Token {id} for {} created. It is shown only now; send it as `Authorization: Bearer TOKEN`:",
                account.username
            )?;
            say!("{token}")?;
            Ok(())
        }
        TokenCommand::List { name, db } => {
            let db = Db::open(&db.database).await?;
            let account_id = match name {
                Some(name) => match accounts::by_username(&db, &name).await? {
                    Some(a) => Some(a.id),
                    None => bail!("no account is called {name:?}"),
                },
                None => None,
            };
            for t in accounts::list_tokens(&db, account_id).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let used = t.last_used_at.map_or_else(
                    || "never used".to_owned(),
                    |u| format!("last used {}", format_time(u)),
                );
                say!(
                    "{}\t{}\t{}\t{state}\tcreated {}\t{used}",
                    t.id,
                    t.username,
                    t.label,
                    format_time(t.created_at)
                )?;
            }
            Ok(())
        }
        TokenCommand::Revoke { id, db } => {
            let db = Db::open(&db.database).await?;
            if !accounts::revoke_token(&db, id).await? {
                bail!("no active token has id {id} (see `cxc token list`)");
            }
            say!("Token {id} revoked.")?;
            Ok(())
        }
    }
}

fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
