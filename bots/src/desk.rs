//! The trait of what a merchant can do, and the views it returns. The main crate implements
//! it over its services; nothing here knows a database or a transport.

use chrono::NaiveDate;

use crate::Locale;

/// Where a merchant stands with the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerchantStatus {
    /// May claim.
    Approved,
    /// Waiting for the office's approval.
    Pending,
    /// Suspended by the office.
    Suspended,
}

/// The merchant behind a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantInfo {
    /// Its id.
    pub id: i64,
    /// Its public shop name.
    pub name: String,
    /// Admission state.
    pub status: MerchantStatus,
    /// The language it chose.
    pub lang: Locale,
}

/// A public drop-off point: a place, never a home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropOffView {
    /// Name of the point.
    pub name: String,
    /// Its public address.
    pub address: String,
    /// When it is open.
    pub opening_hours: String,
}

/// A need as a merchant may see it: no name, phone, address or beneficiary code, by
/// construction (the type has no field for them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedCardView {
    /// The need's id, for buttons.
    pub id: i64,
    /// Category label in the merchant's language.
    pub category: String,
    /// True for a volunteer-hours need (pledged in hours).
    pub hours: bool,
    /// Public title.
    pub title: String,
    /// Public description.
    pub description: String,
    /// Quantity not yet claimed.
    pub quantity_left: i32,
    /// Unit of the quantity.
    pub unit: String,
    /// Community name in the merchant's language.
    pub community: String,
    /// Beneficiary group label in the merchant's language.
    pub group: String,
    /// Last useful day.
    pub deadline: NaiveDate,
    /// Where to hand things over, if the organization has a point.
    pub drop_off: Option<DropOffView>,
    /// True for urgent needs.
    pub urgent: bool,
}

/// An upcoming event of the merchant's subdistrict, as `/events` lists it: public fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    /// The event's id, for buttons.
    pub id: i64,
    /// Public title.
    pub title: String,
    /// Its kind, labelled in the merchant's language (claiming event, charity market…).
    pub kind: String,
    /// When, as the merchant reads it ("12月20日 09:00–12:00").
    pub when: String,
    /// The public place (a community centre or drop-off point, never a home).
    pub place: String,
    /// Volunteer roles and their slots.
    pub roles: Vec<EventRoleView>,
    /// How many of the event's needs are still open.
    pub open_needs: usize,
}

/// A volunteer role of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRoleView {
    /// The role's id, for buttons.
    pub id: i64,
    /// Its name ("helper", "first aid").
    pub name: String,
    /// Places in all.
    pub slots: i32,
    /// Places taken.
    pub taken: i32,
}

impl EventRoleView {
    /// Places still free (none when full).
    pub fn free(&self) -> i32 {
        (self.slots - self.taken).max(0)
    }
}

/// What signing a staff member up for a role came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffSignup {
    /// Signed up.
    Confirmed,
    /// The role is full: on its waitlist at this place (1 = next).
    Waitlisted {
        /// The place on the waitlist.
        position: u32,
    },
    /// Nobody was signed up: the shop has as many staff signed up as it may.
    TooMany(StaffLimit),
}

/// The limit a shop's staff sign-ups reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffLimit {
    /// As many of the shop's staff hold the role as it has places.
    Role {
        /// The role's places.
        places: u32,
        /// The most a shop signs up for one event, told with it.
        most: u32,
    },
    /// The shop has signed up the most staff a shop may for one event.
    Event {
        /// That most.
        most: u32,
    },
}

/// Which open needs to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NeedQuery {
    /// A category code (`food`, `volunteer_hours`…), or any.
    pub category: Option<String>,
    /// A community id, or any.
    pub community_id: Option<i64>,
    /// Page number, from 0.
    pub page: u32,
    /// Cards a page.
    pub per_page: u32,
}

/// One page of needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsPage {
    /// The cards, best fit first.
    pub cards: Vec<NeedCardView>,
    /// True when another page follows.
    pub more: bool,
}

/// How much to claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// Everything still unclaimed.
    All,
    /// This many units.
    Exactly(i32),
}

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// To deliver.
    Active,
    /// Delivered, waiting for the social worker's confirmation.
    Delivered,
    /// Confirmed.
    Confirmed,
    /// The social worker disputed the delivery.
    Disputed,
    /// Given up.
    Released,
    /// Not delivered in time.
    Lapsed,
}

