//! What a viewer can do to a run, in a short text form that fits in a page address
//! (`crash:3`, `cut:1>2`, `cli:alice:create /a x`), and how each becomes simulator commands.

use crate::peer::message::ServerId;
use crate::proto::records::Request;
use crate::sim::{Command, EventKey, Simulation};
use crate::time::VirtualTime;
use crate::zkcli;
use std::fmt;

/// The session timeout the browser's clients ask for unless told otherwise.
pub const DEFAULT_CLIENT_TIMEOUT_MS: i32 = 10_000;

/// One thing a viewer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewerAction {
    Crash(ServerId),
    Restart(ServerId),
    Pause(ServerId),
    Resume(ServerId),
    /// Cut the link `from -> to` (and `to -> from` if both ways).
    Cut {
        from: ServerId,
        to: ServerId,
        both_ways: bool,
    },
    Heal {
        from: ServerId,
        to: ServerId,
        both_ways: bool,
    },
    HealAll,
    /// Cut every link of this server, both ways: alone on its side of a partition.
    Isolate(ServerId),
    /// A new observer with the next myid.
    AddObserver,
    /// Carry out this pending event next (manual mode).
    Take(EventKey),
    /// Drop this message in flight.
    Drop(EventKey),
    /// Hold this message in flight back by `ms` milliseconds.
    Delay {
        key: EventKey,
        ms: u64,
    },
    /// A new client session on `server`.
    AddClient {
        name: String,
        server: ServerId,
        timeout_ms: i32,
    },
    MoveClient {
        name: String,
        server: ServerId,
    },
    /// The client goes away without closing its session.
    Disconnect(String),
    /// A zkCli command typed into the console, run through a client's session.
    Cli {
        client: String,
        line: String,
    },
    /// A burst of writes from one client: `count` sequential creates `/burst-NNNNNNNNNN`,
    /// pipelined, to watch ZAB under load (and to grow a large tree).
    Burst {
        client: String,
        count: u32,
    },
}

/// The most writes one burst sends.
pub const MAX_BURST: u32 = 10_000;

/// What applying an action gave: for a console command, the request's xid (its answer is
/// found in the client's outcomes) or why it could not be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Done,
    Sent { xid: i32 },
    Refused(String),
}

impl ViewerAction {
    /// Carries the action out on `sim` (recorded there as commands).
    pub fn apply(&self, sim: &mut Simulation) -> Applied {
        let servers = sim.server_ids();
        let known = |id: &ServerId| servers.contains(id);
        let command = match self {
            ViewerAction::Crash(id) if known(id) => Command::Crash(*id),
            ViewerAction::Restart(id) if known(id) => Command::Restart(*id),
            ViewerAction::Pause(id) if known(id) => Command::Pause(*id),
            ViewerAction::Resume(id) if known(id) => Command::Resume(*id),
            ViewerAction::Cut {
                from,
                to,
                both_ways,
            } if known(from) && known(to) && from != to => Command::Cut {
                from: *from,
                to: *to,
                both_ways: *both_ways,
            },
            ViewerAction::Heal {
                from,
                to,
                both_ways,
            } if known(from) && known(to) => Command::Heal {
                from: *from,
                to: *to,
                both_ways: *both_ways,
            },
            ViewerAction::HealAll => Command::HealAll,
            ViewerAction::Isolate(id) if known(id) => {
                let others = servers.iter().copied().filter(|s| s != id).collect();
                Command::Partition(vec![vec![*id], others])
            }
            ViewerAction::AddObserver => {
                if let Some(why) = sim.observer_refused() {
                    return Applied::Refused(why);
                }
                Command::AddObserver
            }
            ViewerAction::Take(key) => Command::TakeEvent(*key),
            ViewerAction::Drop(key) => Command::DropInFlight(*key),
            ViewerAction::Delay { key, ms } => Command::DelayInFlight { key: *key, ms: *ms },
            ViewerAction::AddClient {
                name,
                server,
                timeout_ms,
            } if known(server) => {
                if sim.client(name).is_some() {
                    return Applied::Refused(format!("there is already a client named {name}"));
                }
                Command::AddClient {
                    name: name.clone(),
                    server: *server,
                    timeout_ms: *timeout_ms,
                }
            }
            ViewerAction::MoveClient { name, server } if known(server) => {
                if sim.client(name).is_none() {
                    return Applied::Refused(format!("there is no client named {name}"));
                }
                Command::MoveClient {
                    client: name.clone(),
                    server: *server,
                }
            }
            ViewerAction::Disconnect(name) => Command::DisconnectClient(name.clone()),
            ViewerAction::Cli { client, line } => return send_cli(sim, client, line),
            ViewerAction::Burst { client, count } => return send_burst(sim, client, *count),
            ViewerAction::Crash(id)
            | ViewerAction::Restart(id)
            | ViewerAction::Pause(id)
            | ViewerAction::Resume(id)
            | ViewerAction::Isolate(id)
            | ViewerAction::Cut { from: id, .. }
            | ViewerAction::Heal { from: id, .. }
            | ViewerAction::AddClient { server: id, .. }
            | ViewerAction::MoveClient { server: id, .. } => {
                return Applied::Refused(format!("there is no server {id} (or no such link)"))
            }
        };
        sim.command(command);
        Applied::Done
    }
}

