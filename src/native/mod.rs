//! The native runtime: everything that touches real files, sockets and clocks so the core
//! does not have to. Native targets only.

pub mod client;
pub mod server;
pub mod storage;
