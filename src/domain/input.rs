//! Field-level validation errors, shown next to their field in the user's language.

use chrono::NaiveDate;

use super::Locale;
use super::password::PasswordError;
use super::pii::{PersonField, PiiKind};

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// Nothing was given.
    Required,
    /// Fewer than `min` characters.
    TooShort {
        /// Fewest characters.
        min: usize,
    },
    /// More than `max` characters.
    TooLong {
        /// Most characters.
        max: usize,
    },
    /// A whole number was expected.
    NotANumber,
    /// The number is outside `min..=max`.
    OutOfRange {
        /// Smallest accepted.
        min: i64,
        /// Largest accepted.
        max: i64,
    },
    /// A date as YYYY-MM-DD was expected.
    NotADate,
    /// The date is before today.
    DateInPast,
    /// The date is after today.
    DateInFuture,
    /// The value is not one of the offered choices.
    UnknownChoice,
    /// Nothing was chosen from a list.
    NotChosen,
    /// Not an email address.
    NotAnEmail,
    /// Not a phone number: too few digits, or letters in it.
    NotAPhone,
    /// An email address to notify was given without ticking the person's consent.
    ConsentNeeded,
    /// A referral was sent without recording the person's consent to the transfer.
    TransferConsentNeeded,
    /// No record of the caller's organization has the code typed.
    UnknownCode,
    /// Not a number of hours from 0.1 to 24.
    NotHours,
    /// Not a resident ID number: 18 characters with a matching check character, or 15 digits.
    NotAnIdNumber,
    /// Public text holds personal data.
    ContainsPii(PiiKind),
    /// Public text repeats the registered name, phone or address of the person the need is for. The value itself
    /// is never echoed.
    MentionsBeneficiary(PersonField),
    /// A note a shop writes to a social worker holds a web link, which mail programs make clickable: a route for
    /// phishing the people who can read residents' details.
    ContainsLink,
    /// A new password breaks the policy.
    WeakPassword(PasswordError),
    /// The current password given is wrong.
    WrongPassword,
    /// Not an amount of yuan with at most two decimals, within the accepted range.
    NotAnAmount,
    /// A period's last day is before its first.
    EndsBeforeStart,
    /// The case's status does not allow this (closed, erased).
    Case(super::CaseRefusal),
    /// Not a unified social credit code: what is wrong with it.
    CreditCode(super::CreditCodeError),
    /// An old 15-digit registration number, which shops have and organizations do not.
    NotAnOrganizationCode,
    /// The communities ticked belong to more than one subdistrict.
    SeveralSubdistricts,
    /// An admitted organization holds this code already.
    CodeAdmitted,
    /// An organization of this name exists already.
    NameTaken,
    /// The address is already someone's at this organization (a resident's or another
    /// volunteer's): its consent and its links are theirs.
    EmailInUse,
    /// A certificate was asked for a period with no hours the organization confirmed (谁记录谁证明).
    NoConfirmedHours,
    /// A caring-merchant certificate was asked for a year with no confirmed delivery.
    NoConfirmedDeliveries,
    /// A start time that has passed (earlier today, or before).
    StartPassed,
    /// An end time that is not after the start time.
    EndsNotAfterStart,
    /// An event longer than `max_days` days.
    EventTooLong {
        /// Most days an event lasts.
        max_days: i64,
    },
    /// More volunteer roles than `max`, one a line.
    TooManyRoles {
        /// Most roles.
        max: usize,
    },
    /// Line `line` of the roles field is wrong (the error says how).
    RoleLine {
        /// The line as the textarea numbers it, from 1.
        line: usize,
        /// What is wrong with it.
        error: Box<FieldError>,
    },
    /// Line `line` names a role an earlier line named already.
    DuplicateRole {
        /// The line, from 1.
        line: usize,
        /// The role's name as typed.
        name: String,
    },
    /// More hours than the event lasted, in tenths.
    HoursOverEvent {
        /// The event's length in tenths: the most one person's attendance counts for.
        max_tenths: i32,
    },
}

/// Tenths of an hour as people read them: `2.5`.
fn hours_text(tenths: i32) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

