//! What a merchant can do, over the services: the main crate's implementation of the bots
//! crate's [`MerchantDesk`]. Service errors are mapped to desk errors once, here.

use bots::{
    AlertChange, AlertSettingsView, Amount, ApplicationState, ApplicationView, CertificateView, Choice, ClaimState,
    ClaimView, Claimed, CodeProblem, CreditView, DeskError, DropOffView, IssuedCertificate, JoinDraft, MerchantDesk,
    MerchantInfo, MerchantStatus, NeedCardView, NeedQuery, NeedsPage, OfferDraft, OfferView, PhoneProblem,
    PublicListingView, RenewalView, SponsorshipCard,
};
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::config::Secret;
use crate::domain::alerts::{self as rules, AlertMode, AlertSettings, QuietHours, SettingsChange};
use crate::domain::credit::CreditBand;
use crate::domain::credit_code::{CreditCode, CreditCodeError};
use crate::domain::event::StaffCap;
use crate::domain::merchant_application::{ApplicationStatus, PhoneError, business_phone};
use crate::domain::sponsorship::{SponsorRefusal, period_label};
use crate::domain::time::local_date;
use crate::domain::{Category, ClaimStatus, Locale, NeedStatus, PartyStatus, Urgency};
use crate::services::access::Caller;
use crate::services::claims::{self, ClaimRecord, Unclaimable};
use crate::services::events::{self, signups::SignupOutcome};
use crate::services::merchant_applications::{self, ApplicationDraft};
use crate::services::merchants::MerchantSummary;
use crate::services::needs::{self, DropOff};
use crate::services::sponsorships::{self, SponsorshipView};
use crate::services::telegram::{self, LinkOutcome};
use crate::services::{ServiceError, alert_settings, certificates, matching, merchants, offers, organizations};

/// The desk over the services, for the Telegram bot and the console.
#[derive(Clone)]
pub struct ServiceDesk {
    db: DatabaseConnection,
    /// The secret key: link codes are checked by their keyed digest.
    secret: Secret,
    /// Hours a sponsor has to renew a period (`RELAY_SPONSOR_RENEWAL_HOURS`).
    renewal_hours: u32,
}

impl ServiceDesk {
    /// A desk over `db`, checking link codes under `secret`.
    pub fn new(db: DatabaseConnection, secret: Secret) -> Self {
        Self {
            db,
            secret,
            renewal_hours: crate::domain::sponsorship::DEFAULT_RENEWAL_HOURS,
        }
    }

    /// The same desk, giving sponsors `hours` to renew a period offered when they begin.
    pub fn with_renewal_hours(mut self, hours: u32) -> Self {
        self.renewal_hours = hours;
        self
    }
}

fn caller(merchant_id: i64) -> Caller {
    Caller::Merchant {
        merchant_id,
        token_id: None,
    }
}

/// Maps a service error to what the dialogue can explain; unexpected failures are logged
/// here, once, and become `Unavailable`.
fn desk_error(e: ServiceError) -> DeskError {
    match e {
        ServiceError::NotEnoughLeft { left } if left > 0 => DeskError::NotEnoughLeft { left },
        ServiceError::NotEnoughLeft { .. } | ServiceError::NeedNotOpen(_) => DeskError::Gone,
        ServiceError::ClaimLimitReached { limit } => DeskError::ClaimLimitReached { limit },
        ServiceError::DeliverFirst => DeskError::DeliverFirst,
        ServiceError::CreditBandLimit => DeskError::CreditBandLimit,
        ServiceError::MerchantNotApproved => DeskError::Suspended,
        ServiceError::NotFound(_) | ServiceError::Forbidden | ServiceError::OrganizationSuspended => {
            DeskError::NotFound
        }
        ServiceError::IllegalTransition(_) | ServiceError::Conflict(_) => DeskError::WrongState,
        ServiceError::Sponsorship(SponsorRefusal::OfferClosed) => DeskError::OfferClosed,
        ServiceError::Sponsorship(_) => DeskError::NotSponsorable,
        ServiceError::Signup(_) | ServiceError::StaffCap(_) => DeskError::WrongState,
        ServiceError::Invalid { .. }
        | ServiceError::Validation(_)
        | ServiceError::WrongHandoffCode
        | ServiceError::ReasonRequired
        | ServiceError::HandoffLocked
        | ServiceError::IdempotencyKeyReused => DeskError::Invalid,
        ServiceError::Db(e) => {
            tracing::warn!(error = %e, "bot: database error");
            DeskError::Unavailable
        }
        ServiceError::Internal(e) => {
            tracing::warn!(error = %e, "bot: internal error");
            DeskError::Unavailable
        }
        ServiceError::Busy => DeskError::Unavailable,
    }
}

