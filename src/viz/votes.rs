//! FastLeaderElection vote boxes: what each server votes for, the votes it has received, and
//! who agrees with it.

use crate::data::types::Zxid;
use crate::peer::election::{ReceivedVote, Vote, VoteReason};
use crate::peer::message::{PeerState, ServerId};
use crate::sim::Simulation;
use crate::time::VirtualTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteBox {
    pub server: ServerId,
    pub observer: bool,
    pub up: bool,
    /// LOOKING (an election is running, or about to once its disk is drained).
    pub looking: bool,
    /// Its logical clock (election round).
    pub round: u64,
    /// The vote it stands by: its proposal while looking, its decision after. `None` when
    /// down, and for an observer, which votes for nobody.
    pub vote: Option<Vote>,
    /// The votes it received in its current (or last) election, one per sender, by sender;
    /// its own vote is among them when it is a participant.
    pub rows: Vec<VoteRow>,
    /// Its latest vote change in its current election (`None` while it votes as it started).
    pub last_change: Option<VoteChange>,
    /// A quorum agrees: it waits until then for a better vote before deciding.
    pub finalizing_until: Option<VirtualTime>,
    /// The participants whose vote agrees with its own (itself included), for the quorum.
    pub agreeing: Vec<ServerId>,
    /// Agreeing participants needed to decide.
    pub quorum: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteRow {
    pub from: ServerId,
    pub leader: ServerId,
    pub zxid: Zxid,
    pub epoch: u32,
    pub round: u64,
    pub state: PeerState,
    /// The vote agrees with the box owner's vote (ZooKeeper's `Vote.equals`).
    pub agrees: bool,
    /// A vote from a server that already follows or leads, heard outside the owner's round.
    pub out_of_election: bool,
    /// When it was received.
    pub at: VirtualTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteChange {
    pub at: VirtualTime,
    pub from: Vote,
    pub to: Vote,
    pub reason: VoteReason,
}

/// One vote box per server, by id (down servers get an empty one).
///
/// Cost: O(servers²) (each box walks its received votes once); no trace scan: the latest vote
/// change is kept by the election itself.
pub fn vote_boxes(sim: &Simulation) -> Vec<VoteBox> {
    let config = sim.config();
    let participants = config.participants();
    let observers = sim.observer_ids();
    let quorum = participants.len() / 2 + 1;
    sim.server_ids()
        .into_iter()
        .map(|server| {
            let observer = observers.contains(&server);
            let Some(peer) = sim.peer(server) else {
                return VoteBox {
                    server,
                    observer,
                    up: false,
                    looking: false,
                    round: 0,
                    vote: None,
                    rows: Vec::new(),
                    last_change: None,
                    finalizing_until: None,
                    agreeing: Vec::new(),
                    quorum,
                };
            };
            let election = peer.election();
            let (vote, round) = election.current_vote();
            // Its own vote as a LOOKING server's: agreement with another LOOKING vote then
            // needs the same vote and round, with a FOLLOWING/LEADING one the same leader
            // and epoch, as ZooKeeper counts them.
            let own = ReceivedVote {
                vote,
                round,
                state: PeerState::Looking,
                at: sim.now(),
            };
            let received = election.received();
            let mut rows: Vec<VoteRow> = received
                .iter()
                .map(|(&from, got)| row(from, got, &own, false))
                .collect();
            rows.extend(
                election
                    .out_of_election()
                    .iter()
                    .filter(|(from, _)| !received.contains_key(from))
                    .map(|(&from, got)| row(from, got, &own, true)),
            );
            rows.sort_by_key(|r| r.from);
            let agreeing = rows
                .iter()
                .filter(|r| r.agrees && participants.contains(&r.from))
                .map(|r| r.from)
                .collect();
            VoteBox {
                server,
                observer,
                up: true,
                looking: peer.state() == PeerState::Looking,
                round: election.round(),
                vote: (vote != Vote::NONE).then_some(vote),
                rows,
                last_change: election.last_change().map(|c| VoteChange {
                    at: c.at,
                    from: c.from,
                    to: c.to,
                    reason: c.reason,
                }),
                finalizing_until: election.finalizing_until(),
                agreeing,
                quorum,
            }
        })
        .collect()
}

fn row(from: ServerId, got: &ReceivedVote, own: &ReceivedVote, out_of_election: bool) -> VoteRow {
    VoteRow {
        from,
        leader: got.vote.leader,
        zxid: got.vote.zxid,
        epoch: got.vote.peer_epoch,
        round: got.round,
        state: got.state,
        agrees: got.agrees_with(own),
        out_of_election,
        at: got.at,
    }
}
