//! The panels of the page, one per file.

pub mod clients;
pub mod cluster;
pub mod controls;
pub mod inspector;
pub mod locks;
pub mod next_events;
pub mod scenario;
pub mod server_cards;
pub mod timeline;
pub mod votes;
pub mod zab_flow;
pub mod znode_tree;