fn info_of(m: MerchantSummary) -> MerchantInfo {
    let status = match m.status {
        PartyStatus::Approved => MerchantStatus::Approved,
        PartyStatus::Pending => MerchantStatus::Pending,
        PartyStatus::Suspended => MerchantStatus::Suspended,
    };
    MerchantInfo {
        id: m.id,
        name: m.name,
        status,
        lang: m.locale,
    }
}

fn drop_off_view(d: Option<DropOff>) -> Option<DropOffView> {
    d.map(|d| DropOffView {
        name: d.name,
        address: d.address,
        opening_hours: d.opening_hours,
    })
}

/// A service need card as the bot shows it, in `lang`. Only public fields cross over.
pub fn card_view(card: needs::NeedCard, lang: Locale) -> NeedCardView {
    NeedCardView {
        id: card.id,
        category: card.category.label(lang).to_owned(),
        hours: card.category == Category::VolunteerHours,
        quantity_left: card.left(),
        title: card.title,
        description: card.description,
        unit: card.unit,
        community: match lang {
            Locale::ZhCn => card.community.0,
            Locale::En => card.community.1,
        },
        group: card.group.label(lang).to_owned(),
        deadline: card.deadline,
        drop_off: drop_off_view(card.drop_off),
        urgent: card.urgency == Urgency::Urgent,
    }
}

/// A claim as the bot shows it to its merchant.
fn claim_view(record: ClaimRecord) -> ClaimView {
    ClaimView {
        id: record.id,
        need_id: record.need_id,
        need_title: record.need_title,
        quantity: record.quantity,
        unit: record.unit,
        hours: record.hours,
        state: state_of(record.status),
        due: local_date(record.due_at),
        handoff_code: record.handoff_code.unwrap_or_default(),
        drop_off: drop_off_view(record.drop_off),
        dispute_reason: record.dispute_reason.filter(|_| record.status == ClaimStatus::Disputed),
        overdue: record.status.is_overdue(record.due_at, Utc::now()),
    }
}

/// A sponsorship as its sponsor sees it: the need's public facts and the period waiting.
fn sponsorship_card(view: SponsorshipView, lang: Locale) -> SponsorshipCard {
    SponsorshipCard {
        id: view.id,
        title: view.title,
        quantity: view.quantity,
        unit: view.unit,
        monthly: view.recurrence != crate::domain::Recurrence::Weekly,
        periods: view.periods,
        active: view.status == crate::domain::sponsorship::SponsorshipStatus::Active,
        offer: view.offer.map(|o| RenewalView {
            need_id: o.need_id,
            period: period_label(view.recurrence, o.deadline, lang),
            until: o
                .until
                .with_timezone(&crate::domain::time::LOCAL_OFFSET)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        }),
    }
}

/// Why a need cannot be claimed when the merchant may not see it or nothing is left:
/// the merchant's own claim (a double tap), someone else's, or no such need.
async fn unavailable_need(db: &DatabaseConnection, merchant_id: i64, need_id: i64) -> Result<DeskError, DeskError> {
    Ok(
        match claims::unclaimable(db, merchant_id, need_id)
            .await
            .map_err(desk_error)?
        {
            Unclaimable::NoSuchNeed => DeskError::NotFound,
            Unclaimable::AlreadyYours => DeskError::AlreadyYours,
            Unclaimable::Gone => DeskError::Gone,
        },
    )
}

