//! Read-only pictures of a [`Simulation`](crate::sim::Simulation) for displays: messages in
//! flight, vote boxes, the ZAB flow table, one server's znode tree against a reference, the
//! lock recipe's queues and the simulated clients.
//!
//! Nothing here changes the simulation, reads a clock or depends on hashing, so a picture is
//! a pure function of the simulation's state. Every function is meant to run on each UI frame:
//! each one's doc says what it costs, and none walks the whole trace or a whole tree unless
//! it says so and bounds its output.

pub mod clients;
pub mod flight;
pub mod locks;
pub mod tree;
pub mod votes;
pub mod zab;

#[cfg(test)]
mod tests;
