//! The ZooKeeper client wire protocol, sans-IO: jute encoding, the request and reply records,
//! and the framing of a byte stream into messages. The native server feeds it socket bytes;
//! the simulator's clients use it too, so both speak exactly what real clients speak.

pub mod frame;
pub mod jute;
pub mod records;
