//! The registry handle: packages, versions, resolution, search and per-version annotations.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::accounts::{self, Role};
use crate::audit;
use crate::blob::BlobStore;
use crate::manifest::{Industry, Manifest, Scene, Stage};
use crate::storage::{SledStorage, Storage, Txn};
use crate::types::{Digest, PackageName, Version, VersionReq};
use crate::{Error, Result};

/// Key layout of the one keyspace. Names and versions never contain `/`, so `/` ends a segment
/// and a prefix scan for `ver/ab/` cannot pick up package `ab-c`.
pub(crate) mod keys {
    use crate::types::{PackageName, Version};

    pub(crate) fn package(name: &PackageName) -> Vec<u8> {
        format!("pkg/{name}").into_bytes()
    }
    pub(crate) const PACKAGES: &[u8] = b"pkg/";
    pub(crate) fn version(name: &PackageName, version: &Version) -> Vec<u8> {
        format!("ver/{name}/{version}").into_bytes()
    }
    /// Small per-version entry (`[yanked]`) so resolution does not decode whole records.
    pub(crate) fn version_index(name: &PackageName, version: &Version) -> Vec<u8> {
        format!("vidx/{name}/{version}").into_bytes()
    }
    pub(crate) fn version_index_prefix(name: &PackageName) -> Vec<u8> {
        format!("vidx/{name}/").into_bytes()
    }
    pub(crate) fn annotation(name: &PackageName, version: &Version, kind: &str) -> Vec<u8> {
        format!("ann/{name}/{version}/{kind}").into_bytes()
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("registry records serialize to json")
}

pub(crate) fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::Storage(format!(
            "undecodable record at `{}`: {e}",
            String::from_utf8_lossy(key)
        ))
    })
}

pub(crate) fn get_in<T: DeserializeOwned>(tx: &dyn Txn, key: &[u8]) -> Result<Option<T>> {
    tx.get(key)?.map(|b| decode(key, &b)).transpose()
}

/// Checks that `text` is one JSON value.
pub(crate) fn check_json(what: &str, text: &str) -> Result<()> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(drop)
        .map_err(|e| Error::InvalidJson {
            what: what.to_owned(),
            reason: e.to_string(),
        })
}

/// What a provider sends to publish one version.
#[derive(Clone, Debug, Default)]
pub struct PublishRequest {
    /// The publishing account (must have the provider role).
    pub publisher: String,
    /// The `smelt.toml` text; it names the package and version.
    pub manifest_toml: String,
    /// The component bytes.
    pub component: Vec<u8>,
    /// Test vectors as one JSON document (`{"vectors": [...]}`), if any.
    pub vectors: Option<Vec<u8>>,
    /// The WIT version the component targets (semver, e.g. `0.1.0`).
    pub wit_version: String,
    /// The component's descriptor as JSON (extracted by the caller).
    pub descriptor_json: String,
    /// When set, the manifest must name exactly this package and version (e.g. the URL of
    /// `PUT /v1/packages/{name}/{version}`), else [`Error::ManifestMismatch`].
    pub expect: Option<(PackageName, Version)>,
}

/// One published version. Its contents never change; only `yanked` can.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    /// Package name.
    pub name: PackageName,
    /// Version.
    pub version: Version,
    /// The account that published it.
    pub publisher: String,
    /// Digest of the component blob.
    pub component: Digest,
    /// Size of the component in bytes.
    pub component_size: u64,
    /// Digest of the `smelt.toml` text blob.
    pub manifest_digest: Digest,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// Digest of the test-vector blob, if any.
    pub vectors: Option<Digest>,
    /// The WIT version the component targets.
    pub wit_version: String,
    /// The component's descriptor (JSON text).
    pub descriptor_json: String,
    /// Publication time, ms since the Unix epoch.
    pub published_ms: u64,
    /// Hidden from resolution and search (still downloadable by exact pin).
    pub yanked: bool,
}

