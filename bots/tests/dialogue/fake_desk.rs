//! A `MerchantDesk` in memory: a few merchants, needs, claims and offers, with the rules the
//! real desk applies that the dialogue depends on (idempotent claims, "already yours" against
//! "gone", the claim transitions), so the dialogue can be driven without a transport or a
//! database.

use std::sync::{Mutex, MutexGuard};

use bots::{
    AlertChange, AlertSettingsView, Amount, ApplicationState, ApplicationView, CertificateView, Choice, ClaimState,
    ClaimView, Claimed, CodeProblem, CreditBand, CreditView, DeskError, EventRoleView, EventView, IssuedCertificate,
    JoinDraft, Locale, MerchantDesk, MerchantInfo, MerchantStatus, NeedCardView, NeedQuery, NeedsPage, OfferDraft,
    OfferView, PhoneProblem, PublicListingView, RenewalView, SponsorshipCard, StaffSignup,
};
use chrono::NaiveDate;

/// The approved shop most tests talk as.
pub const SHOP: i64 = 1;
/// A second approved shop, to take a need from under the first.
pub const OTHER_SHOP: i64 = 2;
/// A shop waiting for the office's approval.
pub const PENDING_SHOP: i64 = 3;
/// A suspended shop.
pub const SUSPENDED_SHOP: i64 = 4;
/// The link code that links a chat to [`SHOP`].
pub const GOOD_CODE: &str = "K7M4XQAC";
/// The one credit code the fake desk takes (its rules: 18 characters, no I or O).
pub const GOOD_CREDIT_CODE: &str = "91440300MA5FXT4K3R";
/// A need of 5 bags of rice.
pub const RICE: i64 = 10;
/// A volunteer-hours need of 4 hours.
pub const VISITS: i64 = 11;
/// A need nobody may see any more.
pub const MISSING: i64 = 99;
/// A monthly need of 3 portions of groceries (after [`FakeDesk::add_groceries`]).
pub const GROCERIES: i64 = 12;
/// Its next period, offered to its sponsor by [`FakeDesk::offer_next_period`].
pub const NEXT_GROCERIES: i64 = 13;

/// The world behind the desk, open to tests for arranging and checking.
#[derive(Debug)]
pub struct World {
    /// Every merchant.
    pub merchants: Vec<MerchantInfo>,
    /// Every need, with what is left of it.
    pub needs: Vec<NeedCardView>,
    /// Every claim, with its merchant.
    pub claims: Vec<(i64, ClaimView)>,
    /// Idempotency keys of the claims made: merchant, key, claim id.
    pub keys: Vec<(i64, String, i64)>,
    /// Every offer, with its merchant.
    pub offers: Vec<(i64, OfferView)>,
    /// The alert settings (one set, for [`SHOP`]).
    pub alerts: AlertSettingsView,
    /// Whether [`SHOP`] is shown on the public page.
    pub shown: bool,
    /// A refusal `may_claim` answers with, if set.
    pub claim_refusal: Option<DeskError>,
    /// True while the database is "down": every call is unavailable.
    pub down: bool,
    /// The queries `open_needs` was asked.
    pub queries: Vec<NeedQuery>,
    /// Needs that recur, so a claim of them may become a sponsorship.
    pub recurring: Vec<i64>,
    /// Every sponsorship, with its merchant.
    pub sponsorships: Vec<(i64, SponsorshipCard)>,
    /// Periods offered to their sponsor: merchant, need, and whether the window is open.
    pub renewals: Vec<(i64, i64, bool)>,
    /// The credit every shop reads with `/credit` (a new shop's until a test sets another).
    pub credit: CreditView,
    /// Every application, with its chat, latest last.
    pub applications: Vec<(i64, ApplicationView)>,
    /// Requests about needs a social worker sent: (merchant, need, declined).
    pub asked: Vec<(i64, i64, bool)>,
    /// Upcoming events (one charity market with [`RICE`] among its needs).
    pub events: Vec<EventView>,
    /// Staff signed up: event, role, name, waitlisted.
    pub staff: Vec<(i64, i64, String, bool)>,
}

/// The charity market of [`FakeDesk::new`].
pub const MARKET: i64 = 30;
/// Its one role, of two places.
pub const HELPERS: i64 = 31;