fn state_of(status: ClaimStatus) -> ClaimState {
    match status {
        ClaimStatus::Active => ClaimState::Active,
        ClaimStatus::Delivered => ClaimState::Delivered,
        ClaimStatus::Confirmed => ClaimState::Confirmed,
        ClaimStatus::Disputed => ClaimState::Disputed,
        ClaimStatus::Released => ClaimState::Released,
        ClaimStatus::Lapsed => ClaimState::Lapsed,
    }
}

impl ServiceDesk {
    /// Settings as the bot shows them, labelled in `lang`.
    async fn settings_view(
        &self,
        merchant_id: i64,
        s: &AlertSettings,
        lang: Locale,
    ) -> Result<AlertSettingsView, DeskError> {
        let communities = self.communities(lang).await?;
        // Band D hears of no new needs: the settings say so, and how to lift it.
        let paused_by_credit = merchants::get(&self.db, merchant_id).await.map_err(desk_error)?.band()
            == crate::domain::credit::CreditBand::D;
        Ok(AlertSettingsView {
            categories: s
                .categories
                .iter()
                .map(|c| Choice {
                    code: c.as_str().to_owned(),
                    label: c.label(lang).to_owned(),
                })
                .collect(),
            communities: communities
                .into_iter()
                .filter(|c| s.communities.iter().any(|id| id.to_string() == c.code))
                .collect(),
            daily_cap: s.daily_cap,
            quiet_hours: s.quiet_hours.map(|q| (q.start(), q.end())),
            digest: s.mode == AlertMode::Digest,
            digest_minute: rules::DIGEST_MINUTE,
            urgent_always: s.urgent_always,
            other_subdistricts: s.other_subdistricts,
            paused_by_credit,
        })
    }
}

#[async_trait::async_trait]
impl MerchantDesk for ServiceDesk {
    async fn merchant(&self, merchant_id: i64) -> Result<MerchantInfo, DeskError> {
        merchants::get(&self.db, merchant_id)
            .await
            .map(info_of)
            .map_err(desk_error)
    }

    async fn link_chat(&self, chat_id: i64, code: &str) -> Result<MerchantInfo, DeskError> {
        match telegram::redeem_link_code(&self.db, &self.secret, chat_id, code, Utc::now())
            .await
            .map_err(desk_error)?
        {
            LinkOutcome::Linked(m) => Ok(info_of(*m)),
            LinkOutcome::Wrong => Err(DeskError::WrongCode),
            LinkOutcome::Expired => Err(DeskError::CodeExpired),
            LinkOutcome::LockedOut { minutes } => Err(DeskError::LockedOut { minutes }),
        }
    }

    async fn set_lang(&self, merchant_id: i64, lang: Locale) -> Result<(), DeskError> {
        merchants::set_locale(&self.db, merchant_id, lang, Utc::now())
            .await
            .map_err(desk_error)
    }

    fn categories(&self, lang: Locale) -> Vec<Choice> {
        Category::ALL
            .iter()
            .map(|c| Choice {
                code: c.as_str().to_owned(),
                label: c.label(lang).to_owned(),
            })
            .collect()
    }

    async fn communities(&self, lang: Locale) -> Result<Vec<Choice>, DeskError> {
        let all = organizations::communities(&self.db).await.map_err(desk_error)?;
        Ok(all
            .into_iter()
            .map(|c| Choice {
                code: c.id.to_string(),
                label: c.name_in(lang).to_owned(),
            })
            .collect())
    }

