//! Seeds `serve --demo` and `demo`: the data of [`data`] written through the same service
//! functions people go through (posting needs, claiming, delivering, confirming, disputing,
//! releasing, cancelling; the expiry and lapse jobs' steps, for its own need and claim only),
//! with a back-dated `now` where the story needs history, so the counters and statuses follow
//! the real rules and cannot drift from them. Only what no use case creates is written directly: the organizations with their kind,
//! home community and drop-off point, and the demo's staff accounts (one password hash for all).
//!
//! Idempotent: nothing is added once the demo office account exists, and that account is
//! written last, so a run cut short is refused on the next try ("exists already") rather than
//! taken for a complete demo. The demo link code is derived from the secret key, so every run
//! prints the same code and adds no row once it exists.

mod applications;
mod case_file;
mod data;
mod events;
mod referrals;
mod sponsorships;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::config::Secret;
use crate::domain::claim::GRACE_DAYS;
use crate::domain::codes::UNAMBIGUOUS_ALPHABET;
use crate::domain::need_input::NeedDraft;
use crate::domain::time::local_date;
use crate::domain::{Category, ClaimStatus, Locale, NeedStatus, PartyStatus, Recurrence, Role, Urgency};
use crate::entities::{drop_off_point, merchant, merchant_link_code, need, need_ladder, organization, outbox, staff};
use crate::services::access::Caller;
use crate::services::audit::{self, Actor, Entry};
use crate::services::beneficiaries::{self, BeneficiaryInput};
use crate::services::claims::{self, Confirmation};
use crate::services::merchant_applications::{self, ApplicationDraft};
use crate::services::merchants::{self, NewMerchant};
use crate::services::offers::{self, NewOffer};
use crate::services::{ServiceError, needs, organizations, subdistricts, volunteers};
use crate::{crypto, db};
use data::{
    BENEFICIARIES, COMMUNITIES, HAISHAN_HOME, MERCHANTS, MET, NEEDS, ORGANIZATIONS, SHATOUJIAO_HOME, VOLUNTEERS,
};

/// The password of every demo account; printed by `demo` so people can log in.
pub const DEMO_PASSWORD: &str = "relay-demo-2026";
const OFFICE_EMAIL: &str = "office@demo.charity-relay.org";
/// Haishan subdistrict's office (the demo's main office is Shatoujiao's).
const HAISHAN_OFFICE_EMAIL: &str = "haishan-office@demo.charity-relay.org";
/// The district bureau's reader.
const DISTRICT_EMAIL: &str = "district@demo.charity-relay.org";
/// Why the social worker disputed the demo's one disputed delivery.
pub const DEMO_DISPUTE_REASON: &str = "送来的是薄被，老人需要的是厚棉被，请更换。";

/// What the demo loader did and what to tell the person running it.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// False when the data was there already.
    pub created: bool,
    /// (email, role) of each demo login.
    pub logins: Vec<(String, String)>,
    /// The merchant the link code is for, and the code.
    pub link: (i64, String, String),
}

