//! The shell's hold on a ZooKeeper session: which server it talks to, the current
//! connection, and what the Java client keeps across reconnects (the session's credentials,
//! its watches and its auth infos). A dropped connection is resumed on the next command, with
//! the watches and identities restored, as the Java client does in the background.

use super::watches::WatchRegistry;
use crate::data::types::{EventType, KeeperState, Zxid};
use crate::native::client::{
    parse_connect_string, Client, ClientError, ClientEvent, ConnectOptions, ConnectionState,
    SessionCredentials,
};
use crate::proto::records::Request;
use crate::zkcli::format::watcher_block;
use std::io::Write;
use tokio::sync::mpsc::UnboundedReceiver;

/// How the shell is linked to the server right now.
enum Link {
    Live {
        client: Client,
        events: UnboundedReceiver<ClientEvent>,
    },
    /// No connection (never made, or lost and not yet resumed): the next command tries again,
    /// resuming the session when there is one.
    Connecting {
        resume: Option<(SessionCredentials, Zxid)>,
    },
    /// Closed, expired or refused authentication: commands answer "Not connected".
    Ended { state: &'static str },
}

pub struct Session {
    /// The connect string as typed, for the prompt and for `connect` without an argument.
    host: String,
    options: ConnectOptions,
    link: Link,
    pub watches: WatchRegistry,
    /// The auth packets of addauth, sent again on every resumed connection.
    auths: Vec<Request>,
    pub print_watches: bool,
}

impl Session {
    /// A session not yet connected; `connect` makes the first connection.
    pub fn new(options: ConnectOptions) -> Session {
        Session {
            host: String::new(),
            options,
            link: Link::Connecting { resume: None },
            watches: WatchRegistry::default(),
            auths: Vec::new(),
            print_watches: true,
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Closes any live session, then opens a new one on `host` (zkCli's `connect`).
    pub async fn connect(&mut self, host: &str, out: &mut dyn Write, err: &mut dyn Write) {
        if self.is_alive() {
            self.close(out).await;
        }
        self.host = host.to_string();
        self.watches = WatchRegistry::default();
        self.auths.clear();
        self.link = Link::Connecting { resume: None };
        match parse_connect_string(host) {
            Ok(hosts) => self.options.hosts = hosts,
            Err(reason) => {
                let _ = writeln!(err, "{reason}");
                self.options.hosts.clear();
                return;
            }
        }
        if let Err(error) = self.client(out).await {
            let _ = writeln!(err, "Unable to connect to {host}: {error}");
        }
    }

    /// zkCli's `zk.getState().isAlive()`: everything but closed and auth-failed sessions.
    pub fn is_alive(&self) -> bool {
        match &self.link {
            Link::Live { client, .. } => !matches!(
                client.state(),
                ConnectionState::Closed | ConnectionState::AuthFailed
            ),
            Link::Connecting { .. } => true,
            Link::Ended { .. } => false,
        }
    }

    /// The state zkCli's prompt shows (`ZooKeeper.States`).
    pub fn state_name(&self) -> &'static str {
        match &self.link {
            Link::Live { client, .. } => match client.state() {
                ConnectionState::Connected => "CONNECTED",
                ConnectionState::ConnectedReadOnly => "CONNECTEDREADONLY",
                ConnectionState::Disconnected => "CONNECTING",
                ConnectionState::AuthFailed => "AUTH_FAILED",
                ConnectionState::Closed => "CLOSED",
            },
            Link::Connecting { .. } => "CONNECTING",
            Link::Ended { state } => state,
        }
    }

    /// A connected client, reconnecting (and resuming the session) first if need be.
    pub async fn client(&mut self, out: &mut dyn Write) -> Result<Client, ClientError> {
        self.print_events(out);
        let resume = match &self.link {
            Link::Live { client, .. } => match client.state() {
                ConnectionState::Connected | ConnectionState::ConnectedReadOnly => {
                    return Ok(client.clone())
                }
                ConnectionState::Disconnected => {
                    Some((client.credentials().clone(), client.last_zxid()))
                }
                ConnectionState::Closed => return Err(ClientError::Closed),
                ConnectionState::AuthFailed => return Err(ClientError::AuthFailed),
            },
            Link::Connecting { resume } => resume.clone(),
            Link::Ended { .. } => return Err(ClientError::Closed),
        };
        let mut options = self.options.clone();
        if let Some((credentials, zxid)) = &resume {
            options.resume = Some(credentials.clone());
            options.last_zxid_seen = *zxid;
        }
        match Client::connect(&options).await {
            Ok((client, events)) => {
                self.link = Link::Live {
                    client: client.clone(),
                    events,
                };
                if resume.is_some() {
                    self.restore(&client).await;
                } else {
                    self.watches = WatchRegistry::default();
                }
                self.print_events(out);
                Ok(client)
            }
            Err(ClientError::SessionExpired) => {
                self.watches = WatchRegistry::default();
                self.link = Link::Ended { state: "CLOSED" };
                self.show(
                    &ClientEvent {
                        state: KeeperState::Expired,
                        event_type: EventType::None,
                        path: None,
                    },
                    out,
                );
                Err(ClientError::SessionExpired)
            }
            Err(error) => {
                self.link = Link::Connecting { resume };
                Err(error)
            }
        }
    }

    /// Re-registers watches and identities on a resumed session, as the Java client's
    /// `primeConnection` does. Failures surface on the next command.
    async fn restore(&self, client: &Client) {
        if let Some(set_watches) = self.watches.set_watches(client.last_zxid()) {
            let _ = client.call(Request::SetWatches2(set_watches)).await;
        }
        for auth in &self.auths {
            let _ = client.call(auth.clone()).await;
        }
    }

    pub fn remember_auth(&mut self, auth: Request) {
        self.auths.push(auth);
    }

    /// Ends the session (zkCli's `close`, and `connect` replacing a live session).
    pub async fn close(&mut self, out: &mut dyn Write) {
        if let Link::Live { client, .. } = &self.link {
            let _ = client.close().await;
        }
        self.print_events(out);
        self.link = Link::Ended { state: "CLOSED" };
    }

    /// Ends the session without a word (end of input, or a one-shot command done).
    pub async fn close_quietly(&mut self) {
        if let Link::Live { client, .. } = &self.link {
            let _ = client.close().await;
        }
        self.link = Link::Ended { state: "CLOSED" };
    }

    /// Shows every event that has arrived, in order.
    pub fn print_events(&mut self, out: &mut dyn Write) {
        while let Some(event) = self.try_next_event() {
            self.handle_event(&event, out);
        }
    }

    fn try_next_event(&mut self) -> Option<ClientEvent> {
        match &mut self.link {
            Link::Live { events, .. } => events.try_recv().ok(),
            _ => None,
        }
    }

    /// Waits for the next event; never resolves while there is no connection to hear from.
    pub async fn next_event(&mut self) -> ClientEvent {
        if let Link::Live { events, .. } = &mut self.link {
            if let Some(event) = events.recv().await {
                return event;
            }
        }
        std::future::pending().await
    }

    /// Records what an event did to the watches and prints it, if watches are printed.
    pub fn handle_event(&mut self, event: &ClientEvent, out: &mut dyn Write) {
        if let Some(path) = &event.path {
            self.watches.fired(event.event_type, path);
        }
        self.show(event, out);
    }

    /// Prints an event without touching the watches (the client-made "watch removed" ones).
    pub fn show(&self, event: &ClientEvent, out: &mut dyn Write) {
        if self.print_watches {
            let _ = write!(
                out,
                "{}",
                watcher_block(event.state, event.event_type, event.path.as_deref())
            );
        }
    }
}
