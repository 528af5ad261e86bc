//! The demo's referrals (转介): what each organization offers, and one referral in each state
//! — accepted a month ago (the case moved), declined, withdrawn, and one waiting for an
//! answer — made through the referral service with a back-dated clock.

use chrono::Duration;

use super::Demo;
use crate::domain::ServiceArea;
use crate::services::ServiceError;
use crate::services::access::Caller;
use crate::services::organization_services;
use crate::services::referrals::{self, Answer, DEFAULT_ANSWER_DAYS, ReferralError, ReferralInput};

/// What each demo organization offers, by index into `ORGANIZATIONS`.
const SERVICES: [&[ServiceArea]; 4] = [
    &[ServiceArea::ElderCare, ServiceArea::ChildWelfare, ServiceArea::Material],
    &[
        ServiceArea::ChildWelfare,
        ServiceArea::Employment,
        ServiceArea::LegalAid,
        ServiceArea::MentalHealth,
    ],
    &[ServiceArea::ElderCare, ServiceArea::Medical],
    &[ServiceArea::Material, ServiceArea::Housing],
];

/// How a demo referral ends.
enum Outcome {
    Accepted,
    Declined,
    Withdrawn,
    Waiting,
}

/// (beneficiary index, receiving organization index, area, reason, days ago, outcome)
const REFERRALS: [(usize, usize, ServiceArea, &str, i64, Outcome); 4] = [
    (
        8,
        2,
        ServiceArea::ElderCare,
        "独居长者行动不便，需要每周上门照护和陪同复诊，长者关爱协会有固定的上门队伍。",
        30,
        Outcome::Accepted,
    ),
    (
        6,
        1,
        ServiceArea::ChildWelfare,
        "孩子放学后无人照看，需要课后托管和亲子辅导。",
        20,
        Outcome::Declined,
    ),
    (
        1,
        2,
        ServiceArea::Medical,
        "需要康复理疗的陪诊服务。",
        15,
        Outcome::Withdrawn,
    ),
    (
        3,
        0,
        ServiceArea::ChildWelfare,
        "单亲家庭的孩子需要长期的学业和心理支持，社工站有驻校社工。",
        1,
        Outcome::Waiting,
    ),
];

fn refused(e: ReferralError) -> ServiceError {
    match e {
        ReferralError::Service(e) => e,
        other => ServiceError::Internal(format!("demo referral refused: {other}")),
    }
}

/// Records what each organization offers and plays the referrals.
pub(super) async fn seed(demo: &Demo<'_>) -> Result<(), ServiceError> {
    let org_ids: Vec<i64> = demo.orgs.iter().filter_map(|o| o.worker.organization_id()).collect();
    for (org, areas) in org_ids.iter().zip(SERVICES) {
        organization_services::set_areas(demo.db, &Caller::System, *org, areas, demo.now - Duration::days(60)).await?;
    }
    for (person, to, area, reason, days_ago, outcome) in &REFERRALS {
        let case = &demo.beneficiaries[*person];
        let sent = demo.now - Duration::days(*days_ago);
        let input = ReferralInput {
            service_area: area.as_str().into(),
            to_organization: org_ids[*to].to_string(),
            reason: (*reason).into(),
            consent: true,
            need_ids: Vec::new(),
        };
        let sender = &demo.orgs[case.org].worker;
        let id = referrals::refer(demo.db, demo.secret, sender, case.id, &input, DEFAULT_ANSWER_DAYS, sent)
            .await
            .map_err(refused)?;
        let receiver = &demo.orgs[*to].worker;
        let answered = sent + Duration::hours(20);
        match outcome {
            Outcome::Accepted => referrals::answer(demo.db, receiver, id, Answer::Accept, answered).await,
            Outcome::Declined => {
                let answer = Answer::Decline {
                    reason: "no_capacity".into(),
                    note: "本学期托管名额已满，下学期可再转介。".into(),
                };
                referrals::answer(demo.db, receiver, id, answer, answered).await
            }
            Outcome::Withdrawn => referrals::withdraw(demo.db, sender, id, answered).await,
            Outcome::Waiting => Ok(()),
        }
        .map_err(refused)?;
    }
    Ok(())
}
