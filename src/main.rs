//! The `charity-relay` command: serve, migrate, demo data and the office's admin tasks.

use std::io::Read;
use std::process::ExitCode;

use charity_relay::config::Config;
use charity_relay::demo;
use charity_relay::domain::Role;
use charity_relay::services::access::Caller;
use charity_relay::services::api_tokens::TokenOwner;
use charity_relay::services::{ServiceError, api_tokens, merchants, organizations, staff};
use charity_relay::{App, StartupError, db, shutdown_signal, telemetry};
use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "charity-relay",
    version,
    about = "Caring merchants claim the real needs of people in difficulty."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (and, when configured, the bot and the workers).
    Serve {
        /// Load the demo data first (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo data (idempotent) and print the demo logins.
    Demo,
    /// Office tasks: accounts, merchants, link codes, API tokens.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The merchants' bot dialogue in this terminal: type commands such as /needs, and a
    /// button's number to press it. Reads standard input until it ends.
    BotConsole {
        /// The merchant to act as.
        #[arg(long)]
        merchant: i64,
    },
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create a staff account; the password is read from standard input.
    CreateUser {
        /// Login email address.
        #[arg(long)]
        email: String,
        /// `admin` (a subdistrict office), `district` (the district bureau, read only) or
        /// `social_worker`.
        #[arg(long)]
        role: String,
        /// The social worker's organization (created, approved, if it does not exist).
        #[arg(long)]
        org: Option<String>,
        /// The office's subdistrict, or the new organization's (Chinese or English name);
        /// may be left out while there is only one.
        #[arg(long)]
        subdistrict: Option<String>,
    },
    /// Create an approved merchant; prints its id as the last line.
    CreateMerchant {
        /// Public shop name.
        #[arg(long)]
        name: String,
        /// Community (Chinese or English name) the shop is in.
        #[arg(long)]
        community: Option<String>,
        /// Trade, e.g. pharmacy or barber.
        #[arg(long, default_value = "")]
        trade: String,
        /// Public business address.
        #[arg(long, default_value = "")]
        address: String,
    },
    /// Name the district (e.g. 盐田区 / Yantian), shown on reports and the transparency page.
    NameDistrict {
        /// Chinese name.
        #[arg(long)]
        name: String,
        /// English name.
        #[arg(long)]
        name_en: String,
    },
    /// Add a community of a subdistrict.
    CreateCommunity(CommunityArgs),
    /// Walk the audit log's hash chain; exit 0 and print how many rows were verified when
    /// it is intact, exit 1 naming the first altered, removed-before or unsealed row.
    VerifyAudit,
    /// Issue a one-time code that links a Telegram chat to a merchant; prints it last.
    MerchantLinkCode {
        /// The merchant's id.
        #[arg(long)]
        merchant: i64,
    },
    /// Issue an API token for an organization or a merchant; prints it once, last.
    ApiToken(ApiTokenArgs),
    /// Deactivate a staff account: it cannot sign in, and its sessions end at once.
    DeactivateUser(AccountArgs),
    /// Let a deactivated staff account sign in again.
    ReactivateUser(AccountArgs),
    /// Set the days between visits of a beneficiary group (1 to 365); the dashboard lists visits
    /// due and overdue by it.
    SetVisitInterval {
        /// The group: elderly_alone, child_in_hardship, disabled, low_income_family, migrant_child or other.
        #[arg(long)]
        group: String,
        /// Days between visits, 1 to 365.
        #[arg(long)]
        days: String,
        /// The subdistrict (Chinese or English name) whose own interval this is; without it,
        /// the district's default, which every subdistrict without its own follows.
        #[arg(long)]
        subdistrict: Option<String>,
    },
    /// Print the DNS records to publish for the configured sender (RELAY_EMAIL_FROM): the
    /// DKIM public key (RELAY_DKIM_SELECTOR, RELAY_DKIM_KEY_FILE) and SPF and DMARC suggestions.
    MailDns,
}

#[derive(Args, Debug)]
struct AccountArgs {
    /// The account's login email address.
    #[arg(long)]
    email: String,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    reason: String,
}

