//! The case file's rules: a case is active or closed with a reason; a closed case may be
//! reopened until its personal data is erased, which happens once it has been closed for
//! the retention period. The consent wording a person agrees to is versioned here.

use chrono::{DateTime, Duration, Utc};

use super::Locale;

text_enum! {
    /// Where a case stands.
    CaseStatus, "case status" {
        Active => ("active", "在案", "Active"),
        Closed => ("closed", "已结案", "Closed"),
    }
}

text_enum! {
    /// Why a case was closed.
    ClosedReason, "closed reason" {
        MovedAway => ("moved_away", "已迁出本辖区", "Moved away"),
        PassedAway => ("passed_away", "已离世", "Passed away"),
        NoLongerInNeed => ("no_longer_in_need", "已不再需要帮扶", "No longer in need"),
        DeclinedService => ("declined_service", "本人拒绝服务", "Declined the service"),
    }
}

/// The version of the consent wording below; a new wording gets a new version, and the
/// version a person agreed to is stored with their consent.
pub const CONSENT_VERSION: &str = "2026-12";

/// The consent to data processing read to the person (PIPL Art. 28–29: their sensitive
/// personal data is processed only with their separate consent).
pub fn consent_wording(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => {
            "本人同意登记机构为提供帮扶服务，处理本人的姓名、电话、住址、身份证号码及家庭情况等个人信息（含敏感个人信息）。\
             这些信息加密保存，仅登记机构和街道办可查阅，不会提供给爱心商户或公开；结案满保存期限后删除。本人可随时撤回同意。"
        }
        Locale::En => {
            "I agree that the registering organization processes my name, phone, address, ID number and household \
             circumstances (including sensitive personal data) to provide support. They are kept encrypted, read only \
             by the organization and the subdistrict office, never given to merchants or made public, and erased once \
             the case has been closed for the retention period. I may withdraw this consent at any time."
        }
    }
}

/// Why a change of a case's status is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaseRefusal {
    /// The case is closed already.
    #[error("the case is closed already")]
    AlreadyClosed,
    /// Only a closed case can be reopened.
    #[error("the case is not closed")]
    NotClosed,
    /// The personal data of the case was erased: it cannot be reopened or changed.
    #[error("the case's personal data was erased")]
    Erased,
    /// No new need may be posted for a closed case.
    #[error("the case is closed")]
    Closed,
}

impl CaseRefusal {
    /// The refusal in `locale`, with what to do instead.
    pub fn message(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Self::AlreadyClosed, Locale::ZhCn) => "此个案已经结案，无需再次结案。",
            (Self::AlreadyClosed, Locale::En) => "This case is closed already; there is nothing to close.",
            (Self::NotClosed, Locale::ZhCn) => "此个案仍在案，无需重新开案。",
            (Self::NotClosed, Locale::En) => "This case is active; there is nothing to reopen.",
            (Self::Erased, Locale::ZhCn) => {
                "此个案结案已超过保存期限，个人信息已删除，无法重新开案或修改。如需继续帮扶，请重新登记。"
            }
            (Self::Erased, Locale::En) => {
                "This case was closed beyond the retention period and its personal data was erased: it cannot be \
                 reopened or changed. Register the person again to support them."
            }
            (Self::Closed, Locale::ZhCn) => "此个案已结案，不能再发布需求。如需继续帮扶，请先在个案页面重新开案。",
            (Self::Closed, Locale::En) => {
                "This case is closed, so no new need can be posted for it. Reopen the case on its page first."
            }
        }
    }

    /// A stable code for the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::AlreadyClosed => "case-already-closed",
            Self::NotClosed => "case-not-closed",
            Self::Erased => "case-erased",
            Self::Closed => "case-closed",
        }
    }
}

/// A case's status as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseState {
    /// Active or closed.
    pub status: CaseStatus,
    /// When its personal data was erased, if it was.
    pub erased_at: Option<DateTime<Utc>>,
}

impl CaseState {
    /// Closing: only an active case.
    pub fn close(self) -> Result<CaseStatus, CaseRefusal> {
        match self.status {
            CaseStatus::Active => Ok(CaseStatus::Closed),
            CaseStatus::Closed => Err(CaseRefusal::AlreadyClosed),
        }
    }

    /// Reopening: only a closed case whose data is still there.
    pub fn reopen(self) -> Result<CaseStatus, CaseRefusal> {
        match (self.status, self.erased_at) {
            (CaseStatus::Active, _) => Err(CaseRefusal::NotClosed),
            (CaseStatus::Closed, Some(_)) => Err(CaseRefusal::Erased),
            (CaseStatus::Closed, None) => Ok(CaseStatus::Active),
        }
    }

    /// Editing the details or recording consent: not once erased.
    pub fn edit(self) -> Result<(), CaseRefusal> {
        match self.erased_at {
            Some(_) => Err(CaseRefusal::Erased),
            None => Ok(()),
        }
    }

    /// Posting a need: only for an active case.
    pub fn post_need(self) -> Result<(), CaseRefusal> {
        match self.status {
            CaseStatus::Active => Ok(()),
            CaseStatus::Closed => Err(CaseRefusal::Closed),
        }
    }
}

/// The last moment a case may have closed to be erased at `now`, keeping `retention_days`.
pub fn erase_closed_before(now: DateTime<Utc>, retention_days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(retention_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: CaseStatus, erased: bool) -> CaseState {
        CaseState {
            status,
            erased_at: erased.then(Utc::now),
        }
    }

    #[test]
    fn an_active_case_closes_once() {
        assert_eq!(state(CaseStatus::Active, false).close(), Ok(CaseStatus::Closed));
        assert_eq!(
            state(CaseStatus::Closed, false).close(),
            Err(CaseRefusal::AlreadyClosed)
        );
    }

    #[test]
    fn a_closed_case_reopens_unless_erased() {
        assert_eq!(state(CaseStatus::Closed, false).reopen(), Ok(CaseStatus::Active));
        assert_eq!(state(CaseStatus::Active, false).reopen(), Err(CaseRefusal::NotClosed));
        assert_eq!(state(CaseStatus::Closed, true).reopen(), Err(CaseRefusal::Erased));
        assert_eq!(state(CaseStatus::Closed, true).edit(), Err(CaseRefusal::Erased));
        assert_eq!(state(CaseStatus::Closed, false).edit(), Ok(()));
    }

    #[test]
    fn only_an_active_case_takes_new_needs() {
        assert_eq!(state(CaseStatus::Active, false).post_need(), Ok(()));
        assert_eq!(state(CaseStatus::Closed, false).post_need(), Err(CaseRefusal::Closed));
    }

    #[test]
    fn erasure_waits_for_the_whole_period() {
        let now = "2029-12-07T00:00:00Z".parse::<DateTime<Utc>>().expect("time");
        assert_eq!(
            erase_closed_before(now, 1095),
            "2026-12-08T00:00:00Z".parse::<DateTime<Utc>>().expect("time")
        );
    }

    #[test]
    fn every_refusal_and_the_wording_read_in_both_languages() {
        for r in [
            CaseRefusal::AlreadyClosed,
            CaseRefusal::NotClosed,
            CaseRefusal::Erased,
            CaseRefusal::Closed,
        ] {
            assert_ne!(r.message(Locale::ZhCn), r.message(Locale::En));
            assert!(!r.code().is_empty());
        }
        assert_ne!(consent_wording(Locale::ZhCn), consent_wording(Locale::En));
        for reason in ClosedReason::ALL {
            assert_eq!(reason.as_str().parse::<ClosedReason>(), Ok(*reason));
        }
    }
}
