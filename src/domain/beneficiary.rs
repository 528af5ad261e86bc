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