/// The outcome of [`Registry::publish`].
#[derive(Clone, Debug, PartialEq)]
pub enum Published {
    /// A new version was stored.
    Created(VersionRecord),
    /// The same bytes were published before; this is the existing record.
    AlreadyPublished(VersionRecord),
}

impl Published {
    /// The version record, new or existing.
    pub fn record(&self) -> &VersionRecord {
        match self {
            Published::Created(r) | Published::AlreadyPublished(r) => r,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct PackageRecord {
    name: PackageName,
    owner: String,
    created_ms: u64,
    /// Bumped by every publish, yank and un-yank of the package (optimistic concurrency for
    /// recomputing `listed` from a snapshot).
    generation: u64,
    /// The version search shows (see [`listing_key`]), kept current by every change so search
    /// reads one record per package instead of scanning versions.
    listed: Option<Version>,
}

/// Search lists a package's highest non-yanked release, or its highest non-yanked pre-release
/// when it has no release: the maximum of this key.
fn listing_key(v: &Version) -> (bool, &Version) {
    (!v.is_prerelease(), v)
}

fn better_listed(current: Option<Version>, candidate: &Version) -> Version {
    match current {
        Some(c) if listing_key(&c) >= listing_key(candidate) => c,
        _ => candidate.clone(),
    }
}

/// A package: its owner and every version, ascending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// Name.
    pub name: PackageName,
    /// The account that owns the name (its first publisher).
    pub owner: String,
    /// When the first version was published, ms since the Unix epoch.
    pub created_ms: u64,
    /// Versions in ascending semver order.
    pub versions: Vec<VersionEntry>,
}

/// A version in a [`Package`] listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEntry {
    /// Version.
    pub version: Version,
    /// Whether it is yanked.
    pub yanked: bool,
}

/// Catalog search filters; all given filters must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// Case-insensitive text looked for in the name, both titles and the summary.
    pub text: Option<String>,
    /// Sub-industry.
    pub industry: Option<Industry>,
    /// Business stage.
    pub stage: Option<Stage>,
    /// Scene.
    pub scene: Option<Scene>,
}

/// Per-version annotations that higher layers attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnotationKind {
    /// The reviewers' decision (遴选), set by a reviewer or admin.
    Review,
    /// The conformance scorecard, set by a reviewer or admin.
    Scorecard,
}

impl AnnotationKind {
    fn slug(self) -> &'static str {
        match self {
            AnnotationKind::Review => "review",
            AnnotationKind::Scorecard => "scorecard",
        }
    }
}

/// An annotation: opaque JSON plus who set it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// The JSON document as given.
    pub json: String,
    /// The account that set it.
    pub actor: String,
    /// When, ms since the Unix epoch.
    pub time_ms: u64,
}

pub(crate) struct Inner {
    pub(crate) dir: PathBuf,
    pub(crate) blobs: BlobStore,
    pub(crate) store: Box<dyn Storage>,
    /// What [`Registry::search`] reads (see [`Catalog`]).
    pub(crate) catalog: Catalog,
    /// Bearer tokens verified since accounts last changed.
    pub(crate) tokens: accounts::TokenCache,
}

/// The listed version of every package, decoded once and kept in memory: search over 10,000
/// listings reads this instead of decoding 20,000 records from storage per query. Built on the
/// first search after any change; every write that can change what is listed (publish, yank,
/// unyank) bumps `generation` after it commits, and a catalog built while a write was in flight
/// is never kept, so a search never sees an older catalog than the last acknowledged write.
#[derive(Default)]
pub(crate) struct Catalog {
    generation: AtomicU64,
    /// Bumped after every committed annotation: what callers derive from the catalog plus
    /// annotations (review state, scores) is stale when [`Registry::catalog_changes`] moves.
    annotations: AtomicU64,
    built: Mutex<Option<(u64, Arc<CatalogSnapshot>)>>,
}