    async fn open_needs(&self, merchant_id: i64, query: &NeedQuery, lang: Locale) -> Result<NeedsPage, DeskError> {
        let category = match query.category.as_deref() {
            Some(code) => Some(code.parse::<Category>().map_err(|_| DeskError::NotFound)?),
            None => None,
        };
        let filter = matching::Filter {
            category,
            community_id: query.community_id,
        };
        let (cards, more) =
            matching::ordered_needs(&self.db, merchant_id, filter, query.page, query.per_page, Utc::now())
                .await
                .map_err(desk_error)?;
        Ok(NeedsPage {
            cards: cards.into_iter().map(|n| card_view(n, lang)).collect(),
            more,
        })
    }

    async fn need(&self, merchant_id: i64, need_id: i64, lang: Locale) -> Result<NeedCardView, DeskError> {
        let card = match needs::get_need(&self.db, &caller(merchant_id), need_id, Utc::now()).await {
            Ok(card) => card,
            Err(ServiceError::NotFound(_)) => return Err(unavailable_need(&self.db, merchant_id, need_id).await?),
            Err(e) => return Err(desk_error(e)),
        };
        if card.status != NeedStatus::Open || card.left() < 1 {
            return Err(unavailable_need(&self.db, merchant_id, need_id).await?);
        }
        Ok(card_view(card, lang))
    }

    async fn may_claim(&self, merchant_id: i64) -> Result<(), DeskError> {
        let m = self.merchant(merchant_id).await?;
        match m.status {
            MerchantStatus::Approved => {}
            MerchantStatus::Pending => return Err(DeskError::Pending),
            MerchantStatus::Suspended => return Err(DeskError::Suspended),
        }
        let (record, holding) = crate::services::merchants::merchant_record(&self.db, merchant_id, Utc::now())
            .await
            .map_err(desk_error)?;
        match claims::allowance_refusal(record.claim_allowance(), holding) {
            Some(refusal) => Err(desk_error(refusal)),
            None => Ok(()),
        }
    }

    async fn claim(
        &self,
        merchant_id: i64,
        need_id: i64,
        amount: Amount,
        key: &str,
        _lang: Locale,
    ) -> Result<Claimed, DeskError> {
        let who = caller(merchant_id);
        let now = Utc::now();
        let quantity = match amount {
            Amount::Exactly(q) => q,
            Amount::All => {
                // "All" means what is left when the button is handled; a retry of the same
                // update finds its own earlier claim by key instead of claiming the rest.
                claims::all_left(&self.db, &who, need_id, key, now)
                    .await
                    .map_err(desk_error)?
            }
        };
        let outcome = if quantity < 1 {
            Err(ServiceError::NotEnoughLeft { left: 0 })
        } else {
            claims::claim_need_in_chat(&self.db, &who, need_id, quantity, key, now).await
        };
        match outcome {
            Ok(done) => {
                let sponsorable = sponsorships::sponsorable(&self.db, need_id).await.map_err(desk_error)?;
                let claim = claim_view(done.claim);
                Ok(Claimed { claim, sponsorable })
            }
            Err(
                ServiceError::NotEnoughLeft { left: 0 }
                | ServiceError::NeedNotOpen(_)
                | ServiceError::IdempotencyKeyReused,
            ) => Err(unavailable_need(&self.db, merchant_id, need_id).await?),
            Err(e) => Err(desk_error(e)),
        }
    }

    async fn my_claims(&self, merchant_id: i64, _lang: Locale) -> Result<Vec<ClaimView>, DeskError> {
        let live = [ClaimStatus::Active, ClaimStatus::Delivered, ClaimStatus::Disputed];
        let records = claims::list_claims(&self.db, &caller(merchant_id), &live, 100)
            .await
            .map_err(desk_error)?;
        Ok(records.into_iter().rev().map(claim_view).collect())
    }