impl FieldError {
    /// The message in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        match (self, locale) {
            (FieldError::Required, Locale::ZhCn) => "此项不能空着，请填写。".into(),
            (FieldError::Required, Locale::En) => "This cannot be left empty; please fill it in.".into(),
            (FieldError::NotChosen, Locale::ZhCn) => "还没有选择，请从列表中选一项。".into(),
            (FieldError::NotChosen, Locale::En) => "Nothing is chosen yet; choose one from the list.".into(),
            (FieldError::NotAnEmail, Locale::ZhCn) => {
                "这不是有效的电子邮箱地址，请按 name@example.com 的格式填写（含 @ 和域名）。".into()
            }
            (FieldError::NotAnEmail, Locale::En) => {
                "This is not a valid email address; write it like name@example.com (with an @ and a domain).".into()
            }
            (FieldError::NotAPhone, Locale::ZhCn) => {
                "这不像电话号码：请填写至少 7 位数字，可用空格、“-”或“+”分隔，例如 139 1234 5678 或 0755-2345 6789。".into()
            }
            (FieldError::NotAPhone, Locale::En) => {
                "This does not look like a phone number: use at least 7 digits, with spaces, \"-\" or \"+\" if you like, e.g. 139 1234 5678 or 0755-2345 6789.".into()
            }
            (FieldError::ConsentNeeded, Locale::ZhCn) => {
                "填写了通知邮箱，就要勾选下面的“同意接收邮件”以记录本人同意；如本人不需要邮件通知，请清空邮箱。".into()
            }
            (FieldError::ConsentNeeded, Locale::En) => {
                "An email address is given: tick the box below to record that the person agreed to emails, or clear the address if they do not want them.".into()
            }
            (FieldError::TransferConsentNeeded, Locale::ZhCn) => {
                "转介前须征得本人（或监护人）同意，把个案资料交给接收机构：征得同意后请勾选此项。".into()
            }
            (FieldError::TransferConsentNeeded, Locale::En) => {
                "Before a referral, the person (or their guardian) must agree that the case goes to the receiving organization: tick this once they have.".into()
            }
            (FieldError::NoConfirmedHours, Locale::ZhCn) => {
                "这段时间里没有本机构确认过的服务时长；只有已确认的时长才能开具证明。请先确认时长，或换一个时间段。".into()
            }
            (FieldError::NoConfirmedHours, Locale::En) => {
                "There are no hours your organization confirmed in this period; only confirmed hours can be certified. Confirm the hours first, or choose another period."
                    .into()
            }
            (FieldError::NoConfirmedDeliveries, Locale::ZhCn) => {
                "这一年还没有已确认送达的认领，也没有店员经确认的志愿服务时长，暂时不能开具爱心商户证书。".into()
            }
            (FieldError::NoConfirmedDeliveries, Locale::En) => {
                "There is no confirmed delivery and no confirmed volunteer hour of the shop's staff in this year yet, so no caring-merchant certificate can be issued.".into()
            }
            (FieldError::NotHours, Locale::ZhCn) => "请填写 0.1 到 24 之间的小时数，可带一位小数，例如 1.5。".into(),
            (FieldError::NotHours, Locale::En) => {
                "Enter the hours, from 0.1 to 24, with one decimal if needed, e.g. 1.5.".into()
            }
            (FieldError::UnknownCode, Locale::ZhCn) => "本机构没有这个编号的受助人，请在“受助人”列表中核对编号。".into(),
            (FieldError::UnknownCode, Locale::En) => {
                "No beneficiary of your organization has this code; check it on the Beneficiaries list.".into()
            }
            (FieldError::TooShort { min }, Locale::ZhCn) => format!("至少需要 {min} 个字。"),
            (FieldError::TooShort { min }, Locale::En) => format!("Use at least {min} characters."),
            (FieldError::TooLong { max }, Locale::ZhCn) => format!("最多 {max} 个字。"),
            (FieldError::TooLong { max }, Locale::En) => format!("Use at most {max} characters."),
            (FieldError::NotANumber, Locale::ZhCn) => "请填写整数。".into(),
            (FieldError::NotANumber, Locale::En) => "Enter a whole number.".into(),
            (FieldError::OutOfRange { min, max }, Locale::ZhCn) => format!("请填写 {min} 到 {max} 之间的数。"),
            (FieldError::OutOfRange { min, max }, Locale::En) => format!("Enter a number from {min} to {max}."),
            (FieldError::NotADate, Locale::ZhCn) => "请按 年-月-日 填写日期，例如 2026-12-31。".into(),
            (FieldError::NotADate, Locale::En) => "Enter a date as YYYY-MM-DD, e.g. 2026-12-31.".into(),
            (FieldError::DateInPast, Locale::ZhCn) => "日期不能早于今天。".into(),
            (FieldError::DateInPast, Locale::En) => "The date cannot be before today.".into(),
            (FieldError::DateInFuture, Locale::ZhCn) => "日期不能晚于今天。".into(),
            (FieldError::DateInFuture, Locale::En) => "The date cannot be after today.".into(),
            (FieldError::UnknownChoice, Locale::ZhCn) => "所选的一项不在列表中，请重新从列表中选择。".into(),
            (FieldError::UnknownChoice, Locale::En) => "That is not one of the options; choose again from the list.".into(),
            (FieldError::Case(refusal), locale) => refusal.message(locale).into(),
            (FieldError::NotAnIdNumber, Locale::ZhCn) => {
                "请填写 18 位居民身份证号码（最后一位校验码须正确），或 15 位旧号码。".into()
            }
            (FieldError::NotAnIdNumber, Locale::En) => {
                "Enter an 18-character resident ID number (its last character is a check) or an old 15-digit one."
                    .into()
            }
            (FieldError::WeakPassword(e), Locale::ZhCn) => match e {
                PasswordError::Empty => "请填写密码。".into(),
                PasswordError::TooShort => "密码至少需要 8 个字符。".into(),
                PasswordError::TooLong => "密码最多 128 个字符。".into(),
                PasswordError::Common => "这个密码太常见，请换一个。".into(),
            },
            (FieldError::WeakPassword(e), Locale::En) => match e {
                PasswordError::Empty => "Enter a password.".into(),
                PasswordError::TooShort => "Use at least 8 characters.".into(),
                PasswordError::TooLong => "Use at most 128 characters.".into(),
                PasswordError::Common => "This password is too common; choose another.".into(),
            },
            (FieldError::ContainsLink, Locale::ZhCn) => "这里不能放网址或链接；请用文字说明送了什么、放在哪里。".into(),
            (FieldError::ContainsLink, Locale::En) => {
                "Links are not accepted here; say in words what you brought and where you left it.".into()
            }
            (FieldError::WrongPassword, Locale::ZhCn) => "当前密码不正确，请重新输入您现在登录用的密码。".into(),
            (FieldError::WrongPassword, Locale::En) => {
                "The current password is wrong; type the password you sign in with now.".into()
            }
            (FieldError::NotAnAmount, Locale::ZhCn) => {
                "请填写金额（元），最多两位小数，例如 500 或 1234.50；须大于 0、不超过 1000 万元。".into()
            }
            (FieldError::NotAnAmount, Locale::En) => {
                "Enter an amount in yuan with at most two decimals, e.g. 500 or 1234.50; more than 0 and at most 10 million."
                    .into()
            }
            (FieldError::CreditCode(e), Locale::ZhCn) => match e {
                super::CreditCodeError::Empty => "请填写统一社会信用代码。".into(),
                super::CreditCodeError::Length(n) => {
                    format!("统一社会信用代码是 18 位，这里是 {n} 位；请对照登记证书核对。")
                }
                super::CreditCodeError::Character { position, found } => format!(
                    "第 {position} 位的“{found}”不会出现在统一社会信用代码中（代码不用字母 I、O、Z、S、V 和标点）；请核对。"
                ),
                super::CreditCodeError::Check { .. } => {
                    "最后一位校验码与前 17 位对不上，可能有一位输错了；请对照登记证书逐位核对。".into()
                }
            },
            (FieldError::CreditCode(e), Locale::En) => match e {
                super::CreditCodeError::Empty => "Enter the unified social credit code.".into(),
                super::CreditCodeError::Length(n) => format!(
                    "A unified social credit code has 18 characters; this has {n}. Check it against the registration certificate."
                ),
                super::CreditCodeError::Character { position, found } => format!(
                    "Character {position} (“{found}”) is never used in credit codes (no I, O, Z, S, V or punctuation); please check it."
                ),
                super::CreditCodeError::Check { .. } => {
                    "The last (check) character does not match the first 17: a character was probably mistyped. Check it against the certificate."
                        .into()
                }
            },
            (FieldError::NotAnOrganizationCode, Locale::ZhCn) => {
                "这是旧的 15 位注册号（个体工商户使用）；社会组织请填写 18 位统一社会信用代码。".into()
            }
            (FieldError::NotAnOrganizationCode, Locale::En) => {
                "This is an old 15-digit registration number (used by individual businesses); an organization enters its 18-character unified social credit code."
                    .into()
            }
            (FieldError::SeveralSubdistricts, Locale::ZhCn) => {
                "所选社区分属不同街道；每份申请由一个街道办审核，请只选同一街道的社区。".into()
            }
            (FieldError::SeveralSubdistricts, Locale::En) => {
                "These communities belong to different subdistricts; one subdistrict office reviews each application, so choose communities of one subdistrict."
                    .into()
            }
            (FieldError::CodeAdmitted, Locale::ZhCn) => {
                "使用这个代码的机构已经准入。如需新的登录账号，请联系所属街道办。".into()
            }
            (FieldError::CodeAdmitted, Locale::En) => {
                "An organization with this code is already admitted. For another sign-in account, ask its subdistrict office."
                    .into()
            }
            (FieldError::EmailInUse, Locale::ZhCn) => {
                "这个邮箱已登记在本机构（居民或其他志愿者），同意和链接都属于那个人；请填写志愿者本人的邮箱。".into()
            }
            (FieldError::EmailInUse, Locale::En) => {
                "This address is already someone's at your organization (a resident or another volunteer): its consent and links are theirs. Enter the volunteer's own address."
                    .into()
            }
            (FieldError::NameTaken, Locale::ZhCn) => "已有同名机构；请填写登记证书上的全称。".into(),
            (FieldError::NameTaken, Locale::En) => {
                "An organization of this name exists already; enter the full name on your registration certificate."
                    .into()
            }
            (FieldError::StartPassed, Locale::ZhCn) => "开始时间已经过去了，请填写以后的时间。".into(),
            (FieldError::StartPassed, Locale::En) => "This start time has passed; enter a time still to come.".into(),
            (FieldError::EndsNotAfterStart, Locale::ZhCn) => "结束时间要晚于开始时间。".into(),
            (FieldError::EndsNotAfterStart, Locale::En) => "The end must come after the start.".into(),
            (FieldError::EventTooLong { max_days }, Locale::ZhCn) => {
                format!("一场活动最长 {max_days} 天；请把结束时间提前，或分成几场活动。")
            }
            (FieldError::EventTooLong { max_days }, Locale::En) => {
                format!("An event lasts at most {max_days} days; bring the end forward, or make it several events.")
            }
            (FieldError::TooManyRoles { max }, Locale::ZhCn) => {
                format!("最多 {max} 个岗位，每行一个；请合并相近的岗位，或删去多余的行。")
            }
            (FieldError::TooManyRoles { max }, Locale::En) => {
                format!("At most {max} roles, one a line; merge similar roles or remove the extra lines.")
            }
            (FieldError::RoleLine { line, error }, Locale::ZhCn) => format!(
                "第 {line} 行：{}",
                match error.as_ref() {
                    FieldError::NotANumber | FieldError::Required => {
                        "请写岗位名和人数，例如“帮手 8”。".to_owned()
                    }
                    FieldError::OutOfRange { min, max } => format!("人数请填 {min} 到 {max}。"),
                    other => other.message(Locale::ZhCn),
                }
            ),
            (FieldError::RoleLine { line, error }, Locale::En) => format!(
                "Line {line}: {}",
                match error.as_ref() {
                    FieldError::NotANumber | FieldError::Required => {
                        "write the role's name and how many people, e.g. \"helpers 8\".".to_owned()
                    }
                    FieldError::OutOfRange { min, max } => format!("the number of people must be from {min} to {max}."),
                    other => other.message(Locale::En),
                }
            ),
            (FieldError::DuplicateRole { line, name }, Locale::ZhCn) => {
                format!("第 {line} 行：岗位“{name}”在前面已经写过；请合并成一行，或换个名字。")
            }
            (FieldError::DuplicateRole { line, name }, Locale::En) => format!(
                "Line {line}: the role “{name}” is already on an earlier line; put it on one line, or name it differently."
            ),
            (FieldError::HoursOverEvent { max_tenths }, Locale::ZhCn) => {
                let h = hours_text(*max_tenths);
                format!("这场活动共 {h} 小时，每人最多记 {h} 小时。")
            }
            (FieldError::HoursOverEvent { max_tenths }, Locale::En) => {
                let h = hours_text(*max_tenths);
                format!("The event lasted {h} hours, so one person's hours are at most {h}.")
            }
            (FieldError::EndsBeforeStart, Locale::ZhCn) => "结束日期不能早于开始日期。".into(),
            (FieldError::EndsBeforeStart, Locale::En) => "The last day cannot be before the first day.".into(),
            (FieldError::ContainsPii(kind), Locale::ZhCn) => format!(
                "公开内容中似乎含有{}。请勿在标题或描述中填写个人信息，请填到受助人的保密信息中。",
                match kind {
                    PiiKind::Phone => "电话号码",
                    PiiKind::IdNumber => "身份证号码",
                    PiiKind::Email => "电子邮箱",
                    PiiKind::ChatId => "微信号或 QQ 号",
                    PiiKind::Address => "详细住址（门牌、楼栋或房号）",
                }
            ),
            (FieldError::MentionsBeneficiary(field), Locale::ZhCn) => format!(
                "这里写到了受助人登记的{}。公开内容只写需要什么，不写是谁、住在哪里；请删去后再提交。",
                match field {
                    PersonField::Name => "姓名或称呼（如“张阿姨”“老李”）",
                    PersonField::Phone => "电话号码",
                    PersonField::Address => "住址的一部分",
                }
            ),
            (FieldError::MentionsBeneficiary(field), Locale::En) => format!(
                "This repeats the beneficiary's registered {}. Public text says what is needed, not who needs it or where they live; remove it and submit again.",
                match field {
                    PersonField::Name => "name or a form of it (such as \"Auntie Zhang\")",
                    PersonField::Phone => "phone number",
                    PersonField::Address => "address, or part of it",
                }
            ),
            (FieldError::ContainsPii(kind), Locale::En) => format!(
                "This public text seems to contain {}. Keep personal details out of titles and descriptions; put them in the beneficiary's private fields.",
                match kind {
                    PiiKind::Phone => "a phone number",
                    PiiKind::IdNumber => "an ID card number",
                    PiiKind::Email => "an email address",
                    PiiKind::ChatId => "a WeChat or QQ id",
                    PiiKind::Address => "a street address (house, building or room number)",
                }
            ),
        }
    }

    /// A stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            FieldError::Required => "required",
            FieldError::TooShort { .. } => "too-short",
            FieldError::TooLong { .. } => "too-long",
            FieldError::NotANumber => "not-a-number",
            FieldError::OutOfRange { .. } => "out-of-range",
            FieldError::NotADate => "not-a-date",
            FieldError::DateInPast => "date-in-past",
            FieldError::DateInFuture => "date-in-future",
            FieldError::UnknownChoice => "unknown-choice",
            FieldError::NotChosen => "not-chosen",
            FieldError::NotAnEmail => "not-an-email",
            FieldError::NotAPhone => "not-a-phone",
            FieldError::ConsentNeeded => "consent-needed",
            FieldError::TransferConsentNeeded => "transfer-consent-needed",
            FieldError::UnknownCode => "unknown-code",
            FieldError::NotHours => "not-hours",
            FieldError::NoConfirmedHours => "no-confirmed-hours",
            FieldError::NoConfirmedDeliveries => "no-confirmed-deliveries",
            FieldError::NotAnIdNumber => "not-an-id-number",
            FieldError::ContainsPii(_) => "contains-personal-data",
            FieldError::MentionsBeneficiary(_) => "mentions-beneficiary",
            FieldError::ContainsLink => "contains-link",
            FieldError::WeakPassword(_) => "weak-password",
            FieldError::WrongPassword => "wrong-password",
            FieldError::NotAnAmount => "not-an-amount",
            FieldError::EndsBeforeStart => "ends-before-start",
            FieldError::Case(refusal) => refusal.code(),
            FieldError::CreditCode(_) => "not-a-credit-code",
            FieldError::NotAnOrganizationCode => "not-an-organization-code",
            FieldError::SeveralSubdistricts => "several-subdistricts",
            FieldError::CodeAdmitted => "code-admitted",
            FieldError::NameTaken => "name-taken",
            FieldError::EmailInUse => "email-in-use",
            FieldError::StartPassed => "start-passed",
            FieldError::EndsNotAfterStart => "ends-not-after-start",
            FieldError::EventTooLong { .. } => "event-too-long",
            FieldError::TooManyRoles { .. } => "too-many-roles",
            FieldError::RoleLine { .. } => "role-line",
            FieldError::DuplicateRole { .. } => "duplicate-role",
            FieldError::HoursOverEvent { .. } => "hours-over-event",
        }
    }
}

