//! `relay-bench`: the Rust half of `bench/run.sh` — seeding, in-process measurements and
//! the raw-SQLite limit. The shell script drives pgbench, wrk and the service itself.

mod bot;
mod email;
mod matching;
mod reset;
mod seed;
mod sqlite_limit;
mod stats;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use sea_orm::Database;

#[derive(Parser)]
#[command(about = "Seeds and measures charity-relay for bench/run.sh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Adds the benchmark's merchants, tokens and open needs to a demo database.
    Seed {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        needs: usize,
        #[arg(long, default_value_t = 1_000)]
        merchants: usize,
        #[arg(long, default_value_t = 10)]
        hot: usize,
        /// Where tokens.txt, needs.txt, hot.txt and merchants.txt go.
        #[arg(long)]
        out: PathBuf,
    },
    /// Times choosing alert recipients and listing a merchant's first page (issue 7).
    Matching {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1_000)]
        samples: usize,
        /// Label of the database in the table.
        #[arg(long)]
        label: String,
    },
    /// Undoes what a claim run wrote, so the next run starts from the same state.
    Reset {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Queues emails in the outbox for the service to send.
    QueueEmails {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 5_000)]
        count: usize,
    },
    /// An SMTP server on loopback that prints messages received a second.
    SmtpSink {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        expect: usize,
    },
    /// A fake Bot API serving updates; prints updates the service handled a second.
    Bot {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        port: u16,
        #[arg(long, default_value_t = 1_000)]
        merchants: usize,
        #[arg(long, default_value_t = 3_000)]
        updates: usize,
    },
    /// Runs the claim transaction through the SQLite library itself on a WAL file.
    SqliteLimit {
        /// The SQLite file (a seeded copy; it is written to).
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Claim only the hot needs.
        #[arg(long)]
        hot: bool,
    },
}

fn lines(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(text.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect())
}

fn ids(path: &std::path::Path) -> anyhow::Result<Vec<i64>> {
    lines(path)?
        .iter()
        .map(|l| {
            l.parse::<i64>()
                .map_err(|e| anyhow::anyhow!("{}: {l}: {e}", path.display()))
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed {
            database_url,
            needs,
            merchants,
            hot,
            out,
        } => {
            std::fs::create_dir_all(&out)?;
            let db = Database::connect(database_url.as_str()).await?;
            let seeded = seed::run(&db, needs, merchants, hot, &out).await?;
            reset::remember(&db, &out).await?;
            eprintln!("seeded {} merchants and {} open needs", seeded.merchants, seeded.needs);
        }
        Command::Matching {
            database_url,
            out,
            samples,
            label,
        } => {
            let db = Database::connect(database_url.as_str()).await?;
            let needs = ids(&out.join("needs.txt"))?;
            let merchants = ids(&out.join("merchants.txt"))?;
            let (choose, list) = matching::run(&db, &needs, &merchants, samples).await?;
            for (what, h) in [
                ("choose alert recipients (first rung)", &choose),
                ("merchant's first page, score-ordered", &list),
            ] {
                println!(
                    "| {what} | {label} | {} | {:.2} | {:.2} | {:.2} |",
                    h.len(),
                    h.ms(0.5),
                    h.ms(0.99),
                    h.ms(1.0)
                );
            }
        }
        Command::Reset { database_url, out } => {
            let db = Database::connect(database_url.as_str()).await?;
            reset::run(&db, &out).await?;
        }
        Command::QueueEmails { database_url, count } => {
            let db = Database::connect(database_url.as_str()).await?;
            email::queue(&db, count).await?;
        }
        Command::SmtpSink { port, expect } => {
            let rate = email::sink(port, expect, std::time::Duration::from_secs(300))?;
            println!("{rate:.0}");
        }
        Command::Bot {
            database_url,
            port,
            merchants,
            updates,
        } => {
            let db = Database::connect(database_url.as_str()).await?;
            let rate = bot::run(&db, port, merchants, updates, std::time::Duration::from_secs(300)).await?;
            println!("{rate:.0}");
        }
        Command::SqliteLimit {
            file,
            out,
            clients,
            seconds,
            hot,
        } => {
            let needs = ids(&out.join(if hot { "hot.txt" } else { "needs.txt" }))?;
            let merchants = ids(&out.join("merchants.txt"))?;
            let r = sqlite_limit::run(
                &file,
                &needs,
                &merchants,
                clients,
                std::time::Duration::from_secs(seconds),
            )?;
            println!("{}", r.tsv());
        }
    }
    Ok(())
}
