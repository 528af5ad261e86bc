//! Admission by application (准入): what an organization's application must hold, where it
//! stands, and what approval makes of it. Pure: the service checks the communities and
//! the codes already taken.

use chrono::Duration;

use super::credit_code::{CreditCode, CreditCodeError, RegistrationKind};
use super::input::{FieldError, FieldErrors, text};
use super::party::{OrgKind, ServiceArea};

/// How long the link that verifies the contact email works; an application still
/// unverified then is deleted (it never reached the office).
pub const VERIFY_VALIDITY: Duration = Duration::hours(48);
/// How long the link to edit and resubmit, sent when the office asks for more, works.
pub const EDIT_VALIDITY: Duration = Duration::days(30);
/// How long the one-time link to set a new account's password works.
pub const WELCOME_VALIDITY: Duration = Duration::days(7);
/// Longest description.
pub const DESCRIPTION_MAX: usize = 1000;
/// Longest message of the office (what more it needs, why it rejects).
pub const MESSAGE_MAX: usize = 1000;

text_enum! {
    /// Where an application stands.
    ApplicationStatus, "application status" {
        /// Made, the contact email not yet verified: invisible to the office.
        Unverified => ("unverified", "待验证邮箱", "Email not yet verified"),
        /// Verified (or resubmitted): the office must review it.
        Submitted => ("submitted", "待审核", "Waiting for review"),
        /// The office asked for more: the applicant must edit and resubmit.
        MoreInfo => ("more_info", "待补充材料", "More information asked"),
        /// Admitted: the organization and its first account exist.
        Approved => ("approved", "已准入", "Approved"),
        /// Refused, with a reason.
        Rejected => ("rejected", "未获准入", "Rejected"),
    }
}

impl ApplicationStatus {
    /// True while the office has the application in hand (its credit code is "open").
    pub fn is_open(self) -> bool {
        matches!(self, ApplicationStatus::Submitted | ApplicationStatus::MoreInfo)
    }

    /// True when the office may approve, ask for more or reject now.
    pub fn awaits_office(self) -> bool {
        self == ApplicationStatus::Submitted
    }
}

/// The organization kind approval gives a body of registration `kind`. Every body admitted
/// through the form is a social organization in the relay's sense; the match is exhaustive
/// so that a new registration kind has to be decided here.
pub fn org_kind(kind: RegistrationKind) -> OrgKind {
    match kind {
        RegistrationKind::SocialGroup
        | RegistrationKind::SocialServiceAgency
        | RegistrationKind::Foundation
        | RegistrationKind::OtherCivilAffairs
        | RegistrationKind::Enterprise
        | RegistrationKind::IndividualBusiness
        | RegistrationKind::FarmersCooperative
        | RegistrationKind::Other => OrgKind::SocialOrganization,
    }
}

/// The registration types the form offers: the civil-affairs kinds an organization is,
/// and "other".
pub const DECLARABLE: [RegistrationKind; 5] = [
    RegistrationKind::SocialGroup,
    RegistrationKind::SocialServiceAgency,
    RegistrationKind::Foundation,
    RegistrationKind::OtherCivilAffairs,
    RegistrationKind::Other,
];

/// The form as typed (communities already as ids; each unknown one is refused by the service).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationForm {
    /// The organization's name.
    pub name: String,
    /// The unified social credit code.
    pub credit_code: String,
    /// The registration type chosen.
    pub declared_kind: String,
    /// The contact person.
    pub contact_name: String,
    /// The contact email.
    pub contact_email: String,
    /// Ticked service areas.
    pub areas: Vec<String>,
    /// Ticked communities (ids as text).
    pub communities: Vec<String>,
    /// A short description.
    pub description: String,
}

/// A checked application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationDraft {
    /// Name, trimmed.
    pub name: String,
    /// The code, checked.
    pub code: CreditCode,
    /// The registration type chosen.
    pub declared_kind: RegistrationKind,
    /// Contact person, trimmed.
    pub contact_name: String,
    /// Contact email, lower case.
    pub contact_email: String,
    /// Service areas, sorted, at least one.
    pub areas: Vec<ServiceArea>,
    /// Community ids, sorted, at least one.
    pub communities: Vec<i64>,
    /// Description, trimmed.
    pub description: String,
}

