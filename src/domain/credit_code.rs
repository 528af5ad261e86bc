//! Registration numbers of organizations and shops: the unified social credit code
//! (统一社会信用代码, GB 32100-2015) and the older 15-digit business registration number
//! (注册号, GB/T 17710 check digit) that many individual businesses (个体工商户) still show.
//!
//! A code is checked by its check character, so a mistyped code is refused at once with what
//! is wrong (length, a character the code never uses, the check character), before anyone
//! reviews an application built on it.

use std::fmt;

/// The 31 characters of a credit code, in value order 0–30 (no I, O, Z, S, V).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17: 3^(i−1) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

text_enum! {
    /// What kind of body a credit code names, from its first two characters.
    RegistrationKind, "registration kind" {
        /// 社会团体 (civil affairs, 51).
        SocialGroup => ("social_group", "社会团体", "Social group"),
        /// 民办非企业单位 / 社会服务机构 (civil affairs, 52).
        SocialServiceAgency => ("social_service_agency", "社会服务机构（民办非企业单位）", "Social service agency"),
        /// 基金会 (civil affairs, 53).
        Foundation => ("foundation", "基金会", "Foundation"),
        /// Another body registered by civil affairs (59).
        OtherCivilAffairs => ("other_civil_affairs", "其他民政登记组织", "Other civil-affairs registration"),
        /// 企业 (market regulation, 91).
        Enterprise => ("enterprise", "企业", "Enterprise"),
        /// 个体工商户 (market regulation, 92; or an old 15-digit registration number).
        IndividualBusiness => ("individual_business", "个体工商户", "Individual business"),
        /// 农民专业合作社 (market regulation, 93).
        FarmersCooperative => ("farmers_cooperative", "农民专业合作社", "Farmers' cooperative"),
        /// 机关、事业单位 and every other registering authority.
        Other => ("other", "其他登记机关", "Other registering authority"),
    }
}

/// A registration number whose check character is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode {
    text: String,
}

/// Why a registration number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Nothing was given.
    #[error("the code is empty")]
    Empty,
    /// Neither 18 characters (a credit code) nor 15 digits (a registration number).
    #[error("the code has {0} characters; a unified social credit code has 18")]
    Length(usize),
    /// A character no credit code uses (I, O, Z, S, V, punctuation, …), at this position (1-based).
    #[error("character {position} (`{found}`) is not used in credit codes")]
    Character {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The check character does not match the rest: a character was mistyped.
    #[error("the check character should be `{expected}`: a character was probably mistyped")]
    Check {
        /// What the check character would be for the first 17 (or 14) characters.
        expected: char,
    },
}

impl CreditCode {
    /// Checks `raw` (spaces and hyphens ignored, lower case and full-width characters from a
    /// Chinese keyboard accepted): an 18-character unified social credit code or a 15-digit
    /// registration number.
    pub fn parse(raw: &str) -> Result<Self, CreditCodeError> {
        use unicode_normalization::UnicodeNormalization;
        let text: String = raw
            .nfkc()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match text.chars().count() {
            0 => Err(CreditCodeError::Empty),
            18 => check_unified(&text).map(|()| CreditCode { text }),
            15 if text.bytes().all(|b| b.is_ascii_digit()) => check_registration(&text).map(|()| CreditCode { text }),
            n => Err(CreditCodeError::Length(n)),
        }
    }

    /// The code as stored: upper case, no spaces.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True for an 18-character unified social credit code (not an old registration number).
    pub fn is_unified(&self) -> bool {
        self.text.len() == 18
    }

    /// What kind of body the code names.
    pub fn kind(&self) -> RegistrationKind {
        if !self.is_unified() {
            return RegistrationKind::IndividualBusiness;
        }
        match &self.text[..2] {
            "51" => RegistrationKind::SocialGroup,
            "52" => RegistrationKind::SocialServiceAgency,
            "53" => RegistrationKind::Foundation,
            "59" => RegistrationKind::OtherCivilAffairs,
            "91" => RegistrationKind::Enterprise,
            "92" => RegistrationKind::IndividualBusiness,
            "93" => RegistrationKind::FarmersCooperative,
            _ => RegistrationKind::Other,
        }
    }