    async fn my_claim(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        let record = claims::get_claim(&self.db, &caller(merchant_id), claim_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(claim_view(record))
    }

    async fn mark_delivered(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        let record = claims::mark_delivered(&self.db, &caller(merchant_id), claim_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(claim_view(record))
    }

    async fn release(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        let record = claims::release(&self.db, &caller(merchant_id), claim_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(claim_view(record))
    }

    async fn resume(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        let record = claims::resume(&self.db, &caller(merchant_id), claim_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(claim_view(record))
    }

    async fn redeliver(
        &self,
        merchant_id: i64,
        claim_id: i64,
        note: &str,
        _lang: Locale,
    ) -> Result<ClaimView, DeskError> {
        let record = claims::redeliver(&self.db, &caller(merchant_id), claim_id, note, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(claim_view(record))
    }

    async fn offers(&self, merchant_id: i64, lang: Locale) -> Result<Vec<OfferView>, DeskError> {
        let all = offers::list(&self.db, merchant_id).await.map_err(desk_error)?;
        Ok(all.into_iter().map(|o| offer_view(o, lang)).collect())
    }

    async fn add_offer(&self, merchant_id: i64, offer: &OfferDraft, lang: Locale) -> Result<OfferView, DeskError> {
        let category = offer.category.parse::<Category>().map_err(|_| DeskError::Invalid)?;
        let new = offers::NewOffer {
            category,
            description: offer.description.clone(),
            monthly_capacity: offer.monthly_capacity,
            community_ids: offer.community_ids.clone(),
        };
        let added = offers::add(&self.db, merchant_id, new, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(offer_view(added, lang))
    }

    async fn set_offer_active(
        &self,
        merchant_id: i64,
        offer_id: i64,
        active: bool,
        lang: Locale,
    ) -> Result<OfferView, DeskError> {
        let changed = offers::set_active(&self.db, merchant_id, offer_id, active, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(offer_view(changed, lang))
    }

    async fn alert_settings(&self, merchant_id: i64, lang: Locale) -> Result<AlertSettingsView, DeskError> {
        let settings = alert_settings::get(&self.db, merchant_id).await.map_err(desk_error)?;
        self.settings_view(merchant_id, &settings, lang).await
    }

    async fn change_alert_settings(
        &self,
        merchant_id: i64,
        change: &AlertChange,
        lang: Locale,
    ) -> Result<AlertSettingsView, DeskError> {
        let change = match change {
            AlertChange::ToggleCategory(code) => {
                SettingsChange::ToggleCategory(code.parse::<Category>().map_err(|_| DeskError::NotFound)?)
            }
            AlertChange::AllCategories => SettingsChange::AllCategories,
            AlertChange::ToggleCommunity(id) => SettingsChange::ToggleCommunity(*id),
            AlertChange::AllCommunities => SettingsChange::AllCommunities,
            AlertChange::DailyCap(cap) => SettingsChange::DailyCap(*cap),
            AlertChange::QuietHours(None) => SettingsChange::QuietHours(None),
            AlertChange::QuietHours(Some((start, end))) => {
                SettingsChange::QuietHours(Some(QuietHours::new(*start, *end).map_err(|_| DeskError::Invalid)?))
            }
            AlertChange::Digest(on) => SettingsChange::Mode(if *on { AlertMode::Digest } else { AlertMode::Instant }),
            AlertChange::UrgentAlways(on) => SettingsChange::UrgentAlways(*on),
            AlertChange::OtherSubdistricts(on) => SettingsChange::OtherSubdistricts(*on),
        };
        let settings = alert_settings::change(&self.db, merchant_id, change, Utc::now())
            .await
            .map_err(desk_error)?;
        self.settings_view(merchant_id, &settings, lang).await
    }

    async fn sponsor(&self, merchant_id: i64, claim_id: i64, lang: Locale) -> Result<SponsorshipCard, DeskError> {
        let view = sponsorships::sponsor(&self.db, &caller(merchant_id), claim_id, self.renewal_hours, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(sponsorship_card(view, lang))
    }

    async fn renew(&self, merchant_id: i64, need_id: i64, _lang: Locale) -> Result<Claimed, DeskError> {
        let done = sponsorships::renew(&self.db, &caller(merchant_id), need_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(Claimed {
            claim: claim_view(done.claim),
            sponsorable: false,
        })
    }

    async fn stop_sponsoring(
        &self,
        merchant_id: i64,
        sponsorship_id: i64,
        lang: Locale,
    ) -> Result<SponsorshipCard, DeskError> {
        let view = sponsorships::stop(&self.db, &caller(merchant_id), sponsorship_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(sponsorship_card(view, lang))
    }

    async fn my_sponsorships(&self, merchant_id: i64, lang: Locale) -> Result<Vec<SponsorshipCard>, DeskError> {
        let views = sponsorships::of_merchant(&self.db, &caller(merchant_id), Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(views.into_iter().map(|v| sponsorship_card(v, lang)).collect())
    }

    async fn public_listing(&self, merchant_id: i64) -> Result<PublicListingView, DeskError> {
        let listing = merchants::public_listing(&self.db, merchant_id)
            .await
            .map_err(desk_error)?;
        Ok(PublicListingView {
            name: listing.name,
            shown: listing.shown,
        })
    }

    async fn set_shown_publicly(&self, merchant_id: i64, shown: bool) -> Result<PublicListingView, DeskError> {
        match merchants::set_shown_publicly(&self.db, merchant_id, shown, Utc::now()).await {
            Ok(_) => self.public_listing(merchant_id).await,
            // Tell waiting from suspended, which the service's one refusal does not.
            Err(ServiceError::MerchantNotApproved) => match self.merchant(merchant_id).await?.status {
                MerchantStatus::Pending => Err(DeskError::Pending),
                _ => Err(DeskError::Suspended),
            },
            Err(e) => Err(desk_error(e)),
        }
    }

    async fn certificate(&self, merchant_id: i64) -> Result<CertificateView, DeskError> {
        let now = Utc::now();
        let issued = match certificates::merchant_asks(&self.db, merchant_id, now).await {
            Ok(view) => Some(IssuedCertificate {
                number: view.number,
                deliveries: view.deliveries,
                staff_tenths: view.tenths,
            }),
            // No confirmed delivery this year yet: the reply says so.
            Err(ServiceError::Validation(_)) => None,
            Err(e) => return Err(desk_error(e)),
        };
        Ok(CertificateView {
            year: chrono::Datelike::year(&local_date(now)),
            issued,
            honour_roll: certificates::honour_roll_choice(&self.db, merchant_id)
                .await
                .map_err(desk_error)?,
        })
    }

    async fn set_honour_roll(&self, merchant_id: i64, on: bool) -> Result<bool, DeskError> {
        certificates::set_honour_roll(&self.db, merchant_id, on, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(on)
    }

    async fn credit(&self, merchant_id: i64) -> Result<CreditView, DeskError> {
        let credit = merchants::credit(&self.db, merchant_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(credit_view(&credit))
    }

    fn check_credit_code(&self, raw: &str) -> Result<String, CodeProblem> {
        CreditCode::parse(raw)
            .map(|c| c.as_str().to_owned())
            .map_err(|e| match e {
                CreditCodeError::Empty => CodeProblem::Empty,
                CreditCodeError::Length(n) => CodeProblem::Length(n),
                CreditCodeError::Character { position, found } => CodeProblem::Character { position, found },
                CreditCodeError::Check { .. } => CodeProblem::Check,
            })
    }

    fn check_phone(&self, raw: &str) -> Result<String, PhoneProblem> {
        business_phone(raw).map_err(|e| match e {
            PhoneError::Empty => PhoneProblem::Empty,
            PhoneError::Characters => PhoneProblem::Characters,
            PhoneError::Shape => PhoneProblem::Shape,
        })
    }

    async fn decline_request(&self, merchant_id: i64, need_id: i64) -> Result<(), DeskError> {
        use crate::services::directed_requests::{Declined, decline};
        match decline(&self.db, merchant_id, need_id, Utc::now()).await {
            Ok(Declined::Recorded) => Ok(()),
            Ok(Declined::HoldsClaim) => Err(DeskError::AlreadyYours),
            Err(e) => Err(desk_error(e)),
        }
    }

    async fn events(&self, merchant_id: i64, lang: Locale) -> Result<Vec<bots::EventView>, DeskError> {
        let cards = events::upcoming_for_merchant(&self.db, merchant_id, Utc::now())
            .await
            .map_err(desk_error)?;
        Ok(cards
            .into_iter()
            .map(|e| bots::EventView {
                id: e.id,
                title: e.title,
                kind: e.kind.label(lang).to_owned(),
                when: events::when(e.starts_at, e.ends_at),
                place: e.place.get(lang).to_owned(),
                roles: e
                    .roles
                    .into_iter()
                    .map(|r| bots::EventRoleView {
                        id: r.id,
                        name: r.name,
                        slots: i32::try_from(r.slots).unwrap_or(i32::MAX),
                        taken: i32::try_from(r.taken).unwrap_or(i32::MAX),
                    })
                    .collect(),
                open_needs: e.open_need_ids.len(),
            })
            .collect())
    }

    async fn event_needs(&self, merchant_id: i64, event_id: i64, lang: Locale) -> Result<Vec<NeedCardView>, DeskError> {
        let event = match events::card_for_merchant(&self.db, merchant_id, event_id, Utc::now()).await {
            Ok(event) => event,
            Err(ServiceError::NotFound(_)) => return Err(DeskError::NotFound),
            Err(e) => return Err(desk_error(e)),
        };
        // Each card as `/needs` reads it: a need taken meanwhile or offered to its sponsor
        // first is left out, as the merchant could not claim it.
        let mut cards = Vec::new();
        for need_id in event.open_need_ids {
            match self.need(merchant_id, need_id, lang).await {
                Ok(card) => cards.push(card),
                Err(DeskError::NotFound | DeskError::Gone | DeskError::AlreadyYours) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(cards)
    }

    async fn sign_up_staff(
        &self,
        merchant_id: i64,
        event_id: i64,
        role_id: i64,
        name: &str,
        key: &str,
    ) -> Result<bots::StaffSignup, DeskError> {
        let now = Utc::now();
        match events::signups::sign_up_staff(&self.db, merchant_id, event_id, role_id, name, Some(key), now).await {
            Ok(SignupOutcome::Confirmed) => Ok(bots::StaffSignup::Confirmed),
            Ok(SignupOutcome::Waitlisted { position }) => Ok(bots::StaffSignup::Waitlisted {
                position: u32::try_from(position).unwrap_or(u32::MAX),
            }),
            Err(ServiceError::StaffCap(cap)) => {
                let most = u32::try_from(crate::domain::event::MAX_STAFF_A_SHOP).unwrap_or(u32::MAX);
                Ok(bots::StaffSignup::TooMany(match cap {
                    StaffCap::Role { places } => bots::StaffLimit::Role {
                        places: u32::try_from(places).unwrap_or(0),
                        most,
                    },
                    StaffCap::Event { .. } => bots::StaffLimit::Event { most },
                }))
            }
            // Sign-ups closed, or the event is over or not the shop's: "this event is over".
            Err(ServiceError::NotFound(_) | ServiceError::Signup(_)) => Err(DeskError::NotFound),
            Err(e) => Err(desk_error(e)),
        }
    }

    async fn application(&self, chat_id: i64) -> Result<Option<ApplicationView>, DeskError> {
        let latest = merchant_applications::latest_of_chat(&self.db, chat_id)
            .await
            .map_err(desk_error)?;
        Ok(latest.map(application_view))
    }

    async fn submit_application(
        &self,
        chat_id: i64,
        draft: &JoinDraft,
        lang: Locale,
    ) -> Result<ApplicationView, DeskError> {
        let draft = ApplicationDraft {
            shop_name: draft.name.clone(),
            category: draft.category.clone(),
            community_id: draft.community_id,
            credit_code: draft.credit_code.clone(),
            phone: draft.phone.clone(),
            offer: draft.offer.clone(),
        };
        merchant_applications::submit(&self.db, chat_id, lang, &draft, Utc::now())
            .await
            .map(application_view)
            .map_err(|e| match e {
                ServiceError::Validation(ref errors) if errors.get("credit_code").is_some() => {
                    DeskError::CodeRegistered
                }
                other => desk_error(other),
            })
    }
}

fn application_view(a: merchant_applications::Application) -> ApplicationView {
    let state = match a.status {
        ApplicationStatus::Submitted => ApplicationState::Submitted,
        ApplicationStatus::MoreInfo => ApplicationState::MoreInfo,
        ApplicationStatus::Approved => ApplicationState::Approved,
        ApplicationStatus::Rejected => ApplicationState::Rejected,
    };
    ApplicationView {
        state,
        draft: JoinDraft {
            name: a.shop_name,
            category: a.category.as_str().to_owned(),
            community_id: a.community_id,
            credit_code: a.credit_code,
            phone: a.phone,
            offer: a.offer,
        },
        reason: a.reason,
    }
}

/// The dialogue's band for the domain's.
fn band_view(band: CreditBand) -> bots::CreditBand {
    match band {
        CreditBand::A => bots::CreditBand::A,
        CreditBand::B => bots::CreditBand::B,
        CreditBand::C => bots::CreditBand::C,
        CreditBand::D => bots::CreditBand::D,
    }
}

/// A merchant's credit as `/credit` shows it.
fn credit_view(c: &merchants::MerchantCredit) -> CreditView {
    let r = &c.record;
    // The mean rating in tenths of a star, rounded: 4.46 reads 4.5.
    let rating_tenths = (r.ratings > 0).then(|| (r.rating_sum * 20 + r.ratings) / (2 * r.ratings));
    CreditView {
        band: band_view(c.band),
        score: c.score,
        next_band_at: c.band.next_floor(),
        on_time: r.on_time,
        late: r.late,
        lapsed: r.lapsed,
        recent_lapses: r.recent_lapses,
        ratings: r.ratings,
        rating_tenths,
        holding: u32::try_from(c.holding).unwrap_or(u32::MAX),
        claim_limit: c.allowance.limit(),
    }
}

fn offer_view(o: offers::Offer, lang: Locale) -> OfferView {
    OfferView {
        id: o.id,
        category: o.category.label(lang).to_owned(),
        description: o.description,
        monthly_capacity: o.monthly_capacity,
        communities: o.communities.into_iter().map(|c| c.name_in(lang).to_owned()).collect(),
        active: o.active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_names_each_band_as_the_office_pages_do() {
        for band in CreditBand::ALL {
            for lang in Locale::ALL {
                assert_eq!(bots::text::credit::band_label(lang, band_view(*band)), band.label(lang));
            }
        }
    }

    #[test]
    fn the_mean_rating_is_shown_to_a_tenth_of_a_star() {
        let credit = |rating_sum, ratings| merchants::MerchantCredit {
            record: crate::domain::record::MerchantRecord {
                rating_sum,
                ratings,
                ..Default::default()
            },
            score: 60,
            band: CreditBand::B,
            holding: 0,
            allowance: crate::domain::record::ClaimAllowance::UpTo(3),
        };
        assert_eq!(credit_view(&credit(0, 0)).rating_tenths, None);
        assert_eq!(credit_view(&credit(9, 2)).rating_tenths, Some(45));
        assert_eq!(credit_view(&credit(13, 3)).rating_tenths, Some(43));
        assert_eq!(credit_view(&credit(14, 3)).rating_tenths, Some(47));
        assert_eq!(credit_view(&credit(5, 1)).rating_tenths, Some(50));
    }
}
