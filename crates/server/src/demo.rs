//! `--demo`: a small community so that a newcomer sees a living site.

use cxc_core::Username;

use crate::db::{Db, accounts};

/// People of the demo community; no passwords, as for imported profiles.
const DEMO_PEOPLE: &[&str] = &[
    "Amara Okafor",
    "Bruno Silva",
    "Chidi Mensah",
    "Farah Haddad",
    "Hiroshi Tanaka",
    "Joana Costa",
    "Kwame Asante",
    "Lina Rahman",
    "Mateo López",
    "Nadia Benali",
    "Priya Sharma",
    "Sofia Petrova",
    "Tunde Adeyemi",
    "Wanjiru Mwangi",
    "Yara Haddad",
    "Zeynep Çelik",
    "سارة المصري",
    "Олена Петренко",
];

/// Fills an empty database; a database that already has accounts is left as it is.
pub async fn fill_if_empty(db: &Db) -> anyhow::Result<()> {
    if accounts::count(db).await? > 0 {
        tracing::info!("the database is not empty: demo content not added");
        return Ok(());
    }
    for name in DEMO_PEOPLE {
        let username = Username::parse(name).map_err(|e| anyhow::anyhow!(e.0))?;
        accounts::create(
            db,
            accounts::NewAccount {
                username: &username,
                password_hash: None,
                is_admin: false,
                wikimedia_sub: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo account {name}: {e}"))?;
    }
    tracing::info!(people = DEMO_PEOPLE.len(), "demo community added");
    Ok(())
}