impl DemoSummary {
    /// The text printed by `demo` and `serve --demo`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(if self.created {
            "demo data loaded\n"
        } else {
            "demo data already present; nothing added\n"
        });
        out.push_str(&format!("demo logins (password: {DEMO_PASSWORD}):\n"));
        for (email, role) in &self.logins {
            out.push_str(&format!("  {email}  ({role})\n"));
        }
        let (id, name, code) = &self.link;
        out.push_str(&format!(
            "merchant link code for #{id} {name} (send `/start {code}` to the bot):\n{code}\n"
        ));
        out
    }
}
/// Loads the demo data unless it is there already, and says what to print.
pub async fn load(db: &DatabaseConnection, secret: &Secret, now: DateTime<Utc>) -> Result<DemoSummary, ServiceError> {
    let exists = staff::Entity::find()
        .filter(staff::Column::Email.eq(OFFICE_EMAIL))
        .one(db)
        .await?
        .is_some();
    if !exists {
        // A load cut short left its organizations: refused before anything is written.
        let names = ORGANIZATIONS.iter().map(|o| o.0);
        if let Some(found) = organization::Entity::find()
            .filter(organization::Column::Name.is_in(names))
            .one(db)
            .await?
        {
            return Err(ServiceError::Conflict(refusal(&format!(
                "an organization {}",
                found.name
            ))));
        }
        seed(db, secret, now).await?;
    }
    let link_merchant = merchant::Entity::find()
        .filter(merchant::Column::Name.eq(MERCHANTS[0].0))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("demo merchant"))?;
    // A rerun finds the printed code still good and writes nothing, so it does not queue
    // behind a running server's writes.
    let code = match ensure_demo_link_code(db, secret, link_merchant.id, now, false).await? {
        Some(code) => code,
        None => {
            let txn = db::begin_write(db).await?;
            let code = ensure_demo_link_code(&txn, secret, link_merchant.id, now, true).await?;
            txn.commit().await?;
            code.ok_or(ServiceError::Internal("the demo link code was not written".into()))?
        }
    };

    let mut logins = vec![
        (
            OFFICE_EMAIL.to_owned(),
            format!("{} — 沙头角街道", Role::Admin.as_str()),
        ),
        (
            HAISHAN_OFFICE_EMAIL.to_owned(),
            format!("{} — 海山街道", Role::Admin.as_str()),
        ),
        (
            DISTRICT_EMAIL.to_owned(),
            format!("{} — 盐田区", Role::District.as_str()),
        ),
    ];
    logins.extend(
        ORGANIZATIONS
            .iter()
            .map(|o| (o.4.to_owned(), format!("{} — {}", Role::SocialWorker.as_str(), o.0))),
    );
    Ok(DemoSummary {
        created: !exists,
        logins,
        link: (link_merchant.id, link_merchant.name, code),
    })
}

/// An organization of the demo: its id, drop-off point and social worker.
#[derive(Clone, Copy)]
struct Org {
    point_id: i64,
    worker: Caller,
}

/// A beneficiary of the demo: its id and pseudonymous code, and its organization's index.
struct Registered {
    id: i64,
    code: String,
    org: usize,
}

/// What the steps share: the database, the secret and the ids made so far.
struct Demo<'a> {
    db: &'a DatabaseConnection,
    secret: &'a Secret,
    now: DateTime<Utc>,
    orgs: Vec<Org>,
    merchants: Vec<i64>,
    beneficiaries: Vec<Registered>,
}

async fn seed(db: &DatabaseConnection, secret: &Secret, now: DateTime<Utc>) -> Result<(), ServiceError> {
    // The demo's history happened in the past: nobody is to be told of it now. A request
    // of a running server that began before `now` may still be writing its message: the
    // moment's wait lets it land below the mark, so that only the demo's rows are after it
    // and dated before `now`.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let outbox_before = last_outbox_id(db).await?;
    // One hash for every demo account: argon2 is slow on purpose.
    let password_hash = crypto::hash_password(DEMO_PASSWORD).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let communities = communities(db, now).await?;
    let orgs = organizations_with_workers(db, &communities, &password_hash, now).await?;
    let mut demo = Demo {
        db,
        secret,
        now,
        orgs,
        merchants: Vec::new(),
        beneficiaries: Vec::new(),
    };
    demo.merchants = merchants_with_offers(db, &communities, now).await?;
    demo.beneficiaries = register_beneficiaries(&demo, &communities).await?;
    for spec in MET {
        let posted = now - Duration::days(spec.weeks_ago * 7 + 2);
        let need = demo
            .post(
                spec.beneficiary,
                Posting {
                    category: spec.category,
                    title: spec.title,
                    description: spec.description,
                    quantity: spec.quantity,
                    unit: spec.unit,
                    urgency: Urgency::Normal,
                    deadline: local_date(posted) + Duration::days(14),
                    value_cents: Some(spec.value_cents),
                },
                posted,
            )
            .await?;
        let org = demo.beneficiaries[spec.beneficiary].org;
        demo.play_claim(
            need,
            org,
            spec.merchant,
            spec.quantity,
            ClaimStatus::Confirmed,
            posted + Duration::hours(5),
        )
        .await?;
    }
    current_needs(&demo).await?;
    volunteer_hours(&demo).await?;
    case_file::seed(&demo).await?;
    referrals::seed(&demo).await?;
    sponsorships::seed(&demo).await?;
    events::seed(&demo).await?;
    applications::seed(&demo, communities[SHATOUJIAO_HOME], communities[HAISHAN_HOME]).await?;
    merchant_applications_waiting(db, &communities, now).await?;
    discard_outbox_after(db, outbox_before, now).await?;
    let org_ids: Vec<i64> = demo.orgs.iter().filter_map(|o| o.worker.organization_id()).collect();
    end_ladders(db, &org_ids).await?;

    subdistricts::name_district(db, "盐田区", "Yantian", now).await?;
    renewals_due(db, now).await?;
    let txn = db::begin_write(db).await?;
    let shatoujiao = subdistricts::of_community(&txn, communities[SHATOUJIAO_HOME]).await?;
    let haishan = subdistricts::of_community(&txn, communities[HAISHAN_HOME]).await?;
    // Written last: its presence says the demo is complete.
    for (email, name, role, subdistrict) in [
        (DISTRICT_EMAIL, "盐田区民政局 陈科长", Role::District, None),
        (HAISHAN_OFFICE_EMAIL, "海山街道办 李主任", Role::Admin, haishan),
        (OFFICE_EMAIL, "街道办 王主任", Role::Admin, shatoujiao),
    ] {
        insert_staff(&txn, email, name, role, None, subdistrict, &password_hash, now).await?;
    }
    audit::record(&txn, now, Entry::ok(Actor::System, "demo.load")).await?;
    txn.commit().await?;
    Ok(())
}

