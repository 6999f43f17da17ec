//! Virtual time. The core never reads a clock: every handler is told `now` by its caller
//! (the simulator's agenda in the browser, the native runtime's clock on a real server).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Add;

/// A point in virtual time, in milliseconds since the run (or the process) began.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct VirtualTime(u64);

impl VirtualTime {
    pub const ZERO: VirtualTime = VirtualTime(0);

    pub const fn from_millis(ms: u64) -> Self {
        VirtualTime(ms)
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Milliseconds from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn millis_since(self, earlier: VirtualTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<u64> for VirtualTime {
    type Output = VirtualTime;

    /// Adds milliseconds, saturating: a far-future deadline must not wrap into the past.
    fn add(self, ms: u64) -> VirtualTime {
        VirtualTime(self.0.saturating_add(ms))
    }
}

impl fmt::Display for VirtualTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_seconds_with_millisecond_precision() {
        assert_eq!(VirtualTime::from_millis(12_345).to_string(), "12.345s");
        assert_eq!(VirtualTime::ZERO.to_string(), "0.000s");
    }

    #[test]
    fn adding_saturates_instead_of_wrapping() {
        assert_eq!(
            VirtualTime::from_millis(u64::MAX) + 5,
            VirtualTime::from_millis(u64::MAX)
        );
    }

    #[test]
    fn millis_since_never_goes_negative() {
        let early = VirtualTime::from_millis(10);
        let late = VirtualTime::from_millis(25);
        assert_eq!(late.millis_since(early), 15);
        assert_eq!(early.millis_since(late), 0);
    }
}