/// One of the merchant's own claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimView {
    /// The claim's id, for buttons.
    pub id: i64,
    /// The need claimed.
    pub need_id: i64,
    /// The need's public title.
    pub need_title: String,
    /// Quantity claimed.
    pub quantity: i32,
    /// Unit of the quantity.
    pub unit: String,
    /// True for volunteer hours.
    pub hours: bool,
    /// Where it stands.
    pub state: ClaimState,
    /// Deliver by this day.
    pub due: NaiveDate,
    /// Code to show at the drop-off point.
    pub handoff_code: String,
    /// Where to deliver.
    pub drop_off: Option<DropOffView>,
    /// Why the social worker disputed the delivery, while it is disputed.
    pub dispute_reason: Option<String>,
    /// Still to deliver and past its due date.
    pub overdue: bool,
}

/// A claim just made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The claim.
    pub claim: ClaimView,
    /// True when the need recurs with periods to come and nobody sponsors it: the merchant
    /// may sponsor every period (一对一).
    pub sponsorable: bool,
}

/// A period offered to its sponsor first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalView {
    /// The period's need, for the renew button.
    pub need_id: i64,
    /// The period, as people name it ("2027年1月", "January 2027").
    pub period: String,
    /// When the offer closes, local time.
    pub until: String,
}

/// One of the merchant's sponsorships: the need's public facts, never the person's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorshipCard {
    /// Its id, for buttons.
    pub id: i64,
    /// The need's public title.
    pub title: String,
    /// How much each period.
    pub quantity: i32,
    /// In what unit.
    pub unit: String,
    /// Monthly (true) or weekly.
    pub monthly: bool,
    /// Periods given so far.
    pub periods: u64,
    /// False once it ended.
    pub active: bool,
    /// The period waiting for the merchant's answer, if one does.
    pub offer: Option<RenewalView>,
}

/// A standing offer of the merchant (the resource library).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferView {
    /// Its id, for buttons.
    pub id: i64,
    /// Category label in the merchant's language.
    pub category: String,
    /// What is offered.
    pub description: String,
    /// Units a month.
    pub monthly_capacity: i32,
    /// Communities served, in the merchant's language.
    pub communities: Vec<String>,
    /// False when paused.
    pub active: bool,
}

/// A new standing offer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfferDraft {
    /// Category code.
    pub category: String,
    /// What is offered.
    pub description: String,
    /// Units a month.
    pub monthly_capacity: i32,
    /// Community ids served.
    pub community_ids: Vec<i64>,
}

/// A choice offered as a button: a category code or a community id, and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What goes into the callback data.
    pub code: String,
    /// What the merchant reads.
    pub label: String,
}

/// How a merchant hears of needs (`/alerts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettingsView {
    /// Categories of interest, labelled in the merchant's language; empty means all.
    pub categories: Vec<Choice>,
    /// Communities of interest, labelled; empty means all.
    pub communities: Vec<Choice>,
    /// Most alerts a day.
    pub daily_cap: u32,
    /// Quiet hours, local minutes after midnight (start, end); `None` for none.
    pub quiet_hours: Option<(u16, u16)>,
    /// True for one digest a day instead of each alert as it comes.
    pub digest: bool,
    /// When the digest goes out, local minutes after midnight.
    pub digest_minute: u16,
    /// True when urgent needs pass the cap, the quiet hours and the digest.
    pub urgent_always: bool,
    /// True to hear of needs of the district's other subdistricts too.
    pub other_subdistricts: bool,
    /// True while the shop's credit is in band D: it hears of no new needs, whatever the settings.
    pub paused_by_credit: bool,
}

/// One change to a merchant's alert settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertChange {
    /// Adds or removes a category (by code).
    ToggleCategory(String),
    /// Every category again.
    AllCategories,
    /// Adds or removes a community (by id).
    ToggleCommunity(i64),
    /// Every community again.
    AllCommunities,
    /// A new daily cap, 1 to [`MAX_DAILY_CAP`].
    DailyCap(u32),
    /// New quiet hours (start, end in local minutes), or none.
    QuietHours(Option<(u16, u16)>),
    /// Digest (true) or instant (false).
    Digest(bool),
    /// "Urgent needs always" on or off.
    UrgentAlways(bool),
    /// Needs of the district's other subdistricts too, or only the shop's own.
    OtherSubdistricts(bool),
}

/// The merchant's listing on the public transparency page (`/public`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicListingView {
    /// The shop's name, as the page would list it.
    pub name: String,
    /// True when the merchant chose to be shown.
    pub shown: bool,
}

/// A caring-merchant certificate as the shop's `/certificate` reply sums it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// Its number, checkable at `/verify/{number}`.
    pub number: String,
    /// Deliveries social workers confirmed in the year.
    pub deliveries: i64,
    /// Volunteer hours of the shop's staff confirmed in the year, in tenths.
    pub staff_tenths: i64,
}

