//! The agencies a clerk picks recipients from: the exchange axis's directory, synced here (at
//! start, daily and on an admin's demand), together with the organisations this server serves.

use std::{collections::HashSet, time::Duration};

use anyhow::Context;
use sea_orm::TransactionTrait;
use tokio::sync::watch;
use uuid::Uuid;

use super::axis::AxisError;
use crate::{
    domain::{Cursor, PageSize, Role, search},
    services::{Principal, admin::Page},
    state::AppState,
    store::{
        self,
        agencies::{Entry, SyncCounts},
    },
};

/// How often each instance syncs the directory, and how soon it tries again after a failure.
const SYNC_EVERY: Duration = Duration::from_secs(24 * 3600);
const SYNC_RETRY: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("this needs the role clerk or admin")]
    NotClerk,
    #[error("this needs the role admin")]
    NotAdmin,
    #[error("no exchange axis is configured (EXCHANGE_URL)")]
    NotConfigured,
    #[error(transparent)]
    Axis(#[from] AxisError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// An agency a document can be addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// Set when this server serves it: delivered here, not over the axis.
    pub organization_id: Option<Uuid>,
}

impl Agency {
    fn sort_key(&self) -> (String, String) {
        (search::fold(&self.name), self.code.clone())
    }
}

/// Cursor keys join the folded name and the code with a separator no name holds.
const SEP: char = '\u{1f}';

/// Copies the axis's directory here; answers what changed.
pub async fn sync(state: &AppState) -> Result<SyncCounts, DirectoryError> {
    let link = state.axis.as_ref().ok_or(DirectoryError::NotConfigured)?;
    let listed = link.axis.agencies().await?;
    if listed.is_empty() {
        // An empty answer is more likely the axis's hiccup than every agency gone.
        tracing::warn!("the exchange axis listed no agencies: the directory is kept as it was");
        return Ok(SyncCounts::default());
    }
    let entries = listed
        .into_iter()
        .map(|e| Entry {
            code: e.code,
            name: e.name,
            parent_code: e.parent_code,
        })
        .collect();
    let now = state.clock.now();
    let stored = async {
        let txn = state.db.begin().await?;
        let counts = store::agencies::replace(&txn, entries, now).await?;
        txn.commit().await?;
        Ok::<_, sea_orm::DbErr>(counts)
    };
    let counts = stored.await.context("storing the directory of agencies")?;
    metrics::gauge!("exchange_agencies").set(counts.total as f64);
    tracing::info!(
        added = counts.added,
        updated = counts.updated,
        removed = counts.removed,
        total = counts.total,
        "directory of agencies synced"
    );
    Ok(counts)
}

/// `POST /admin/agencies/sync`.
pub async fn sync_as_admin(state: &AppState, who: Principal) -> Result<SyncCounts, DirectoryError> {
    require(state, who, &[Role::Admin], DirectoryError::NotAdmin).await?;
    sync(state).await
}

/// Syncs now, then daily, until `shutdown`. A failure is retried sooner.
pub async fn run_until_stopped(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        let wait = match sync(&state).await {
            Ok(_) => SYNC_EVERY,
            Err(e) => {
                tracing::warn!(error = %e, "syncing the directory of agencies failed");
                SYNC_RETRY
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// Agencies by name (any words, with or without diacritics) or by code prefix: the axis's
/// directory and this server's organisations, by name.
pub async fn search(
    state: &AppState,
    who: Principal,
    query: Option<&str>,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<Page<Agency>, DirectoryError> {
    require(
        state,
        who,
        &[Role::Clerk, Role::Admin],
        DirectoryError::NotClerk,
    )
    .await?;
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    let words = query.map(search::words).unwrap_or_default();
    let prefix = query
        .filter(|q| !q.contains(char::is_whitespace))
        .map(|q| q.replace(['%', '_', '\\'], ""))
        .filter(|q| !q.is_empty());
    let after = cursor.map(|c| {
        let key = c.sort_key();
        match key.split_once(SEP) {
            Some((name, code)) => (name.to_owned(), code.to_owned()),
            None => (key, String::new()),
        }
    });
    let limit = size.get();
    let served = store::organizations::all(&state.db)
        .await
        .context("listing the organisations")?;
    let codes: HashSet<String> = served.iter().map(|o| o.code.clone()).collect();
    let in_directory = store::agencies::listed(&state.db, &codes)
        .await
        .context("matching organisations to the directory")?;
    let found = store::agencies::search(&state.db, &words, prefix.as_deref(), after.clone(), limit)
        .await
        .context("searching the directory of agencies")?;
    let mut items: Vec<Agency> = found
        .into_iter()
        .map(|e| Agency {
            organization_id: served.iter().find(|o| o.code == e.code).map(|o| o.id),
            code: e.code,
            name: e.name,
            parent_code: e.parent_code,
        })
        .collect();
    // Organisations the directory does not list (local codes, or not yet synced).
    let matches = |code: &str, name: &str| match query {
        None => true,
        Some(q) => {
            search::matches(name, q)
                || prefix
                    .as_deref()
                    .is_some_and(|p| code.to_lowercase().starts_with(&p.to_lowercase()))
        }
    };
    let parents: std::collections::HashMap<Uuid, String> =
        served.iter().map(|o| (o.id, o.code.clone())).collect();
    items.extend(
        served
            .iter()
            .filter(|o| !in_directory.contains(&o.code) && matches(&o.code, &o.name))
            .map(|o| Agency {
                code: o.code.clone(),
                name: o.name.clone(),
                parent_code: o.parent_id.and_then(|p| parents.get(&p).cloned()),
                organization_id: Some(o.id),
            })
            .filter(|a| after.as_ref().is_none_or(|after| a.sort_key() > *after)),
    );
    items.sort_by_key(Agency::sort_key);
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Page::of(items, size, |a| {
        let (name, code) = a.sort_key();
        format!("{name}{SEP}{code}")
    }))
}

async fn require(
    state: &AppState,
    who: Principal,
    roles: &[Role],
    refused: DirectoryError,
) -> Result<(), DirectoryError> {
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?;
    match user {
        Some(u) if !u.disabled && roles.iter().any(|r| u.has_role(*r)) => Ok(()),
        _ => Err(refused),
    }
}
