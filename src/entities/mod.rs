//! sea-orm entities, one module per table.

pub mod api_token;
pub mod audit_log;
pub mod beneficiary;
pub mod beneficiary_private;
pub mod bot_chat;
pub mod case_custody;
pub mod claim;
pub mod community;
pub mod contact;
pub mod drop_off_point;
pub mod idempotency_record;
pub mod login_throttle;
pub mod merchant;
pub mod merchant_alert_setting;
pub mod merchant_link_code;
pub mod need;
pub mod need_alert;
pub mod need_ladder;
pub mod offer;
pub mod offer_community;
pub mod organization;
pub mod organization_service;
pub mod outbox;
pub mod possible_duplicate;
pub mod referral;
pub mod referral_need;
pub mod staff;
pub mod telegram_update;
pub mod values;
pub mod volunteer;
pub mod volunteer_hour;
pub mod web_session;

/// Every `Entity`, renamed after its table, for glob import.
pub mod prelude {
    pub use super::api_token::Entity as ApiToken;
    pub use super::audit_log::Entity as AuditLog;
    pub use super::beneficiary::Entity as Beneficiary;
    pub use super::beneficiary_private::Entity as BeneficiaryPrivate;
    pub use super::bot_chat::Entity as BotChat;
    pub use super::case_custody::Entity as CaseCustody;
    pub use super::claim::Entity as Claim;
    pub use super::community::Entity as Community;
    pub use super::contact::Entity as Contact;
    pub use super::drop_off_point::Entity as DropOffPoint;
    pub use super::idempotency_record::Entity as IdempotencyRecord;
    pub use super::login_throttle::Entity as LoginThrottle;
    pub use super::merchant::Entity as Merchant;
    pub use super::merchant_alert_setting::Entity as MerchantAlertSetting;
    pub use super::merchant_link_code::Entity as MerchantLinkCode;
    pub use super::need::Entity as Need;
    pub use super::need_alert::Entity as NeedAlert;
    pub use super::need_ladder::Entity as NeedLadder;
    pub use super::offer::Entity as Offer;
    pub use super::offer_community::Entity as OfferCommunity;
    pub use super::organization::Entity as Organization;
    pub use super::organization_service::Entity as OrganizationService;
    pub use super::outbox::Entity as Outbox;
    pub use super::possible_duplicate::Entity as PossibleDuplicate;
    pub use super::referral::Entity as Referral;
    pub use super::referral_need::Entity as ReferralNeed;
    pub use super::staff::Entity as Staff;
    pub use super::telegram_update::Entity as TelegramUpdate;
    pub use super::volunteer::Entity as Volunteer;
    pub use super::volunteer_hour::Entity as VolunteerHour;
    pub use super::web_session::Entity as WebSession;
}
