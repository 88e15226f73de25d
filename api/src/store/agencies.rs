//! The directory of agencies copied from the exchange axis.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::agency::{self, Column, Entity as Agencies};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Func, OnConflict},
};

use crate::domain::search;

/// What one sync changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    /// Agencies in the directory after the sync.
    pub total: u64,
}

/// An agency as the directory lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

/// Rows per insert: well under SQLite's limit on bound values.
const BATCH: usize = 500;

/// Makes the stored directory `entries` (the last of a repeated code wins): new codes added,
/// changed names and parents updated, codes no longer listed removed. Run in a transaction.
pub async fn replace(
    db: &impl ConnectionTrait,
    entries: Vec<Entry>,
    now: DateTime<Utc>,
) -> Result<SyncCounts, DbErr> {
    let listed: HashMap<String, Entry> = entries.into_iter().map(|e| (e.code.clone(), e)).collect();
    let stored: HashMap<String, (String, Option<String>)> = Agencies::find()
        .select_only()
        .columns([Column::Code, Column::Name, Column::ParentCode])
        .into_tuple::<(String, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(code, name, parent)| (code, (name, parent)))
        .collect();
    let mut counts = SyncCounts::default();
    let mut rows = Vec::with_capacity(listed.len());
    for entry in listed.values() {
        match stored.get(&entry.code) {
            None => counts.added += 1,
            Some((name, parent)) if *name != entry.name || *parent != entry.parent_code => {
                counts.updated += 1;
            }
            Some(_) => {}
        }
        // Every listed row is written, so `synced_at` says when the axis last listed it.
        rows.push(agency::ActiveModel {
            code: Set(entry.code.clone()),
            name: Set(entry.name.clone()),
            parent_code: Set(entry.parent_code.clone()),
            name_folded: Set(search::fold(&entry.name)),
            synced_at: Set(now),
        });
    }
    for batch in rows.chunks(BATCH) {
        Agencies::insert_many(batch.to_vec())
            .on_conflict(
                OnConflict::column(Column::Code)
                    .update_columns([
                        Column::Name,
                        Column::ParentCode,
                        Column::NameFolded,
                        Column::SyncedAt,
                    ])
                    .to_owned(),
            )
            .exec(db)
            .await?;
    }
    let gone: Vec<&String> = stored.keys().filter(|c| !listed.contains_key(*c)).collect();
    for batch in gone.chunks(BATCH) {
        let deleted = Agencies::delete_many()
            .filter(Column::Code.is_in(batch.iter().map(|c| c.as_str())))
            .exec(db)
            .await?;
        counts.removed += deleted.rows_affected;
    }
    counts.total = u64::try_from(listed.len()).unwrap_or(u64::MAX);
    Ok(counts)
}

/// Agencies whose code starts with `code_prefix` or whose folded name holds every one of
/// `words`, by folded name then code, after `after` (a folded name and a code).
pub async fn search(
    db: &impl ConnectionTrait,
    words: &[String],
    code_prefix: Option<&str>,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let mut query = Agencies::find();
    if !words.is_empty() || code_prefix.is_some() {
        let by_name = words.iter().fold(Condition::all(), |c, w| {
            c.add(Column::NameFolded.like(format!("%{w}%")))
        });
        let mut any = Condition::any();
        if !words.is_empty() {
            any = any.add(by_name);
        }
        if let Some(prefix) = code_prefix {
            any = any.add(
                Expr::expr(Func::lower(Expr::col(Column::Code)))
                    .like(format!("{}%", prefix.to_lowercase())),
            );
        }
        query = query.filter(any);
    }
    if let Some((name, code)) = after {
        query = query.filter(
            Condition::any()
                .add(Column::NameFolded.gt(name.clone()))
                .add(
                    Condition::all()
                        .add(Column::NameFolded.eq(name))
                        .add(Column::Code.gt(code)),
                ),
        );
    }
    Ok(query
        .order_by_asc(Column::NameFolded)
        .order_by_asc(Column::Code)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Entry {
            code: m.code,
            name: m.name,
            parent_code: m.parent_code,
        })
        .collect())
}

/// Which of `codes` the directory lists.
pub async fn listed(
    db: &impl ConnectionTrait,
    codes: &HashSet<String>,
) -> Result<HashSet<String>, DbErr> {
    if codes.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(Agencies::find()
        .select_only()
        .column(Column::Code)
        .filter(Column::Code.is_in(codes.iter().map(String::as_str)))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The agency above `code` in the directory, if it is listed with one.
pub async fn parent_of(db: &impl ConnectionTrait, code: &str) -> Result<Option<String>, DbErr> {
    Ok(Agencies::find_by_id(code.to_owned())
        .one(db)
        .await?
        .and_then(|m| m.parent_code)
        .filter(|p| !p.is_empty()))
}