/// The fake desk.
pub struct FakeDesk(Mutex<World>);

fn merchant(id: i64, name: &str, status: MerchantStatus) -> MerchantInfo {
    MerchantInfo {
        id,
        name: name.to_owned(),
        status,
        lang: Locale::ZhCn,
    }
}

fn need(id: i64, title: &str, left: i32, unit: &str, hours: bool) -> NeedCardView {
    NeedCardView {
        id,
        category: if hours { "志愿服务时长" } else { "食品" }.to_owned(),
        hours,
        title: title.to_owned(),
        description: "每周一次".to_owned(),
        quantity_left: left,
        unit: unit.to_owned(),
        community: "东和社区".to_owned(),
        group: "独居老人".to_owned(),
        deadline: day(),
        drop_off: None,
        urgent: false,
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 20).unwrap_or_default()
}

fn label(lang: Locale, zh: &str, en: &str) -> String {
    match lang {
        Locale::ZhCn => zh.to_owned(),
        Locale::En => en.to_owned(),
    }
}

impl FakeDesk {
    /// Four merchants, a rice need and a volunteer-hours need, nothing claimed.
    pub fn new() -> Self {
        Self(Mutex::new(World {
            merchants: vec![
                merchant(SHOP, "爱心面包", MerchantStatus::Approved),
                merchant(OTHER_SHOP, "沙头角便利店", MerchantStatus::Approved),
                merchant(PENDING_SHOP, "中英街药房", MerchantStatus::Pending),
                merchant(SUSPENDED_SHOP, "关门小店", MerchantStatus::Suspended),
            ],
            needs: vec![
                need(RICE, "大米", 5, "袋", false),
                need(VISITS, "陪伴探访", 4, "小时", true),
            ],
            claims: Vec::new(),
            keys: Vec::new(),
            offers: Vec::new(),
            alerts: AlertSettingsView {
                categories: Vec::new(),
                communities: Vec::new(),
                daily_cap: 10,
                quiet_hours: None,
                digest: false,
                digest_minute: 18 * 60,
                urgent_always: true,
                other_subdistricts: false,
                paused_by_credit: false,
            },
            shown: false,
            claim_refusal: None,
            down: false,
            queries: Vec::new(),
            recurring: Vec::new(),
            sponsorships: Vec::new(),
            renewals: Vec::new(),
            credit: CreditView {
                band: CreditBand::B,
                score: 60,
                next_band_at: Some(85),
                on_time: 0,
                late: 0,
                lapsed: 0,
                recent_lapses: 0,
                ratings: 0,
                rating_tenths: None,
                holding: 0,
                claim_limit: 3,
            },
            applications: Vec::new(),
            asked: Vec::new(),
            events: vec![EventView {
                id: MARKET,
                title: "爱心集市".to_owned(),
                kind: "集市".to_owned(),
                when: "12月20日 09:00–12:00".to_owned(),
                place: "东和社区党群服务中心".to_owned(),
                roles: vec![EventRoleView {
                    id: HELPERS,
                    name: "帮手".to_owned(),
                    slots: 2,
                    taken: 0,
                }],
                open_needs: 1,
            }],
            staff: Vec::new(),
        }))
    }

    /// Adds the monthly groceries need.
    pub fn add_groceries(&self) {
        let mut w = self.world();
        w.needs.push(need(GROCERIES, "每月米面油", 3, "份", false));
        w.recurring.push(GROCERIES);
    }

    /// Posts the groceries' next period and offers it to `merchant`, its window open or closed.
    pub fn offer_next_period(&self, merchant: i64, open: bool) {
        let mut w = self.world();
        w.needs.push(need(NEXT_GROCERIES, "每月米面油", 3, "份", false));
        w.recurring.push(NEXT_GROCERIES);
        w.renewals.push((merchant, NEXT_GROCERIES, open));
        for (m, card) in &mut w.sponsorships {
            if *m == merchant && card.active && open {
                card.offer = Some(RenewalView {
                    need_id: NEXT_GROCERIES,
                    period: "2027年1月".to_owned(),
                    until: "2027-01-28 08:00".to_owned(),
                });
            }
        }
    }

