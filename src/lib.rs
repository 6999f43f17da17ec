//! zooscope: a ZooKeeper you can watch think.
//!
//! The crate is one ZooKeeper server core with two homes. Everything outside `ui` and `cli`
//! is sans-IO and deterministic and compiles for every target; see ARCHITECTURE.md.

pub mod data;
pub mod i18n;
pub mod peer;
pub mod play;
pub mod proto;
pub mod scenario;
pub mod sim;
pub mod time;
pub mod viz;
pub mod zkcli;
pub mod zkserver;
pub mod zoocfg;

/// Only in a build made for the simulator's browser bench: the visualiser does not need it.
#[cfg(all(target_arch = "wasm32", feature = "bench-hook"))]
pub mod bench_hook;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod ui;
