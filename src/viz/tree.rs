//! One server's znode tree, a level at a time, compared with a reference server's.

use crate::data::tree::{DataTree, NodeRef};
use crate::data::txn::EphemeralType;
use crate::data::types::{SessionId, Stat};
use crate::peer::message::ServerId;
use crate::sim::Simulation;
use std::cmp::Ordering;

/// Data longer than this is cut in [`ZnodeDetail::data`].
pub const DATA_PREVIEW_BYTES: usize = 1024;

/// How a znode compares with the reference server's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeDiff {
    Same,
    /// The reference has it, this server does not.
    Missing,
    /// This server has it, the reference does not.
    Extra,
    /// Both have it, with different data or data version.
    DataDiffers,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZnodeChild {
    pub name: String,
    pub path: String,
    /// As this server has it (the reference's for a `Missing` child).
    pub num_children: usize,
    /// Owned by a session (not a container or TTL znode).
    pub ephemeral: bool,
    pub diff: NodeDiff,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZnodeDetail {
    pub path: String,
    /// UTF-8, lossily, cut to [`DATA_PREVIEW_BYTES`] with `…`.
    pub data: String,
    /// The data's full length in bytes (0 for null data).
    pub data_len: usize,
    pub stat: Stat,
    /// `scheme:id:perms`, e.g. `world:anyone:cdrwa`.
    pub acl: Vec<String>,
    pub ephemeral_owner: Option<SessionId>,
    /// The simulated client holding that session.
    pub owner_client: Option<String>,
}

/// The server others are compared with: the established leader, else the up server with the
/// highest committed zxid (the highest id among equals). Cost: O(servers).
pub fn reference_server(sim: &Simulation) -> Option<ServerId> {
    sim.established_leader().or_else(|| {
        sim.peers()
            .max_by_key(|p| (p.committed_zxid(), p.myid()))
            .map(|p| p.myid())
    })
}

/// The reference's tree, unless `server` is the reference (nothing to compare with).
fn reference_tree(sim: &Simulation, server: ServerId) -> Option<&DataTree> {
    let reference = reference_server(sim).filter(|&r| r != server)?;
    sim.peer(reference).map(|p| p.tree())
}

fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn is_session_ephemeral(node: &NodeRef<'_>) -> bool {
    matches!(node.kind(), Some(EphemeralType::Session(_)))
}

fn compare(own: &NodeRef<'_>, reference: &NodeRef<'_>) -> NodeDiff {
    if own.data == reference.data && own.stat.version == reference.stat.version {
        NodeDiff::Same
    } else {
        NodeDiff::DataDiffers
    }
}

/// The children of `parent` on `server`, sorted by name, with the reference's children this
/// server lacks as `Missing`. Empty if the server is down or neither has `parent`.
///
/// Cost: O(c log n) for c children on each of the two trees (two child listings and two
/// lookups per child); [`children_page`] looks up only the children it lists.
pub fn children(sim: &Simulation, server: ServerId, parent: &str) -> Vec<ZnodeChild> {
    children_page(sim, server, parent, usize::MAX).shown
}

/// The first children of a level, as a display lists them a page at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildPage {
    /// The first `limit` of [`children`], in full.
    pub shown: Vec<ZnodeChild>,
    /// How many [`children`] there are in all.
    pub total: usize,
}

