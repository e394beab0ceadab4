//! A full consistency check of one registry: what an operator runs after a crash, and what the
//! fault tests run after every SIGKILL.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::registry::{Registry, VersionRecord, decode, keys};
use crate::types::Digest;

/// What [`Registry::check_integrity`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityReport {
    /// Package records.
    pub packages: usize,
    /// Version records.
    pub versions: usize,
    /// Blobs referenced by versions, read and re-hashed.
    pub blobs_checked: usize,
    /// `publish` records in the audit log.
    pub publish_audits: usize,
    /// Blob files no version refers to: written by a publish that did not commit (a crash or
    /// a refused publish after its blobs were stored). Harmless; a later publish of the same
    /// bytes reuses them.
    pub unreferenced_blobs: Vec<Digest>,
    /// Every inconsistency, one sentence each: a version without its blob or its package, an
    /// index entry without a version, a listing pointing nowhere, a version without its audit
    /// record or the reverse, a broken audit chain. Empty for a sound registry.
    pub problems: Vec<String>,
}

impl IntegrityReport {
    /// No problems (unreferenced blobs are not problems).
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Deserialize)]
struct PackageView {
    listed: Option<crate::types::Version>,
}

fn text(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

impl Registry {
    /// Reads every package, version, index entry, annotation and referenced blob, and the whole
    /// audit log, and reports what does not fit together. Errors only when the store cannot be
    /// read at all; inconsistencies are listed in [`IntegrityReport::problems`].
    pub fn check_integrity(&self) -> Result<IntegrityReport> {
        let mut report = IntegrityReport::default();
        let store = self.store();

        let mut packages: BTreeMap<String, PackageView> = BTreeMap::new();
        for (key, bytes) in store.scan_prefix(keys::PACKAGES)? {
            let name = text(&key[keys::PACKAGES.len()..]);
            match decode::<PackageView>(&key, &bytes) {
                Ok(p) => {
                    packages.insert(name, p);
                }
                Err(e) => report.problems.push(e.to_string()),
            }
        }
        report.packages = packages.len();

        // name@version -> yanked, from the small index.
        let mut index: BTreeMap<String, bool> = BTreeMap::new();
        for (key, value) in store.scan_prefix(b"vidx/")? {
            let Some((name, version)) = text(&key[b"vidx/".len()..])
                .split_once('/')
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
            else {
                report
                    .problems
                    .push(format!("malformed index key `{}`", text(&key)));
                continue;
            };
            index.insert(format!("{name}@{version}"), value.first() == Some(&1));
        }

        let mut referenced: BTreeSet<Digest> = BTreeSet::new();
        let mut versions: BTreeMap<String, VersionRecord> = BTreeMap::new();
        for (key, bytes) in store.scan_prefix(b"ver/")? {
            let record: VersionRecord = match decode(&key, &bytes) {
                Ok(r) => r,
                Err(e) => {
                    report.problems.push(e.to_string());
                    continue;
                }
            };
            let id = format!("{}@{}", record.name, record.version);
            if key != keys::version(&record.name, &record.version) {
                report
                    .problems
                    .push(format!("record {id} is stored under `{}`", text(&key)));
            }
            if !packages.contains_key(record.name.as_str()) {
                report
                    .problems
                    .push(format!("version {id} has no package record"));
            }
            match index.get(&id) {
                None => report
                    .problems
                    .push(format!("version {id} has no index entry")),
                Some(&yanked) if yanked != record.yanked => report
                    .problems
                    .push(format!("version {id}: index and record disagree on yanked")),
                Some(_) => {}
            }
            let blobs = [
                ("component", Some(record.component)),
                ("manifest", Some(record.manifest_digest)),
                ("vectors", record.vectors),
            ];
            for (what, digest) in blobs {
                let Some(digest) = digest else { continue };
                referenced.insert(digest);
                report.blobs_checked += 1;
                match self.inner.blobs.get(&digest) {
                    Ok(bytes) => {
                        if what == "component" && bytes.len() as u64 != record.component_size {
                            report.problems.push(format!(
                                "version {id}: component is {} bytes, the record says {}",
                                bytes.len(),
                                record.component_size
                            ));
                        }
                    }
                    Err(e) => report
                        .problems
                        .push(format!("version {id}: {what} blob {digest}: {e}")),
                }
            }
            versions.insert(id, record);
        }
        report.versions = versions.len();

        for id in index.keys() {
            if !versions.contains_key(id) {
                report
                    .problems
                    .push(format!("index entry {id} has no version record"));
            }
        }
        for (name, package) in &packages {
            if !versions.values().any(|r| r.name.as_str() == name) {
                report
                    .problems
                    .push(format!("package `{name}` has no versions"));
            }
            if let Some(listed) = &package.listed {
                match versions.get(&format!("{name}@{listed}")) {
                    None => report.problems.push(format!(
                        "package `{name}` lists {listed}, which does not exist"
                    )),
                    Some(r) if r.yanked => report
                        .problems
                        .push(format!("package `{name}` lists {listed}, which is yanked")),
                    Some(_) => {}
                }
            }
        }
        for (key, _) in store.scan_prefix(b"ann/")? {
            let rest = text(&key[b"ann/".len()..]);
            let mut parts = rest.splitn(3, '/');
            let (name, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if !versions.contains_key(&format!("{name}@{version}")) {
                report
                    .problems
                    .push(format!("annotation `{}` belongs to no version", text(&key)));
            }
        }

        // Each version was committed together with exactly one `publish` audit record.
        match self.verify() {
            Err(e) => report.problems.push(e.to_string()),
            Ok(_) => {
                let mut published: BTreeMap<String, usize> = BTreeMap::new();
                let mut from = 1;
                loop {
                    let page = self.audit_list(from, crate::MAX_AUDIT_PAGE)?;
                    let Some(last) = page.last() else { break };
                    from = last.seq + 1;
                    for record in page.iter().filter(|r| r.action == "publish") {
                        *published.entry(record.subject.clone()).or_default() += 1;
                    }
                }
                report.publish_audits = published.values().sum();
                for (subject, count) in &published {
                    if !versions.contains_key(subject) {
                        report.problems.push(format!(
                            "audit records a publish of {subject}, which is gone"
                        ));
                    } else if *count > 1 {
                        report
                            .problems
                            .push(format!("audit records {count} publishes of {subject}"));
                    }
                }
                for id in versions.keys() {
                    if !published.contains_key(id) {
                        report
                            .problems
                            .push(format!("version {id} has no publish audit record"));
                    }
                }
            }
        }

        report.unreferenced_blobs = self
            .inner
            .blobs
            .digests()?
            .into_iter()
            .filter(|d| !referenced.contains(d))
            .collect();
        Ok(report)
    }
}