/// `/certificate`: this year's caring-merchant certificate, if the shop has one to get, and
/// whether it stands on the roll of honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateView {
    /// The year certified.
    pub year: i32,
    /// The certificate; `None` before the first confirmed delivery (or staff hour) of the year.
    pub issued: Option<IssuedCertificate>,
    /// True when the shop chose to stand on the roll of honour (公益榜).
    pub honour_roll: bool,
}

/// A credit band (信用等级): A is the best, every new shop starts in B, and a shop in D holds
/// one claim at a time and hears of no new needs until its record lifts it (the main crate's
/// `domain::credit` holds the formula and the thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CreditBand {
    /// 85 points and up: offered urgent needs first.
    A,
    /// 50 to 84 points: as usual.
    B,
    /// 40 to 49 points: as usual, with a word on what would raise it.
    C,
    /// Below 40 points: one claim at a time, no alerts.
    D,
}

impl CreditBand {
    /// Every band, best first.
    pub const ALL: [CreditBand; 4] = [CreditBand::A, CreditBand::B, CreditBand::C, CreditBand::D];
}

/// The merchant's own credit (`/credit`): its band, what counts and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditView {
    /// Its band now.
    pub band: CreditBand,
    /// Its credit score, 0 to 100.
    pub score: i32,
    /// The score at which the band above begins (`None` in band A).
    pub next_band_at: Option<i32>,
    /// Deliveries made by their due date.
    pub on_time: u32,
    /// Deliveries made after it.
    pub late: u32,
    /// Claims that lapsed undelivered, ever.
    pub lapsed: u32,
    /// Of those, the ones in the last 90 days (they weigh most).
    pub recent_lapses: u32,
    /// Ratings received from social workers.
    pub ratings: u32,
    /// Their mean in tenths of a star (45 is 4.5 stars), when there is one.
    pub rating_tenths: Option<u32>,
    /// Claims it holds now.
    pub holding: u32,
    /// Claims it may hold at once now; 0 while it must deliver one first.
    pub claim_limit: u32,
}

/// What a shop typed in `/join`, step by step; complete once it reaches the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JoinDraft {
    /// The public shop name.
    pub name: String,
    /// A category code.
    pub category: String,
    /// The community id.
    pub community_id: i64,
    /// The credit code or registration number, as the desk normalized it.
    pub credit_code: String,
    /// The shop's business phone, as the desk normalized it.
    pub phone: String,
    /// What the shop can offer.
    pub offer: String,
}

/// Where a shop's application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationState {
    /// Waiting for the office.
    Submitted,
    /// The office asked for more: `/join` edits and submits again.
    MoreInfo,
    /// The office admitted the shop.
    Approved,
    /// The office declined.
    Rejected,
}

/// The latest application of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationView {
    /// Where it stands.
    pub state: ApplicationState,
    /// What was submitted.
    pub draft: JoinDraft,
    /// The office's message (more info) or reason (rejected).
    pub reason: Option<String>,
}

/// Why a typed credit code is not one, said in words by [`crate::text::join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Nothing typed.
    Empty,
    /// Neither 18 characters nor 15 digits: this many.
    Length(usize),
    /// A character credit codes never use, at this 1-based position.
    Character {
        /// 1-based position.
        position: usize,
        /// The character.
        found: char,
    },
    /// The check character does not match: a character was probably mistyped.
    Check,
}

/// Why a typed business phone is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    /// Nothing typed.
    Empty,
    /// Letters or other signs.
    Characters,
    /// Not a mainland mobile or landline.
    Shape,
}

/// The highest daily cap a merchant may type.
pub const MAX_DAILY_CAP: u32 = 50;

