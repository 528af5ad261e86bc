//! The demo's events: a charity market held ten days ago, whose volunteers were checked in and
//! whose attendance became confirmed hours, and an on-site claiming event in five days that
//! gathers open needs for its poster, with its first volunteers signed up — all made through
//! the services with a back-dated clock, as the organizer's pages would have made them.

use chrono::Duration;

use super::Demo;
use crate::domain::NeedStatus;
use crate::domain::event::EventForm;
use crate::domain::time::LOCAL_OFFSET;
use crate::entities::{need, volunteer};
use crate::services::events::{self, attendance, signups};
use crate::services::{ServiceError, certificates, volunteers};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// The organization (by index) that runs both events: Shatoujiao's social work station,
/// which the screenshot tour signs in to.
const ORG: usize = 0;

fn at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&LOCAL_OFFSET).format("%Y-%m-%dT%H:%M").to_string()
}

/// Seeds both events.
pub(super) async fn seed(demo: &Demo<'_>) -> Result<(), ServiceError> {
    let worker = demo.orgs[ORG].worker;
    let Some(org_id) = worker.organization_id() else {
        return Ok(());
    };
    // The first community centre of the organization's subdistrict, as its form offers them.
    let options = events::form_options(demo.db, &worker, None, crate::domain::Locale::ZhCn).await?;
    let Some(place) = options
        .places
        .into_iter()
        .map(|p| p.value)
        .find(|v| v.starts_with("community:"))
    else {
        return Ok(());
    };
    let planned = demo.now - Duration::days(21);
    for name in ["王阿姨（义工）", "吴同学（义工）", "何师傅（义工）"] {
        let new = volunteers::NewVolunteer {
            display_name: name,
            ..Default::default()
        };
        volunteers::add_volunteer(demo.db, demo.secret, &worker, &new, planned - Duration::days(7)).await?;
    }
    let volunteers: Vec<i64> = volunteer::Entity::find()
        .filter(volunteer::Column::OrganizationId.eq(org_id))
        .order_by_asc(volunteer::Column::Id)
        .all(demo.db)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();

    // The market: set up three weeks ago for ten days ago, a Saturday morning's three hours.
    let day = (demo.now - Duration::days(10))
        .with_timezone(&LOCAL_OFFSET)
        .date_naive();
    let starts = crate::domain::time::local_at(day, 9 * 60);
    let market = EventForm {
        kind: "market".into(),
        title: "邻里墟市·冬日爱心集市".into(),
        description: "爱心商户摆摊义卖，所得用于社区困难家庭的年货；志愿者帮忙搬运、引导和收银。".into(),
        starts_at: at(starts),
        ends_at: at(starts + Duration::hours(3)),
        place: place.clone(),
        place_detail: "门前广场".into(),
        roles: "搬运引导 4\n义卖收银 2".into(),
    };
    let id = events::create(demo.db, demo.secret, &worker, None, &market, &[], planned).await?;
    let view = events::show(demo.db, &worker, id, planned).await?;
    for (k, v) in volunteers.iter().enumerate().take(5) {
        let role = view.roles[k % view.roles.len()].id;
        signups::sign_up_by_organizer(demo.db, &worker, id, *v, role, planned + Duration::days(2 + k as i64)).await?;
    }
    let view = events::show(demo.db, &worker, id, starts).await?;
    // Four came; the fifth sent word the day before and did not.
    for s in view.signups.iter().take(4) {
        attendance::check_in(demo.db, &worker, id, s.id, false, starts + Duration::minutes(10)).await?;
    }
    let recorded = starts + Duration::hours(4);
    attendance::record_hours(demo.db, &worker, id, &[], recorded).await?;
    // Two of them asked for a certificate of the market (谁记录谁证明: the station issues it).
    let day = day.to_string();
    for (s, locale) in view
        .signups
        .iter()
        .take(2)
        .zip([crate::domain::Locale::ZhCn, crate::domain::Locale::En])
    {
        let volunteer = volunteers_of_signups(demo, id, s.id).await?;
        certificates::issue_for_volunteer(
            demo.db,
            &worker,
            volunteer,
            &day,
            &day,
            locale,
            recorded + Duration::days(1),
        )
        .await?;
    }

    // The claiming event: in five days, gathering the station's open needs.
    let day = (demo.now + Duration::days(5)).with_timezone(&LOCAL_OFFSET).date_naive();
    let starts = crate::domain::time::local_at(day, 14 * 60 + 30);
    let open: Vec<i64> = need::Entity::find()
        .filter(need::Column::OrganizationId.eq(org_id))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(need::Column::SeriesId.is_null())
        .order_by_asc(need::Column::Deadline)
        .all(demo.db)
        .await?
        .into_iter()
        .map(|n| n.id)
        .take(6)
        .collect();
    let claiming = EventForm {
        kind: "claiming".into(),
        title: "爱心认领活动·年货送温暖".into(),
        description: "困难家庭的真实需求做成卡片贴在墙上，爱心商户现场扫码认领；志愿者引导商户、讲解需求。".into(),
        starts_at: at(starts),
        ends_at: at(starts + Duration::hours(2)),
        place,
        place_detail: "一楼多功能厅".into(),
        roles: "现场引导 3\n需求讲解 2".into(),
    };
    let planned = demo.now - Duration::days(2);
    let id = events::create(demo.db, demo.secret, &worker, None, &claiming, &open, planned).await?;
    let view = events::show(demo.db, &worker, id, planned).await?;
    for (k, v) in volunteers.iter().enumerate().take(2) {
        signups::sign_up_by_organizer(
            demo.db,
            &worker,
            id,
            *v,
            view.roles[0].id,
            planned + Duration::hours(3 + k as i64),
        )
        .await?;
    }
    Ok(())
}

/// The volunteer of sign-up `signup_id` of event `event_id`.
async fn volunteers_of_signups(demo: &Demo<'_>, event_id: i64, signup_id: i64) -> Result<i64, ServiceError> {
    use crate::entities::event_signup;
    event_signup::Entity::find_by_id(signup_id)
        .filter(event_signup::Column::EventId.eq(event_id))
        .one(demo.db)
        .await?
        .map(|s| s.volunteer_id)
        .ok_or(ServiceError::NotFound("sign-up"))
}
