//! Beneficiaries are known to merchants and the public only by group and community; the
//! pseudonymous code identifies them to their own organization.

text_enum! {
    /// The group a beneficiary belongs to (shown on need cards).
    BeneficiaryGroup, "beneficiary group" {
        ElderlyAlone => ("elderly_alone", "独居老人", "Elderly living alone"),
        ChildInHardship => ("child_in_hardship", "困境儿童", "Child in hardship"),
        Disabled => ("disabled", "残障人士", "Person with a disability"),
        LowIncomeFamily => ("low_income_family", "低收入家庭", "Low-income family"),
        MigrantChild => ("migrant_child", "来深建设者子女", "Migrant worker's child"),
        Other => ("other", "其他", "Other"),
    }
}

text_enum! {
    /// What two beneficiaries of different organizations have in common (by keyed digest).
    DuplicateMatch, "duplicate match" {
        Phone => ("phone", "电话号码相同", "Same phone number"),
        IdNumber => ("id_number", "身份证号码相同", "Same ID number"),
        PhoneAndIdNumber => ("phone_and_id_number", "电话和身份证号码都相同", "Same phone and ID number"),
    }
}

impl DuplicateMatch {
    /// The match of two digests pairs, if any.
    pub fn of(same_phone: bool, same_id_number: bool) -> Option<Self> {
        match (same_phone, same_id_number) {
            (true, true) => Some(Self::PhoneAndIdNumber),
            (true, false) => Some(Self::Phone),
            (false, true) => Some(Self::IdNumber),
            (false, false) => None,
        }
    }
}

text_enum! {
    /// Where the office's review of a possible duplicate stands.
    DuplicateStatus, "duplicate status" {
        Open => ("open", "待处理", "Open"),
        SamePerson => ("same_person", "同一人，已通知双方机构协调", "Same person: both organizations told to coordinate"),
        Different => ("different", "不是同一人，已排除", "Different people: dismissed"),
    }
}

/// A pseudonymous beneficiary code such as `B-7F3K`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiaryCode(String);

impl BeneficiaryCode {
    /// A new random code with `len` characters after the `B-` prefix.
    pub fn generate(len: usize) -> Self {
        Self(format!("B-{}", super::codes::random_code(len)))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_prefix_and_length() {
        let code = BeneficiaryCode::generate(4);
        assert!(
            code.as_str().starts_with("B-") && code.as_str().len() == 6,
            "{}",
            code.as_str()
        );
    }
}

/// A mainland resident ID number as stored and compared: 18 characters (17 digits and the
/// ISO 7064 MOD 11-2 check character, `X` in upper case), or an old 15-digit one. Spaces and
/// hyphens people type inside it are dropped; full-width digits are read as digits.
pub fn resident_id(raw: &str) -> Option<String> {
    let id: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '－'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            'x' | 'ｘ' | 'Ｘ' => 'X',
            c => c,
        })
        .collect();
    let bytes = id.as_bytes();
    match bytes.len() {
        15 if bytes.iter().all(u8::is_ascii_digit) => Some(id),
        18 if bytes[..17].iter().all(u8::is_ascii_digit) && resident_id_check(&bytes[..17]) == bytes[17] => Some(id),
        _ => None,
    }
}

/// The 18-character form of a checked resident ID: an old 15-digit one (born 19xx) gets its
/// century and check character, so both forms of one person's number compare equal.
pub fn resident_id_18(id: &str) -> String {
    if id.len() != 15 {
        return id.to_owned();
    }
    let mut body = format!("{}19{}", &id[..6], &id[6..]).into_bytes();
    let check = resident_id_check(&body);
    body.push(check);
    String::from_utf8(body).unwrap_or_default()
}

/// The check character of 17 ID digits (GB 11643, ISO 7064 MOD 11-2).
fn resident_id_check(body: &[u8]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d.saturating_sub(b'0')) * w)
        .sum();
    CHECKS[(sum % 11) as usize]
}

#[cfg(test)]
mod resident_id_tests {
    use super::*;

    #[test]
    fn valid_ids_are_accepted_in_the_forms_people_type() {
        // A published example with the X check character, and one with a digit.
        assert_eq!(resident_id("11010519491231002X").as_deref(), Some("11010519491231002X"));
        assert_eq!(
            resident_id("110105 19491231 002x").as_deref(),
            Some("11010519491231002X")
        );
        assert_eq!(resident_id("440308199001011239").as_deref(), Some("440308199001011239"));
        assert_eq!(
            resident_id("４４０３０８１９９００１０１１２３９").as_deref(),
            Some("440308199001011239")
        );
        assert_eq!(resident_id("440308900101123").as_deref(), Some("440308900101123"));
    }

    #[test]
    fn a_wrong_check_character_or_length_is_refused() {
        assert_eq!(resident_id("110105194912310021"), None);
        assert_eq!(resident_id("440308199001011233"), None);
        assert_eq!(resident_id("4403081990010112"), None);
        assert_eq!(resident_id("44030819900101123X"), None);
        assert_eq!(resident_id("44030890010112X"), None);
        assert_eq!(resident_id(""), None);
    }

    #[test]
    fn an_old_id_and_its_new_form_compare_equal() {
        let old = resident_id("440308900101123").expect("old id");
        let new = resident_id_18(&old);
        assert_eq!(new.len(), 18);
        assert_eq!(resident_id(&new).as_deref(), Some(new.as_str()));
        assert_eq!(new, "440308199001011239");
        assert_eq!(resident_id_18("11010519491231002X"), "11010519491231002X");
    }
}