/// Why a merchant's request was refused, in terms the dialogue can explain. Each maps to
/// one reply in [`crate::text::refusal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// The chat is linked to no merchant.
    #[error("this chat is not linked to a merchant")]
    NotLinked,
    /// The merchant waits for approval.
    #[error("the merchant is pending approval")]
    Pending,
    /// The merchant is suspended.
    #[error("the merchant is suspended")]
    Suspended,
    /// Less is left than asked for.
    #[error("only {left} left")]
    NotEnoughLeft {
        /// What is left.
        left: i32,
    },
    /// Nothing is left or the need is closed: someone else was faster.
    #[error("the need is no longer open")]
    Gone,
    /// The merchant already holds a claim on this need (a double tap, say).
    #[error("already claimed by this merchant")]
    AlreadyYours,
    /// The merchant holds as many active claims as it may.
    #[error("claim limit of {limit} reached")]
    ClaimLimitReached {
        /// The merchant's current limit.
        limit: u32,
    },
    /// The merchant's last claims lapsed: deliver first.
    #[error("deliver an active claim first")]
    DeliverFirst,
    /// The merchant's credit is in band D and it holds its one claim.
    #[error("credit band D: one claim at a time")]
    CreditBandLimit,
    /// The need, claim or offer does not exist or is not the merchant's.
    #[error("not found")]
    NotFound,
    /// The claim is not in a state that allows this.
    #[error("the claim cannot do this now")]
    WrongState,
    /// A link code that does not exist or was used.
    #[error("wrong link code")]
    WrongCode,
    /// A link code past its 24 hours.
    #[error("expired link code")]
    CodeExpired,
    /// Too many wrong codes from this chat.
    #[error("chat locked out for {minutes} minutes")]
    LockedOut {
        /// Minutes to wait.
        minutes: i64,
    },
    /// The need cannot be sponsored every period: it does not recur, has no periods to come,
    /// or another merchant sponsors it already.
    #[error("the need cannot be sponsored")]
    NotSponsorable,
    /// The renewal window closed; the period went to other merchants.
    #[error("the renewal window closed")]
    OfferClosed,
    /// The credit code of a `/join` is held by an admitted (or suspended) shop already.
    #[error("the credit code is registered to a shop already")]
    CodeRegistered,
    /// Input the service refused (a field and what is wrong).
    #[error("invalid input")]
    Invalid,
    /// Something unexpected (the database is down, say). The adapter retries the update;
    /// the merchant hears an apology only when retries run out.
    #[error("temporarily unavailable")]
    Unavailable,
}

