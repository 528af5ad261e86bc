//! A shop's application to join (issue 17, `/join` in the bot): where it stands, and the
//! rules of what it typed — a mainland business phone, a shop name and an offer of
//! bounded length. The credit code is checked by [`super::credit_code::CreditCode`].

text_enum! {
    /// Where an application stands.
    ApplicationStatus, "application status" {
        /// Waiting for the office.
        Submitted => ("submitted", "待审核", "Waiting for review"),
        /// The office asked for more; the shop may edit and submit again.
        MoreInfo => ("more_info", "待补充", "More information asked"),
        /// The office admitted the shop; its chat is linked.
        Approved => ("approved", "已通过", "Approved"),
        /// The office declined, with a reason.
        Rejected => ("rejected", "未通过", "Rejected"),
    }
}

impl ApplicationStatus {
    /// True while the office may still decide (one such application per chat).
    pub fn is_open(self) -> bool {
        matches!(self, ApplicationStatus::Submitted | ApplicationStatus::MoreInfo)
    }
}

/// The longest shop name, in characters.
pub const MAX_SHOP_NAME: usize = 60;
/// The longest "what we can offer", in characters.
pub const MAX_OFFER: usize = 300;

/// Why a business phone was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing typed.
    #[error("no phone number")]
    Empty,
    /// Letters or other signs besides digits, spaces, `-`, `+86` and brackets.
    #[error("only digits, spaces, hyphens and brackets")]
    Characters,
    /// Neither a mobile (11 digits from 13–19) nor a landline (0 + area code, 7–8 digits).
    #[error("not a mainland mobile or landline number")]
    Shape,
}

/// A mainland business phone: a mobile (`1[3-9]` and 9 more digits) or a landline (area code
/// `0` + 2–3 digits, then 7–8 digits), with an optional `+86`/`86` prefix; spaces, hyphens
/// and brackets (full-width too) are allowed between digits. Returns the digits, the landline
/// as `0755-25551234`, so the office reads one spelling.
pub fn business_phone(raw: &str) -> Result<String, PhoneError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(PhoneError::Empty);
    }
    let mut digits = String::new();
    for (i, c) in value.chars().enumerate() {
        let c = match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            other => other,
        };
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '(' | ')' | '（' | '）' | '－' | '　' => {}
            _ => return Err(PhoneError::Characters),
        }
    }
    if value.starts_with('+') && !digits.starts_with("86") {
        return Err(PhoneError::Shape);
    }
    let local = match digits.strip_prefix("86") {
        Some(rest) if rest.len() >= 10 => rest,
        _ => digits.as_str(),
    };
    let bytes = local.as_bytes();
    if bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]) {
        return Ok(local.to_owned());
    }
    // A landline: a local number never starts with 0 or 1. Three-digit area codes are
    // 010 and 02x; the rest have four digits.
    let area_len = if local.starts_with("010") || local.starts_with("02") {
        3
    } else {
        4
    };
    if local.starts_with('0') && local.len() > area_len {
        let (area, number) = local.split_at(area_len);
        if (7..=8).contains(&number.len()) && !number.starts_with(['0', '1']) {
            return Ok(format!("{area}-{number}"));
        }
    }
    Err(PhoneError::Shape)
}

/// A shop name as two applications are compared (a suspended shop applying again under
/// another number): NFKC (full-width letters and digits as plain ones), lower case, and
/// without spaces, brackets, dots and dashes, so `海山粮油店（海山路店）` and
/// `海山粮油店 (海山路店)` are one shop.
pub fn shop_name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '·' | '.' | '-' | '_' | '。' | '、' | '・'))
        .collect()
}

/// A business phone as two applications are compared: the one spelling of
/// [`business_phone`], or the digits of what no longer reads as one.
pub fn phone_key(phone: &str) -> String {
    business_phone(phone).unwrap_or_else(|_| phone.chars().filter(char::is_ascii_digit).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_and_landlines_of_the_mainland_pass_in_one_spelling() {
        assert_eq!(business_phone("138 0013 8000"), Ok("13800138000".into()));
        assert_eq!(business_phone("+86 138-0013-8000"), Ok("13800138000".into()));
        assert_eq!(business_phone("１３８００１３８０００"), Ok("13800138000".into()));
        assert_eq!(business_phone("0755-25551234"), Ok("0755-25551234".into()));
        assert_eq!(business_phone("(0755) 2555 1234"), Ok("0755-25551234".into()));
        assert_eq!(business_phone("010 6555 1234"), Ok("010-65551234".into()));
        assert_eq!(business_phone("020-8555123"), Ok("020-8555123".into()));
    }

    #[test]
    fn other_numbers_are_refused_with_what_is_wrong() {
        assert_eq!(business_phone(" "), Err(PhoneError::Empty));
        assert_eq!(business_phone("138abc00138"), Err(PhoneError::Characters));
        assert_eq!(business_phone("12800138000"), Err(PhoneError::Shape));
        assert_eq!(business_phone("1380013800"), Err(PhoneError::Shape));
        assert_eq!(business_phone("25551234"), Err(PhoneError::Shape));
        assert_eq!(business_phone("0755-05551234"), Err(PhoneError::Shape));
        assert_eq!(business_phone("+852 9123 4567"), Err(PhoneError::Shape));
        assert_eq!(business_phone("0755-255512345"), Err(PhoneError::Shape));
    }

    #[test]
    fn only_open_applications_block_a_new_one() {
        assert!(ApplicationStatus::Submitted.is_open());
        assert!(ApplicationStatus::MoreInfo.is_open());
        assert!(!ApplicationStatus::Approved.is_open());
        assert!(!ApplicationStatus::Rejected.is_open());
    }
}

#[cfg(test)]
mod lookalike_tests {
    use super::*;

    #[test]
    fn one_shop_name_in_several_spellings_is_one_key() {
        assert_eq!(
            shop_name_key("海山粮油店（海山路店）"),
            shop_name_key("海山粮油店 (海山路店)")
        );
        assert_eq!(shop_name_key("ＡＢＣ Bakery"), shop_name_key("abc·bakery"));
        assert_ne!(shop_name_key("海山粮油店"), shop_name_key("海山粮油二店"));
    }

    #[test]
    fn one_phone_in_several_spellings_is_one_key() {
        assert_eq!(phone_key("0755 2555 1234"), phone_key("+86 (0755) 25551234"));
        assert_eq!(phone_key("138 0013 8000"), "13800138000");
        assert_ne!(phone_key("0755-25551234"), phone_key("0755-25551235"));
    }
}