    /// The world, to arrange or check.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The merchant `id` as a session would hold it.
    pub fn info(&self, id: i64) -> MerchantInfo {
        self.world()
            .merchants
            .iter()
            .find(|m| m.id == id)
            .cloned()
            .expect("a merchant of the fake world")
    }

    /// Adds `count` more food needs of 3 bags each, ids from 20.
    pub fn add_needs(&self, count: i64) {
        let mut w = self.world();
        for i in 0..count {
            w.needs.push(need(20 + i, &format!("面粉 {i}"), 3, "袋", false));
        }
    }

    /// Gives `merchant` a claim in `state` on the rice need; returns its id.
    pub fn give_claim(&self, merchant: i64, state: ClaimState) -> i64 {
        let mut w = self.world();
        let id = 100 + w.claims.len() as i64;
        w.claims
            .push((merchant, claim_view(id, &need(RICE, "大米", 0, "袋", false), 2, state)));
        id
    }

    fn open(&self) -> Result<MutexGuard<'_, World>, DeskError> {
        let w = self.world();
        if w.down { Err(DeskError::Unavailable) } else { Ok(w) }
    }
}

fn claim_view(id: i64, card: &NeedCardView, quantity: i32, state: ClaimState) -> ClaimView {
    ClaimView {
        id,
        need_id: card.id,
        need_title: card.title.clone(),
        quantity,
        unit: card.unit.clone(),
        hours: card.hours,
        state,
        due: day(),
        handoff_code: "4821".to_owned(),
        drop_off: None,
        dispute_reason: (state == ClaimState::Disputed).then(|| "只收到一袋".to_owned()),
        overdue: false,
    }
}

impl World {
    /// A recurring need nobody sponsors yet.
    fn sponsorable(&self, need_id: i64) -> bool {
        self.recurring.contains(&need_id) && !self.sponsorships.iter().any(|(_, c)| c.active)
    }

    /// Why a need cannot be claimed: the merchant's own claim, someone else's, or no need.
    fn unavailable(&self, merchant: i64, need_id: i64) -> DeskError {
        if !self.needs.iter().any(|n| n.id == need_id) {
            DeskError::NotFound
        } else if self
            .claims
            .iter()
            .any(|(m, c)| *m == merchant && c.need_id == need_id && c.state == ClaimState::Active)
        {
            DeskError::AlreadyYours
        } else {
            DeskError::Gone
        }
    }

    fn claim_mut(&mut self, merchant: i64, claim_id: i64) -> Result<&mut ClaimView, DeskError> {
        self.claims
            .iter_mut()
            .find(|(m, c)| *m == merchant && c.id == claim_id)
            .map(|(_, c)| c)
            .ok_or(DeskError::NotFound)
    }

    /// Moves a claim from one of `from` to `to`, or refuses as the service would.
    fn transition(
        &mut self,
        merchant: i64,
        claim_id: i64,
        from: &[ClaimState],
        to: ClaimState,
    ) -> Result<ClaimView, DeskError> {
        let claim = self.claim_mut(merchant, claim_id)?;
        if !from.contains(&claim.state) {
            return Err(DeskError::WrongState);
        }
        claim.state = to;
        Ok(claim.clone())
    }
}

#[async_trait::async_trait]
impl MerchantDesk for FakeDesk {
    async fn merchant(&self, merchant_id: i64) -> Result<MerchantInfo, DeskError> {
        let w = self.open()?;
        w.merchants
            .iter()
            .find(|m| m.id == merchant_id)
            .cloned()
            .ok_or(DeskError::NotFound)
    }

    async fn link_chat(&self, _chat_id: i64, code: &str) -> Result<MerchantInfo, DeskError> {
        if code == GOOD_CODE {
            self.merchant(SHOP).await
        } else if code == "EXPIRED1" {
            Err(DeskError::CodeExpired)
        } else if code == "LOCKED01" {
            Err(DeskError::LockedOut { minutes: 42 })
        } else {
            Err(DeskError::WrongCode)
        }
    }

    async fn set_lang(&self, merchant_id: i64, lang: Locale) -> Result<(), DeskError> {
        let mut w = self.open()?;
        let m = w
            .merchants
            .iter_mut()
            .find(|m| m.id == merchant_id)
            .ok_or(DeskError::NotFound)?;
        m.lang = lang;
        Ok(())
    }

