//! A small relay to test against: two organizations with a social worker, a drop-off
//! point, a beneficiary and an API token each; approved merchants and a suspended one.

use charity_relay::domain::need_input::NeedInput;
use charity_relay::domain::{OrgKind, PartyStatus, Role};
use charity_relay::entities::{claim, drop_off_point, need};
use charity_relay::services::access::Caller;
use charity_relay::services::api_tokens::{self, TokenOwner};
use charity_relay::services::beneficiaries::{self, BeneficiaryInput};
use charity_relay::services::{merchants, needs, organizations, staff};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use super::{TestApp, scalar_i64};

/// The private details planted on every test beneficiary; no answer to a merchant, no
/// email to anyone else and no log line may contain them.
pub const PLANTED_NAME: &str = "王秀英";
/// See [`PLANTED_NAME`].
pub const PLANTED_PHONE: &str = "13912345678";
/// See [`PLANTED_NAME`].
pub const PLANTED_ADDRESS: &str = "海山路1号3栋502";

/// One organization of the test world.
pub struct Org {
    /// Its id.
    pub id: i64,
    /// Its API token.
    pub token: String,
    /// Its social worker, as a service caller.
    pub worker: Caller,
    /// A beneficiary of it, with the planted private details and a resident contact.
    pub beneficiary_id: i64,
}

/// One merchant of the test world.
pub struct Merchant {
    /// Its id.
    pub id: i64,
    /// Its API token.
    pub token: String,
}

/// The whole test world.
pub struct World {
    /// The community everyone is in.
    pub community_id: i64,
    /// Two organizations: A and B.
    pub orgs: Vec<Org>,
    /// Approved merchants.
    pub merchants: Vec<Merchant>,
    /// A suspended merchant.
    pub suspended: Merchant,
}

impl World {
    /// Organization A.
    pub fn a(&self) -> &Org {
        &self.orgs[0]
    }

    /// Organization B.
    pub fn b(&self) -> &Org {
        &self.orgs[1]
    }
}

