//! Certificates (民政部令第67号, "谁记录谁证明"): their kinds, their numbers, the period a
//! volunteer asks for, and the caring-merchant badge of the roll of honour (公益榜).

use chrono::NaiveDate;

use super::input::FieldError;

text_enum! {
    /// What a certificate certifies.
    CertificateKind, "certificate kind" {
        VolunteerHours => ("volunteer_hours", "志愿服务证明", "Certificate of volunteer service"),
        CaringMerchant => ("caring_merchant", "爱心商户证书", "Caring merchant certificate"),
    }
}

/// The letters of Crockford's base32: no I, L, O or U, so a number read aloud or retyped is not misread.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Random characters in a number: 40 bits, so that numbers cannot be walked in sequence.
pub const NUMBER_RANDOM_CHARS: usize = 8;

/// A certificate number, `YT-<year>-` and 8 Crockford base32 characters from 40 random bits
/// (YT for Yantian, the district of the relay).
pub fn number(year: i32, random: [u8; 5]) -> String {
    let mut bits = random.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let mut tail = [0u8; NUMBER_RANDOM_CHARS];
    for slot in tail.iter_mut().rev() {
        *slot = CROCKFORD[(bits & 31) as usize];
        bits >>= 5;
    }
    format!("YT-{year:04}-{}", String::from_utf8_lossy(&tail))
}

/// A number as typed or scanned, in its stored form, or `None` when it cannot be one (checked
/// before any lookup). Lower case is raised, and O, I and L read as the digits they look like.
pub fn parse_number(raw: &str) -> Option<String> {
    let upper = raw.trim().to_ascii_uppercase();
    let mut parts = upper.splitn(3, '-');
    let (prefix, year, tail) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != "YT" || year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if tail.len() != NUMBER_RANDOM_CHARS {
        return None;
    }
    let tail: String = tail
        .chars()
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if !tail.bytes().all(|b| CROCKFORD.contains(&b)) {
        return None;
    }
    Some(format!("YT-{year}-{tail}"))
}

/// The period a certificate covers, checked: it ends on or after its start and not after today.
pub fn check_period(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FieldError> {
    if to < from {
        Err(FieldError::EndsBeforeStart)
    } else if to > today {
        Err(FieldError::DateInFuture)
    } else {
        Ok((from, to))
    }
}

/// A calendar year as a period: 1 January to 31 December (or to today in the running year).
pub fn year_period(year: i32, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let end = NaiveDate::from_ymd_opt(year, 12, 31)?;
    (start <= today).then(|| (start, end.min(today)))
}

/// Days a volunteer's certificate link (in the hours-confirmed email) stays good.
pub const LINK_DAYS: i64 = 60;

/// What a volunteer's certificate link signs: who, the period, and the last day it works.
/// One purpose only: the signature is keyed for certificate links and nothing else.
pub fn link_message(volunteer_id: i64, from: NaiveDate, to: NaiveDate, expires: NaiveDate) -> String {
    format!("certificate:{volunteer_id}:{from}:{to}:{expires}")
}

/// The period an hours-confirmed email offers to certify: the year of the day served, up to
/// that day.
pub fn email_period(served_on: NaiveDate) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(chrono::Datelike::year(&served_on), 1, 1).unwrap_or(served_on);
    (start, served_on)
}

/// A volunteer's number on a certificate: the organization's registration of them, as
/// `V` and the registry id (we keep no ID-card numbers, so none is printed).
pub fn volunteer_number(volunteer_id: i64) -> String {
    format!("V{volunteer_id:06}")
}

/// A caring merchant's badge on the roll of honour, by confirmed deliveries in the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Badge {
    /// 1 to 4 deliveries.
    One,
    /// 5 to 19 deliveries.
    Two,
    /// 20 or more.
    Three,
}

/// Deliveries from which a shop has two stars.
pub const TWO_STARS_FROM: u64 = 5;
/// Deliveries from which a shop has three stars.
pub const THREE_STARS_FROM: u64 = 20;

impl Badge {
    /// The badge for `deliveries` confirmed this year; none before the first.
    pub fn for_deliveries(deliveries: u64) -> Option<Badge> {
        match deliveries {
            0 => None,
            d if d < TWO_STARS_FROM => Some(Badge::One),
            d if d < THREE_STARS_FROM => Some(Badge::Two),
            _ => Some(Badge::Three),
        }
    }

