//! The demo's one-on-one sponsorship (一对一): a supermarket sponsors a low-income family's
//! monthly groceries and is in its third month — two periods delivered and confirmed, the
//! third renewed and on its way — all made through the services with a back-dated clock, as
//! the jobs and the bot would have made them.

use chrono::{DateTime, Duration, Utc};

use super::Demo;
use crate::domain::need_input::NeedDraft;
use crate::domain::sponsorship::DEFAULT_RENEWAL_HOURS;
use crate::domain::time::{local_date, local_midnight};
use crate::domain::{Category, Recurrence, Urgency};
use crate::services::access::Caller;
use crate::services::claims::{self, Confirmation};
use crate::services::{ServiceError, need_series, needs, sponsorships};

/// The person sponsored (a low-income family of the organization the screenshot tour signs
/// in to, so that the tour shows the sponsorship) and the sponsor (the supermarket), by index
/// into the demo's lists.
const PERSON: usize = 12;
const SHOP: usize = 2;
/// Days before today the first period was posted: the jobs posted (and the sponsor renewed)
/// its third period a few days ago, and its fourth is not due for weeks, whatever the month.
const FIRST_POSTED_DAYS_AGO: i64 = 34;

/// Seeds the sponsorship.
pub(super) async fn seed(demo: &Demo<'_>) -> Result<(), ServiceError> {
    let person = &demo.beneficiaries[PERSON];
    let org = demo.orgs[person.org];
    let shop = Caller::Merchant {
        merchant_id: demo.merchants[SHOP],
        token_id: None,
    };
    let posted = demo.now - Duration::days(FIRST_POSTED_DAYS_AGO);
    let draft = NeedDraft {
        beneficiary_id: person.id,
        category: Category::Food,
        title: "每月米面油".into(),
        description: "低收入家庭每月需要的米、面和食用油各一份，送到服务点即可。".into(),
        quantity: 1,
        unit: "份".into(),
        deadline: local_date(posted) + Duration::days(5),
        urgency: Urgency::Normal,
        recurrence: Recurrence::Monthly,
        periods: Some(12),
        claim_days: 5,
        estimated_value_cents: Some(12_000),
        drop_off_point_id: Some(org.point_id),
    };
    let first = needs::post_need(demo.db, demo.secret, &org.worker, draft, posted).await?;
    let claimed = claims::claim_need(demo.db, &shop, first.id, 1, None, posted + Duration::hours(3))
        .await?
        .claim;
    sponsorships::sponsor(
        demo.db,
        &shop,
        claimed.id,
        DEFAULT_RENEWAL_HOURS,
        posted + Duration::hours(3) + Duration::minutes(1),
    )
    .await?;
    deliver(demo, &shop, org.worker, claimed.id, posted + Duration::hours(3)).await?;

    // Periods 2 and 3: posted by the job when it would have (Recurrence::next_due: three
    // days before the period before ends), renewed the same morning; the second delivered
    // and confirmed, the third on its way.
    let mut deadline = first.deadline;
    for period in 2..=3 {
        let posting_day = local_midnight(deadline - Duration::days(Recurrence::POST_AHEAD_DAYS)) + Duration::hours(1);
        deadline = Recurrence::Monthly
            .deadline_of(first.deadline, period)
            .unwrap_or(deadline);
        if posting_day > demo.now {
            break;
        }
        need_series::post_next_occurrences(demo.db, DEFAULT_RENEWAL_HOURS, posting_day).await?;
        let Some(next) = need_series::period(demo.db, first.id, period).await? else {
            break;
        };
        let renewed_at = posting_day + Duration::hours(2);
        let renewed = sponsorships::renew(demo.db, &shop, next, renewed_at).await?.claim;
        if period == 2 {
            deliver(demo, &shop, org.worker, renewed.id, renewed_at).await?;
        }
    }
    Ok(())
}

/// The sponsor delivers two days after `made`, the worker confirms a day later.
async fn deliver(
    demo: &Demo<'_>,
    shop: &Caller,
    worker: Caller,
    claim: i64,
    made: DateTime<Utc>,
) -> Result<(), ServiceError> {
    claims::mark_delivered(demo.db, shop, claim, made + Duration::days(2)).await?;
    let stars = Confirmation {
        rating: Some("5".into()),
        handoff_code: None,
        by_office: false,
    };
    claims::confirm(demo.db, &worker, claim, stars, made + Duration::days(3)).await?;
    Ok(())
}
