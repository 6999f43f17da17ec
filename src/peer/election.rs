//! FastLeaderElection (ZooKeeper's `FastLeaderElection.lookForLeader`), as a pure state
//! machine: notifications and timer expiries go in, votes to send and the decision come out.
//!
//! A LOOKING server proposes itself, then adopts any better vote it hears, where votes are
//! ordered by (peerEpoch, zxid, myid) and only participants can be proposed. Newer rounds
//! (logical clocks) reset its vote box. When a quorum of participants agrees with its vote it
//! waits `finalize_wait` for a better one, then decides. A server that hears from servers
//! already FOLLOWING or LEADING joins their leader once a quorum of them back it and the
//! leader itself says it is LEADING.

use super::message::{Notification, PeerState, ServerId};
use crate::data::types::Zxid;
use crate::time::VirtualTime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A vote: the proposed leader, with the zxid and currentEpoch that make it a good one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub leader: ServerId,
    pub zxid: Zxid,
    pub peer_epoch: u32,
}

impl Vote {
    /// An observer's vote, which no participant's vote can lose to.
    pub const NONE: Vote = Vote {
        leader: 0,
        zxid: Zxid(i64::MIN),
        peer_epoch: 0,
    };

    /// The order of votes: (peerEpoch, zxid, myid), lexicographically. ZooKeeper's
    /// `totalOrderPredicate`; skipping a field once let votes cycle forever.
    fn key(&self) -> (u32, Zxid, ServerId) {
        (self.peer_epoch, self.zxid, self.leader)
    }

    pub fn beats(&self, other: &Vote) -> bool {
        self.key() > other.key()
    }

    /// Why `self` beats `other`, in words, for the vote box.
    pub fn reason_over(&self, other: &Vote) -> VoteReason {
        if self.peer_epoch != other.peer_epoch {
            VoteReason::HigherEpoch
        } else if self.zxid != other.zxid {
            VoteReason::HigherZxid
        } else {
            VoteReason::HigherMyid
        }
    }
}

impl fmt::Display for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Vote::NONE {
            return write!(f, "(none)");
        }
        write!(
            f,
            "(leader {}, zxid {}, epoch {})",
            self.leader, self.zxid, self.peer_epoch
        )
    }
}

/// Why a server changed its vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VoteReason {
    /// It started a new round and votes for itself.
    NewRound,
    /// A newer round reached it; it votes for the better of its own vote and that one.
    JoinedNewerRound,
    HigherEpoch,
    HigherZxid,
    HigherMyid,
}

impl VoteReason {
    pub fn describe(self) -> &'static str {
        match self {
            VoteReason::NewRound => "new round: votes for itself",
            VoteReason::JoinedNewerRound => "joined a newer round",
            VoteReason::HigherEpoch => "higher epoch",
            VoteReason::HigherZxid => "same epoch, higher zxid",
            VoteReason::HigherMyid => "same epoch and zxid, higher myid",
        }
    }
}

/// A vote as one server received it from another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedVote {
    pub vote: Vote,
    pub round: u64,
    pub state: PeerState,
    pub at: VirtualTime,
}

impl ReceivedVote {
    /// ZooKeeper's `Vote.equals`: votes from LOOKING servers agree if everything agrees;
    /// once a server follows or leads, only the leader and its epoch matter.
    pub fn agrees_with(&self, other: &ReceivedVote) -> bool {
        if self.state == PeerState::Looking && other.state == PeerState::Looking {
            self.vote == other.vote && self.round == other.round
        } else {
            self.vote.leader == other.vote.leader && self.vote.peer_epoch == other.vote.peer_epoch
        }
    }
}

/// The latest change of a server's vote in its current election, for the vote box.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteChangeRecord {
    pub at: VirtualTime,
    pub from: Vote,
    pub to: Vote,
    pub reason: VoteReason,
}

/// What the election asks of its server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionEvent {
    /// Send the current vote to every participant (ZooKeeper's `sendNotifications`).
    Broadcast,
    /// The server's vote changed.
    VoteChanged {
        from: Vote,
        to: Vote,
        reason: VoteReason,
    },
    /// A quorum agrees; wait until this time for a better vote before deciding.
    Finalizing { until: VirtualTime },
    /// Resend the vote at this time if nothing has been heard.
    ResendAt(VirtualTime),
    /// The election is over.
    Decided { vote: Vote, round: u64 },
}

/// Timing of an election (ZooKeeper's defaults are 200 ms and 60 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionTiming {
    pub finalize_wait_ms: u64,
    pub max_notification_interval_ms: u64,
}

impl Default for ElectionTiming {
    fn default() -> Self {
        ElectionTiming {
            finalize_wait_ms: 200,
            max_notification_interval_ms: 60_000,
        }
    }
}