/// The errors of a whole form, each tied to its field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, FieldError)>);

impl FieldErrors {
    /// Adds an error for `field`.
    pub fn push(&mut self, field: &'static str, error: FieldError) {
        self.0.push((field, error));
    }

    /// True when no field is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first error of `field`, if any.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, e)| e)
    }

    /// Runs `parse`; on error records it under `field` and returns `None`.
    pub fn check<T>(&mut self, field: &'static str, parse: Result<T, FieldError>) -> Option<T> {
        match parse {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(field, e);
                None
            }
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(field, e)| format!("{field}: {}", e.message(Locale::En)))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Trimmed text of `min..=max` characters.
pub fn text(raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    let len = value.chars().count();
    if len == 0 && min > 0 {
        Err(FieldError::Required)
    } else if len < min {
        Err(FieldError::TooShort { min })
    } else if len > max {
        Err(FieldError::TooLong { max })
    } else {
        Ok(value.to_owned())
    }
}

/// Public text: like [`text`], and free of phone numbers, ID numbers, e-mail addresses, chat ids and street
/// addresses (see [`super::pii`]).
pub fn public_text(raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let value = text(raw, min, max)?;
    match super::pii::find_pii(&value) {
        Some(kind) => Err(FieldError::ContainsPii(kind)),
        None => Ok(value),
    }
}

