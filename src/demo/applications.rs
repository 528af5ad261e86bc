//! The demo's applications to join (准入): in Shatoujiao and in Haishan, one waiting in each
//! state (email not yet verified, waiting for the office, more asked, approved, rejected),
//! made through the service functions an applicant and the office use.

use chrono::Duration;

use super::Demo;
use crate::domain::Locale;
use crate::domain::application::ApplicationForm;
use crate::services::ServiceError;
use crate::services::access::Caller;
use crate::services::applications::{self, ApplyError};
use crate::services::outbox::{ApplicationNotice, Notification};

/// Where an application is left.
#[derive(Clone, Copy)]
enum Left {
    Unverified,
    Submitted,
    MoreInfo(&'static str),
    Approved,
    Rejected(&'static str),
}

/// One demo application: name, credit code, registration type, contact, email, areas,
/// description, where it is left.
struct Spec {
    name: &'static str,
    code: &'static str,
    kind: &'static str,
    contact: &'static str,
    email: &'static str,
    areas: &'static [&'static str],
    description: &'static str,
    left: Left,
}

const SHATOUJIAO: &[Spec] = &[
    Spec {
        name: "沙头角长者助餐志愿协会",
        code: "51440308MJL200001X",
        kind: "social_group",
        contact: "黄会长",
        email: "apply-meals@demo.charity-relay.org",
        areas: &["elder_care", "material"],
        description: "为东和、中英街一带的独居长者每日送餐，有固定志愿者二十余名。",
        left: Left::Unverified,
    },
    Spec {
        name: "东和社区青少年成长中心",
        code: "52440308MJL200002X",
        kind: "social_service_agency",
        contact: "林社工",
        email: "apply-youth@demo.charity-relay.org",
        areas: &["child_welfare", "education"],
        description: "为困境儿童和随迁子女提供课后托管、功课辅导和心理支持。",
        left: Left::Submitted,
    },
    Spec {
        name: "盐田海滨公益基金会",
        code: "53440308MJL200003X",
        kind: "foundation",
        contact: "周秘书长",
        email: "apply-fund@demo.charity-relay.org",
        areas: &["material", "medical"],
        description: "资助困难家庭的大病医疗和临时生活救助，每年资助约一百户。",
        left: Left::MoreInfo("请补充基金会年度审计报告，以及资助对象的评估流程。"),
    },
    Spec {
        name: "中英街邻里互助会",
        code: "51440308MJL2000047",
        kind: "social_group",
        contact: "吴主任",
        email: "apply-neighbours@demo.charity-relay.org",
        areas: &["elder_care", "housing"],
        description: "组织邻里志愿者为长者做居家安全检查、小修小补和定期探访。",
        left: Left::Approved,
    },
    Spec {
        name: "沙头角便民维修有限公司",
        code: "91440300MA5G20005Q",
        kind: "other",
        contact: "郑经理",
        email: "apply-repairs@demo.charity-relay.org",
        areas: &["housing"],
        description: "提供家电和水电维修，愿意为困难家庭免费上门服务。",
        left: Left::Rejected("企业请以爱心商户身份通过机器人 /join 申请，不作为社会组织准入。"),
    },
];

const HAISHAN: &[Spec] = &[
    Spec {
        name: "海山心理关爱服务社",
        code: "52440308MJL300002G",
        kind: "social_service_agency",
        contact: "何督导",
        email: "apply-mind@demo.charity-relay.org",
        areas: &["mental_health"],
        description: "为长者、残障人士家属和困境青少年提供个案辅导与小组支持。",
        left: Left::Unverified,
    },
    Spec {
        name: "田东社区残障康复互助会",
        code: "51440308MJL300001G",
        kind: "social_group",
        contact: "钟会长",
        email: "apply-rehab@demo.charity-relay.org",
        areas: &["disability", "employment"],
        description: "为辖区残障人士提供康复训练陪伴和就业技能培训，会员八十余人。",
        left: Left::Submitted,
    },
    Spec {
        name: "梧桐法律援助志愿团",
        code: "51440308MJL300003N",
        kind: "social_group",
        contact: "谢律师",
        email: "apply-law@demo.charity-relay.org",
        areas: &["legal_aid"],
        description: "由执业律师和法学学生组成，每周在社区党群服务中心提供法律咨询。",
        left: Left::MoreInfo("请说明志愿律师的执业证明，以及每月可提供的咨询时段。"),
    },
    Spec {
        name: "海山社区康养服务中心",
        code: "52440308MJL300004N",
        kind: "social_service_agency",
        contact: "罗主任",
        email: "apply-care@demo.charity-relay.org",
        areas: &["elder_care", "medical"],
        description: "为失能、半失能长者提供日间照料、康复护理和陪诊服务。",
        left: Left::Approved,
    },
    Spec {
        name: "鹏湾读书会",
        code: "51440308MJL300005W",
        kind: "social_group",
        contact: "蔡老师",
        email: "apply-books@demo.charity-relay.org",
        areas: &["education"],
        description: "每周组织亲子阅读活动，希望为社区儿童募集图书。",
        left: Left::Rejected("服务社区在盐田街道，请由盐田街道办审核；也欢迎以志愿者身份参与。"),
    },
];

/// Seeds both subdistricts' applications: Shatoujiao's in `shatoujiao`, Haishan's in `haishan`
/// (a community id of each).
pub(super) async fn seed(demo: &Demo<'_>, shatoujiao: i64, haishan: i64) -> Result<(), ServiceError> {
    for (specs, community, network) in [(SHATOUJIAO, shatoujiao, 1u8), (HAISHAN, haishan, 2)] {
        for (i, spec) in specs.iter().enumerate() {
            let at = demo.now - Duration::days(10 - 2 * i as i64);
            // As from different applicants' networks (documentation addresses): one address
            // may store only a few.
            let address = std::net::IpAddr::from([198, 51, network, i as u8 + 1]);
            place(demo, spec, community, address, at).await?;
        }
    }
    Ok(())
}

async fn place(
    demo: &Demo<'_>,
    spec: &Spec,
    community: i64,
    address: std::net::IpAddr,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    let db = demo.db;
    let form = ApplicationForm {
        name: spec.name.into(),
        credit_code: spec.code.into(),
        declared_kind: spec.kind.into(),
        contact_name: spec.contact.into(),
        contact_email: spec.email.into(),
        areas: spec.areas.iter().map(|a| (*a).to_owned()).collect(),
        communities: vec![community.to_string()],
        description: spec.description.into(),
    };
    // The unverified one was made an hour ago: its link still works for a day and more.
    let made = match spec.left {
        Left::Unverified => demo.now - Duration::hours(1),
        _ => at,
    };
    let id = applications::apply(db, &form, Locale::ZhCn, address, made)
        .await
        .map_err(|e| match e {
            ApplyError::Throttled(_) => ServiceError::Busy,
            ApplyError::Service(e) => e,
        })?;
    if matches!(spec.left, Left::Unverified) {
        return Ok(());
    }
    let notice = ApplicationNotice {
        application_id: id,
        name: spec.name.into(),
        message: None,
        staff_id: None,
        office: None,
    };
    let token = applications::issue_link(db, &Notification::ApplicationVerify(notice), made)
        .await?
        .ok_or(ServiceError::NotFound("demo application"))?;
    applications::verify(db, &token, made + Duration::hours(2)).await?;
    let decided = made + Duration::days(1);
    match spec.left {
        Left::Unverified | Left::Submitted => {}
        Left::MoreInfo(message) => applications::ask_for_more(db, &Caller::System, id, message, decided).await?,
        Left::Approved => {
            applications::approve(db, &Caller::System, id, decided).await?;
        }
        Left::Rejected(reason) => applications::reject(db, &Caller::System, id, reason, decided).await?,
    }
    Ok(())
}
