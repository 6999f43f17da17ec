//! Messages between servers, for animation: those the agenda will deliver, those a hold rule
//! parked and those stalled on a cut link.

use super::zab::describe_txn;
use crate::peer::message::{PeerMessage, ServerId, ZabPacket};
use crate::sim::{EventKey, Simulation};
use crate::time::VirtualTime;
use crate::zkserver::Forwarded;
use std::collections::BTreeSet;

/// What part of the protocol a message belongs to, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessageFamily {
    /// FastLeaderElection notifications.
    Vote,
    /// FOLLOWERINFO, OBSERVERINFO, LEADERINFO, ACKEPOCH.
    Discovery,
    /// DIFF, TRUNC, SNAP, and the proposals and commits sent during synchronization.
    Sync,
    /// NEWLEADER, UPTODATE, and the ACK of NEWLEADER.
    Establish,
    Proposal,
    Ack,
    /// COMMIT and INFORM.
    Commit,
    Ping,
    /// A write a learner forwards to its leader.
    Request,
    Other,
}

impl MessageFamily {
    pub fn name(self) -> &'static str {
        match self {
            MessageFamily::Vote => "vote",
            MessageFamily::Discovery => "discovery",
            MessageFamily::Sync => "sync",
            MessageFamily::Establish => "establish",
            MessageFamily::Proposal => "proposal",
            MessageFamily::Ack => "ack",
            MessageFamily::Commit => "commit",
            MessageFamily::Ping => "ping",
            MessageFamily::Request => "request",
            MessageFamily::Other => "other",
        }
    }
}

/// Where a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlightState {
    /// On the wire, due at `arrives_at`.
    Travelling,
    /// Parked by a hold rule until released or discarded.
    Held,
    /// A ZAB packet on a cut link: TCP retransmits it until the link heals.
    Stalled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInFlight {
    /// Its agenda key, for `Command::DropInFlight`; `None` for held and stalled messages.
    pub key: Option<EventKey>,
    pub from: ServerId,
    pub to: ServerId,
    /// The kind name of [`PeerMessage::KINDS`], as the trace writes it.
    pub kind: &'static str,
    pub family: MessageFamily,
    /// When it was put on the wire: its send, or its release from a hold or a stall.
    pub sent_at: VirtualTime,
    /// When it arrives; for held and stalled messages, `sent_at`.
    pub arrives_at: VirtualTime,
    pub state: FlightState,
    /// One line, e.g. `PROPOSAL 1:3 create /a`.
    pub summary: String,
    /// Name/value pairs for a person who clicks the message.
    pub fields: Vec<(String, String)>,
}

/// The family of a message by its kind alone. A PROPOSAL or COMMIT that is part of a
/// synchronization is `Proposal`/`Commit` here; [`messages_in_flight`] tells them apart.
/// An ACK of NEWLEADER (zxid `epoch:0`) is `Establish`.
pub fn family_of(message: &PeerMessage) -> MessageFamily {
    let packet = match message {
        PeerMessage::Notification(_) => return MessageFamily::Vote,
        PeerMessage::Zab { packet, .. } => packet,
    };
    match packet {
        ZabPacket::LearnerInfo { .. }
        | ZabPacket::LeaderInfo { .. }
        | ZabPacket::AckEpoch { .. } => MessageFamily::Discovery,
        ZabPacket::Diff { .. } | ZabPacket::Trunc { .. } | ZabPacket::Snap(_) => {
            MessageFamily::Sync
        }
        ZabPacket::NewLeader { .. } | ZabPacket::UpToDate => MessageFamily::Establish,
        ZabPacket::Ack { zxid } if zxid.counter() == 0 => MessageFamily::Establish,
        ZabPacket::Ack { .. } => MessageFamily::Ack,
        ZabPacket::Proposal(_) => MessageFamily::Proposal,
        ZabPacket::Commit { .. } | ZabPacket::Inform(_) => MessageFamily::Commit,
        ZabPacket::Ping { .. } => MessageFamily::Ping,
        ZabPacket::Request(_) => MessageFamily::Request,
    }
}

/// Every message between servers that has not arrived: the agenda's deliveries in the order
/// they will arrive, then held messages, then stalled ones (each in the order sent).
///
/// Not included: messages that reached a paused server, which wait inside it until it resumes.
/// Cost: sorting the agenda's keys, one pass over the held and stalled lists, and one
/// formatted summary per message.
pub fn messages_in_flight(sim: &Simulation) -> Vec<MessageInFlight> {
    let network = sim.network();
    let mut out: Vec<MessageInFlight> = Vec::new();
    let mut links: Vec<Option<(ServerId, ServerId, u64)>> = Vec::new();
    for delivery in sim.deliveries() {
        links.push(zab_link(delivery.from, delivery.to, delivery.message));
        out.push(picture(
            Some(delivery.key),
            delivery.from,
            delivery.to,
            delivery.message,
            delivery.sent_at,
            delivery.key.0,
            FlightState::Travelling,
        ));
    }
    for (list, state) in [
        (network.held(), FlightState::Held),
        (network.stalled(), FlightState::Stalled),
    ] {
        for held in list {
            links.push(zab_link(held.from, held.to, &held.message));
            out.push(picture(
                None,
                held.from,
                held.to,
                &held.message,
                held.sent_at,
                held.sent_at,
                state,
            ));
        }
    }
    // The proposals and commits of a synchronization travel before NEWLEADER on the same
    // connection (which keeps order): walking backwards, any that has a NEWLEADER behind it
    // on its connection is a sync transaction.
    let mut newleader_behind: BTreeSet<(ServerId, ServerId, u64)> = BTreeSet::new();
    for (message, link) in out.iter_mut().zip(links).rev() {
        let Some(link) = link else { continue };
        match message.kind {
            "NEWLEADER" => {
                newleader_behind.insert(link);
            }
            "PROPOSAL" | "COMMIT" if newleader_behind.contains(&link) => {
                message.family = MessageFamily::Sync;
            }
            _ => {}
        }
    }
    out
}

