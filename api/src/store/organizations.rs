use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::organization::{self, Entity as Organizations};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::{Abbreviation, NumberingStyle, OrgCode, OrgTree, Organization};

pub struct NewOrganization {
    pub code: OrgCode,
    pub abbreviation: Abbreviation,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub numbering_style: NumberingStyle,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewOrganization,
    now: DateTime<Utc>,
) -> Result<Organization, DbErr> {
    let model = organization::ActiveModel {
        id: Set(Uuid::new_v4()),
        code: Set(new.code.as_str().to_owned()),
        abbreviation: Set(new.abbreviation.as_str().to_owned()),
        name: Set(new.name),
        parent_id: Set(new.parent_id),
        numbering_style: Set(new.numbering_style.as_str().to_owned()),
        created_at: Set(now),
        push_summary: Set(false),
    }
    .insert(db)
    .await?;
    to_domain(model)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Organization>, DbErr> {
    Organizations::find_by_id(id)
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

/// Sets whether pushes about the organisation's documents carry their summary.
pub async fn set_push_summary(
    db: &impl ConnectionTrait,
    id: Uuid,
    on: bool,
) -> Result<Option<Organization>, DbErr> {
    let Some(found) = Organizations::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let mut model: organization::ActiveModel = found.into();
    model.push_summary = Set(on);
    to_domain(model.update(db).await?).map(Some)
}

pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: &OrgCode,
) -> Result<Option<Organization>, DbErr> {
    Organizations::find()
        .filter(organization::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

pub async fn tree(db: &impl ConnectionTrait) -> Result<OrgTree, DbErr> {
    let links: Vec<(Uuid, Option<Uuid>)> = Organizations::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::ParentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(OrgTree::new(links))
}

/// Every organisation on this server.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Organization>, DbErr> {
    Organizations::find()
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Organisations among `ids`, by code, after the code `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    ids: &HashSet<Uuid>,
    after: Option<String>,
    limit: u64,
) -> Result<Vec<Organization>, DbErr> {
    let mut query = Organizations::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(organization::Column::Code)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(organization::Column::Code.gt(after));
    }
    query.all(db).await?.into_iter().map(to_domain).collect()
}

pub(super) fn to_domain(m: organization::Model) -> Result<Organization, DbErr> {
    Ok(Organization {
        numbering_style: NumberingStyle::parse(&m.numbering_style)
            .map_err(|_| corrupt("numbering style", &m.numbering_style))?,
        id: m.id,
        code: m.code,
        abbreviation: m.abbreviation,
        name: m.name,
        parent_id: m.parent_id,
        created_at: m.created_at,
        push_summary: m.push_summary,
    })
}

/// The first organisation made on this server: where what concerns the server as a whole is
/// recorded.
pub async fn first(db: &impl ConnectionTrait) -> Result<Option<Uuid>, DbErr> {
    Organizations::find()
        .filter(organization::Column::ParentId.is_null())
        .order_by_asc(organization::Column::CreatedAt)
        .select_only()
        .column(organization::Column::Id)
        .into_tuple()
        .one(db)
        .await
}