/// One server's election state: its logical clock, its vote, and its vote box.
#[derive(Clone, Debug)]
pub struct Election {
    myid: ServerId,
    voters: BTreeSet<ServerId>,
    timing: ElectionTiming,
    /// The logical clock: bumped at the start of every election this server runs.
    round: u64,
    proposal: Vote,
    /// Its vote for itself (myid, last logged zxid, currentEpoch) in this election.
    own_initial: Vote,
    /// Votes from LOOKING participants in the current round (ZooKeeper's `recvset`),
    /// this server's own included.
    received: BTreeMap<ServerId, ReceivedVote>,
    /// Votes from participants that are FOLLOWING or LEADING (`outofelection`).
    out_of_election: BTreeMap<ServerId, ReceivedVote>,
    finalize_until: Option<VirtualTime>,
    resend_interval_ms: u64,
    looking: bool,
    /// What the server answers LOOKING servers with once it has decided.
    decided: Option<(Vote, u64)>,
    /// The latest vote change after the election's start (which votes for itself).
    last_change: Option<VoteChangeRecord>,
}

impl Election {
    pub fn new(myid: ServerId, voters: BTreeSet<ServerId>, timing: ElectionTiming) -> Election {
        Election {
            myid,
            voters,
            timing,
            round: 0,
            proposal: Vote::NONE,
            own_initial: Vote::NONE,
            received: BTreeMap::new(),
            out_of_election: BTreeMap::new(),
            finalize_until: None,
            resend_interval_ms: timing.finalize_wait_ms,
            looking: false,
            decided: None,
            last_change: None,
        }
    }

    // ---- what the vote box shows ----

    pub fn round(&self) -> u64 {
        self.round
    }

    pub fn proposal(&self) -> Vote {
        self.proposal
    }

    pub fn is_looking(&self) -> bool {
        self.looking
    }

    pub fn received(&self) -> &BTreeMap<ServerId, ReceivedVote> {
        &self.received
    }

    pub fn out_of_election(&self) -> &BTreeMap<ServerId, ReceivedVote> {
        &self.out_of_election
    }

    pub fn finalizing_until(&self) -> Option<VirtualTime> {
        self.finalize_until
    }

    /// The latest change of this server's vote since its current election started (`None`
    /// while it still holds the vote it started with). The same change the trace reports as
    /// `VoteChanged`.
    pub fn last_change(&self) -> Option<VoteChangeRecord> {
        self.last_change
    }

    /// The vote this server stands by: its proposal while LOOKING, its decision after.
    pub fn current_vote(&self) -> (Vote, u64) {
        match self.decided {
            Some(decided) if !self.looking => decided,
            _ => (self.proposal, self.round),
        }
    }

    fn is_voter(&self) -> bool {
        self.voters.contains(&self.myid)
    }

    /// Whether `vote` may win: only participants can lead.
    fn can_lead(&self, vote: &Vote) -> bool {
        self.voters.contains(&vote.leader)
    }

    // ---- driving it ----

    /// Starts a new election: bumps the logical clock, votes for itself (an observer votes
    /// for nobody) and tells everyone.
    pub fn start(&mut self, now: VirtualTime, own: Vote, events: &mut Vec<ElectionEvent>) {
        self.round += 1;
        self.looking = true;
        self.last_change = None;
        self.received.clear();
        self.out_of_election.clear();
        self.finalize_until = None;
        self.resend_interval_ms = self.timing.finalize_wait_ms;
        self.own_initial = own;
        let own = self.initial_vote();
        let previous = self.proposal;
        self.proposal = own;
        events.push(ElectionEvent::VoteChanged {
            from: previous,
            to: own,
            reason: VoteReason::NewRound,
        });
        self.record_own_vote(now);
        events.push(ElectionEvent::Broadcast);
        events.push(ElectionEvent::ResendAt(now + self.resend_interval_ms));
    }

    /// Nothing was heard for a while: resend, and wait twice as long next time.
    pub fn resend_due(&mut self, now: VirtualTime, events: &mut Vec<ElectionEvent>) {
        if !self.looking {
            return;
        }
        events.push(ElectionEvent::Broadcast);
        self.resend_interval_ms =
            (self.resend_interval_ms * 2).min(self.timing.max_notification_interval_ms);
        events.push(ElectionEvent::ResendAt(now + self.resend_interval_ms));
    }

    /// The finalize wait is over: decide, unless the quorum went away meanwhile.
    pub fn finalize_due(&mut self, now: VirtualTime, events: &mut Vec<ElectionEvent>) {
        let Some(until) = self.finalize_until else {
            return;
        };
        if !self.looking || now < until {
            return;
        }
        self.finalize_until = None;
        let own = self.own_received(now);
        if self.has_quorum(&self.received, &own) {
            self.decide(self.proposal, self.round, events);
        }
    }

