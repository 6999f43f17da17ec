//! Scenarios: lessons written as plain text that drive the simulated ensemble step by step.
//!
//! A scenario file sets up an ensemble, narrates in English and Chinese, injects faults,
//! drives clients, asks the reader to predict what happens, and checks that it did. This
//! module holds the tree ([`ast`]), the parser ([`parse()`]), the scenarios zooscope ships
//! ([`library`]) and the executor that runs one on the simulator ([`run`]). It does no IO, so
//! it builds for every target; `docs/scenarios.md` is the reference for people who write
//! scenarios.

pub mod ast;
pub mod library;
mod parse;
pub mod run;

pub use ast::{
    Action, Assertion, ClientDecl, Condition, DiskKind, Expect, MessageFilter, MessageRule,
    Question, Role, Scenario, ServerId, Setup, Step, Text,
};
pub use parse::{parse, ParseError, MAX_OBSERVERS, MAX_PARTICIPANTS};

#[cfg(test)]
mod tests;