/// The catalog at one moment: each package's listed version (its highest non-yanked release,
/// or highest non-yanked pre-release when it has none), in name order. Immutable; from
/// [`Registry::catalog`]. Positions are stable within one snapshot, so callers can keep data
/// of their own beside it, indexed the same way.
pub struct CatalogSnapshot {
    records: Vec<VersionRecord>,
    /// Every name, each followed by [`TEXT_SEPARATOR`], and where each starts: one substring
    /// search (memchr's SIMD `memmem`) over all names instead of one per listing.
    names: Haystack,
    /// Both titles and the summary of every listing, lower-cased, each field followed by
    /// [`TEXT_SEPARATOR`], and where each listing's fields start.
    texts: Haystack,
}

/// Texts of all listings in one string, in catalog order, and where each listing's starts.
#[derive(Default)]
struct Haystack {
    text: String,
    starts: Vec<usize>,
}

impl Haystack {
    fn push(&mut self, fields: &[&str]) {
        self.starts.push(self.text.len());
        for field in fields {
            self.text.push_str(field);
            self.text.push(TEXT_SEPARATOR);
        }
    }

    /// Calls `hit` with the position of every listing whose text contains `needle` (which
    /// holds no [`TEXT_SEPARATOR`], so no match spans two fields or two listings), ascending,
    /// each once.
    fn find(&self, needle: &str, mut hit: impl FnMut(usize)) {
        let mut last = None;
        for offset in memchr::memmem::find_iter(self.text.as_bytes(), needle.as_bytes()) {
            let position = self.starts.partition_point(|&start| start <= offset) - 1;
            if last != Some(position) {
                hit(position);
                last = Some(position);
            }
        }
    }
}

impl std::fmt::Debug for CatalogSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogSnapshot")
            .field("listed", &self.records.len())
            .finish()
    }
}

/// Ends each searchable field in a [`Haystack`]; a needle containing it is matched field by
/// field instead, so no match ever spans two fields.
const TEXT_SEPARATOR: char = '\n';

impl CatalogSnapshot {
    fn new(records: Vec<VersionRecord>) -> CatalogSnapshot {
        let mut names = Haystack::default();
        let mut texts = Haystack::default();
        for record in &records {
            let l = &record.manifest.listing;
            names.push(&[record.name.as_str()]);
            texts.push(&[
                &l.title.zh.to_lowercase(),
                &l.title.en.to_lowercase(),
                &record.manifest.package.summary.to_lowercase(),
            ]);
        }
        CatalogSnapshot {
            records,
            names,
            texts,
        }
    }

    /// Listed versions.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The listed version at `position` (from [`CatalogSnapshot::search`] or `0..len()`).
    pub fn get(&self, position: usize) -> Option<&VersionRecord> {
        self.records.get(position)
    }

    /// Every listed version, in name order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &VersionRecord> {
        self.records.iter()
    }

    /// The positions of the listed versions matching every filter of `query`, by relevance of
    /// the text match (exact name, then name containing the text, then title or summary) and
    /// then by name. Nothing is cloned: a caller pages through the positions.
    pub fn search(&self, query: &SearchQuery) -> Vec<usize> {
        let needle = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        // The relevance of each listing's text match; NONE where it has none.
        const NONE: u8 = u8::MAX;
        let ranks: Option<Vec<u8>> = needle.as_deref().map(|n| {
            let mut ranks = vec![NONE; self.records.len()];
            if n.contains(TEXT_SEPARATOR) {
                // Field by field, so the separator never joins two of them.
                for (rank, record) in ranks.iter_mut().zip(&self.records) {
                    let l = &record.manifest.listing;
                    if [&l.title.zh, &l.title.en, &record.manifest.package.summary]
                        .iter()
                        .any(|t| t.to_lowercase().contains(n))
                    {
                        *rank = 2;
                    }
                }
                return ranks;
            }
            self.names.find(n, |p| {
                ranks[p] = if self.records[p].name.as_str() == n {
                    0
                } else {
                    1
                };
            });
            self.texts.find(n, |p| ranks[p] = ranks[p].min(2));
            ranks
        });
        let mut hits = Vec::new();
        for (position, record) in self.records.iter().enumerate() {
            let rank = ranks.as_ref().map_or(0, |r| r[position]);
            if rank == NONE {
                continue;
            }
            let l = &record.manifest.listing;
            if query.industry.is_some_and(|i| !l.industries.contains(&i))
                || query.stage.is_some_and(|s| !l.stages.contains(&s))
                || query.scene.is_some_and(|s| !l.scenes.contains(&s))
            {
                continue;
            }
            hits.push((rank, position));
        }
        // The catalog is in name order, so sorting by rank and then position orders by name.
        hits.sort_unstable();
        hits.into_iter().map(|(_, position)| position).collect()
    }
}

