//! Small presentational components, one per file.

pub mod controls;
pub mod server_card;
pub mod timeline;