/// What a shop tells a social worker about a delivery: public text without web links, since it reaches the worker
/// in mail sent from the relay's own signed address.
pub fn note_to_worker(raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let value = public_text(raw, min, max)?;
    if contains_link(&value) {
        Err(FieldError::ContainsLink)
    } else {
        Ok(value)
    }
}

/// Whether text holds something a mail program would turn into a link: a scheme (`https://`, `mailto:` is caught as
/// an e-mail already), `www.`, or a host name under a common top-level domain, in any width of characters.
pub fn contains_link(text: &str) -> bool {
    static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            // ASCII word boundaries: to Unicode a Chinese character is a word character, and "请看evil.com吧" must match.
            r"(?i)[a-z][a-z0-9+.-]*://|www\.|(?-u:\b)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|info|top|xyz|io|cc|me|co|link|site|online|vip|shop|app|club|ly|gl)(?-u:\b)",
        )
        .expect("the link pattern is valid")
    });
    use unicode_normalization::UnicodeNormalization;
    // Full-width letters and the ideographic full stop ("ｅｘａｍｐｌｅ。ｃｏｍ") read as the ASCII a browser would open.
    let folded: String = text.nfkc().map(|c| if c == '。' { '.' } else { c }).collect();
    LINK.is_match(&folded)
}