fn zab_link(
    from: ServerId,
    to: ServerId,
    message: &PeerMessage,
) -> Option<(ServerId, ServerId, u64)> {
    match message {
        PeerMessage::Zab { link, .. } => Some((from, to, *link)),
        PeerMessage::Notification(_) => None,
    }
}

fn picture(
    key: Option<EventKey>,
    from: ServerId,
    to: ServerId,
    message: &PeerMessage,
    sent_at: VirtualTime,
    arrives_at: VirtualTime,
    state: FlightState,
) -> MessageInFlight {
    let (summary, fields) = describe(message);
    MessageInFlight {
        key,
        from,
        to,
        kind: message.kind(),
        family: family_of(message),
        sent_at,
        arrives_at,
        state,
        summary,
        fields,
    }
}

fn field(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// A message's one-line summary and its fields.
fn describe(message: &PeerMessage) -> (String, Vec<(String, String)>) {
    let packet = match message {
        PeerMessage::Notification(n) => {
            let fields = vec![
                field("leader", n.leader),
                field("zxid", n.zxid),
                field("peer epoch", n.peer_epoch),
                field("round", n.round),
                field("state", n.state),
            ];
            let summary = format!(
                "NOTIFICATION vote {} ({}, epoch {}) round {} {}",
                n.leader, n.zxid, n.peer_epoch, n.round, n.state
            );
            return (summary, fields);
        }
        PeerMessage::Zab { packet, .. } => packet,
    };
    let link = match message {
        PeerMessage::Zab { link, .. } => *link,
        PeerMessage::Notification(_) => 0,
    };
    let mut summary = message.to_string();
    let mut fields = match packet {
        ZabPacket::LearnerInfo {
            accepted_epoch,
            last_zxid,
            snapshot_zxid,
            observer,
        } => vec![
            field("acceptedEpoch", accepted_epoch),
            field("last zxid", last_zxid),
            field("snapshot zxid", snapshot_zxid),
            field("observer", observer),
        ],
        ZabPacket::LeaderInfo { new_epoch } => vec![field("new epoch", new_epoch)],
        ZabPacket::AckEpoch {
            current_epoch,
            last_zxid,
        } => vec![
            field(
                "currentEpoch",
                current_epoch.map_or_else(|| "already accepted".to_string(), |e| e.to_string()),
            ),
            field("last zxid", last_zxid),
        ],
        ZabPacket::Diff {
            last_zxid,
            committed_zxid,
        } => vec![
            field("leader's last zxid", last_zxid),
            field("committed through", committed_zxid),
        ],
        ZabPacket::Trunc { zxid } => vec![field("truncate after", zxid)],
        ZabPacket::Snap(image) => vec![
            field("zxid", image.zxid),
            field("znodes", image.tree.node_count()),
            field("sessions", image.sessions.len()),
        ],
        ZabPacket::Proposal(entry) | ZabPacket::Inform(entry) => {
            let op = describe_txn(&entry.header, &entry.txn);
            summary = format!("{summary} {op}");
            vec![
                field("zxid", entry.header.zxid),
                field("op", op),
                field("session", format!("{:#x}", entry.header.session_id)),
                field("cxid", entry.header.cxid),
            ]
        }
        ZabPacket::Commit { zxid } => vec![field("zxid", zxid)],
        ZabPacket::NewLeader { zxid } => vec![field("zxid", zxid)],
        ZabPacket::Ack { zxid } => {
            if zxid.counter() == 0 {
                summary = format!("ACK {zxid} (of NEWLEADER)");
            }
            vec![field("zxid", zxid)]
        }
        ZabPacket::UpToDate => Vec::new(),
        ZabPacket::Ping { sessions } => vec![field(
            "sessions",
            sessions
                .iter()
                .map(|s| format!("{s:#x}"))
                .collect::<Vec<_>>()
                .join(", "),
        )],
        ZabPacket::Request(request) => {
            let what = match &request.kind {
                Forwarded::CreateSession { timeout_ms } => {
                    format!("createSession ({timeout_ms} ms)")
                }
                Forwarded::CloseSession => "closeSession".to_string(),
                Forwarded::Write(write) => crate::sim::clients::describe_request(write),
            };
            summary = format!("{summary} {what}");
            vec![
                field("session", format!("{:#x}", request.session)),
                field("cxid", request.cxid),
                field("request", what),
            ]
        }
    };
    fields.push(field("connection", link));
    (summary, fields)
}