#[derive(Args, Debug)]
struct CommunityArgs {
    /// Chinese name, e.g. 田东社区.
    #[arg(long)]
    name: String,
    /// English name, e.g. Tiandong.
    #[arg(long)]
    name_en: String,
    /// Chinese name of the subdistrict.
    #[arg(long)]
    subdistrict: String,
    /// English name of the subdistrict.
    #[arg(long)]
    subdistrict_en: String,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
struct ApiTokenArgs {
    /// The organization's name.
    #[arg(long)]
    org: Option<String>,
    /// The merchant's id.
    #[arg(long)]
    merchant: Option<i64>,
}

/// Why a command failed, with its exit code.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Usage(String),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Console(String),
    #[error("{0}")]
    AuditBroken(String),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Startup(e) => e.exit_code(),
            Failure::Service(ServiceError::Invalid { .. }) | Failure::Usage(_) => 2,
            _ => 1,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    let config = Config::from_env().map_err(StartupError::from)?;
    telemetry::init(config.log_format);
    let now = chrono::Utc::now();
    match command {
        Command::Serve { demo: with_demo } => {
            let app = App::build(config).await?;
            if with_demo {
                let summary = demo::load(&app.state().db, &app.state().config.secret_key, now)
                    .await
                    .map_err(StartupError::from)?;
                print!("{}", summary.render());
            }
            println!("charity-relay listening on http://{}", app.local_addr());
            app.run_until(shutdown_signal()).await.map_err(Failure::Serve)
        }
        Command::Migrate => {
            let conn = db::connect(&config).await.map_err(StartupError::from)?;
            charity_relay::migrate(&conn, &config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => {
            let conn = connect_migrated(&config).await?;
            let summary = demo::load(&conn, &config.secret_key, now).await?;
            print!("{}", summary.render());
            Ok(())
        }
        Command::Admin(admin) => run_admin(&config, admin, now).await,
        Command::BotConsole { merchant } => {
            let conn = connect_migrated(&config).await?;
            let desk = charity_relay::bot::desk::ServiceDesk::new(conn, config.secret_key.clone())
                .with_renewal_hours(config.sponsor_renewal_hours);
            let input = tokio::io::BufReader::new(tokio::io::stdin());
            let session = charity_relay::crypto::random_token(6);
            let mut output = std::io::stdout();
            bots::console::run(&desk, merchant, &session, input, &mut output)
                .await
                .map_err(|e| match e {
                    bots::console::ConsoleError::Desk(bots::DeskError::NotFound) => {
                        Failure::Usage(format!("--merchant: there is no merchant {merchant}"))
                    }
                    other => Failure::Console(other.to_string()),
                })
        }
    }
}

async fn connect_migrated(config: &Config) -> Result<sea_orm::DatabaseConnection, Failure> {
    let conn = db::connect(config).await.map_err(StartupError::from)?;
    charity_relay::migrate(&conn, config).await?;
    Ok(conn)
}

async fn run_admin(config: &Config, command: AdminCommand, now: chrono::DateTime<chrono::Utc>) -> Result<(), Failure> {
    // Parse every argument before touching the database, so bad input changes nothing.
    match command {
        AdminCommand::CreateUser {
            email,
            role,
            org,
            subdistrict,
        } => {
            let role: Role = role
                .parse()
                .map_err(|e: charity_relay::domain::UnknownVariant| Failure::Usage(format!("--role: {e}")))?;
            let password = read_password()?;
            let conn = connect_migrated(config).await?;
            let id = staff::create_user(
                &conn,
                staff::NewUser {
                    email,
                    role,
                    organization: org,
                    subdistrict,
                    password,
                },
                now,
            )
            .await?;
            println!("created {role} account {id}");
        }
        AdminCommand::CreateMerchant {
            name,
            community,
            trade,
            address,
        } => {
            let conn = connect_migrated(config).await?;
            let new = merchants::NewMerchant {
                name,
                trade,
                community,
                address,
                ..Default::default()
            };
            let id = merchants::create_merchant(&conn, new, now).await?;
            println!("{id}");
        }
        AdminCommand::NameDistrict { name, name_en } => {
            let conn = connect_migrated(config).await?;
            charity_relay::services::subdistricts::name_district(&conn, &name, &name_en, now).await?;
            println!("the district is {name} ({name_en})");
        }
        AdminCommand::CreateCommunity(c) => {
            let conn = connect_migrated(config).await?;
            let id =
                organizations::create_community(&conn, &c.name, &c.name_en, &c.subdistrict, &c.subdistrict_en, now)
                    .await?;
            println!("{id}");
        }
        AdminCommand::MerchantLinkCode { merchant } => {
            let conn = connect_migrated(config).await?;
            let code = merchants::issue_link_code(&conn, &config.secret_key, &Caller::System, merchant, now).await?;
            eprintln!(
                "valid for {} hours; send it to the bot as /start CODE",
                merchants::LINK_CODE_TTL_HOURS
            );
            println!("{code}");
        }
        AdminCommand::VerifyAudit => {
            use charity_relay::services::audit_chain::{self, Broken, Verification};
            let conn = connect_migrated(config).await?;
            match audit_chain::verify(&conn, now).await.map_err(ServiceError::from)? {
                Verification::Intact { verified, pending } => {
                    println!("audit log intact: {verified} rows verified, {pending} recent rows waiting to be sealed");
                }
                Verification::Broken { id, verified, reason } => {
                    let why = match reason {
                        Broken::Mismatch => {
                            "its seal does not match: the row was altered, or a row before it was removed"
                        }
                        Broken::Unsealed => "it is not sealed though it should be (altered, or committed into a gap)",
                    };
                    return Err(Failure::AuditBroken(format!(
                        "audit log broken at row {id}: {why} ({verified} rows before it verified)"
                    )));
                }
            }
        }
        AdminCommand::ApiToken(args) => {
            let owner = match (args.org, args.merchant) {
                (Some(org), None) => TokenOwner::Organization(org),
                (None, Some(id)) => TokenOwner::Merchant(id),
                _ => return Err(Failure::Usage("give exactly one of --org NAME or --merchant ID".into())),
            };
            let conn = connect_migrated(config).await?;
            let token = api_tokens::issue(&conn, &Caller::System, owner, "cli", now).await?;
            eprintln!("store this token now: it is shown only once");
            println!("{token}");
        }
        AdminCommand::MailDns => {
            use charity_relay::notify::{NotifyError, dkim};
            let domain = charity_relay::config::mailbox_domain(&config.email.from)
                .ok_or_else(|| Failure::Usage("RELAY_EMAIL_FROM has no domain".into()))?;
            let key = match &config.email.dkim {
                Some(d) => {
                    Some(dkim::DkimKey::load(&d.key_file).map_err(|e| StartupError::from(NotifyError::from(e)))?)
                }
                None => None,
            };
            let selector = config.email.dkim.as_ref().map(|d| d.selector.as_str());
            println!("; DNS records for mail from {} (domain {domain})", config.email.from);
            print!("{}", dkim::dns_records(&domain, selector, key.as_ref()));
        }
        AdminCommand::SetVisitInterval {
            group,
            days,
            subdistrict,
        } => {
            let conn = connect_migrated(config).await?;
            let place = match &subdistrict {
                Some(name) => Some(
                    charity_relay::services::subdistricts::by_name(&conn, name)
                        .await?
                        .ok_or_else(|| Failure::Usage(format!("--subdistrict: no subdistrict is called {name}")))?,
                ),
                None => None,
            };
            let (group, days) =
                charity_relay::services::visits::set_interval(&conn, &Caller::System, place, &group, &days, now)
                    .await
                    .map_err(|e| match e {
                        ServiceError::Validation(errors) => Failure::Usage(visit_interval_usage(&errors)),
                        other => Failure::Service(other),
                    })?;
            let whose = subdistrict.unwrap_or_else(|| "the district's default".to_owned());
            println!("visit interval of {} set to {days} days ({whose})", group.as_str());
        }
        AdminCommand::DeactivateUser(args) => {
            let conn = connect_migrated(config).await?;
            let done = set_active(&conn, args, false, now).await?;
            println!(
                "deactivated staff account {} ({}); {} session(s) ended",
                done.id, done.email, done.sessions_ended
            );
        }
        AdminCommand::ReactivateUser(args) => {
            let conn = connect_migrated(config).await?;
            let done = set_active(&conn, args, true, now).await?;
            println!(
                "reactivated staff account {} ({}); it may sign in again",
                done.id, done.email
            );
        }
    }
    Ok(())
}

/// The CLI's words for a refused visit interval: which flag, and what it accepts.
fn visit_interval_usage(errors: &charity_relay::domain::input::FieldErrors) -> String {
    let groups: Vec<&str> = charity_relay::domain::BeneficiaryGroup::ALL
        .iter()
        .map(|g| g.as_str())
        .collect();
    let mut lines = Vec::new();
    if errors.get("group").is_some() {
        lines.push(format!("--group: not a known group; use one of {}", groups.join(", ")));
    }
    if let Some(e) = errors.get("days") {
        lines.push(format!("--days: {}", e.message(charity_relay::domain::Locale::En)));
    }
    lines.join("\n")
}

async fn set_active(
    conn: &sea_orm::DatabaseConnection,
    args: AccountArgs,
    active: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<staff::ActiveChange, Failure> {
    let account = staff::AccountRef::Email(args.email);
    Ok(staff::set_active(conn, &Caller::System, account, active, &args.reason, now).await?)
}

fn read_password() -> Result<String, Failure> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Failure::Usage(format!("cannot read the password from standard input: {e}")))?;
    let password = input.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(Failure::Usage("the password is empty: pipe it on standard input, e.g. `echo 'long secret' | charity-relay admin create-user …`".into()));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