    /// A notification from a participant while this server is LOOKING.
    pub fn receive(
        &mut self,
        now: VirtualTime,
        from: ServerId,
        n: Notification,
        events: &mut Vec<ElectionEvent>,
    ) {
        if !self.looking || !self.voters.contains(&from) {
            return;
        }
        let vote = Vote {
            leader: n.leader,
            zxid: n.zxid,
            peer_epoch: n.peer_epoch,
        };
        let received = ReceivedVote {
            vote,
            round: n.round,
            state: n.state,
            at: now,
        };
        match n.state {
            PeerState::Looking => self.receive_looking(now, from, received, events),
            PeerState::Following | PeerState::Leading => {
                self.receive_established(from, received, events)
            }
            PeerState::Observing => {}
        }
    }

    fn receive_looking(
        &mut self,
        now: VirtualTime,
        from: ServerId,
        received: ReceivedVote,
        events: &mut Vec<ElectionEvent>,
    ) {
        if received.round > self.round {
            // A newer election: join it, voting for the better of our own vote and theirs.
            self.round = received.round;
            self.received.clear();
            self.finalize_until = None;
            let own = self.initial_vote();
            let best = if self.can_lead(&received.vote) && received.vote.beats(&own) {
                received.vote
            } else {
                own
            };
            self.change_vote(now, best, VoteReason::JoinedNewerRound, events);
            self.record_own_vote(now);
            events.push(ElectionEvent::Broadcast);
        } else if received.round < self.round {
            // A stale round: the server answers it with its vote elsewhere; nothing to count.
            return;
        } else if self.can_lead(&received.vote) && received.vote.beats(&self.proposal) {
            let reason = received.vote.reason_over(&self.proposal);
            self.change_vote(now, received.vote, reason, events);
            self.finalize_until = None;
            self.record_own_vote(now);
            events.push(ElectionEvent::Broadcast);
        }
        self.received.insert(from, received);
        let own = self.own_received(now);
        if self.finalize_until.is_none() && self.has_quorum(&self.received, &own) {
            let until = now + self.timing.finalize_wait_ms;
            self.finalize_until = Some(until);
            events.push(ElectionEvent::Finalizing { until });
        }
    }

    /// A vote from a server that already follows or leads: join its leader if a quorum is
    /// with it and the leader itself is LEADING (ZooKeeper's `checkLeader`).
    fn receive_established(
        &mut self,
        from: ServerId,
        received: ReceivedVote,
        events: &mut Vec<ElectionEvent>,
    ) {
        if received.round == self.round {
            self.received.insert(from, received);
            if self.has_quorum(&self.received, &received)
                && self.leader_confirmed(&self.received, &received)
            {
                self.decide(received.vote, received.round, events);
                return;
            }
        }
        self.out_of_election.insert(from, received);
        if self.has_quorum(&self.out_of_election, &received)
            && self.leader_confirmed(&self.out_of_election, &received)
        {
            self.round = received.round;
            self.decide(received.vote, received.round, events);
        }
    }

    /// `checkLeader`: a server never follows a leader it has not heard claim to lead,
    /// except itself in its own round.
    fn leader_confirmed(
        &self,
        votes: &BTreeMap<ServerId, ReceivedVote>,
        candidate: &ReceivedVote,
    ) -> bool {
        let leader = candidate.vote.leader;
        if leader == self.myid {
            return candidate.round == self.round;
        }
        votes
            .get(&leader)
            .is_some_and(|v| v.state == PeerState::Leading)
    }

    /// Whether a quorum of participants agrees with `vote`.
    fn has_quorum(&self, votes: &BTreeMap<ServerId, ReceivedVote>, vote: &ReceivedVote) -> bool {
        let agreeing = votes
            .iter()
            .filter(|(sid, v)| self.voters.contains(sid) && v.agrees_with(vote))
            .count();
        agreeing > self.voters.len() / 2
    }

    /// This server's vote for itself in the current election.
    fn initial_vote(&self) -> Vote {
        if self.is_voter() {
            self.own_initial
        } else {
            Vote::NONE
        }
    }

    fn own_received(&self, now: VirtualTime) -> ReceivedVote {
        ReceivedVote {
            vote: self.proposal,
            round: self.round,
            state: PeerState::Looking,
            at: now,
        }
    }

    fn record_own_vote(&mut self, now: VirtualTime) {
        if self.is_voter() {
            let own = self.own_received(now);
            self.received.insert(self.myid, own);
        }
    }

    fn change_vote(
        &mut self,
        now: VirtualTime,
        to: Vote,
        reason: VoteReason,
        events: &mut Vec<ElectionEvent>,
    ) {
        if to != self.proposal {
            self.last_change = Some(VoteChangeRecord {
                at: now,
                from: self.proposal,
                to,
                reason,
            });
            events.push(ElectionEvent::VoteChanged {
                from: self.proposal,
                to,
                reason,
            });
            self.proposal = to;
        }
    }

    fn decide(&mut self, vote: Vote, round: u64, events: &mut Vec<ElectionEvent>) {
        self.looking = false;
        self.finalize_until = None;
        self.proposal = vote;
        self.decided = Some((vote, round));
        events.push(ElectionEvent::Decided { vote, round });
    }
}
