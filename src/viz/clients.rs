//! The simulated clients: their sessions, connections and watches.

use crate::data::types::{SessionId, Zxid};
use crate::data::watch::{WatchMode, WatchTable};
use crate::peer::message::ServerId;
use crate::sim::clients::ClientState;
use crate::sim::Simulation;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientView {
    pub name: String,
    /// The server it is connected (or connecting) to.
    pub server: Option<ServerId>,
    /// 0 until a server has given it a session.
    pub session_id: SessionId,
    /// As negotiated (as asked, until a server answered).
    pub timeout_ms: i32,
    /// `CONNECTING`, `CONNECTED`, `DISCONNECTED`, `EXPIRED` or `CLOSED`.
    pub state: String,
    /// (path, kind) from the connected server's watch manager, by path: kind is `data`
    /// (getData, or exists on a znode that exists), `exist` (exists on a missing znode),
    /// `child`, `persistent` or `persistentRecursive`.
    pub watches: Vec<(String, String)>,
    /// Requests sent or queued and not yet answered.
    pub pending: usize,
    /// The last zxid it has seen.
    pub last_zxid: Zxid,
}

/// Every simulated client, by name. Cost: O(clients × their watches).
pub fn clients(sim: &Simulation) -> Vec<ClientView> {
    sim.clients()
        .map(|client| {
            let peer = client
                .server
                .filter(|_| client.state == ClientState::Connected)
                .and_then(|id| sim.peer(id));
            let mut watches: Vec<(String, String)> = Vec::new();
            if let Some(peer) = peer.filter(|_| client.session_id != 0) {
                for (path, table, mode) in peer.server().watches().watches_of(client.session_id) {
                    let kind = match (table, mode) {
                        (_, WatchMode::PersistentRecursive) => "persistentRecursive",
                        (_, WatchMode::Persistent) => "persistent",
                        (WatchTable::Child, WatchMode::Standard) => "child",
                        (WatchTable::Data, WatchMode::Standard) if peer.tree().exists(path) => {
                            "data"
                        }
                        (WatchTable::Data, WatchMode::Standard) => "exist",
                    };
                    let watch = (path.to_string(), kind.to_string());
                    // A persistent watch sits in both tables: show it once.
                    if !watches.contains(&watch) {
                        watches.push(watch);
                    }
                }
            }
            ClientView {
                name: client.name.clone(),
                server: client.server,
                session_id: client.session_id,
                timeout_ms: client.timeout_ms,
                state: client.state.to_string(),
                watches,
                pending: client.pending.len() + client.queued_len(),
                last_zxid: client.last_zxid,
            }
        })
        .collect()
}