impl ApplicationDraft {
    /// True when the code names a body that civil affairs did not register (first
    /// character not 5): accepted, but the office is told.
    pub fn flagged(&self) -> bool {
        !self.code.is_social_organization()
    }
}

/// Checks a credit code as an organization's: 18 characters with the right check
/// character; an old 15-digit registration number is a shop's, not an organization's.
pub fn organization_code(raw: &str) -> Result<CreditCode, FieldError> {
    let code = CreditCode::parse(raw).map_err(|e| match e {
        CreditCodeError::Empty => FieldError::Required,
        other => FieldError::CreditCode(other),
    })?;
    if code.is_unified() {
        Ok(code)
    } else {
        Err(FieldError::NotAnOrganizationCode)
    }
}

/// A plausible email address, lower case.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(FieldError::Required);
    }
    let valid = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid { Ok(email) } else { Err(FieldError::NotAnEmail) }
}

impl ApplicationForm {
    /// Checks every field; every error is tied to its field.
    pub fn parse(&self) -> Result<ApplicationDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", text(&self.name, 2, 100));
        let code = errors.check("credit_code", organization_code(&self.credit_code));
        let declared_kind = errors.check(
            "declared_kind",
            self.declared_kind
                .parse::<RegistrationKind>()
                .ok()
                .filter(|k| DECLARABLE.contains(k))
                .ok_or(FieldError::NotChosen),
        );
        let contact_name = errors.check("contact_name", text(&self.contact_name, 1, 50));
        let contact_email = errors.check("contact_email", email(&self.contact_email));
        let areas: Result<Vec<ServiceArea>, _> = self.areas.iter().map(|a| a.parse::<ServiceArea>()).collect();
        let areas = errors.check(
            "areas",
            match areas {
                Ok(list) if list.is_empty() => Err(FieldError::NotChosen),
                Ok(mut list) => {
                    list.sort();
                    list.dedup();
                    Ok(list)
                }
                Err(_) => Err(FieldError::UnknownChoice),
            },
        );
        let communities: Result<Vec<i64>, _> = self.communities.iter().map(|c| c.trim().parse::<i64>()).collect();
        let communities = errors.check(
            "communities",
            match communities {
                Ok(list) if list.is_empty() => Err(FieldError::NotChosen),
                Ok(mut list) => {
                    list.sort_unstable();
                    list.dedup();
                    Ok(list)
                }
                Err(_) => Err(FieldError::UnknownChoice),
            },
        );
        let description = errors.check("description", text(&self.description, 10, DESCRIPTION_MAX));
        match (
            name,
            code,
            declared_kind,
            contact_name,
            contact_email,
            areas,
            communities,
            description,
        ) {
            (
                Some(name),
                Some(code),
                Some(declared_kind),
                Some(contact_name),
                Some(contact_email),
                Some(areas),
                Some(communities),
                Some(description),
            ) if errors.is_empty() => Ok(ApplicationDraft {
                name,
                code,
                declared_kind,
                contact_name,
                contact_email,
                areas,
                communities,
                description,
            }),
            _ => Err(errors),
        }
    }
}

/// Comma-separated codes of `areas`, as stored.
pub fn areas_text(areas: &[ServiceArea]) -> String {
    areas.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(",")
}

/// The areas of a stored list (an unknown code is skipped).
pub fn areas_of(stored: &str) -> Vec<ServiceArea> {
    stored.split(',').filter_map(|a| a.parse().ok()).collect()
}