/// What a merchant can do, implemented by the main crate over its services.
#[async_trait::async_trait]
pub trait MerchantDesk: Send + Sync {
    /// The merchant with this id.
    async fn merchant(&self, merchant_id: i64) -> Result<MerchantInfo, DeskError>;
    /// Links `chat_id` to the merchant of a one-time `code`.
    async fn link_chat(&self, chat_id: i64, code: &str) -> Result<MerchantInfo, DeskError>;
    /// Remembers the merchant's language.
    async fn set_lang(&self, merchant_id: i64, lang: Locale) -> Result<(), DeskError>;
    /// The categories a need or offer may have, labelled in `lang`.
    fn categories(&self, lang: Locale) -> Vec<Choice>;
    /// The communities, labelled in `lang`.
    async fn communities(&self, lang: Locale) -> Result<Vec<Choice>, DeskError>;
    /// Open needs, best fit for the merchant first.
    async fn open_needs(&self, merchant_id: i64, query: &NeedQuery, lang: Locale) -> Result<NeedsPage, DeskError>;
    /// One open need.
    async fn need(&self, merchant_id: i64, need_id: i64, lang: Locale) -> Result<NeedCardView, DeskError>;
    /// `Ok` when the merchant may make another claim now (its claim limit is not reached).
    async fn may_claim(&self, merchant_id: i64) -> Result<(), DeskError>;
    /// Claims `amount` of need `need_id`; `key` makes a retried request return the first result.
    async fn claim(
        &self,
        merchant_id: i64,
        need_id: i64,
        amount: Amount,
        key: &str,
        lang: Locale,
    ) -> Result<Claimed, DeskError>;
    /// The merchant's claims that still need something from it.
    async fn my_claims(&self, merchant_id: i64, lang: Locale) -> Result<Vec<ClaimView>, DeskError>;
    /// One of the merchant's claims.
    async fn my_claim(&self, merchant_id: i64, claim_id: i64, lang: Locale) -> Result<ClaimView, DeskError>;
    /// The merchant says it delivered.
    async fn mark_delivered(&self, merchant_id: i64, claim_id: i64, lang: Locale) -> Result<ClaimView, DeskError>;
    /// The merchant gives a claim up.
    async fn release(&self, merchant_id: i64, claim_id: i64, lang: Locale) -> Result<ClaimView, DeskError>;
    /// The merchant takes a disputed claim up again.
    async fn resume(&self, merchant_id: i64, claim_id: i64, lang: Locale) -> Result<ClaimView, DeskError>;
    /// Answers a dispute: delivered again, with a note for the social worker.
    async fn redeliver(
        &self,
        merchant_id: i64,
        claim_id: i64,
        note: &str,
        lang: Locale,
    ) -> Result<ClaimView, DeskError>;
    /// Sponsors every period of the recurring need of claim `claim_id` (一对一).
    async fn sponsor(&self, merchant_id: i64, claim_id: i64, lang: Locale) -> Result<SponsorshipCard, DeskError>;
    /// Renews a sponsorship: claims the period `need_id` offered to the merchant.
    async fn renew(&self, merchant_id: i64, need_id: i64, lang: Locale) -> Result<Claimed, DeskError>;
    /// Stops sponsoring; a period waiting for an answer goes to other merchants.
    async fn stop_sponsoring(
        &self,
        merchant_id: i64,
        sponsorship_id: i64,
        lang: Locale,
    ) -> Result<SponsorshipCard, DeskError>;
    /// The merchant's active sponsorships.
    async fn my_sponsorships(&self, merchant_id: i64, lang: Locale) -> Result<Vec<SponsorshipCard>, DeskError>;
    /// The merchant's standing offers.
    async fn offers(&self, merchant_id: i64, lang: Locale) -> Result<Vec<OfferView>, DeskError>;
    /// Adds a standing offer.
    async fn add_offer(&self, merchant_id: i64, offer: &OfferDraft, lang: Locale) -> Result<OfferView, DeskError>;
    /// Pauses (`active = false`) or resumes an offer.
    async fn set_offer_active(
        &self,
        merchant_id: i64,
        offer_id: i64,
        active: bool,
        lang: Locale,
    ) -> Result<OfferView, DeskError>;
    /// The merchant's alert settings.
    async fn alert_settings(&self, merchant_id: i64, lang: Locale) -> Result<AlertSettingsView, DeskError>;
    /// Changes one alert setting; returns the settings as they are now.
    async fn change_alert_settings(
        &self,
        merchant_id: i64,
        change: &AlertChange,
        lang: Locale,
    ) -> Result<AlertSettingsView, DeskError>;
    /// The merchant's listing on the public transparency page.
    async fn public_listing(&self, merchant_id: i64) -> Result<PublicListingView, DeskError>;
    /// Shows the merchant on the public page (`true`) or stops showing it; only an approved
    /// merchant may be shown ([`DeskError::Pending`] or [`DeskError::Suspended`] otherwise).
    async fn set_shown_publicly(&self, merchant_id: i64, shown: bool) -> Result<PublicListingView, DeskError>;
    /// This year's caring-merchant certificate of an approved merchant (the same one again
    /// while nothing changed) and its roll-of-honour choice.
    async fn certificate(&self, merchant_id: i64) -> Result<CertificateView, DeskError>;
    /// Puts the shop on the roll of honour (`true`) or takes it off; returns the choice.
    async fn set_honour_roll(&self, merchant_id: i64, on: bool) -> Result<bool, DeskError>;
    /// The merchant's credit: band, score, what counts and the claims it may hold.
    async fn credit(&self, merchant_id: i64) -> Result<CreditView, DeskError>;
    /// Checks a typed credit code or registration number; its normalized form if right.
    fn check_credit_code(&self, raw: &str) -> Result<String, CodeProblem>;
    /// Checks a typed business phone; its normalized form if right.
    fn check_phone(&self, raw: &str) -> Result<String, PhoneProblem>;
    /// Says merchant `merchant_id` cannot help with need `need_id` it was asked about (a
    /// second tap changes nothing). [`DeskError::NotFound`] when it was not asked,
    /// [`DeskError::AlreadyYours`] while it holds a claim on the need.
    async fn decline_request(&self, merchant_id: i64, need_id: i64) -> Result<(), DeskError>;
    /// The upcoming events of the merchant's subdistrict, soonest first.
    async fn events(&self, merchant_id: i64, lang: Locale) -> Result<Vec<EventView>, DeskError>;
    /// The open needs of event `event_id` the merchant may claim; [`DeskError::NotFound`]
    /// when the event is not one of [`MerchantDesk::events`].
    async fn event_needs(&self, merchant_id: i64, event_id: i64, lang: Locale) -> Result<Vec<NeedCardView>, DeskError>;
    /// Signs the merchant's staff member `name` up for role `role_id` of event `event_id`
    /// (a waitlist place when the role is full).
    async fn sign_up_staff(
        &self,
        merchant_id: i64,
        event_id: i64,
        role_id: i64,
        name: &str,
        key: &str,
    ) -> Result<StaffSignup, DeskError>;
    /// The latest application of chat `chat_id`, if it ever applied.
    async fn application(&self, chat_id: i64) -> Result<Option<ApplicationView>, DeskError>;
    /// Submits (or, after the office asked for more, submits again) the application of
    /// `chat_id`. [`DeskError::WrongState`] when one is already waiting for the office,
    /// [`DeskError::CodeRegistered`] when a shop holds its credit code.
    async fn submit_application(
        &self,
        chat_id: i64,
        draft: &JoinDraft,
        lang: Locale,
    ) -> Result<ApplicationView, DeskError>;
}