    /// True when a civil-affairs authority registered the body (a social organization).
    pub fn is_social_organization(&self) -> bool {
        matches!(
            self.kind(),
            RegistrationKind::SocialGroup
                | RegistrationKind::SocialServiceAgency
                | RegistrationKind::Foundation
                | RegistrationKind::OtherCivilAffairs
        )
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|v| v as u32)
}

/// GB 32100-2015: the 18th character is (31 − Σ value × weight mod 31) mod 31.
fn check_unified(text: &str) -> Result<(), CreditCodeError> {
    let mut values = [0u32; 18];
    for (i, (c, slot)) in text.chars().zip(values.iter_mut()).enumerate() {
        let value = u8::try_from(c).ok().and_then(value_of);
        *slot = value.ok_or(CreditCodeError::Character {
            position: i + 1,
            found: c,
        })?;
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let expected = (31 - sum % 31) % 31;
    if values[17] == expected {
        Ok(())
    } else {
        Err(CreditCodeError::Check {
            expected: char::from(ALPHABET[expected as usize]),
        })
    }
}

/// GB/T 17710 (ISO 7064 MOD 11,10) over the 15 digits of an old registration number.
fn check_registration(text: &str) -> Result<(), CreditCodeError> {
    let digits: Vec<u32> = text.bytes().map(|b| u32::from(b - b'0')).collect();
    let mut p = 10;
    for d in &digits[..14] {
        let s = match (p + d) % 10 {
            0 => 10,
            s => s,
        };
        p = (s * 2) % 11;
    }
    let expected = (11 - p) % 10;
    if digits[14] == expected {
        Ok(())
    } else {
        Err(CreditCodeError::Check {
            expected: char::from_digit(expected, 10).unwrap_or('0'),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_typed_in_full_width_characters_is_read_as_typed() {
        let full: String = "５１４４０３００ＭＪＬ１２３４５６"
            .chars()
            .chain(std::iter::once('X'))
            .collect();
        let plain = "51440300MJL123456X";
        // Whatever the check character, both spellings give the same answer.
        assert_eq!(
            CreditCode::parse(&full).map(|c| c.as_str().to_owned()),
            CreditCode::parse(plain).map(|c| c.as_str().to_owned())
        );
        assert_ne!(CreditCode::parse("５").err(), Some(CreditCodeError::Empty));
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_reference_examples() {
        let good = CreditCode::parse("91512081MA62K0260E").expect("valid");
        assert_eq!(good.kind(), RegistrationKind::Enterprise);
        assert_eq!(
            CreditCode::parse("91350100M000100Y4Z"),
            Err(CreditCodeError::Character {
                position: 18,
                found: 'Z'
            })
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y43"),
            Ok(CreditCode {
                text: "91350100M000100Y43".into()
            })
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::Check { expected: '3' })
        );
    }

    #[test]
    fn spaces_hyphens_and_lower_case_are_forgiven() {
        let code = CreditCode::parse(" 9151 2081-ma62 k0260e ").expect("valid");
        assert_eq!(code.as_str(), "91512081MA62K0260E");
    }

    #[test]
    fn each_refusal_names_what_to_fix() {
        assert_eq!(CreditCode::parse("  "), Err(CreditCodeError::Empty));
        assert_eq!(CreditCode::parse("9151208"), Err(CreditCodeError::Length(7)));
        assert_eq!(CreditCode::parse("91512081MA62K0260"), Err(CreditCodeError::Length(17)));
        assert_eq!(
            CreditCode::parse("91512081MA62K026OE"),
            Err(CreditCodeError::Character {
                position: 17,
                found: 'O'
            })
        );
        // A full-width digit from a Chinese keyboard is the digit.
        assert_eq!(
            CreditCode::parse("9151208１MA62K0260E"),
            CreditCode::parse("91512081MA62K0260E")
        );
        // Fifteen characters that are not all digits are no registration number either.
        assert_eq!(CreditCode::parse("44030060000A001"), Err(CreditCodeError::Length(15)));
    }

    /// Makes a valid credit code from its first 17 characters.
    fn complete(first: &str) -> String {
        let sum: u32 = first
            .bytes()
            .zip(WEIGHTS)
            .map(|(c, w)| value_of(c).unwrap_or(0) * w)
            .sum();
        format!("{first}{}", char::from(ALPHABET[((31 - sum % 31) % 31) as usize]))
    }

    #[test]
    fn kinds_follow_the_first_two_characters() {
        for (prefix, kind, social) in [
            ("51", RegistrationKind::SocialGroup, true),
            ("52", RegistrationKind::SocialServiceAgency, true),
            ("53", RegistrationKind::Foundation, true),
            ("59", RegistrationKind::OtherCivilAffairs, true),
            ("91", RegistrationKind::Enterprise, false),
            ("92", RegistrationKind::IndividualBusiness, false),
            ("93", RegistrationKind::FarmersCooperative, false),
            ("12", RegistrationKind::Other, false),
        ] {
            let code = CreditCode::parse(&complete(&format!("{prefix}440308MJL177445"))).expect("valid");
            assert_eq!(code.kind(), kind, "{prefix}");
            assert_eq!(code.is_social_organization(), social, "{prefix}");
        }
    }

    #[test]
    fn old_registration_numbers_are_checked_by_mod_11_10() {
        // 44030060000100 followed by its check digit.
        let mut p = 10;
        for d in "44030060000100".bytes().map(|b| u32::from(b - b'0')) {
            let s = match (p + d) % 10 {
                0 => 10,
                s => s,
            };
            p = (s * 2) % 11;
        }
        let check = (11 - p) % 10;
        let good = format!("44030060000100{check}");
        let code = CreditCode::parse(&good).expect("valid");
        assert_eq!(code.kind(), RegistrationKind::IndividualBusiness);
        assert!(!code.is_unified());
        let bad = format!("44030060000100{}", (check + 1) % 10);
        assert!(matches!(CreditCode::parse(&bad), Err(CreditCodeError::Check { .. })));
    }

    proptest! {
        /// Changing any one character of a valid code to another valid character is caught.
        #[test]
        fn any_single_mistyped_character_is_caught(
            body in proptest::collection::vec(0usize..31, 17),
            at in 0usize..18,
            shift in 1usize..31,
        ) {
            let first: String = body.iter().map(|&v| char::from(ALPHABET[v])).collect();
            let good = complete(&first);
            prop_assert!(CreditCode::parse(&good).is_ok());
            let mut bytes = good.into_bytes();
            let old = value_of(bytes[at]).unwrap_or(0) as usize;
            bytes[at] = ALPHABET[(old + shift) % 31];
            let typo = String::from_utf8(bytes).unwrap_or_default();
            prop_assert!(CreditCode::parse(&typo).is_err(), "{typo}");
        }

        /// A mistyped digit of an old registration number is caught too.
        #[test]
        fn any_single_mistyped_digit_of_a_registration_number_is_caught(
            body in proptest::collection::vec(0u32..10, 14),
            at in 0usize..15,
            shift in 1u32..10,
        ) {
            let mut p = 10;
            for d in &body {
                let s = match (p + d) % 10 { 0 => 10, s => s };
                p = (s * 2) % 11;
            }
            let mut digits = body.clone();
            digits.push((11 - p) % 10);
            let good: String = digits.iter().filter_map(|d| char::from_digit(*d, 10)).collect();
            prop_assert!(CreditCode::parse(&good).is_ok());
            digits[at] = (digits[at] + shift) % 10;
            let typo: String = digits.iter().filter_map(|d| char::from_digit(*d, 10)).collect();
            prop_assert!(CreditCode::parse(&typo).is_err(), "{typo}");
        }
    }
}