/// The community ids of a stored list.
pub fn ids_of(stored: &str) -> Vec<i64> {
    stored.split(',').filter_map(|a| a.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ApplicationForm {
        ApplicationForm {
            name: "海山长者关爱协会".into(),
            credit_code: "51440300MJL1234567".into(),
            declared_kind: "social_group".into(),
            contact_name: "陈主任".into(),
            contact_email: "Chen@Example.org".into(),
            areas: vec!["elder_care".into(), "medical".into(), "elder_care".into()],
            communities: vec!["3".into(), "2".into()],
            description: "为辖区独居长者提供探访、陪诊和助餐服务。".into(),
        }
    }

    /// A code with a right check character, made from its first 17.
    fn valid_code(first17: &str) -> String {
        const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
        const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
        let sum: u32 = first17
            .bytes()
            .zip(WEIGHTS)
            .map(|(c, w)| ALPHABET.iter().position(|&a| a == c).unwrap_or(0) as u32 * w)
            .sum();
        let check = ALPHABET[((31 - sum % 31) % 31) as usize] as char;
        format!("{first17}{check}")
    }

    #[test]
    fn a_good_application_is_checked_sorted_and_lower_cased() {
        let mut f = form();
        f.credit_code = valid_code("51440300MJL123456");
        let draft = f.parse().expect("valid");
        assert_eq!(draft.contact_email, "chen@example.org");
        assert_eq!(draft.areas, vec![ServiceArea::ElderCare, ServiceArea::Medical]);
        assert_eq!(draft.communities, vec![2, 3]);
        assert_eq!(draft.code.kind(), RegistrationKind::SocialGroup);
        assert!(!draft.flagged());
        f.credit_code = valid_code("91440300MA5F12345");
        assert!(f.parse().expect("an enterprise's code is accepted").flagged());
    }

    #[test]
    fn every_wrong_field_is_named() {
        let f = ApplicationForm {
            credit_code: "51440300MJL12345".into(),
            contact_email: "not an email".into(),
            areas: vec!["flying".into()],
            ..ApplicationForm::default()
        };
        let errors = f.parse().expect_err("refused");
        assert_eq!(
            errors.get("credit_code"),
            Some(&FieldError::CreditCode(CreditCodeError::Length(16)))
        );
        assert_eq!(errors.get("contact_email"), Some(&FieldError::NotAnEmail));
        assert_eq!(errors.get("areas"), Some(&FieldError::UnknownChoice));
        assert_eq!(errors.get("communities"), Some(&FieldError::NotChosen));
        assert_eq!(errors.get("name"), Some(&FieldError::Required));
        assert_eq!(errors.get("declared_kind"), Some(&FieldError::NotChosen));
    }

    #[test]
    fn a_wrong_check_character_a_bad_character_and_an_old_number_are_refused() {
        let good = valid_code("52440300MJL123456");
        let last = good.chars().last().unwrap_or('0');
        let wrong = format!("{}{}", &good[..17], if last == '0' { '1' } else { '0' });
        assert!(matches!(
            organization_code(&wrong),
            Err(FieldError::CreditCode(CreditCodeError::Check { .. }))
        ));
        assert!(matches!(
            organization_code("52440300MJL12345O"),
            Err(FieldError::CreditCode(CreditCodeError::Length(17)))
        ));
        assert!(matches!(
            organization_code("5244030OMJL123456X"),
            Err(FieldError::CreditCode(CreditCodeError::Character {
                position: 8,
                found: 'O'
            }))
        ));
        assert_eq!(
            organization_code("440301000000003"),
            Err(FieldError::NotAnOrganizationCode)
        );
        assert_eq!(organization_code("  "), Err(FieldError::Required));
    }

    #[test]
    fn only_submitted_applications_await_the_office_and_open_ones_hold_their_code() {
        assert!(ApplicationStatus::Submitted.awaits_office());
        assert!(!ApplicationStatus::MoreInfo.awaits_office());
        assert!(ApplicationStatus::MoreInfo.is_open());
        assert!(!ApplicationStatus::Unverified.is_open());
        assert!(!ApplicationStatus::Rejected.is_open());
        assert_eq!(org_kind(RegistrationKind::Foundation), OrgKind::SocialOrganization);
    }
}