impl TestApp {
    /// Builds the test world with `merchant_count` approved merchants.
    pub async fn world(&self, merchant_count: usize) -> World {
        let now = Utc::now();
        let db = &self.db;
        let community_id = organizations::create_community(db, "东和社区", "Donghe", "沙头角街道", "Shatoujiao", now)
            .await
            .expect("community");
        let mut orgs = Vec::new();
        for (i, name) in ["沙头角街道社工站", "盐田区妇女互助会"].iter().enumerate() {
            let id = organizations::find_or_create_approved(db, name, OrgKind::SocialOrganization, now)
                .await
                .expect("org");
            drop_off_point::ActiveModel {
                organization_id: Set(id),
                community_id: Set(Some(community_id)),
                name: Set(format!("{name}服务点")),
                address: Set("东和社区党群服务中心".into()),
                opening_hours: Set("9:00–18:00".into()),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("drop-off point");
            let new_user = staff::NewUser {
                email: format!("worker{i}@example.org"),
                role: Role::SocialWorker,
                organization: Some((*name).to_owned()),
                subdistrict: None,
                password: "a long enough secret".into(),
            };
            let staff_id = staff::create_user(db, new_user, now).await.expect("worker");
            let worker = Caller::SocialWorker {
                staff_id,
                organization_id: id,
            };
            let form = BeneficiaryInput {
                community_id: community_id.to_string(),
                group: "elderly_alone".into(),
                full_name: PLANTED_NAME.into(),
                phone: PLANTED_PHONE.into(),
                address: PLANTED_ADDRESS.into(),
                notes: "行动不便".into(),
                id_number: String::new(),
                notify_email: format!("resident{i}@example.org"),
                notify_consent: true,
                locale: "zh-CN".into(),
            };
            let registered = beneficiaries::register(db, &self.config.secret_key, &worker, &form, now)
                .await
                .expect("beneficiary");
            let token = api_tokens::issue(
                db,
                &Caller::System,
                TokenOwner::Organization((*name).to_owned()),
                "test",
                now,
            )
            .await
            .expect("org token");
            orgs.push(Org {
                id,
                token,
                worker,
                beneficiary_id: registered.id,
            });
        }
        let mut merchants_out = Vec::new();
        for i in 0..merchant_count {
            merchants_out.push(self.merchant(&format!("爱心商户{i}"), PartyStatus::Approved).await);
        }
        let suspended = self.merchant("已暂停商户", PartyStatus::Suspended).await;
        World {
            community_id,
            orgs,
            merchants: merchants_out,
            suspended,
        }
    }

    /// Creates a merchant in `status` with an API token.
    pub async fn merchant(&self, name: &str, status: PartyStatus) -> Merchant {
        let now = Utc::now();
        let new = merchants::NewMerchant {
            name: name.into(),
            status: Some(status),
            ..Default::default()
        };
        let id = merchants::create_merchant(&self.db, new, now).await.expect("merchant");
        let token = api_tokens::issue(&self.db, &Caller::System, TokenOwner::Merchant(id), "test", now)
            .await
            .expect("token");
        Merchant { id, token }
    }

    /// Gives merchant `merchant_id` a record of `on_time` confirmed on-time deliveries, so
    /// that its claim limit grows (3 + on_time / 2, up to 20).
    pub async fn give_good_record(&self, world: &World, merchant_id: i64, on_time: usize) {
        let now = Utc::now();
        let past = now - Duration::days(30);
        let history = need::ActiveModel {
            organization_id: Set(world.a().id),
            beneficiary_id: Set(world.a().beneficiary_id),
            community_id: Set(world.community_id),
            drop_off_point_id: Set(None),
            posted_by: Set(None),
            category: Set("food".into()),
            title: Set("往期需求".into()),
            description: Set(String::new()),
            quantity: Set(on_time as i32),
            unit: Set("份".into()),
            claimed: Set(on_time as i32),
            delivered: Set(on_time as i32),
            urgency: Set("normal".into()),
            deadline: Set(past.date_naive()),
            recurrence: Set("none".into()),
            estimated_value_cents: Set(None),
            claim_days: Set(7),
            status: Set(charity_relay::domain::NeedStatus::Fulfilled),
            version: Set(0),
            created_at: Set(past),
            updated_at: Set(past),
            reopened_at: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("history need");
        for _ in 0..on_time {
            claim::ActiveModel {
                need_id: Set(history.id),
                merchant_id: Set(merchant_id),
                quantity: Set(1),
                status: Set(charity_relay::domain::ClaimStatus::Confirmed),
                handoff_code: Set("ACDEFG".into()),
                idempotency_key: Set(None),
                due_at: Set(past + Duration::days(7)),
                remind_at: Set(past + Duration::days(3)),
                reminded_at: Set(None),
                delivered_at: Set(Some(past + Duration::days(1))),
                confirmed_at: Set(Some(past + Duration::days(2))),
                ended_at: Set(None),
                rating: Set(Some(5)),
                version: Set(0),
                created_at: Set(past),
                updated_at: Set(past + Duration::days(2)),
                ..Default::default()
            }
            .insert(&self.db)
            .await
            .expect("history claim");
        }
    }

    /// Posts a need of `quantity` units for organization `org`'s beneficiary, as its social
    /// worker would from the web form.
    pub async fn post_need(&self, org: &Org, quantity: i64) -> i64 {
        let now = Utc::now();
        let input = NeedInput {
            beneficiary_id: org.beneficiary_id.to_string(),
            category: "food".into(),
            title: "米和食用油".into(),
            description: "低收入家庭本月需要大米和食用油。".into(),
            quantity: quantity.to_string(),
            unit: "袋".into(),
            deadline: (now + Duration::days(30)).date_naive().to_string(),
            ..Default::default()
        };
        let draft = input.parse(now.date_naive()).expect("valid need");
        needs::post_need(&self.db, &self.config.secret_key, &org.worker, draft, now)
            .await
            .expect("post need")
            .id
    }

    /// Calls the API with a bearer token; returns the status and the JSON body.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let request = self.api_request(method, path, token, body);
        let response = request.send().await.expect("API request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// Claims `quantity` units of need `need` over the API as the merchant of `token`.
    pub async fn claim(&self, token: &str, need: i64, quantity: i64) -> (u16, serde_json::Value) {
        let path = format!("/api/v1/needs/{need}/claims");
        self.api("POST", &path, token, Some(serde_json::json!({ "quantity": quantity })))
            .await
    }

    /// A request to the API with a bearer token, to add headers before sending.
    pub fn api_request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            request = request.json(&b);
        }
        request
    }
}

/// Marks the contact of `email` confirmed, as its confirmation link would, and returns its id.
pub async fn confirm_contact(app: &TestApp, email: &str) -> i64 {
    app.db
        .execute_raw(charity_relay::db::statement(
            &app.db,
            "UPDATE contacts SET consent_status = 'confirmed', consent_at = ?, consent_wording_version = 'test' WHERE email = ?",
            vec![Utc::now().into(), email.into()],
        ))
        .await
        .expect("confirm contact");
    contact_id(app, email).await
}

/// The id of the contact of `email`.
pub async fn contact_id(app: &TestApp, email: &str) -> i64 {
    scalar_i64(&app.db, &format!("SELECT id FROM contacts WHERE email = '{email}'")).await
}
