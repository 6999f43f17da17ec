//! One ZooKeeper server's request pipeline (ZooKeeper's `ZooKeeperServer`), sans-IO.

pub mod session;