fn send_cli(sim: &mut Simulation, client: &str, line: &str) -> Applied {
    match zkcli::request_for_line(line) {
        Ok(request) => send(sim, client, request),
        Err(e) => Applied::Refused(e.message),
    }
}

fn send(sim: &mut Simulation, client: &str, request: Request) -> Applied {
    match sim.client(client) {
        None => Applied::Refused(format!("there is no client named {client}")),
        Some(c) if !c.is_live() => {
            Applied::Refused(format!("{client}'s session is over ({})", c.state))
        }
        Some(_) => match sim.client_request(client, request) {
            Some(xid) => Applied::Sent { xid },
            None => Applied::Refused(format!("{client}'s session is over")),
        },
    }
}

fn send_burst(sim: &mut Simulation, client: &str, count: u32) -> Applied {
    if count == 0 || count > MAX_BURST {
        return Applied::Refused(format!(
            "a burst sends 1 to {MAX_BURST} writes, not {count}"
        ));
    }
    let request = zkcli::request_for_line("create -s /burst- w").expect("a valid command");
    let mut first = None;
    for _ in 0..count {
        match send(sim, client, request.clone()) {
            Applied::Sent { xid } => {
                first.get_or_insert(xid);
            }
            other => return other,
        }
    }
    first.map_or(Applied::Done, |xid| Applied::Sent { xid })
}

fn link(from: ServerId, to: ServerId, both_ways: bool) -> String {
    format!("{from}{}{to}", if both_ways { "-" } else { ">" })
}

fn event_key(key: &EventKey) -> String {
    format!("{}.{}", key.0.as_millis(), key.1)
}

impl fmt::Display for ViewerAction {
    /// The text form, read back by [`ViewerAction::parse`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewerAction::Crash(id) => write!(f, "crash:{id}"),
            ViewerAction::Restart(id) => write!(f, "restart:{id}"),
            ViewerAction::Pause(id) => write!(f, "pause:{id}"),
            ViewerAction::Resume(id) => write!(f, "resume:{id}"),
            ViewerAction::Cut {
                from,
                to,
                both_ways,
            } => write!(f, "cut:{}", link(*from, *to, *both_ways)),
            ViewerAction::Heal {
                from,
                to,
                both_ways,
            } => write!(f, "heal:{}", link(*from, *to, *both_ways)),
            ViewerAction::HealAll => write!(f, "heal:all"),
            ViewerAction::AddObserver => write!(f, "add:observer"),
            ViewerAction::Isolate(id) => write!(f, "isolate:{id}"),
            ViewerAction::Take(key) => write!(f, "take:{}", event_key(key)),
            ViewerAction::Delay { key, ms } => write!(f, "delay:{}+{ms}", event_key(key)),
            ViewerAction::Drop(key) => write!(f, "drop:{}", event_key(key)),
            ViewerAction::AddClient {
                name,
                server,
                timeout_ms,
            } => write!(f, "client:{name}@{server}~{timeout_ms}"),
            ViewerAction::MoveClient { name, server } => write!(f, "move:{name}@{server}"),
            ViewerAction::Disconnect(name) => write!(f, "disconnect:{name}"),
            ViewerAction::Cli { client, line } => write!(f, "cli:{client}:{line}"),
            ViewerAction::Burst { client, count } => write!(f, "burst:{client}*{count}"),
        }
    }
}

fn parse_id(text: &str) -> Result<ServerId, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a server id"))
}

fn parse_link(text: &str) -> Result<(ServerId, ServerId, bool), String> {
    let (from, to, both_ways) = if let Some((from, to)) = text.split_once('>') {
        (from, to, false)
    } else if let Some((from, to)) = text.split_once('-') {
        (from, to, true)
    } else {
        return Err(format!("{text:?} is not a link (write 1>2 or 1-2)"));
    };
    Ok((parse_id(from)?, parse_id(to)?, both_ways))
}

fn parse_key(text: &str) -> Result<EventKey, String> {
    let bad = || format!("{text:?} is not an event key (write millis.sequence)");
    let (at, sequence) = text.split_once('.').ok_or_else(bad)?;
    Ok((
        VirtualTime::from_millis(at.parse().map_err(|_| bad())?),
        sequence.parse().map_err(|_| bad())?,
    ))
}

fn client_name(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 32
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not a client name (letters, digits, - and _)"
        ))
    }
}

