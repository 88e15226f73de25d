//! Usage reports for admins: per organisation they manage and per period, the measures the
//! agencies are judged by (DOMAIN.md, "What the agencies measure").

use anyhow::Context;
use chrono::{Datelike, NaiveDate};

use super::admin::{Admin, AdminError};
use crate::{
    domain::{
        InvalidInput, Organization,
        numbering::{local_date, start_of_day},
    },
    state::AppState,
    store::{self, reports::Period},
};

pub use crate::store::reports::{LeaderLoad, OrgUsage, RecipientUsage};

pub struct UsageReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// By organisation code.
    pub organizations: Vec<(Organization, OrgUsage)>,
}

/// From `from` to `to` inclusive, Vietnam dates; by default the current month so far.
pub async fn usage(
    state: &AppState,
    admin: &Admin,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<UsageReport, AdminError> {
    let now = state.clock.now();
    let today = local_date(now);
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to.with_day(1).unwrap_or(to));
    if from > to {
        return Err(InvalidInput::new("from", "must not be after `to`").into());
    }
    let period = Period {
        start: start_of_day(from),
        end: start_of_day(to.succ_opt().unwrap_or(to)),
        first_day: from,
        last_day: to,
    };
    let all = u64::try_from(admin.scope().len()).unwrap_or(u64::from(u32::MAX));
    let orgs = store::organizations::page(&state.db, admin.scope(), None, all)
        .await
        .context("loading the organisations")?;
    let mut organizations = Vec::with_capacity(orgs.len());
    for org in orgs {
        let usage = store::reports::usage(&state.db, org.id, period, now)
            .await
            .context("counting usage")?;
        organizations.push((org, usage));
    }
    Ok(UsageReport {
        from,
        to,
        organizations,
    })
}

/// The middle value (the lower of the two middle ones for an even count).
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let middle = values.len().checked_sub(1)? / 2;
    values.get(middle).copied()
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_few_values() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![7]), Some(7));
        assert_eq!(median(vec![9, 1, 5]), Some(5));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
    }
}