/// A handle on one registry data directory. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Registry {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Opens (or creates) the registry in `dir`: blobs in `dir/blobs/`, metadata in the sled
    /// database `dir/meta/` (with its marker `dir/meta.format`). A damaged or truncated
    /// database is [`Error::Corrupt`]; it is never replaced by an empty one.
    pub fn open(dir: impl AsRef<Path>) -> Result<Registry> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
        let store = SledStorage::open(&dir.join("meta"))?;
        Self::with_storage(dir, Box::new(store))
    }

    /// Opens the registry with blobs in `dir/blobs/` and metadata in any [`Storage`].
    pub fn with_storage(dir: PathBuf, store: Box<dyn Storage>) -> Result<Registry> {
        let blobs = BlobStore::open(dir.join("blobs"))?;
        Ok(Registry {
            inner: Arc::new(Inner {
                dir,
                blobs,
                store,
                catalog: Catalog::default(),
                tokens: accounts::TokenCache::default(),
            }),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub(crate) fn store(&self) -> &dyn Storage {
        &*self.inner.store
    }

    /// Validates and stores one version, returning after the blobs and the metadata are on disk.
    ///
    /// Re-publishing identical bytes (component, manifest and vectors) returns
    /// [`Published::AlreadyPublished`]; different bytes for an existing name@version are
    /// [`Error::AlreadyExists`]; a name first published by another account is
    /// [`Error::NotOwner`]; a publisher without the provider role is [`Error::Forbidden`].
    pub fn publish(&self, req: PublishRequest) -> Result<Published> {
        let manifest = Manifest::from_toml(&req.manifest_toml)?;
        if let Some((name, version)) = &req.expect {
            manifest.check_identity(name, version)?;
        }
        if req.component.is_empty() {
            return Err(Error::InvalidArgument {
                what: "component",
                reason: "expected component bytes, found none".into(),
            });
        }
        req.wit_version
            .parse::<Version>()
            .map_err(|e| Error::InvalidArgument {
                what: "wit_version",
                reason: e.to_string(),
            })?;
        check_json("descriptor", &req.descriptor_json)?;
        if let Some(v) = &req.vectors {
            let text = std::str::from_utf8(v).map_err(|e| Error::InvalidJson {
                what: "vectors".into(),
                reason: e.to_string(),
            })?;
            check_json("vectors", text)?;
        }
        let name = manifest.package.name.clone();
        let version = manifest.package.version.clone();
        let component = Digest::of(&req.component);
        let manifest_digest = Digest::of(req.manifest_toml.as_bytes());
        let vectors = req.vectors.as_deref().map(Digest::of);
        // The answer to publishing over an existing name@version.
        let repeat = |existing: VersionRecord| {
            if existing.component == component
                && existing.manifest_digest == manifest_digest
                && existing.vectors == vectors
            {
                Ok(Published::AlreadyPublished(existing))
            } else {
                Err(Error::AlreadyExists {
                    name: name.to_string(),
                    version: version.to_string(),
                })
            }
        };

        // Settle the owner's common repeat without writing blobs; anyone else goes through the
        // role and ownership checks of the transaction below, which decides.
        if let Some(existing) = self.try_version(&name, &version)?
            && existing.publisher == req.publisher
        {
            return repeat(existing);
        }

        // Blobs go first and durably, so no committed version can point at a missing blob.
        let mut blobs = vec![&req.component[..], req.manifest_toml.as_bytes()];
        blobs.extend(req.vectors.as_deref());
        self.inner.blobs.put_all(&blobs)?;

        let record = VersionRecord {
            name: name.clone(),
            version: version.clone(),
            publisher: req.publisher.clone(),
            component,
            component_size: req.component.len() as u64,
            manifest_digest,
            manifest,
            vectors,
            wit_version: req.wit_version.clone(),
            descriptor_json: req.descriptor_json.clone(),
            published_ms: now_ms(),
            yanked: false,
        };
        let subject = format!("{name}@{version}");
        let payload = serde_json::json!({
            "component": component,
            "manifest": manifest_digest,
            "vectors": vectors,
            "wit_version": req.wit_version,
        })
        .to_string();
        let published = self.store().run(|tx| {
            accounts::require_role(tx, &req.publisher, &[Role::Provider], "publish packages")?;
            let pkg_key = keys::package(&name);
            let mut pkg = match get_in::<PackageRecord>(tx, &pkg_key)? {
                Some(p) if p.owner != req.publisher => {
                    return Err(Error::NotOwner {
                        name: name.to_string(),
                        owner: p.owner,
                    });
                }
                Some(p) => p,
                None => PackageRecord {
                    name: name.clone(),
                    owner: req.publisher.clone(),
                    created_ms: record.published_ms,
                    generation: 0,
                    listed: None,
                },
            };
            let ver_key = keys::version(&name, &version);
            if let Some(existing) = get_in::<VersionRecord>(tx, &ver_key)? {
                return repeat(existing);
            }
            pkg.generation += 1;
            pkg.listed = Some(better_listed(pkg.listed, &version));
            tx.put(&pkg_key, &encode(&pkg))?;
            tx.put(&ver_key, &encode(&record))?;
            tx.put(&keys::version_index(&name, &version), &[0])?;
            audit::append(tx, &req.publisher, "publish", &subject, &payload)?;
            Ok(Published::Created(record.clone()))
        });
        self.catalog_changed();
        published
    }

    fn try_version(&self, name: &PackageName, version: &Version) -> Result<Option<VersionRecord>> {
        let key = keys::version(name, version);
        self.store()
            .get(&key)?
            .map(|b| decode(&key, &b))
            .transpose()
    }

    /// One version's record (yanked or not).
    pub fn version(&self, name: &PackageName, version: &Version) -> Result<VersionRecord> {
        self.try_version(name, version)?
            .ok_or_else(|| Error::not_found(format!("{name}@{version}")))
    }

    fn versions(&self, name: &PackageName) -> Result<Vec<VersionEntry>> {
        let prefix = keys::version_index_prefix(name);
        let mut out = Vec::new();
        for (k, v) in self.store().scan_prefix(&prefix)? {
            let text = std::str::from_utf8(&k[prefix.len()..]).map_err(|e| {
                Error::Storage(format!(
                    "bad version key `{}`: {e}",
                    String::from_utf8_lossy(&k)
                ))
            })?;
            out.push(VersionEntry {
                version: text.parse()?,
                yanked: v.first() == Some(&1),
            });
        }
        out.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(out)
    }

    fn package_record(&self, name: &PackageName) -> Result<PackageRecord> {
        let key = keys::package(name);
        match self.store().get(&key)? {
            Some(b) => decode(&key, &b),
            None => Err(Error::not_found(format!("package `{name}`"))),
        }
    }

    /// A package's owner and versions (with their yanked flags), ascending.
    pub fn package(&self, name: &PackageName) -> Result<Package> {
        let p = self.package_record(name)?;
        Ok(Package {
            versions: self.versions(name)?,
            name: p.name,
            owner: p.owner,
            created_ms: p.created_ms,
        })
    }

    /// Every package name, in byte order.
    pub fn package_names(&self) -> Result<Vec<PackageName>> {
        self.store()
            .scan_prefix(keys::PACKAGES)?
            .into_iter()
            .map(|(k, v)| decode::<PackageRecord>(&k, &v).map(|p| p.name))
            .collect()
    }

    /// The highest non-yanked version matching `req` (pre-releases only when `req` names one).
    pub fn resolve(&self, name: &PackageName, req: &VersionReq) -> Result<VersionRecord> {
        self.package_record(name)?;
        let best = self
            .versions(name)?
            .into_iter()
            .rev()
            .find(|e| !e.yanked && req.matches(&e.version))
            .ok_or_else(|| Error::NoMatch {
                name: name.to_string(),
                req: req.to_string(),
            })?;
        self.version(name, &best.version)
    }

    /// Hides a version from resolution and search (owner or admin). Yanking twice is a no-op.
    pub fn yank(
        &self,
        actor: &str,
        name: &PackageName,
        version: &Version,
    ) -> Result<VersionRecord> {
        self.set_yanked(actor, name, version, true)
    }

    /// Undoes [`Registry::yank`] (owner or admin).
    pub fn unyank(
        &self,
        actor: &str,
        name: &PackageName,
        version: &Version,
    ) -> Result<VersionRecord> {
        self.set_yanked(actor, name, version, false)
    }

    fn set_yanked(
        &self,
        actor: &str,
        name: &PackageName,
        version: &Version,
        yanked: bool,
    ) -> Result<VersionRecord> {
        let action = if yanked { "yank" } else { "unyank" };
        loop {
            // Yanking the listed version needs the next best one; it is computed from this
            // snapshot and used only if the package did not change in between.
            let snapshot = if yanked {
                let pkg = self.package_record(name)?;
                Some((pkg.generation, self.versions(name)?))
            } else {
                None
            };
            let step = self.store().run(|tx| {
                let account = accounts::load(tx, actor)?;
                let pkg_key = keys::package(name);
                let mut pkg: PackageRecord = get_in(tx, &pkg_key)?
                    .ok_or_else(|| Error::not_found(format!("package `{name}`")))?;
                if pkg.owner != actor && account.role != Role::Admin {
                    return Err(Error::NotOwner {
                        name: name.to_string(),
                        owner: pkg.owner,
                    });
                }
                let key = keys::version(name, version);
                let mut record: VersionRecord = get_in(tx, &key)?
                    .ok_or_else(|| Error::not_found(format!("{name}@{version}")))?;
                if record.yanked == yanked {
                    return Ok(Some(record));
                }
                if !yanked {
                    pkg.listed = Some(better_listed(pkg.listed.take(), version));
                } else if pkg.listed.as_ref() == Some(version) {
                    let Some((generation, versions)) = &snapshot else {
                        unreachable!("yanking takes a snapshot")
                    };
                    if *generation != pkg.generation {
                        // The package changed after the snapshot: take a new one.
                        return Ok(None);
                    }
                    pkg.listed = versions
                        .iter()
                        .filter(|e| !e.yanked && &e.version != version)
                        .map(|e| &e.version)
                        .max_by(|a, b| listing_key(a).cmp(&listing_key(b)))
                        .cloned();
                }
                pkg.generation += 1;
                tx.put(&pkg_key, &encode(&pkg))?;
                record.yanked = yanked;
                tx.put(&key, &encode(&record))?;
                tx.put(&keys::version_index(name, version), &[u8::from(yanked)])?;
                audit::append(tx, actor, action, &format!("{name}@{version}"), "{}")?;
                Ok(Some(record))
            });
            self.catalog_changed();
            let step = step?;
            if let Some(record) = step {
                return Ok(record);
            }
        }
    }

    /// A blob's bytes, re-hashed ([`Error::DigestMismatch`] if the file was altered).
    pub fn blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        self.inner.blobs.get(digest)
    }

    /// The catalog: for each package, its highest non-yanked release (or pre-release when it
    /// has no release) if it matches every filter. Ordered by relevance of the text match
    /// (exact name, then name containing the text, then title or summary) and then by name.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<VersionRecord>> {
        let catalog = self.catalog()?;
        Ok(catalog
            .search(query)
            .into_iter()
            .map(|i| catalog.records[i].clone())
            .collect())
    }

    /// The current catalog snapshot (rebuilt from storage if a publish, yank or un-yank
    /// happened since the last one was built).
    pub fn catalog(&self) -> Result<Arc<CatalogSnapshot>> {
        let catalog = &self.inner.catalog;
        let generation = catalog.generation.load(Ordering::Acquire);
        if let Some((built, listed)) = &*catalog.built.lock().unwrap_or_else(|p| p.into_inner())
            && *built == generation
        {
            return Ok(listed.clone());
        }
        let mut records = Vec::new();
        for (key, bytes) in self.store().scan_prefix(keys::PACKAGES)? {
            let pkg: PackageRecord = decode(&key, &bytes)?;
            let Some(version) = &pkg.listed else { continue };
            records.push(self.version(&pkg.name, version)?);
        }
        let snapshot = Arc::new(CatalogSnapshot::new(records));
        let mut built = catalog.built.lock().unwrap_or_else(|p| p.into_inner());
        // Keep it only if no write landed while it was read.
        if catalog.generation.load(Ordering::Acquire) == generation {
            *built = Some((generation, snapshot.clone()));
        }
        Ok(snapshot)
    }

    /// A counter that moves after every committed write that changes the catalog (publish,
    /// yank, un-yank) or any annotation (review, scorecard). Data derived from a
    /// [`CatalogSnapshot`] and annotations, read after this returned `n`, is current as long
    /// as it still returns `n`.
    pub fn catalog_changes(&self) -> u64 {
        let catalog = &self.inner.catalog;
        catalog
            .generation
            .load(Ordering::Acquire)
            .wrapping_add(catalog.annotations.load(Ordering::Acquire))
    }

    /// Marks the in-memory catalog stale (after a write that may change what is listed).
    fn catalog_changed(&self) {
        self.inner.catalog.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Attaches (replaces) an annotation on an existing version; reviewer or admin; audited.
    pub fn annotate(
        &self,
        actor: &str,
        name: &PackageName,
        version: &Version,
        kind: AnnotationKind,
        json: &str,
    ) -> Result<Annotation> {
        check_json(kind.slug(), json)?;
        let action = format!("set {}", kind.slug());
        let annotation = self.store().run(|tx| {
            accounts::require_role(tx, actor, &[Role::Reviewer, Role::Admin], &action)?;
            if tx.get(&keys::version(name, version))?.is_none() {
                return Err(Error::not_found(format!("{name}@{version}")));
            }
            let annotation = Annotation {
                json: json.to_owned(),
                actor: actor.to_owned(),
                time_ms: now_ms(),
            };
            tx.put(
                &keys::annotation(name, version, kind.slug()),
                &encode(&annotation),
            )?;
            audit::append(tx, actor, kind.slug(), &format!("{name}@{version}"), json)?;
            Ok(annotation)
        });
        // After the commit (or a failure, harmlessly): see `catalog_changes`.
        self.inner
            .catalog
            .annotations
            .fetch_add(1, Ordering::AcqRel);
        annotation
    }

    /// The annotation of `kind` on a version, if any.
    pub fn annotation(
        &self,
        name: &PackageName,
        version: &Version,
        kind: AnnotationKind,
    ) -> Result<Option<Annotation>> {
        let key = keys::annotation(name, version, kind.slug());
        self.store()
            .get(&key)?
            .map(|b| decode(&key, &b))
            .transpose()
    }
}
