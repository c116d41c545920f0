//! Writing everything out as records, parents before children.

use std::io::Write;

use cxc_core::Relation;

use super::{CapacityRecord, CapacityRef, OrganizationRecord, ProfileRecord, Record};
use crate::db::{Db, catalog, profiles};
use crate::directory::{CapacityStatus, Directory};

/// Writes every capacity (parents first), organization and profile.
pub async fn export(db: &Db, out: &mut dyn Write) -> anyhow::Result<usize> {
    let directory = catalog::load_directory(db.pool()).await?;
    let mut written = 0;
    let mut write = |record: Record, out: &mut dyn Write| -> anyhow::Result<()> {
        serde_json::to_writer(&mut *out, &record)?;
        out.write_all(b"\n")?;
        written += 1;
        Ok(())
    };
    for record in capacity_records(&directory) {
        write(Record::Capacity(record), out)?;
    }
    for o in directory.organizations() {
        let mut known = Vec::new();
        let mut offered = Vec::new();
        let mut wanted = Vec::new();
        for (relation, entry) in catalog::organization_capacities(db.pool(), o.id).await? {
            let r = CapacityRef::from_entry(&entry);
            match relation {
                Relation::Known => known.push(r),
                Relation::Offered => offered.push(r),
                Relation::Wanted => wanted.push(r),
            }
        }
        write(
            Record::Organization(OrganizationRecord {
                key: o.key.clone(),
                kind: o.kind.clone(),
                names: o
                    .texts
                    .iter()
                    .map(|(l, t)| (l.clone(), t.label.clone()))
                    .collect(),
                countries: o.countries.clone(),
                description: o
                    .texts
                    .iter()
                    .filter(|(_, t)| !t.description.is_empty())
                    .map(|(l, t)| (l.clone(), t.description.clone()))
                    .collect(),
                website: o.website.clone(),
                meta_page: o.meta_page.clone(),
                known,
                offered,
                wanted,
            }),
            out,
        )?;
    }
    profiles::for_each(db.pool(), |p| {
        write(Record::Profile(ProfileRecord::from_stored(&p)), out)
    })
    .await?;
    Ok(written)
}

/// The taxonomy as interchange records, parents first.
pub fn capacity_records(directory: &Directory) -> Vec<CapacityRecord> {
    directory
        .capacities()
        .iter()
        .map(|c| CapacityRecord {
            key: c.key.clone(),
            parent: c.parent.clone(),
            labels: c
                .texts
                .iter()
                .map(|(l, t)| (l.clone(), t.label.clone()))
                .collect(),
            descriptions: c
                .texts
                .iter()
                .filter(|(_, t)| !t.description.is_empty())
                .map(|(l, t)| (l.clone(), t.description.clone()))
                .collect(),
            qid: c.qid.clone(),
            status: match &c.status {
                CapacityStatus::Active => None,
                CapacityStatus::Retired => Some("retired".to_owned()),
                CapacityStatus::Merged(_) => Some("merged".to_owned()),
            },
            merged_into: match &c.status {
                CapacityStatus::Merged(target) => Some(target.clone()),
                _ => None,
            },
        })
        .collect()
}