/// The first `limit` of [`children`] and their number.
///
/// Cost: the two child listings (O(c) names, compared without lookups), plus two lookups
/// (O(log n)) for each child listed: a "more" on a level of 10,000 children looks up a page
/// of them, not all.
pub fn children_page(sim: &Simulation, server: ServerId, parent: &str, limit: usize) -> ChildPage {
    let Some(own_tree) = sim.peer(server).map(|p| p.tree()) else {
        return ChildPage {
            shown: Vec::new(),
            total: 0,
        };
    };
    let reference = reference_tree(sim, server);
    let own_names = own_tree.children(parent).unwrap_or_default();
    let ref_names = reference
        .and_then(|r| r.children(parent))
        .unwrap_or_default();
    let mut shown = Vec::with_capacity(own_names.len().max(ref_names.len()).min(limit));
    let mut total = 0;
    let (mut i, mut j) = (0, 0);
    while i < own_names.len() || j < ref_names.len() {
        let order = match (own_names.get(i), ref_names.get(j)) {
            (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let (name, own, theirs) = match order {
            Ordering::Less => {
                i += 1;
                (&own_names[i - 1], true, false)
            }
            Ordering::Greater => {
                j += 1;
                (&ref_names[j - 1], false, true)
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
                (&own_names[i - 1], true, true)
            }
        };
        // A name listed by a tree is a znode of that tree: past the page, only counted.
        total += 1;
        if shown.len() >= limit {
            continue;
        }
        let path = join(parent, name);
        let own_node = if own { own_tree.node(&path) } else { None };
        let ref_node = if theirs {
            reference.and_then(|r| r.node(&path))
        } else {
            None
        };
        let (listed, diff) = match (&own_node, &ref_node) {
            (Some(a), Some(b)) => (a, compare(a, b)),
            (Some(a), None) if reference.is_some() => (a, NodeDiff::Extra),
            (Some(a), None) => (a, NodeDiff::Same),
            (None, Some(b)) => (b, NodeDiff::Missing),
            (None, None) => {
                total -= 1;
                continue;
            }
        };
        shown.push(ZnodeChild {
            name: name.clone(),
            path,
            num_children: usize::try_from(listed.stat.num_children).unwrap_or(0),
            ephemeral: is_session_ephemeral(listed),
            diff,
        });
    }
    ChildPage { shown, total }
}

/// The znode at `path` on `server`; `None` if the server is down or lacks it.
/// Cost: one lookup, plus one pass over the clients for an ephemeral's owner.
pub fn detail(sim: &Simulation, server: ServerId, path: &str) -> Option<ZnodeDetail> {
    let node = sim.peer(server)?.tree().node(path)?;
    let bytes = node.data.unwrap_or(&[]);
    let data = if bytes.len() > DATA_PREVIEW_BYTES {
        let mut text = String::from_utf8_lossy(&bytes[..DATA_PREVIEW_BYTES]).into_owned();
        text.push('…');
        text
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    let ephemeral_owner = match node.kind() {
        Some(EphemeralType::Session(session)) => Some(session),
        _ => None,
    };
    let owner_client = ephemeral_owner.and_then(|session| {
        sim.clients()
            .find(|c| c.session_id == session)
            .map(|c| c.name.clone())
    });
    Some(ZnodeDetail {
        path: node.path.to_string(),
        data,
        data_len: bytes.len(),
        stat: node.stat,
        acl: node
            .acl
            .iter()
            .map(|acl| {
                format!(
                    "{}:{}:{}",
                    acl.id.scheme,
                    acl.id.id,
                    crate::zkcli::format::perm_string(acl.perms)
                )
            })
            .collect(),
        ephemeral_owner,
        owner_client,
    })
}

/// Up to `limit` znodes where `server`'s tree and the reference's differ, in path order.
/// Empty if the server is down or is the reference.
///
/// Cost: one merged walk of both trees, O(n) in the znodes before the `limit`-th difference.
pub fn differing_paths(
    sim: &Simulation,
    server: ServerId,
    limit: usize,
) -> Vec<(String, NodeDiff)> {
    let Some(own_tree) = sim.peer(server).map(|p| p.tree()) else {
        return Vec::new();
    };
    let Some(reference) = reference_tree(sim, server) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut own = own_tree.iter().peekable();
    let mut theirs = reference.iter().peekable();
    while out.len() < limit {
        let order = match (own.peek(), theirs.peek()) {
            (Some(a), Some(b)) => a.path.as_bytes().cmp(b.path.as_bytes()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match order {
            Ordering::Less => {
                if let Some(a) = own.next() {
                    out.push((a.path.to_string(), NodeDiff::Extra));
                }
            }
            Ordering::Greater => {
                if let Some(b) = theirs.next() {
                    out.push((b.path.to_string(), NodeDiff::Missing));
                }
            }
            Ordering::Equal => {
                if let (Some(a), Some(b)) = (own.next(), theirs.next()) {
                    let diff = compare(&a, &b);
                    if diff != NodeDiff::Same {
                        out.push((a.path.to_string(), diff));
                    }
                }
            }
        }
    }
    out
}
