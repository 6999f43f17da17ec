//! ZooKeeper's data model, sans-IO: the vocabulary shared by the tree, the wire protocol,
//! sessions and watches; path rules; ACLs; the znode tree and the transactions that change it;
//! and the watch manager.

pub mod acl;
pub mod path;
pub mod tree;
pub mod txn;
pub mod types;
pub mod watch;