/// A whole number in `min..=max`.
pub fn number(raw: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::Required);
    }
    let n: i64 = value.parse().map_err(|_| FieldError::NotANumber)?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(FieldError::OutOfRange { min, max })
    }
}

/// Full-width digits (`０`–`９`, typed on a Chinese keyboard) as ASCII ones; other characters as they are.
pub fn ascii_digits(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// Hours as typed ("2", "1.5", "2,5", "２，５", "2.5 小时") into tenths, 0.1 to 24: the one parser of hours.
pub fn hours_tenths(raw: &str) -> Result<i32, FieldError> {
    let folded = ascii_digits(raw.trim()).replace(['，', ',', '．', '。'], ".");
    let value = folded
        .trim_end_matches(['小', '时', 'h', 'H'])
        .trim_end_matches("hours")
        .trim();
    if value.is_empty() {
        return Err(FieldError::Required);
    }
    // Hours take a decimal, so "enter a whole number" or "from 0 to 24" (0 is refused) would mislead.
    // Only digits and one point: `f64` would also read "inf", "1e1" and "+2".
    let shaped = value.chars().all(|c| c.is_ascii_digit() || c == '.') && value.matches('.').count() <= 1;
    let hours: f64 = value.parse().ok().filter(|_| shaped).ok_or(FieldError::NotHours)?;
    let tenths = (hours * 10.0).round();
    if (1.0..=240.0).contains(&tenths) {
        // Within 1..=240, so the cast is exact.
        Ok(tenths as i32)
    } else {
        Err(FieldError::NotHours)
    }
}

/// A date written exactly as YYYY-MM-DD, as a browser's date field sends it.
pub fn date(raw: &str) -> Result<NaiveDate, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::Required);
    }
    // chrono also reads "2026-1-5", "2026- 12-05" and signed years of up to six digits ("+262142-12-31"). SQLite
    // stores and compares dates as text, where only four-digit years sort as dates, and date arithmetic overflows
    // at the end of chrono's range; so only the canonical spelling passes.
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(FieldError::NotADate);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| FieldError::NotADate)
}