    /// The stars shown beside the name.
    pub fn stars(self) -> &'static str {
        match self {
            Badge::One => "★",
            Badge::Two => "★★",
            Badge::Three => "★★★",
        }
    }
}

/// Hours in tenths as people write them: `12.5`.
pub fn hours_text(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_number_is_the_year_and_eight_crockford_characters_of_forty_random_bits() {
        assert_eq!(number(2026, [0, 0, 0, 0, 0]), "YT-2026-00000000");
        assert_eq!(number(2026, [0xff; 5]), "YT-2026-ZZZZZZZZ");
        assert_eq!(number(2026, [0, 0, 0, 0, 33]), "YT-2026-00000011");
        // Neighbouring random values give numbers that differ, and no letter people misread.
        let n = number(2026, [0x12, 0x34, 0x56, 0x78, 0x9a]);
        assert_eq!(n.len(), "YT-2026-".len() + NUMBER_RANDOM_CHARS);
        assert!(!n[8..].contains(['I', 'L', 'O', 'U']));
    }

    #[test]
    fn a_typed_number_is_read_leniently_and_anything_else_is_refused_before_a_lookup() {
        assert_eq!(parse_number(" yt-2026-0abcdefg ").as_deref(), Some("YT-2026-0ABCDEFG"));
        assert_eq!(parse_number("YT-2026-OIL00000").as_deref(), Some("YT-2026-01100000"));
        for bad in [
            "",
            "YT-2026",
            "YT-26-00000000",
            "XX-2026-00000000",
            "YT-2026-0000000U",
            "YT-2026-000000000",
            "YT-2026-0000 000",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
        let made = number(2027, [9, 8, 7, 6, 5]);
        assert_eq!(parse_number(&made), Some(made));
    }

    #[test]
    fn a_period_ends_after_it_starts_and_not_in_the_future() {
        let today = d("2026-12-07");
        assert_eq!(
            check_period(d("2026-01-01"), d("2026-12-07"), today),
            Ok((d("2026-01-01"), d("2026-12-07")))
        );
        assert_eq!(
            check_period(d("2026-02-01"), d("2026-01-01"), today),
            Err(FieldError::EndsBeforeStart)
        );
        assert_eq!(
            check_period(d("2026-01-01"), d("2026-12-08"), today),
            Err(FieldError::DateInFuture)
        );
    }

    #[test]
    fn a_year_runs_to_today_while_it_runs_and_a_future_year_has_no_period() {
        let today = d("2026-12-07");
        assert_eq!(year_period(2025, today), Some((d("2025-01-01"), d("2025-12-31"))));
        assert_eq!(year_period(2026, today), Some((d("2026-01-01"), today)));
        assert_eq!(year_period(2027, today), None);
    }

    #[test]
    fn badges_go_by_confirmed_deliveries_and_nobody_gets_one_for_none() {
        assert_eq!(Badge::for_deliveries(0), None);
        assert_eq!(Badge::for_deliveries(1), Some(Badge::One));
        assert_eq!(Badge::for_deliveries(4), Some(Badge::One));
        assert_eq!(Badge::for_deliveries(5), Some(Badge::Two));
        assert_eq!(Badge::for_deliveries(19), Some(Badge::Two));
        assert_eq!(Badge::for_deliveries(20), Some(Badge::Three));
        assert_eq!(Badge::Three.stars(), "★★★");
    }

    #[test]
    fn an_email_offers_the_year_so_far_and_its_link_signs_every_part() {
        assert_eq!(email_period(d("2026-11-28")), (d("2026-01-01"), d("2026-11-28")));
        let signed = link_message(7, d("2026-01-01"), d("2026-11-28"), d("2027-01-27"));
        assert_eq!(signed, "certificate:7:2026-01-01:2026-11-28:2027-01-27");
        assert_ne!(
            signed,
            link_message(8, d("2026-01-01"), d("2026-11-28"), d("2027-01-27"))
        );
    }

    #[test]
    fn hours_and_volunteer_numbers_read_as_people_write_them() {
        assert_eq!(hours_text(125), "12.5");
        assert_eq!(hours_text(3), "0.3");
        assert_eq!(volunteer_number(42), "V000042");
    }
}
