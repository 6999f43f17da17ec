//! The scenarios zooscope ships: their names and titles (in both languages) for the browser's
//! scenario picker, and natively their files, embedded so `zooscope sim --scenario NAME` and
//! the tests need no files.
//!
//! The WebAssembly build leaves the files out (they would be about 17 KB of the gzipped
//! download): the visualiser fetches `scenarios/NAME.scenario` next to the page when one is
//! picked or named in the address, and parses it as any other file.

#[cfg(not(target_arch = "wasm32"))]
use super::{parse, ParseError, Scenario};

/// One shipped scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShippedScenario {
    /// The file stem, which is also how `--scenario NAME` and page addresses name it.
    pub name: &'static str,
    /// The file's `title en:` and `title zh:` (a test checks they agree with the file).
    pub title_en: &'static str,
    pub title_zh: &'static str,
    /// The file as written in `scenarios/` (not in the WebAssembly build: fetched instead).
    #[cfg(not(target_arch = "wasm32"))]
    pub text: &'static str,
}

impl ShippedScenario {
    #[cfg(not(target_arch = "wasm32"))]
    pub fn parse(&self) -> Result<Scenario, ParseError> {
        parse(self.name, self.text)
    }

    /// Where the visualiser fetches the file from, relative to the page.
    pub fn url(&self) -> String {
        format!("scenarios/{}.scenario", self.name)
    }
}

macro_rules! shipped {
    ($($name:literal: $en:literal, $zh:literal;)*) => {
        [$(ShippedScenario {
            name: $name,
            title_en: $en,
            title_zh: $zh,
            #[cfg(not(target_arch = "wasm32"))]
            text: include_str!(concat!("../../scenarios/", $name, ".scenario")),
        }),*]
    };
}

/// In teaching order: elections first, then what survives failures, then clients.
static SHIPPED: [ShippedScenario; 11] = shipped![
    "startup-3": "Startup election with three servers", "三台服务器同时启动时的选举";
    "startup-5-sequential": "Five servers starting one by one", "五台服务器依次启动";
    "follower-restart": "A follower crashes and catches up", "跟随者崩溃后追上进度";
    "leader-crash": "The leader crashes", "领导者崩溃";
    "committed-write-survives": "A committed write survives the leader's crash", "已提交的写入在领导者崩溃后依然保留";
    "uncommitted-write-lost": "An uncommitted write is lost", "未提交的写入会丢失";
    "observer": "An observer serves reads but never votes", "观察者提供读服务，但从不投票";
    "minority-partition": "The leader is cut off in a minority", "领导者被隔离在少数派一侧";
    "three-vs-four": "Three servers or four?", "三台还是四台？";
    "session-failover": "A session survives a server crash", "会话在服务器崩溃后依然存活";
    "fair-lock": "A fair lock, and the herd effect", "公平锁与羊群效应";
];

/// Every shipped scenario, in teaching order.
pub fn shipped() -> &'static [ShippedScenario] {
    &SHIPPED
}

/// The shipped scenario with this name.
pub fn find(name: &str) -> Option<&'static ShippedScenario> {
    SHIPPED.iter().find(|scenario| scenario.name == name)
}
