//! What catalog search and need matching read: the registry's [`CatalogSnapshot`] with, beside
//! each listed version, its review state, its scorecard's sub-scores and its matching
//! [`Candidate`]. Built once per change instead of read from storage per hit or per request:
//! over 10,000 listings a page of search results or a need's matches would otherwise read and
//! decode tens of thousands of records each time.
//!
//! Kept current by [`Registry::catalog_changes`], which moves after every committed publish,
//! yank, un-yank, review decision and scorecard; a view built while one of those landed is
//! used once and not kept.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use smelt_assess::Candidate;
use smelt_registry::{AnnotationKind, CatalogSnapshot, Registry, VersionRecord};

use super::reviews::{Review, ReviewState};
use super::{ApiResult, Shared};

/// The cache in [`super::AppState`].
#[derive(Default)]
pub struct Listings {
    built: Mutex<Option<Arc<View>>>,
    /// Held while a view is built, so a burst of requests after a change builds it once.
    building: Mutex<()>,
}

/// The catalog and what the API derives from each listed version, position for position.
pub struct View {
    changes: u64,
    pub catalog: Arc<CatalogSnapshot>,
    pub entries: Vec<Entry>,
    /// `entries[i].candidate` in one slice, as [`smelt_assess::rank`] takes them.
    pub candidates: Vec<Candidate>,
}

/// A listed version's annotations, decoded, and its catalog card.
pub struct Entry {
    pub review: ReviewState,
    /// The catalog card as JSON text: [`super::packages::summary`] plus the scorecard's
    /// `scores` object (sub-scores 0–100, null when not scored). A page of search results is
    /// these, joined.
    pub card: String,
}

impl View {
    /// The listed version at `position` with its entry.
    pub fn at(&self, position: usize) -> Option<(&VersionRecord, &Entry)> {
        Some((self.catalog.get(position)?, self.entries.get(position)?))
    }
}

/// The current view, rebuilt when the registry changed since the last one.
pub fn view(state: &Shared) -> ApiResult<Arc<View>> {
    let cache = &state.listings;
    let current = |changes: u64| {
        cache
            .built
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|v| v.changes == changes)
            .cloned()
    };
    if let Some(view) = current(state.registry.catalog_changes()) {
        return Ok(view);
    }
    let _building = cache.building.lock().unwrap_or_else(|p| p.into_inner());
    let changes = state.registry.catalog_changes();
    if let Some(view) = current(changes) {
        return Ok(view);
    }
    let view = Arc::new(build(&state.registry, changes)?);
    // Keep it only if nothing was written while it was read.
    if state.registry.catalog_changes() == changes {
        *cache.built.lock().unwrap_or_else(|p| p.into_inner()) = Some(view.clone());
    }
    Ok(view)
}

fn build(registry: &Registry, changes: u64) -> ApiResult<View> {
    let catalog = registry.catalog()?;
    let mut entries = Vec::with_capacity(catalog.len());
    let mut candidates = Vec::with_capacity(catalog.len());
    for record in catalog.records() {
        let review =
            match registry.annotation(&record.name, &record.version, AnnotationKind::Review)? {
                Some(a) => serde_json::from_str::<Review>(&a.json)
                    .map(|r| r.state)
                    .unwrap_or(ReviewState::Pending),
                None => ReviewState::Pending,
            };
        let scorecard = registry
            .annotation(&record.name, &record.version, AnnotationKind::Scorecard)?
            .and_then(|a| serde_json::from_str::<Value>(&a.json).ok());
        let mut candidate = Candidate::from_manifest(&record.manifest);
        candidate.approved = matches!(review, ReviewState::Approved | ReviewState::Suspended);
        candidate.suspended = review == ReviewState::Suspended;
        candidate.scorecard = scorecard.as_ref().and_then(scorecard_summary);
        candidates.push(candidate);
        let mut card = super::packages::summary(record);
        card["scores"] = scorecard
            .and_then(|mut v| v.get_mut("scores").map(Value::take))
            .unwrap_or(Value::Null);
        entries.push(Entry {
            review,
            card: card.to_string(),
        });
    }
    Ok(View {
        changes,
        catalog,
        entries,
        candidates,
    })
}

/// Reads the sub-scores (0–100) of a stored conformance scorecard.
fn scorecard_summary(v: &Value) -> Option<smelt_assess::Scorecard> {
    let scores = v.get("scores")?.as_object()?;
    let sub_scores: Vec<(String, f64)> = scores
        .iter()
        .filter_map(|(k, s)| s.as_f64().map(|s| (k.clone(), s)))
        .collect();
    Some(smelt_assess::Scorecard {
        overall: v.get("overall").and_then(Value::as_f64),
        sub_scores,
    })
}
