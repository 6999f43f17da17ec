//! zkCli's command language, sans-IO and on every target, so that `zooscope cli`, the
//! browser's console and the simulator's scenario scripts read the same commands and print
//! the same text. A line becomes a `ServerCommand` (`parse_line`), the command becomes the
//! request it sends (`request_for`), and the reply becomes zkCli's output (`format_reply`);
//! sending the request is the caller's business.

pub mod acl;
pub mod commands;
pub mod format;
pub mod wire;
pub mod words;

pub use commands::{parse_line, parse_server_command, usage_text, CliError, ServerCommand};
pub use wire::{
    format_reply, format_reply_code, request_for, request_for_line, ReplyText, WireStep,
};