    fn categories(&self, lang: Locale) -> Vec<Choice> {
        vec![
            Choice {
                code: "food".to_owned(),
                label: label(lang, "食品", "Food"),
            },
            Choice {
                code: "volunteer_hours".to_owned(),
                label: label(lang, "志愿服务时长", "Volunteer hours"),
            },
        ]
    }

    async fn communities(&self, lang: Locale) -> Result<Vec<Choice>, DeskError> {
        drop(self.open()?);
        Ok(vec![
            Choice {
                code: "1".to_owned(),
                label: label(lang, "东和社区", "Donghe"),
            },
            Choice {
                code: "2".to_owned(),
                label: label(lang, "沙头角社区", "Shatoujiao"),
            },
        ])
    }

    async fn open_needs(&self, _merchant_id: i64, query: &NeedQuery, _lang: Locale) -> Result<NeedsPage, DeskError> {
        let mut w = self.open()?;
        w.queries.push(query.clone());
        let hours = query.category.as_deref() == Some("volunteer_hours");
        let fitting: Vec<NeedCardView> = w
            .needs
            .iter()
            .filter(|n| n.quantity_left > 0 && (query.category.is_none() || n.hours == hours))
            .cloned()
            .collect();
        let skip = (query.page * query.per_page) as usize;
        let cards: Vec<NeedCardView> = fitting
            .iter()
            .skip(skip)
            .take(query.per_page as usize)
            .cloned()
            .collect();
        Ok(NeedsPage {
            more: fitting.len() > skip + cards.len(),
            cards,
        })
    }

    async fn need(&self, merchant_id: i64, need_id: i64, _lang: Locale) -> Result<NeedCardView, DeskError> {
        let w = self.open()?;
        match w.needs.iter().find(|n| n.id == need_id) {
            Some(n) if n.quantity_left > 0 => Ok(n.clone()),
            _ => Err(w.unavailable(merchant_id, need_id)),
        }
    }

    async fn events(&self, _merchant_id: i64, _lang: Locale) -> Result<Vec<EventView>, DeskError> {
        Ok(self.open()?.events.clone())
    }

    async fn event_needs(
        &self,
        _merchant_id: i64,
        event_id: i64,
        _lang: Locale,
    ) -> Result<Vec<NeedCardView>, DeskError> {
        let w = self.open()?;
        if !w.events.iter().any(|e| e.id == event_id) {
            return Err(DeskError::NotFound);
        }
        Ok(w.needs
            .iter()
            .filter(|n| n.id == RICE && n.quantity_left > 0)
            .cloned()
            .collect())
    }

    async fn sign_up_staff(
        &self,
        _merchant_id: i64,
        event_id: i64,
        role_id: i64,
        name: &str,
        _key: &str,
    ) -> Result<StaffSignup, DeskError> {
        let mut w = self.open()?;
        let role = w
            .events
            .iter_mut()
            .filter(|e| e.id == event_id)
            .flat_map(|e| e.roles.iter_mut())
            .find(|r| r.id == role_id)
            .ok_or(DeskError::NotFound)?;
        let full = role.taken >= role.slots;
        if !full {
            role.taken += 1;
        }
        w.staff.push((event_id, role_id, name.to_owned(), full));
        let waiting = w
            .staff
            .iter()
            .filter(|s| s.0 == event_id && s.1 == role_id && s.3)
            .count();
        Ok(if full {
            StaffSignup::Waitlisted {
                position: u32::try_from(waiting).unwrap_or(u32::MAX),
            }
        } else {
            StaffSignup::Confirmed
        })
    }