/// Two shops that applied in the bot (`/join`) and wait for their office: one in Shatoujiao
/// (a unified credit code of an individual business), one in Haishan (an old 15-digit
/// registration number). Their chats are made up: the demo has no real Telegram users.
async fn merchant_applications_waiting(
    db: &DatabaseConnection,
    communities: &[i64],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let waiting = [
        (
            990_001,
            Locale::ZhCn,
            ApplicationDraft {
                shop_name: "东和社区邻里菜店".into(),
                category: Category::Food.as_str().into(),
                community_id: communities[SHATOUJIAO_HOME],
                credit_code: "92440308MA5G2QXH1G".into(),
                phone: "0755-25551234".into(),
                offer: "每周可提供 10 份新鲜蔬菜包".into(),
            },
        ),
        (
            990_002,
            Locale::En,
            ApplicationDraft {
                shop_name: "田东便民理发店".into(),
                category: Category::VolunteerHours.as_str().into(),
                community_id: communities[HAISHAN_HOME],
                credit_code: "440308600123452".into(),
                phone: "13800138000".into(),
                offer: "Free haircuts for older residents, two mornings a month".into(),
            },
        ),
    ];
    for (chat_id, locale, draft) in waiting {
        merchant_applications::submit(db, chat_id, locale, &draft, now - Duration::hours(20)).await?;
    }
    Ok(())
}

