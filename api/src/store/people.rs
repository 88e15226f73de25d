//! The directory's queries: active people of a set of organisations, and people by id with
//! their roles and organisation's name, in a fixed number of queries however many are asked.

use std::collections::{HashMap, HashSet};

use entity::{
    organization::{self, Entity as Organizations},
    user::{self, Entity as Users},
    user_role::{self, Entity as UserRoles},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
    sea_query::Query,
};
use uuid::Uuid;

use super::users;
use crate::domain::{
    Role,
    person::{Listing, Person},
};

/// The active people of `orgs`, those holding `role` when one is given, in no order.
pub async fn active_in(
    db: &impl ConnectionTrait,
    orgs: &HashSet<Uuid>,
    role: Option<Role>,
) -> Result<Vec<Listing>, DbErr> {
    let mut query = Users::find()
        .filter(user::Column::OrganizationId.is_in(orgs.iter().copied()))
        .filter(user::Column::Disabled.eq(false));
    if let Some(role) = role {
        let holders = Query::select()
            .column(user_role::Column::UserId)
            .from(UserRoles)
            .and_where(user_role::Column::Role.eq(role.as_str()))
            .to_owned();
        query = query.filter(user::Column::Id.in_subquery(holders));
    }
    let rows: Vec<(Uuid, String, String)> = query
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::FullName)
        .column(user::Column::Title)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, full_name, title)| Listing {
            id,
            full_name,
            title,
        })
        .collect())
}

/// Id, name, title, organisation, its name, roles (see [`users::roles_column`]).
type PersonRow = (Uuid, String, String, Uuid, Option<String>, Option<String>);

/// The people with these ids, active or not (someone who left still signed what they signed),
/// by id, with their roles and organisation's name: one query, whatever the number of ids.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &HashSet<Uuid>,
) -> Result<HashMap<Uuid, Person>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<PersonRow> = Users::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .join(
            JoinType::LeftJoin,
            Users::belongs_to(Organizations)
                .from(user::Column::OrganizationId)
                .to(organization::Column::Id)
                .into(),
        )
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::FullName)
        .column(user::Column::Title)
        .column(user::Column::OrganizationId)
        .column(organization::Column::Name)
        .expr(users::roles_column(db.get_database_backend()))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(id, full_name, title, organization_id, name, roles)| {
            let mut roles = users::parse_roles(roles)?;
            roles.sort();
            let person = Person {
                id,
                full_name,
                title,
                organization_id,
                organization_name: name.unwrap_or_default(),
                roles,
            };
            Ok((id, person))
        })
        .collect()
}

/// The names of these organisations, by id, in one query.
pub async fn organization_names(
    db: &impl ConnectionTrait,
    ids: &HashSet<Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = Organizations::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