    async fn may_claim(&self, _merchant_id: i64) -> Result<(), DeskError> {
        match self.open()?.claim_refusal.clone() {
            Some(refusal) => Err(refusal),
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
        let mut w = self.open()?;
        let earlier = w
            .keys
            .iter()
            .find(|(m, k, _)| *m == merchant_id && k == key)
            .map(|(_, _, id)| *id);
        if let Some(id) = earlier {
            let claim = w.claim_mut(merchant_id, id)?.clone();
            let sponsorable = w.sponsorable(need_id);
            return Ok(Claimed { claim, sponsorable });
        }
        let Some(card) = w.needs.iter_mut().find(|n| n.id == need_id) else {
            return Err(DeskError::NotFound);
        };
        let left = card.quantity_left;
        let quantity = match amount {
            Amount::All => left,
            Amount::Exactly(q) => q,
        };
        if left < 1 {
            return Err(w.unavailable(merchant_id, need_id));
        }
        if quantity > left {
            return Err(DeskError::NotEnoughLeft { left });
        }
        card.quantity_left -= quantity;
        let card = card.clone();
        let id = 100 + w.claims.len() as i64;
        let claim = claim_view(id, &card, quantity, ClaimState::Active);
        w.claims.push((merchant_id, claim.clone()));
        w.keys.push((merchant_id, key.to_owned(), id));
        let sponsorable = w.sponsorable(need_id);
        Ok(Claimed { claim, sponsorable })
    }

    async fn my_claims(&self, merchant_id: i64, _lang: Locale) -> Result<Vec<ClaimView>, DeskError> {
        let w = self.open()?;
        Ok(w.claims
            .iter()
            .filter(|(m, c)| {
                *m == merchant_id
                    && matches!(
                        c.state,
                        ClaimState::Active | ClaimState::Delivered | ClaimState::Disputed
                    )
            })
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn my_claim(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        Ok(self.open()?.claim_mut(merchant_id, claim_id)?.clone())
    }

    async fn mark_delivered(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        self.open()?
            .transition(merchant_id, claim_id, &[ClaimState::Active], ClaimState::Delivered)
    }

    async fn release(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        self.open()?.transition(
            merchant_id,
            claim_id,
            &[ClaimState::Active, ClaimState::Disputed],
            ClaimState::Released,
        )
    }

    async fn resume(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<ClaimView, DeskError> {
        self.open()?
            .transition(merchant_id, claim_id, &[ClaimState::Disputed], ClaimState::Active)
    }

    async fn redeliver(
        &self,
        merchant_id: i64,
        claim_id: i64,
        note: &str,
        _lang: Locale,
    ) -> Result<ClaimView, DeskError> {
        if note.trim().is_empty() || note.chars().count() > 200 {
            return Err(DeskError::Invalid);
        }
        self.open()?
            .transition(merchant_id, claim_id, &[ClaimState::Disputed], ClaimState::Delivered)
    }

    async fn offers(&self, merchant_id: i64, _lang: Locale) -> Result<Vec<OfferView>, DeskError> {
        let w = self.open()?;
        Ok(w.offers
            .iter()
            .filter(|(m, _)| *m == merchant_id)
            .map(|(_, o)| o.clone())
            .collect())
    }

    async fn add_offer(&self, merchant_id: i64, offer: &OfferDraft, lang: Locale) -> Result<OfferView, DeskError> {
        let category = self
            .categories(lang)
            .into_iter()
            .find(|c| c.code == offer.category)
            .ok_or(DeskError::Invalid)?;
        let communities = self.communities(lang).await?;
        let mut w = self.open()?;
        let view = OfferView {
            id: 500 + w.offers.len() as i64,
            category: category.label,
            description: offer.description.clone(),
            monthly_capacity: offer.monthly_capacity,
            communities: communities
                .into_iter()
                .filter(|c| offer.community_ids.iter().any(|id| id.to_string() == c.code))
                .map(|c| c.label)
                .collect(),
            active: true,
        };
        w.offers.push((merchant_id, view.clone()));
        Ok(view)
    }

    async fn set_offer_active(
        &self,
        merchant_id: i64,
        offer_id: i64,
        active: bool,
        _lang: Locale,
    ) -> Result<OfferView, DeskError> {
        let mut w = self.open()?;
        let (_, offer) = w
            .offers
            .iter_mut()
            .find(|(m, o)| *m == merchant_id && o.id == offer_id)
            .ok_or(DeskError::NotFound)?;
        offer.active = active;
        Ok(offer.clone())
    }

    async fn alert_settings(&self, _merchant_id: i64, _lang: Locale) -> Result<AlertSettingsView, DeskError> {
        Ok(self.open()?.alerts.clone())
    }

    async fn change_alert_settings(
        &self,
        _merchant_id: i64,
        change: &AlertChange,
        lang: Locale,
    ) -> Result<AlertSettingsView, DeskError> {
        let categories = self.categories(lang);
        let communities = self.communities(lang).await?;
        let mut w = self.open()?;
        let toggle = |list: &mut Vec<Choice>, choice: Option<Choice>| {
            if let Some(choice) = choice {
                match list.iter().position(|c| c.code == choice.code) {
                    Some(at) => {
                        list.remove(at);
                    }
                    None => list.push(choice),
                }
            }
        };
        let a = &mut w.alerts;
        match change {
            AlertChange::ToggleCategory(code) => {
                toggle(&mut a.categories, categories.into_iter().find(|c| c.code == *code));
            }
            AlertChange::AllCategories => a.categories.clear(),
            AlertChange::ToggleCommunity(id) => {
                let found = communities.into_iter().find(|c| c.code == id.to_string());
                if found.is_none() {
                    return Err(DeskError::NotFound);
                }
                toggle(&mut a.communities, found);
            }
            AlertChange::AllCommunities => a.communities.clear(),
            AlertChange::DailyCap(cap) => a.daily_cap = *cap,
            AlertChange::QuietHours(quiet) => a.quiet_hours = *quiet,
            AlertChange::Digest(on) => a.digest = *on,
            AlertChange::UrgentAlways(on) => a.urgent_always = *on,
            AlertChange::OtherSubdistricts(on) => a.other_subdistricts = *on,
        }
        Ok(a.clone())
    }

    async fn sponsor(&self, merchant_id: i64, claim_id: i64, _lang: Locale) -> Result<SponsorshipCard, DeskError> {
        let mut w = self.open()?;
        let claim = w.claim_mut(merchant_id, claim_id)?.clone();
        if let Some((_, mine)) = w.sponsorships.iter().find(|(m, c)| *m == merchant_id && c.active) {
            return Ok(mine.clone());
        }
        if !w.sponsorable(claim.need_id) {
            return Err(DeskError::NotSponsorable);
        }
        let card = SponsorshipCard {
            id: 500 + w.sponsorships.len() as i64,
            title: claim.need_title.clone(),
            quantity: claim.quantity,
            unit: claim.unit.clone(),
            monthly: true,
            periods: 1,
            active: true,
            offer: None,
        };
        w.sponsorships.push((merchant_id, card.clone()));
        Ok(card)
    }

    async fn renew(&self, merchant_id: i64, need_id: i64, lang: Locale) -> Result<Claimed, DeskError> {
        let open = self
            .open()?
            .renewals
            .iter()
            .any(|(m, n, open)| *m == merchant_id && *n == need_id && *open);
        if !open {
            return Err(DeskError::OfferClosed);
        }
        let quantity = {
            let mut w = self.open()?;
            w.renewals.retain(|(m, n, _)| !(*m == merchant_id && *n == need_id));
            let (_, card) = w
                .sponsorships
                .iter_mut()
                .find(|(m, c)| *m == merchant_id && c.active)
                .ok_or(DeskError::OfferClosed)?;
            card.offer = None;
            card.periods += 1;
            card.quantity
        };
        let key = format!("renew:{need_id}");
        let mut claimed = self
            .claim(merchant_id, need_id, Amount::Exactly(quantity), &key, lang)
            .await?;
        claimed.sponsorable = false;
        Ok(claimed)
    }

    async fn stop_sponsoring(
        &self,
        merchant_id: i64,
        sponsorship_id: i64,
        _lang: Locale,
    ) -> Result<SponsorshipCard, DeskError> {
        let mut w = self.open()?;
        let (_, card) = w
            .sponsorships
            .iter_mut()
            .find(|(m, c)| *m == merchant_id && c.id == sponsorship_id)
            .ok_or(DeskError::NotFound)?;
        card.active = false;
        card.offer = None;
        let card = card.clone();
        w.renewals.retain(|(m, _, _)| *m != merchant_id);
        Ok(card)
    }

    async fn my_sponsorships(&self, merchant_id: i64, _lang: Locale) -> Result<Vec<SponsorshipCard>, DeskError> {
        let w = self.open()?;
        Ok(w.sponsorships
            .iter()
            .filter(|(m, c)| *m == merchant_id && c.active)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn public_listing(&self, merchant_id: i64) -> Result<PublicListingView, DeskError> {
        let w = self.open()?;
        let m = w
            .merchants
            .iter()
            .find(|m| m.id == merchant_id)
            .ok_or(DeskError::NotFound)?;
        Ok(PublicListingView {
            name: m.name.clone(),
            shown: w.shown,
        })
    }

    async fn certificate(&self, merchant_id: i64) -> Result<CertificateView, DeskError> {
        let w = self.open()?;
        if !w.merchants.iter().any(|m| m.id == merchant_id) {
            return Err(DeskError::NotFound);
        }
        Ok(CertificateView {
            year: 2026,
            issued: Some(IssuedCertificate {
                number: "YT-2026-0ABCDEFG".into(),
                deliveries: 3,
                staff_tenths: 45,
            }),
            honour_roll: false,
        })
    }

    async fn set_honour_roll(&self, merchant_id: i64, on: bool) -> Result<bool, DeskError> {
        let w = self.open()?;
        if !w.merchants.iter().any(|m| m.id == merchant_id) {
            return Err(DeskError::NotFound);
        }
        Ok(on)
    }

    async fn credit(&self, merchant_id: i64) -> Result<CreditView, DeskError> {
        let w = self.open()?;
        if !w.merchants.iter().any(|m| m.id == merchant_id) {
            return Err(DeskError::NotFound);
        }
        Ok(w.credit.clone())
    }

    async fn set_shown_publicly(&self, merchant_id: i64, shown: bool) -> Result<PublicListingView, DeskError> {
        let status = self.merchant(merchant_id).await?.status;
        match (shown, status) {
            (true, MerchantStatus::Pending) => return Err(DeskError::Pending),
            (true, MerchantStatus::Suspended) => return Err(DeskError::Suspended),
            _ => self.open()?.shown = shown,
        }
        self.public_listing(merchant_id).await
    }

    fn check_credit_code(&self, raw: &str) -> Result<String, CodeProblem> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if code.is_empty() {
            return Err(CodeProblem::Empty);
        }
        let length = code.chars().count();
        if length != 18 {
            return Err(CodeProblem::Length(length));
        }
        if let Some((i, found)) = code.chars().enumerate().find(|(_, c)| matches!(c, 'I' | 'O')) {
            return Err(CodeProblem::Character { position: i + 1, found });
        }
        if code == GOOD_CREDIT_CODE {
            Ok(code)
        } else {
            Err(CodeProblem::Check)
        }
    }

    fn check_phone(&self, raw: &str) -> Result<String, PhoneProblem> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.is_empty() {
            return Err(PhoneProblem::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneProblem::Characters);
        }
        if digits.len() == 11 && digits.starts_with('1') {
            Ok(digits)
        } else {
            Err(PhoneProblem::Shape)
        }
    }

    async fn decline_request(&self, merchant_id: i64, need_id: i64) -> Result<(), DeskError> {
        let mut w = self.open()?;
        let asked = w
            .asked
            .iter_mut()
            .find(|(m, n, _)| *m == merchant_id && *n == need_id)
            .ok_or(DeskError::NotFound)?;
        asked.2 = true;
        Ok(())
    }

    async fn application(&self, chat_id: i64) -> Result<Option<ApplicationView>, DeskError> {
        Ok(self
            .open()?
            .applications
            .iter()
            .rev()
            .find(|(chat, _)| *chat == chat_id)
            .map(|(_, view)| view.clone()))
    }

    async fn submit_application(
        &self,
        chat_id: i64,
        draft: &JoinDraft,
        _lang: Locale,
    ) -> Result<ApplicationView, DeskError> {
        let mut w = self.open()?;
        let view = ApplicationView {
            state: ApplicationState::Submitted,
            draft: draft.clone(),
            reason: None,
        };
        match w.applications.iter_mut().rev().find(|(chat, _)| *chat == chat_id) {
            Some((_, open)) if open.state == ApplicationState::Submitted => return Err(DeskError::WrongState),
            Some((_, open)) if open.state == ApplicationState::MoreInfo => *open = view.clone(),
            _ => w.applications.push((chat_id, view.clone())),
        }
        Ok(view)
    }
}