/// A phone number as typed: at least 7 and at most 20 digits, with only spaces, `-`, `+`, brackets or dots
/// between them (full-width forms too); trimmed, or empty when nothing was typed.
pub fn phone(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let tidy = value
        .chars()
        .all(|c| c.is_ascii_digit() || " -+().（）－＋　".contains(c));
    if tidy && (7..=20).contains(&digits) {
        Ok(value.to_owned())
    } else {
        Err(FieldError::NotAPhone)
    }
}

/// An id chosen from a `<select>`: nothing chosen is [`FieldError::NotChosen`], not a number is
/// [`FieldError::UnknownChoice`].
pub fn chosen_id(raw: &str) -> Result<i64, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::NotChosen);
    }
    match value.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => Err(FieldError::UnknownChoice),
    }
}

/// One of an enum's text values, as chosen from a `<select>`.
pub fn choice<T: std::str::FromStr>(raw: &str) -> Result<T, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::NotChosen);
    }
    value.parse().map_err(|_| FieldError::UnknownChoice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_in_any_script_around_them_and_words_with_dots_are_not() {
        for linked in [
            "https://evil.example/login",
            "请看evil.com吧",
            "登录 www.example 核对",
            "ｅｖｉｌ。ｃｏｍ/ｌｏｇｉｎ",
            "hxxp://x",
            "mail.qq.com",
            "bit.ly/abc",
        ] {
            assert!(contains_link(linked), "{linked}");
            assert_eq!(
                note_to_worker(linked, 0, 500),
                Err(FieldError::ContainsLink),
                "{linked}"
            );
        }
        for plain in [
            "已放在门口，共 2.5 公斤",
            "Left 3 bags at the door. Come by at 5.30.",
            "e.g. rice",
            "No.3 窗口",
            "",
        ] {
            assert!(!contains_link(plain), "{plain}");
        }
    }

    #[test]
    fn hours_read_with_a_comma_full_width_digits_or_a_unit() {
        for (typed, tenths) in [
            ("1.5", 15),
            ("2", 20),
            ("2,5", 25),
            ("2，5", 25),
            ("２．５", 25),
            ("２，５", 25),
            ("3 小时", 30),
            ("0.1", 1),
            ("24", 240),
        ] {
            assert_eq!(hours_tenths(typed), Ok(tenths), "{typed}");
        }
        assert_eq!(hours_tenths(" "), Err(FieldError::Required));
        for bad in ["0", "25", "two", "1e1", "inf", "+2", "1.2.3", "-1"] {
            assert_eq!(hours_tenths(bad), Err(FieldError::NotHours), "{bad}");
        }
    }

    #[test]
    fn a_phone_has_seven_digits_or_more_and_no_letters() {
        assert_eq!(phone("  "), Ok(String::new()));
        assert_eq!(phone(" 0755-2345 6789 "), Ok("0755-2345 6789".into()));
        assert_eq!(phone("+86 139 1234 5678"), Ok("+86 139 1234 5678".into()));
        assert_eq!(phone("（0755）23456789"), Ok("（0755）23456789".into()));
        for bad in ["abc", "123", "139abc45678", "1".repeat(21).as_str()] {
            assert_eq!(phone(bad), Err(FieldError::NotAPhone), "{bad}");
        }
    }

    #[test]
    fn the_messages_say_what_is_wrong_and_how_to_fix_it() {
        // The three that misled people (issue 14): each names the problem, not a neighbouring one.
        assert!(FieldError::NotAnEmail.message(Locale::En).contains("name@example.com"));
        assert!(FieldError::NotAPhone.message(Locale::ZhCn).contains("7 位数字"));
        assert!(FieldError::ConsentNeeded.message(Locale::ZhCn).contains("勾选"));
        assert!(FieldError::UnknownCode.message(Locale::En).contains("code"));
        assert!(!FieldError::Required.message(Locale::En).contains("required"));
    }

    #[test]
    fn every_error_has_a_message_in_both_languages() {
        let all = [
            FieldError::Required,
            FieldError::TooShort { min: 2 },
            FieldError::TooLong { max: 80 },
            FieldError::NotANumber,
            FieldError::OutOfRange { min: 1, max: 10 },
            FieldError::NotADate,
            FieldError::DateInPast,
            FieldError::DateInFuture,
            FieldError::UnknownChoice,
            FieldError::NotChosen,
            FieldError::NotAnEmail,
            FieldError::NotAPhone,
            FieldError::ConsentNeeded,
            FieldError::TransferConsentNeeded,
            FieldError::UnknownCode,
            FieldError::NotHours,
            FieldError::NoConfirmedHours,
            FieldError::NoConfirmedDeliveries,
            FieldError::NotAnIdNumber,
            FieldError::ContainsPii(PiiKind::Phone),
            FieldError::ContainsPii(PiiKind::ChatId),
            FieldError::ContainsPii(PiiKind::Address),
            FieldError::MentionsBeneficiary(PersonField::Name),
            FieldError::MentionsBeneficiary(PersonField::Phone),
            FieldError::MentionsBeneficiary(PersonField::Address),
            FieldError::WeakPassword(PasswordError::Common),
            FieldError::WrongPassword,
            FieldError::Case(super::super::CaseRefusal::Closed),
            FieldError::StartPassed,
            FieldError::EndsNotAfterStart,
            FieldError::EventTooLong { max_days: 14 },
            FieldError::TooManyRoles { max: 8 },
            FieldError::RoleLine {
                line: 3,
                error: Box::new(FieldError::NotANumber),
            },
            FieldError::DuplicateRole {
                line: 2,
                name: "帮手".into(),
            },
            FieldError::HoursOverEvent { max_tenths: 25 },
        ];
        for e in all {
            let zh = e.message(Locale::ZhCn);
            let en = e.message(Locale::En);
            assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{e:?}");
            assert!(!e.code().is_empty());
        }
    }

    #[test]
    fn text_numbers_and_choices_parse_or_say_why() {
        assert_eq!(text("  米  ", 1, 10), Ok("米".into()));
        assert_eq!(text("", 2, 10), Err(FieldError::Required));
        assert_eq!(text("a", 2, 10), Err(FieldError::TooShort { min: 2 }));
        assert_eq!(number("12", 1, 10), Err(FieldError::OutOfRange { min: 1, max: 10 }));
        assert_eq!(number("x", 1, 10), Err(FieldError::NotANumber));
        assert_eq!(choice::<crate::domain::Urgency>("soon"), Err(FieldError::UnknownChoice));
        assert_eq!(choice::<crate::domain::Urgency>(" "), Err(FieldError::NotChosen));
        assert_eq!(chosen_id(""), Err(FieldError::NotChosen));
        assert_eq!(chosen_id("x"), Err(FieldError::UnknownChoice));
        assert_eq!(chosen_id("7"), Ok(7));
        assert!(matches!(
            public_text("call 13800138000", 1, 80),
            Err(FieldError::ContainsPii(PiiKind::Phone))
        ));
    }
}
