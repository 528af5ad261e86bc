//! A count of units: what a need asks for, what a claim takes, what an offer gives a month.

use super::input::FieldError;

/// A number of units within the bounds every form, the API and the services share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i32);

impl Quantity {
    /// The fewest units anything may ask for, take or give.
    pub const MIN: i32 = 1;
    /// The most units: a bound on typing mistakes ("10000" for "100"), not on generosity.
    pub const MAX: i32 = 10_000;

    /// The quantity, or the error that names the bounds.
    pub fn new(units: i64) -> Result<Self, FieldError> {
        i32::try_from(units)
            .ok()
            .filter(|n| (Self::MIN..=Self::MAX).contains(n))
            .map(Self)
            .ok_or(FieldError::OutOfRange {
                min: Self::MIN.into(),
                max: Self::MAX.into(),
            })
    }

    /// The number of units, as stored.
    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_inclusive_and_everything_outside_names_them() {
        assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
        assert_eq!(Quantity::new(10_000).map(Quantity::get), Ok(10_000));
        let out_of_range = Err(FieldError::OutOfRange { min: 1, max: 10_000 });
        for units in [0, -1, 10_001, i64::from(i32::MAX) + 1, i64::MIN, i64::MAX] {
            assert_eq!(Quantity::new(units), out_of_range, "{units}");
        }
    }
}