impl ViewerAction {
    pub fn parse(text: &str) -> Result<ViewerAction, String> {
        let (verb, rest) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?} is not an action (verb:arguments)"))?;
        Ok(match verb {
            "crash" => ViewerAction::Crash(parse_id(rest)?),
            "restart" => ViewerAction::Restart(parse_id(rest)?),
            "pause" => ViewerAction::Pause(parse_id(rest)?),
            "resume" => ViewerAction::Resume(parse_id(rest)?),
            "cut" => {
                let (from, to, both_ways) = parse_link(rest)?;
                ViewerAction::Cut {
                    from,
                    to,
                    both_ways,
                }
            }
            "heal" if rest == "all" => ViewerAction::HealAll,
            "add" if rest == "observer" => ViewerAction::AddObserver,
            "isolate" => ViewerAction::Isolate(parse_id(rest)?),
            "heal" => {
                let (from, to, both_ways) = parse_link(rest)?;
                ViewerAction::Heal {
                    from,
                    to,
                    both_ways,
                }
            }
            "take" => ViewerAction::Take(parse_key(rest)?),
            "delay" => {
                let bad = || format!("{rest:?}: write delay:MILLIS.SEQUENCE+MS");
                let (key, ms) = rest.split_once('+').ok_or_else(bad)?;
                ViewerAction::Delay {
                    key: parse_key(key)?,
                    ms: ms.parse().map_err(|_| bad())?,
                }
            }
            "drop" => ViewerAction::Drop(parse_key(rest)?),
            "client" => {
                let bad = || format!("{rest:?}: write client:NAME@SERVER~TIMEOUT_MS");
                let (name, rest) = rest.split_once('@').ok_or_else(bad)?;
                let (server, timeout) = rest.split_once('~').ok_or_else(bad)?;
                ViewerAction::AddClient {
                    name: client_name(name)?,
                    server: parse_id(server)?,
                    timeout_ms: timeout.parse().map_err(|_| bad())?,
                }
            }
            "move" => {
                let (name, server) = rest
                    .split_once('@')
                    .ok_or_else(|| format!("{rest:?}: write move:NAME@SERVER"))?;
                ViewerAction::MoveClient {
                    name: client_name(name)?,
                    server: parse_id(server)?,
                }
            }
            "disconnect" => ViewerAction::Disconnect(client_name(rest)?),
            "cli" => {
                let (client, line) = rest
                    .split_once(':')
                    .ok_or_else(|| format!("{rest:?}: write cli:CLIENT:COMMAND"))?;
                ViewerAction::Cli {
                    client: client_name(client)?,
                    line: line.to_string(),
                }
            }
            "burst" => {
                let bad = || format!("{rest:?}: write burst:CLIENT*COUNT");
                let (client, count) = rest.split_once('*').ok_or_else(bad)?;
                ViewerAction::Burst {
                    client: client_name(client)?,
                    count: count.parse().map_err(|_| bad())?,
                }
            }
            other => return Err(format!("unknown action {other:?}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_text() {
        let actions = [
            ViewerAction::Crash(3),
            ViewerAction::Restart(2),
            ViewerAction::Pause(1),
            ViewerAction::Resume(1),
            ViewerAction::Cut {
                from: 1,
                to: 2,
                both_ways: false,
            },
            ViewerAction::Heal {
                from: 2,
                to: 3,
                both_ways: true,
            },
            ViewerAction::HealAll,
            ViewerAction::AddObserver,
            ViewerAction::Isolate(2),
            ViewerAction::Take((VirtualTime::from_millis(1234), 56)),
            ViewerAction::Drop((VirtualTime::from_millis(7), 8)),
            ViewerAction::Delay {
                key: (VirtualTime::from_millis(7), 9),
                ms: 1000,
            },
            ViewerAction::AddClient {
                name: "alice".into(),
                server: 2,
                timeout_ms: 5000,
            },
            ViewerAction::MoveClient {
                name: "alice".into(),
                server: 3,
            },
            ViewerAction::Disconnect("bob".into()),
            ViewerAction::Burst {
                client: "carol".into(),
                count: 50,
            },
            ViewerAction::Cli {
                client: "alice".into(),
                line: "create -e -s /lock/n- \"a:b\"".into(),
            },
        ];
        for action in actions {
            assert_eq!(ViewerAction::parse(&action.to_string()), Ok(action));
        }
    }

    #[test]
    fn malformed_actions_are_refused_with_a_reason() {
        for (text, reason) in [
            ("crash", "not an action"),
            ("crash:x", "not a server id"),
            ("cut:1=2", "not a link"),
            ("take:12", "not an event key"),
            ("client:a b@1~10", "not a client name"),
            ("explode:1", "unknown action"),
        ] {
            let error = ViewerAction::parse(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn actions_on_unknown_servers_or_clients_are_refused_not_applied() {
        let mut sim = Simulation::new(crate::sim::SimConfig::default()).unwrap();
        assert!(matches!(
            ViewerAction::Crash(9).apply(&mut sim),
            Applied::Refused(_)
        ));
        assert!(matches!(
            ViewerAction::Cli {
                client: "nobody".into(),
                line: "ls /".into()
            }
            .apply(&mut sim),
            Applied::Refused(_)
        ));
        assert!(matches!(
            ViewerAction::Cli {
                client: "nobody".into(),
                line: "frobnicate".into()
            }
            .apply(&mut sim),
            Applied::Refused(_)
        ));
        assert!(sim.commands().is_empty());
    }
}
