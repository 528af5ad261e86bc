//! The benchmark's data set, on top of the demo data: 1,000 merchants with offers, a
//! linked chat, a delivery record that lets each hold 20 claims, and an API token each;
//! 100,000 open needs spread over the demo's communities and beneficiaries, 10 of them
//! "hot" (10,000 units each, where every client collides).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use charity_relay::crypto;
use charity_relay::domain::{Category, ClaimStatus, NeedStatus, PartyStatus};
use charity_relay::entities::{api_token, beneficiary, claim, contact, merchant, need, offer, offer_community, staff};

/// Rows per multi-row INSERT: well under PostgreSQL's 65,535 bind parameters.
const BATCH: usize = 1_000;
/// Name prefix of the benchmark's merchants, so a second run can tell they exist.
const PREFIX: &str = "Bench merchant";
/// Confirmed on-time deliveries in each merchant's past: enough for the top claim limit.
const HISTORY: usize = 40;

/// What the seeder writes for the load generators.
pub struct Seeded {
    /// Merchants created.
    pub merchants: usize,
    /// Open needs created.
    pub needs: usize,
}

/// Seeds `needs` open needs and `merchants` merchants into the demo database at `db`, and
/// writes `tokens.txt`, `needs.txt` and `hot.txt` (one value a line) into `out`.
pub async fn run(
    db: &DatabaseConnection,
    needs: usize,
    merchants: usize,
    hot: usize,
    out: &Path,
) -> anyhow::Result<Seeded> {
    let existing = merchant::Entity::find()
        .filter(merchant::Column::Name.starts_with(PREFIX))
        .count(db)
        .await?;
    if existing > 0 {
        bail!("this database holds benchmark data already; seed a fresh one");
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let now = Utc::now();
    let places: Vec<(i64, i64)> = charity_relay::entities::community::Entity::find()
        .order_by_asc(charity_relay::entities::community::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.subdistrict_id))
        .collect();
    let communities: Vec<i64> = places.iter().map(|p| p.0).collect();
    let beneficiaries = with_contacts(db, now).await?;
    if communities.is_empty() || beneficiaries.is_empty() {
        bail!("load the demo data first (`charity-relay demo`)");
    }
    // Needs are posted by a social worker of the beneficiary's organization, who hears of
    // each claim; with the resident and the merchant that makes three messages a claim.
    let workers: HashMap<i64, i64> = staff::Entity::find()
        .filter(staff::Column::Role.eq("social_worker"))
        .order_by_asc(staff::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.organization_id.map(|o| (o, s.id)))
        .collect();

    // Merchants, each linked to a (fake) chat so the alert ladder may choose it.
    let rows: Vec<merchant::ActiveModel> = (0..merchants)
        .map(|i| {
            let (community, subdistrict) = places[rng.random_range(0..places.len())];
            merchant::ActiveModel {
                name: Set(format!("{PREFIX} {i:04}")),
                trade: Set("grocery".into()),
                community_id: Set(Some(community)),
                subdistrict_id: Set(subdistrict),
                address: Set(format!("{i} Bench Road")),
                opening_hours: Set(None),
                status: Set(PartyStatus::Approved),
                telegram_chat_id: Set(Some(900_000_000 + i as i64)),
                locale: Set(charity_relay::domain::Locale::ZhCn.into()),
                show_publicly: Set(false),
                credit_score: Set(rng.random_range(40..=95)),
                created_at: Set(now - Duration::days(200)),
                updated_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    insert_batches(db, rows).await?;
    let merchant_ids: Vec<i64> = merchant::Entity::find()
        .filter(merchant::Column::Name.starts_with(PREFIX))
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();

    // One to three offers each, serving one to three communities.
    let offers: Vec<offer::ActiveModel> = merchant_ids
        .iter()
        .flat_map(|&m| {
            let n = rng.random_range(1..=3);
            (0..n)
                .map(|_| offer::ActiveModel {
                    merchant_id: Set(m),
                    category: Set(Category::ALL[rng.random_range(0..Category::ALL.len())].as_str().into()),
                    description: Set("standing offer".into()),
                    monthly_capacity: Set(rng.random_range(50..=500)),
                    status: Set("active".into()),
                    created_at: Set(now - Duration::days(100)),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    insert_batches(db, offers).await?;
    let offer_ids: Vec<i64> = offer::Entity::find()
        .filter(offer::Column::MerchantId.is_in(merchant_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let served: Vec<offer_community::ActiveModel> = offer_ids
        .iter()
        .flat_map(|&o| {
            let mut picked: Vec<i64> = Vec::new();
            for _ in 0..rng.random_range(1..=3) {
                let c = communities[rng.random_range(0..communities.len())];
                if !picked.contains(&c) {
                    picked.push(c);
                }
            }
            picked.into_iter().map(move |c| offer_community::ActiveModel {
                offer_id: Set(o),
                community_id: Set(c),
            })
        })
        .collect();
    insert_batches(db, served).await?;

    // The past: one fulfilled need per merchant, delivered on time in HISTORY claims, so
    // that each merchant may hold the most claims (the anti-hoarding limit grows with it).
    let long_ago = now - Duration::days(120);
    let first = &beneficiaries[0];
    let history_needs: Vec<need::ActiveModel> = merchant_ids
        .iter()
        .map(|_| {
            need_row(
                first,
                None,
                "food",
                HISTORY as i32,
                HISTORY as i32,
                NeedStatus::Fulfilled,
                "normal",
                long_ago,
            )
        })
        .collect();
    insert_batches(db, history_needs).await?;
    let history_ids: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::Status.eq("fulfilled"))
        .filter(need::Column::Description.eq(HISTORY_DESCRIPTION))
        .order_by_asc(need::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let past: Vec<claim::ActiveModel> = merchant_ids
        .iter()
        .zip(&history_ids)
        .flat_map(|(&m, &n)| {
            (0..HISTORY).map(move |_| claim::ActiveModel {
                need_id: Set(n),
                merchant_id: Set(m),
                quantity: Set(1),
                status: Set(ClaimStatus::Confirmed),
                handoff_code: Set("000000".into()),
                idempotency_key: Set(None),
                due_at: Set(long_ago + Duration::days(7)),
                remind_at: Set(long_ago + Duration::days(3)),
                reminded_at: Set(None),
                delivered_at: Set(Some(long_ago + Duration::days(2))),
                confirmed_at: Set(Some(long_ago + Duration::days(3))),
                ended_at: Set(Some(long_ago + Duration::days(3))),
                rating: Set(Some(5)),
                version: Set(2),
                created_at: Set(long_ago),
                updated_at: Set(long_ago + Duration::days(3)),
                ..Default::default()
            })
        })
        .collect();
    insert_batches(db, past).await?;

    // The open needs, created over the last 20 days; a tenth urgent.
    let open: Vec<need::ActiveModel> = (0..needs)
        .map(|i| {
            let b = &beneficiaries[rng.random_range(0..beneficiaries.len())];
            let category = Category::ALL[rng.random_range(0..Category::ALL.len())].as_str();
            let urgency = if rng.random_ratio(1, 10) { "urgent" } else { "normal" };
            let quantity = if i < hot { 10_000 } else { 100 };
            let age = Duration::seconds(rng.random_range(0..20 * 86_400));
            let poster = workers.get(&b.organization_id).copied();
            need_row(b, poster, category, quantity, 0, NeedStatus::Open, urgency, now - age)
        })
        .collect();
    insert_batches(db, open).await?;
    let open_ids: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::Description.eq(BENCH_DESCRIPTION))
        .filter(need::Column::Status.eq("open"))
        .order_by_asc(need::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let hot_ids: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::Description.eq(BENCH_DESCRIPTION))
        .filter(need::Column::Quantity.eq(10_000))
        .order_by_asc(need::Column::Id)
        .into_tuple()
        .all(db)
        .await?;

    // A token per merchant; only digests are stored, the tokens go to tokens.txt.
    let mut tokens = Vec::with_capacity(merchant_ids.len());
    let rows: Vec<api_token::ActiveModel> = merchant_ids
        .iter()
        .map(|&m| {
            let token = format!(
                "{}{}",
                charity_relay::services::api_tokens::TOKEN_PREFIX,
                crypto::random_token(32)
            );
            let digest = crypto::sha256_hex(&token);
            tokens.push(token);
            api_token::ActiveModel {
                token_digest: Set(digest),
                label: Set("benchmark".into()),
                organization_id: Set(None),
                merchant_id: Set(Some(m)),
                created_at: Set(now),
                revoked_at: Set(None),
                last_used_at: Set(None),
                ..Default::default()
            }
        })
        .collect();
    insert_batches(db, rows).await?;

    write_lines(&out.join("tokens.txt"), &tokens)?;
    write_lines(&out.join("needs.txt"), &open_ids)?;
    write_lines(&out.join("hot.txt"), &hot_ids)?;
    write_lines(&out.join("merchants.txt"), &merchant_ids)?;
    Ok(Seeded {
        merchants: merchant_ids.len(),
        needs: open_ids.len(),
    })
}

/// Marks the benchmark's open needs, so that they can be told from the demo's.
pub const BENCH_DESCRIPTION: &str = "benchmark need";
/// Marks the fulfilled needs that hold the merchants' past deliveries.
const HISTORY_DESCRIPTION: &str = "benchmark history";

#[expect(clippy::too_many_arguments, reason = "one row's columns, named at each call")]
fn need_row(
    b: &beneficiary::Model,
    posted_by: Option<i64>,
    category: &str,
    quantity: i32,
    done: i32,
    status: NeedStatus,
    urgency: &str,
    created: chrono::DateTime<Utc>,
) -> need::ActiveModel {
    need::ActiveModel {
        organization_id: Set(b.organization_id),
        beneficiary_id: Set(b.id),
        community_id: Set(b.community_id),
        drop_off_point_id: Set(None),
        posted_by: Set(posted_by),
        category: Set(category.into()),
        title: Set(format!("{category} for a family")),
        description: Set(if done > 0 {
            HISTORY_DESCRIPTION
        } else {
            BENCH_DESCRIPTION
        }
        .into()),
        quantity: Set(quantity),
        unit: Set("unit".into()),
        claimed: Set(done),
        delivered: Set(done),
        urgency: Set(urgency.into()),
        deadline: Set((created + Duration::days(90)).date_naive()),
        recurrence: Set("none".into()),
        estimated_value_cents: Set(Some(5_000)),
        claim_days: Set(7),
        status: Set(status),
        version: Set(0),
        created_at: Set(created),
        updated_at: Set(created),
        reopened_at: Set(None),
        ..Default::default()
    }
}

/// The demo's beneficiaries, each given a confirmed email contact if it had none, so that
/// every claim tells a resident.
async fn with_contacts(db: &DatabaseConnection, now: chrono::DateTime<Utc>) -> anyhow::Result<Vec<beneficiary::Model>> {
    let all = beneficiary::Entity::find()
        .order_by_asc(beneficiary::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(all.len());
    for b in all {
        if b.contact_id.is_some() {
            out.push(b);
            continue;
        }
        let c = contact::ActiveModel {
            email: Set(format!("resident-{}@bench.invalid", b.id)),
            locale: Set(charity_relay::domain::Locale::ZhCn.into()),
            consent_status: Set("confirmed".into()),
            consent_requested_at: Set(Some(now)),
            consent_at: Set(Some(now)),
            consent_wording_version: Set(Some("bench".into())),
            confirm_token_digest: Set(None),
            confirm_expires_at: Set(None),
            unsubscribe_token_digest: Set(crypto::sha256_hex(&crypto::random_token(16))),
            undeliverable_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let mut with: beneficiary::ActiveModel = b.into();
        with.contact_id = Set(Some(c.id));
        out.push(with.update(db).await?);
    }
    Ok(out)
}

/// Inserts `rows` a batch of [`BATCH`] at a time.
pub async fn insert_batches<A>(db: &DatabaseConnection, rows: Vec<A>) -> anyhow::Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH).collect();
        <A::Entity as EntityTrait>::insert_many(batch)
            .exec_without_returning(db)
            .await
            .context("bulk insert")?;
    }
    Ok(())
}

fn write_lines<T: std::fmt::Display>(path: &Path, values: &[T]) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).with_context(|| path.display().to_string())?);
    for v in values {
        writeln!(f, "{v}")?;
    }
    f.flush()?;
    Ok(())
}
