//! The password policy: length only, no composition rules, the most common ones refused.

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Nothing was given.
    #[error("the password is empty")]
    Empty,
    /// Shorter than [`MIN_LEN`] characters.
    #[error("the password must have at least 8 characters")]
    TooShort,
    /// Longer than [`MAX_LEN`] characters.
    #[error("the password must have at most 128 characters")]
    TooLong,
    /// On the list of the most common passwords.
    #[error("this password is among the most common ones; choose another")]
    Common,
}

/// Fewest characters a password may have.
pub const MIN_LEN: usize = 8;
/// Most characters a password may have (bounds the hashing work).
pub const MAX_LEN: usize = 128;

// The most frequent passwords in public breach corpora, Chinese-speaking users included.
const COMMON: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "qwertyui",
    "qwerty123",
    "11111111",
    "00000000",
    "88888888",
    "66666666",
    "12341234",
    "87654321",
    "abcd1234",
    "a1234567",
    "iloveyou",
    "1qaz2wsx",
    "woaini1314",
    "5201314520",
    "aa123456",
    "abc12345",
    "qq123456",
    "1q2w3e4r",
    "admin123",
    "welcome1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "superman",
    "zxcvbnm1",
    "asdfghjk",
    "123123123",
    "147258369",
    "789456123",
    "letmein1",
    "passw0rd",
    "changeme",
    "charity-relay",
];

/// Checks a new password against the policy.
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len == 0 {
        return Err(PasswordError::Empty);
    }
    if len < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if len > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    let lowered = password.to_lowercase();
    if COMMON.contains(&lowered.as_str()) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_is_length_and_commonness_only() {
        assert_eq!(check_new_password(""), Err(PasswordError::Empty));
        assert_eq!(check_new_password("short"), Err(PasswordError::TooShort));
        assert_eq!(check_new_password("Password"), Err(PasswordError::Common));
        assert_eq!(check_new_password(&"x".repeat(129)), Err(PasswordError::TooLong));
        assert_eq!(check_new_password("correct horse"), Ok(()));
        assert_eq!(check_new_password("全是中文的密码口令"), Ok(()));
    }
}