/// The communities by index into [`COMMUNITIES`]; an office may have added some by hand.
async fn communities(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<i64>, ServiceError> {
    let existing = organizations::communities(db).await?;
    let mut ids = Vec::new();
    for place in COMMUNITIES {
        let id = match existing.iter().find(|c| c.name == place.name) {
            Some(found) => found.id,
            None => {
                organizations::create_community(
                    db,
                    place.name,
                    place.name_en,
                    place.subdistrict,
                    place.subdistrict_en,
                    now,
                )
                .await?
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// The organizations, each with its drop-off point and social worker, in one transaction:
/// no use case creates an organization of a kind with a home community.
async fn organizations_with_workers(
    db: &DatabaseConnection,
    communities: &[i64],
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Org>, ServiceError> {
    let txn = db::begin_write(db).await?;
    let mut orgs = Vec::new();
    for (name, kind, home, address, worker_email) in ORGANIZATIONS {
        let subdistrict_id = subdistricts::of_community(&txn, communities[*home])
            .await?
            .ok_or(ServiceError::NotFound("demo community"))?;
        let org = organization::ActiveModel {
            name: Set((*name).into()),
            kind: Set(kind.as_str().into()),
            status: Set(PartyStatus::Approved),
            community_id: Set(Some(communities[*home])),
            subdistrict_id: Set(subdistrict_id),
            created_at: Set(now - Duration::days(90)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| refused_over(e, &format!("an organization {name}")))?;
        let point = drop_off_point::ActiveModel {
            organization_id: Set(org.id),
            community_id: Set(Some(communities[*home])),
            name: Set(format!("{name}服务点")),
            address: Set((*address).into()),
            opening_hours: Set("周一至周六 9:00–18:00".into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let worker = insert_staff(
            &txn,
            worker_email,
            &format!("{name} 社工"),
            Role::SocialWorker,
            Some(org.id),
            None,
            password_hash,
            now,
        )
        .await?;
        orgs.push(Org {
            point_id: point.id,
            worker: Caller::SocialWorker {
                staff_id: worker,
                organization_id: org.id,
            },
        });
    }
    txn.commit().await?;
    Ok(orgs)
}

/// The merchants by index into [`MERCHANTS`], with their offers, languages and public listing.
async fn merchants_with_offers(
    db: &DatabaseConnection,
    communities: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, ServiceError> {
    let mut ids = Vec::new();
    for (i, (name, trade, home, categories, status)) in MERCHANTS.iter().enumerate() {
        let joined = now - Duration::days(60 - i as i64);
        let id = merchants::create_merchant(
            db,
            NewMerchant {
                name: (*name).into(),
                trade: (*trade).into(),
                community: Some(COMMUNITIES[*home].name.into()),
                address: format!("{}商业街{}号", COMMUNITIES[*home].name, 10 + i),
                opening_hours: Some("9:00–21:00".into()),
                status: Some(*status),
            },
            joined,
        )
        .await?;
        if i % 5 == 4 {
            merchants::set_locale(db, id, Locale::En, joined).await?;
        }
        // Only an admitted shop may show itself; most do.
        if *status == PartyStatus::Approved && i % 3 != 2 {
            merchants::set_shown_publicly(db, id, true, joined).await?;
        }
        for category in categories.iter() {
            let offer = offers::add(
                db,
                id,
                NewOffer {
                    category: *category,
                    description: offer_description(*category).to_owned(),
                    monthly_capacity: 4 + (i as i32 % 6),
                    community_ids: vec![communities[*home], communities[(*home + 1) % COMMUNITIES.len()]],
                },
                now - Duration::days(30),
            )
            .await?;
            if i % 11 == 10 {
                offers::set_active(db, id, offer.id, false, now - Duration::days(20)).await?;
            }
        }
        ids.push(id);
    }
    Ok(ids)
}

/// What a demo shop offers in `category`, as a shopkeeper would put it.
fn offer_description(category: Category) -> &'static str {
    match category {
        Category::Food => "每月大米一袋、食用油一桶，可送货上门",
        Category::DailyGoods => "纸巾、洗衣液、牙膏等日用品一份",
        Category::Clothing => "冬季棉衣或棉被一件，尺码可商量",
        Category::Medicine => "常用药品（感冒药、降压药）按处方代购送到家",
        Category::Service => "上门小修：水电、门锁、家电，每次一小时",
        Category::Tutoring => "周末小学数学、语文辅导，每次一小时",
        Category::Funds => "每月一笔小额应急金，用于水电燃气费",
        Category::VolunteerHours => "店员每周陪伴老人聊天、读报一小时",
        Category::Other => "其他物资，可电话商量",
    }
}

/// The beneficiaries by index into [`BENEFICIARIES`], registered by their organization's worker.
async fn register_beneficiaries(demo: &Demo<'_>, communities: &[i64]) -> Result<Vec<Registered>, ServiceError> {
    let mut out = Vec::new();
    for (org, home, group, name, phone, address) in BENEFICIARIES {
        let form = BeneficiaryInput {
            community_id: communities[*home].to_string(),
            group: group.as_str().into(),
            full_name: (*name).into(),
            phone: (*phone).into(),
            address: (*address).into(),
            notes: "演示数据".into(),
            id_number: String::new(),
            notify_email: String::new(),
            notify_consent: false,
            locale: String::new(),
        };
        let registered = beneficiaries::register(
            demo.db,
            demo.secret,
            &demo.orgs[*org].worker,
            &form,
            demo.now - Duration::days(45),
        )
        .await?;
        out.push(Registered {
            id: registered.id,
            code: registered.code,
            org: *org,
        });
    }
    Ok(out)
}

/// Today's needs: open, fully claimed, fulfilled, cancelled and expired, with claims in
/// every status (overdue ones among the active).
async fn current_needs(demo: &Demo<'_>) -> Result<(), ServiceError> {
    let today = local_date(demo.now);
    for spec in NEEDS {
        let posted = demo.now - Duration::days(spec.days_ago);
        let deadline = today + Duration::days(spec.deadline_days);
        let need = demo
            .post(
                spec.beneficiary,
                Posting {
                    category: spec.category,
                    title: spec.title,
                    description: spec.description,
                    quantity: spec.quantity,
                    unit: spec.unit,
                    urgency: spec.urgency,
                    deadline,
                    value_cents: spec.value_cents,
                },
                posted,
            )
            .await?;
        let org = demo.beneficiaries[spec.beneficiary].org;
        let mut last = posted;
        for (k, (merchant, quantity, status)) in spec.claims.iter().enumerate() {
            let made = posted + Duration::hours(6 + k as i64);
            last = demo.play_claim(need, org, *merchant, *quantity, *status, made).await?;
        }
        match spec.ended {
            Some(NeedStatus::Cancelled) => {
                needs::cancel_need(
                    demo.db,
                    demo.secret,
                    &demo.orgs[org].worker,
                    need,
                    "受助者已从其他渠道获得。",
                    last + Duration::hours(1),
                )
                .await?;
            }
            // The expiry job's step for this need alone, on the day after the deadline: the
            // job itself would end the needs of whoever else uses the database too.
            Some(NeedStatus::Expired) => {
                needs::expire_need(demo.db, need, demo.now.min(local_midnight_after(deadline))).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The first instant of the day after `date`, in UTC (a day later than needed is harmless).
fn local_midnight_after(date: chrono::NaiveDate) -> DateTime<Utc> {
    (date + Duration::days(2)).and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Volunteers who served, with their hours confirmed; 受助者助人: one was helped once.
async fn volunteer_hours(demo: &Demo<'_>) -> Result<(), ServiceError> {
    let former = &demo.beneficiaries[7];
    let worker = demo.orgs[former.org].worker;
    let new = volunteers::NewVolunteer {
        display_name: "赵先生（义工）",
        former_code: &former.code,
        ..Default::default()
    };
    let helper = volunteers::add_volunteer(demo.db, demo.secret, &worker, &new, demo.now - Duration::days(20)).await?;
    for (days_ago, tenths, confirmed) in [(10, 25, true), (3, 30, false)] {
        demo.serve(worker, helper, "社区长者探访", tenths, days_ago, confirmed)
            .await?;
    }
    for (k, (name, activity, tenths, days_ago)) in VOLUNTEERS.iter().enumerate() {
        // Shatoujiao's organizations (Haishan's is index 2): five volunteers of one
        // subdistrict, so that its public hours, and the district's, show.
        let shatoujiao = [0, 1, 3];
        let worker = demo.orgs[shatoujiao[k % shatoujiao.len()]].worker;
        let new = volunteers::NewVolunteer {
            display_name: name,
            ..Default::default()
        };
        let when = demo.now - Duration::days(days_ago + 7);
        let volunteer = volunteers::add_volunteer(demo.db, demo.secret, &worker, &new, when).await?;
        demo.serve(worker, volunteer, activity, *tenths, *days_ago, true)
            .await?;
    }
    Ok(())
}

/// The public fields of a need to post.
struct Posting {
    category: Category,
    title: &'static str,
    description: &'static str,
    quantity: i32,
    unit: &'static str,
    urgency: Urgency,
    deadline: chrono::NaiveDate,
    value_cents: Option<i64>,
}

impl Demo<'_> {
    /// Posts a need for beneficiary `beneficiary` (an index) as its organization's worker.
    async fn post(&self, beneficiary: usize, posting: Posting, at: DateTime<Utc>) -> Result<i64, ServiceError> {
        let b = &self.beneficiaries[beneficiary];
        let org = self.orgs[b.org];
        let draft = NeedDraft {
            beneficiary_id: b.id,
            category: posting.category,
            title: posting.title.into(),
            description: posting.description.into(),
            quantity: posting.quantity,
            unit: posting.unit.into(),
            deadline: posting.deadline,
            urgency: posting.urgency,
            recurrence: Recurrence::Once,
            periods: None,
            claim_days: 7,
            estimated_value_cents: posting.value_cents,
            drop_off_point_id: Some(org.point_id),
        };
        Ok(needs::post_need(self.db, self.secret, &org.worker, draft, at).await?.id)
    }

    /// Merchant `merchant` (an index) claims `quantity` of `need` at `made`, and the claim is
    /// taken to `status` the way people do it: delivered two days later, confirmed (five
    /// stars) or disputed by the organization's worker a day after that, released after a
    /// day, or lapsed by the job once its due date and grace are past. Returns when it last moved.
    async fn play_claim(
        &self,
        need: i64,
        org: usize,
        merchant: usize,
        quantity: i32,
        status: ClaimStatus,
        made: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, ServiceError> {
        let shop = Caller::Merchant {
            merchant_id: self.merchants[merchant],
            token_id: None,
        };
        let worker = self.orgs[org].worker;
        let claim = claims::claim_need(self.db, &shop, need, quantity, None, made)
            .await?
            .claim;
        let delivered = made + Duration::days(2);
        let answered = made + Duration::days(3);
        match status {
            ClaimStatus::Active => Ok(made),
            ClaimStatus::Released => {
                claims::release(self.db, &shop, claim.id, made + Duration::days(1)).await?;
                Ok(made + Duration::days(1))
            }
            ClaimStatus::Lapsed => {
                // The lapse job's step for this claim alone (see the expiry above).
                let lapsed_at = claim.due_at + Duration::days(GRACE_DAYS) + Duration::hours(1);
                claims::lapse_claim(self.db, claim.id, claim.merchant_id, lapsed_at).await?;
                Ok(lapsed_at)
            }
            ClaimStatus::Delivered | ClaimStatus::Confirmed | ClaimStatus::Disputed => {
                claims::mark_delivered(self.db, &shop, claim.id, delivered).await?;
                match status {
                    ClaimStatus::Confirmed => {
                        let stars = Confirmation {
                            rating: Some("5".into()),
                            handoff_code: None,
                            by_office: false,
                        };
                        claims::confirm(self.db, &worker, claim.id, stars, answered).await?;
                    }
                    // A dispute always comes with the worker's reason (the need page, the
                    // bot and the dashboard show it).
                    ClaimStatus::Disputed => {
                        claims::dispute(self.db, &worker, claim.id, DEMO_DISPUTE_REASON, answered).await?;
                    }
                    _ => return Ok(delivered),
                }
                Ok(answered)
            }
        }
    }

    /// Logs `tenths` of an hour served `days_ago`, confirmed the next day if `confirmed`.
    async fn serve(
        &self,
        worker: Caller,
        volunteer: i64,
        activity: &str,
        tenths: i32,
        days_ago: i64,
        confirmed: bool,
    ) -> Result<(), ServiceError> {
        let served = self.now - Duration::days(days_ago);
        let hours = format!("{}.{}", tenths / 10, tenths % 10);
        let day = local_date(served).to_string();
        let logged = volunteers::log_hours(self.db, &worker, volunteer, activity, &hours, &day, served).await?;
        if confirmed {
            volunteers::confirm_hours(self.db, &worker, logged, served + Duration::days(1)).await?;
        }
        Ok(())
    }
}

/// The newest outbox row's id (0 when there is none).
async fn last_outbox_id(db: &DatabaseConnection) -> Result<i64, ServiceError> {
    let last = outbox::Entity::find().order_by_desc(outbox::Column::Id).one(db).await?;
    Ok(last.map_or(0, |row| row.id))
}

/// Deletes the messages the demo's back-dated history queued (emails to demo workers about
/// claims weeks old, alerts to shops without a chat). Others may write while it loads (a
/// server on the same database): their rows are dated after `now`, the demo's never are.
/// Ends the alert ladders of the demo's needs. They were posted weeks ago in the demo's
/// story, so every ladder would climb at a server's first tick: shops alerted of made-up
/// needs, and the database kept busy for seconds. The demo's needs wait on their pages.
async fn end_ladders(db: &DatabaseConnection, org_ids: &[i64]) -> Result<(), ServiceError> {
    let demo_needs = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::OrganizationId.is_in(org_ids.iter().copied()));
    let txn = db::begin_write(db).await?;
    need_ladder::Entity::delete_many()
        .filter(need_ladder::Column::NeedId.in_subquery(sea_orm::QueryTrait::into_query(demo_needs)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn discard_outbox_after(db: &DatabaseConnection, last: i64, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let txn = db.begin().await?;
    outbox::Entity::delete_many()
        .filter(outbox::Column::Id.gt(last))
        .filter(outbox::Column::CreatedAt.lte(now))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Admissions the offices see coming up for renewal: a volunteer team whose year ends in 12
/// days and a supermarket whose year ended 3 days ago (both Shatoujiao's).
async fn renewals_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), ServiceError> {
    use sea_orm::sea_query::Expr;
    let today = local_date(now);
    let txn = db::begin_write(db).await?;
    organization::Entity::update_many()
        .col_expr(
            organization::Column::AdmittedUntil,
            Expr::val(today + Duration::days(12)),
        )
        .filter(organization::Column::Name.eq(ORGANIZATIONS[3].0))
        .exec(&txn)
        .await?;
    merchant::Entity::update_many()
        .col_expr(merchant::Column::AdmittedUntil, Expr::val(today - Duration::days(3)))
        .filter(merchant::Column::Name.eq(MERCHANTS[2].0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "one row's columns, named at each call")]
async fn insert_staff<C: ConnectionTrait>(
    txn: &C,
    email: &str,
    display_name: &str,
    role: Role,
    organization_id: Option<i64>,
    subdistrict_id: Option<i64>,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let row = staff::ActiveModel {
        email: Set(email.into()),
        password_hash: Set(password_hash.into()),
        role: Set(role.as_str().into()),
        organization_id: Set(organization_id),
        subdistrict_id: Set(subdistrict_id),
        display_name: Set(display_name.into()),
        locale: Set(None),
        active: Set(true),
        password_changed_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| refused_over(e, &format!("a staff account {email}")))?;
    Ok(row.id)
}

/// The refusal when a row of the demo is there already: an earlier run was cut short (the
/// office account, written last, is missing) or the database holds data of its own. Said in
/// words, not as the database's unique-constraint error.
fn refused_over(e: sea_orm::DbErr, what: &str) -> ServiceError {
    ServiceError::on_unique(e, refusal(what))
}

/// Why the demo is not loaded over `what`.
fn refusal(what: &str) -> String {
    format!(
        "{what} exists already; the demo cannot be loaded over it (an earlier run cut short, or data of \
         its own): load the demo into an empty database"
    )
}

/// The same code on every run (derived from the secret), stored once and kept valid. Without
/// `write` it only reads: `None` when the row must be written or renewed.
async fn ensure_demo_link_code<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    merchant_id: i64,
    now: DateTime<Utc>,
    write: bool,
) -> Result<Option<String>, ServiceError> {
    let code: String = crypto::derive_key(secret, "demo-link-code")
        .iter()
        .take(8)
        .map(|b| char::from(UNAMBIGUOUS_ALPHABET[*b as usize % UNAMBIGUOUS_ALPHABET.len()]))
        .collect();
    let digest = merchants::link_code_digest(secret, &code);
    let expires_at = now + Duration::hours(merchants::LINK_CODE_TTL_HOURS);
    match merchant_link_code::Entity::find()
        .filter(merchant_link_code::Column::CodeDigest.eq(&digest))
        .one(txn)
        .await?
    {
        Some(found) if found.used_at.is_none() && found.expires_at < expires_at - Duration::hours(1) => {
            if !write {
                return Ok(None);
            }
            // Keep the printed code usable for another day without adding a row.
            let mut active: merchant_link_code::ActiveModel = found.into();
            active.expires_at = Set(expires_at);
            active.update(txn).await?;
        }
        Some(_) => {}
        None if !write => return Ok(None),
        None => {
            merchant_link_code::ActiveModel {
                merchant_id: Set(merchant_id),
                code_digest: Set(digest),
                created_at: Set(now),
                expires_at: Set(expires_at),
                used_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(Some(code))
}
