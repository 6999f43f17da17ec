//! The simulated network between servers: latency per message, FIFO order per link (as the
//! TCP connections ZooKeeper uses keep it), cut links, and rules that hold, drop, duplicate
//! or delay the messages that match them.

use crate::peer::message::{PeerMessage, ServerId};
use crate::peer::trace::LossCause;
use crate::time::VirtualTime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Which messages a rule applies to; `None` matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFilter {
    /// A kind name from [`PeerMessage::KINDS`].
    pub kind: Option<String>,
    pub from: Option<ServerId>,
    pub to: Option<ServerId>,
}

impl MessageFilter {
    pub fn matches(&self, from: ServerId, to: ServerId, message: &PeerMessage) -> bool {
        self.kind.as_deref().is_none_or(|k| k == message.kind())
            && self.from.is_none_or(|f| f == from)
            && self.to.is_none_or(|t| t == to)
    }
}

impl fmt::Display for MessageFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_deref().unwrap_or("*"))?;
        if let Some(from) = self.from {
            write!(f, " from {from}")?;
        }
        if let Some(to) = self.to {
            write!(f, " to {to}")?;
        }
        Ok(())
    }
}

/// What a rule does to the messages it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleKind {
    /// Keep them until released.
    Hold,
    Drop,
    /// Deliver each twice.
    Duplicate,
    /// Deliver each this many milliseconds later than it would have been.
    Delay(u64),
}

impl RuleKind {
    /// Whether two rule kinds are the same rule (delays of any length are one kind).
    pub fn same_rule(self, other: RuleKind) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub kind: RuleKind,
    pub filter: MessageFilter,
}

/// A message kept by a hold rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldMessage {
    pub from: ServerId,
    pub to: ServerId,
    pub message: PeerMessage,
    /// When its sender sent it.
    pub sent_at: VirtualTime,
}

/// What the network decided for one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Deliver at this time, and a second copy at `duplicate` if a rule duplicates it.
    Deliver {
        at: VirtualTime,
        duplicate: Option<VirtualTime>,
    },
    Held,
    Lost(LossCause),
}

#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Directed links that carry nothing.
    cut: BTreeSet<(ServerId, ServerId)>,
    rules: Vec<Rule>,
    held: Vec<HeldMessage>,
    /// ZAB packets sent over a cut link: TCP keeps retransmitting them, so they arrive if
    /// the link heals before either end gives the connection up.
    stalled: Vec<HeldMessage>,
    /// The latest delivery time scheduled on each directed link: later messages never
    /// overtake it.
    link_clock: BTreeMap<(ServerId, ServerId), VirtualTime>,
    /// ZAB connections (each direction, by link id) that lost a packet: TCP never skips
    /// one, so nothing sent on them after it arrives either.
    broken: BTreeSet<(ServerId, ServerId, u64)>,
}

impl Network {
    /// The ZAB connection `link` between `a` and `b` lost a packet: it is dead both ways.
    pub fn break_connection(&mut self, a: ServerId, b: ServerId, link: u64) {
        self.broken.insert((a, b, link));
        self.broken.insert((b, a, link));
    }

    pub fn is_broken(&self, from: ServerId, to: ServerId, link: u64) -> bool {
        self.broken.contains(&(from, to, link))
    }

    pub fn is_cut(&self, from: ServerId, to: ServerId) -> bool {
        self.cut.contains(&(from, to))
    }

    pub fn cut_links(&self) -> impl Iterator<Item = &(ServerId, ServerId)> {
        self.cut.iter()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn held(&self) -> &[HeldMessage] {
        &self.held
    }

    pub fn cut(&mut self, from: ServerId, to: ServerId) {
        self.cut.insert((from, to));
    }

    pub fn heal(&mut self, from: ServerId, to: ServerId) {
        self.cut.remove(&(from, to));
    }

    pub fn heal_all(&mut self) {
        self.cut.clear();
    }

    /// ZAB packets waiting for a cut link to heal, in the order they were sent.
    pub fn stalled(&self) -> &[HeldMessage] {
        &self.stalled
    }

    /// Keeps a ZAB packet that met a cut link until the link heals.
    pub fn stall(
        &mut self,
        from: ServerId,
        to: ServerId,
        message: PeerMessage,
        sent_at: VirtualTime,
    ) {
        self.stalled.push(HeldMessage {
            from,
            to,
            message,
            sent_at,
        });
    }

    /// The stalled packets whose links are no longer cut, in the order they were sent.
    pub fn take_unstalled(&mut self) -> Vec<HeldMessage> {
        let cut = &self.cut;
        let (free, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.stalled)
            .into_iter()
            .partition(|m| !cut.contains(&(m.from, m.to)));
        self.stalled = still;
        free
    }

    pub fn add_rule(&mut self, rule: Rule) {
        self.rules.push(rule);
    }

    /// Ends the rules of this kind whose filter is exactly `filter`.
    pub fn remove_rules(&mut self, kind: RuleKind, filter: &MessageFilter) {
        self.rules
            .retain(|rule| !(rule.kind.same_rule(kind) && &rule.filter == filter));
    }

    /// Takes the held messages that match `filter`, in the order they were sent.
    pub fn take_held(&mut self, filter: &MessageFilter) -> Vec<HeldMessage> {
        let (taken, kept) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|held| filter.matches(held.from, held.to, &held.message));
        self.held = kept;
        taken
    }

    /// Decides what happens to a message sent now with the drawn `latency_ms`.
    pub fn route(
        &mut self,
        now: VirtualTime,
        from: ServerId,
        to: ServerId,
        message: &PeerMessage,
        latency_ms: u64,
    ) -> Fate {
        if self.is_cut(from, to) {
            if matches!(message, PeerMessage::Zab { .. }) {
                self.stall(from, to, message.clone(), now);
                return Fate::Held;
            }
            return Fate::Lost(LossCause::LinkCut);
        }
        let mut extra_ms = 0;
        let mut duplicated = false;
        for rule in self
            .rules
            .iter()
            .filter(|r| r.filter.matches(from, to, message))
        {
            match rule.kind {
                RuleKind::Drop => return Fate::Lost(LossCause::DroppedByRule),
                RuleKind::Hold => {
                    self.held.push(HeldMessage {
                        from,
                        to,
                        message: message.clone(),
                        sent_at: now,
                    });
                    return Fate::Held;
                }
                RuleKind::Duplicate => duplicated = true,
                RuleKind::Delay(ms) => extra_ms += ms,
            }
        }
        let wanted = now + latency_ms + extra_ms;
        let at = self.fifo_time(from, to, wanted);
        let duplicate = duplicated.then(|| self.fifo_time(from, to, wanted));
        Fate::Deliver { at, duplicate }
    }

    /// When a released message arrives: after everything already on its link.
    pub fn release_time(
        &mut self,
        from: ServerId,
        to: ServerId,
        earliest: VirtualTime,
    ) -> VirtualTime {
        self.fifo_time(from, to, earliest)
    }

    fn fifo_time(&mut self, from: ServerId, to: ServerId, wanted: VirtualTime) -> VirtualTime {
        let clock = self
            .link_clock
            .entry((from, to))
            .or_insert(VirtualTime::ZERO);
        let at = wanted.max(*clock);
        *clock = at;
        at
    }
}
