//! Issue 7's measurement, in process: choosing the first rung of alert recipients for a
//! need (the whole `start_ladder`, in a transaction rolled back so every sample sees the
//! same data) and listing a merchant's first page of needs ordered by the score.

use std::time::Instant;

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};

use charity_relay::domain::alerts::LadderPolicy;
use charity_relay::entities::need;
use charity_relay::services::{alerts, matching};

use crate::stats::Histogram;

/// Needs on one page of the bot's `/needs`.
const PAGE: u32 = 3;

/// Times `samples` recipient choices and `samples` first pages; returns the two histograms.
pub async fn run(
    db: &DatabaseConnection,
    needs: &[i64],
    merchants: &[i64],
    samples: usize,
) -> anyhow::Result<(Histogram, Histogram)> {
    let mut rng = StdRng::seed_from_u64(7);
    let policy = LadderPolicy::default();
    let mut choose = Histogram::new();
    let mut list = Histogram::new();
    // The first tenth warms caches and is not counted.
    let warm = samples / 10;
    for i in 0..samples + warm {
        let id = needs[rng.random_range(0..needs.len())];
        let Some(n) = need::Entity::find_by_id(id).one(db).await? else {
            anyhow::bail!("need {id} is gone; seed again");
        };
        let txn = db.begin().await?;
        let started = Instant::now();
        let rung = alerts::start_ladder(&txn, &n, &policy, Utc::now()).await?;
        let took = started.elapsed();
        txn.rollback().await?;
        if rung.picked.is_empty() {
            anyhow::bail!("need {id} found no recipient: the data set is wrong");
        }
        if i >= warm {
            choose.record(took);
        }

        let m = merchants[rng.random_range(0..merchants.len())];
        let started = Instant::now();
        let (cards, _) = matching::ordered_needs(db, m, matching::Filter::default(), 0, PAGE, Utc::now()).await?;
        let took = started.elapsed();
        if cards.is_empty() {
            anyhow::bail!("merchant {m} sees no need: the data set is wrong");
        }
        if i >= warm {
            list.record(took);
        }
    }
    Ok((choose, list))
}
