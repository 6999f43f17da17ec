//! The scenarios zooscope ships, embedded in the binary (and the WebAssembly build) so the
//! browser's scenario picker and `zooscope sim --scenario NAME` need no files.

use super::{parse, ParseError, Scenario};

/// One shipped scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShippedScenario {
    /// The file stem, which is also how `--scenario NAME` and page addresses name it.
    pub name: &'static str,
    /// The file as written in `scenarios/`.
    pub text: &'static str,
}

impl ShippedScenario {
    pub fn parse(&self) -> Result<Scenario, ParseError> {
        parse(self.name, self.text)
    }
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        [$(ShippedScenario {
            name: $name,
            text: include_str!(concat!("../../scenarios/", $name, ".scenario")),
        }),*]
    };
}

/// In teaching order: elections first, then what survives failures, then clients.
static SHIPPED: [ShippedScenario; 11] = shipped![
    "startup-3",
    "startup-5-sequential",
    "follower-restart",
    "leader-crash",
    "committed-write-survives",
    "uncommitted-write-lost",
    "observer",
    "minority-partition",
    "three-vs-four",
    "session-failover",
    "fair-lock",
];

/// Every shipped scenario, in teaching order.
pub fn shipped() -> &'static [ShippedScenario] {
    &SHIPPED
}

/// The shipped scenario with this name.
pub fn find(name: &str) -> Option<&'static ShippedScenario> {
    SHIPPED.iter().find(|scenario| scenario.name == name)
}
