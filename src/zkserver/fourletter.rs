//! The four-letter words (`ruok`, `srvr`, `stat`, `mntr`, ...): plain-text reports in the
//! formats Apache ZooKeeper 3.8 prints, rendered from the server's state and the few facts
//! only the runtime knows (client addresses, directories, uptime).

use super::{ConnId, ZkServer};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What ZooKeeper's version line says; clients such as kazoo parse the `3.8.0` in it.
pub const VERSION: &str = concat!(
    "3.8.0-zooscope-",
    env!("CARGO_PKG_VERSION"),
    ", built by zooscope"
);

/// Facts about the process that the sans-IO server cannot know.
#[derive(Clone, Debug, Default)]
pub struct RuntimeFacts {
    /// `ip:port` of each connection's client.
    pub client_addresses: BTreeMap<ConnId, String>,
    pub client_port: u16,
    pub data_dir: String,
    pub data_log_dir: String,
    pub max_client_cnxns: u32,
    pub uptime_ms: u64,
    pub host_name: String,
}

/// The answer to a four-letter word, or `None` for a word this server does not answer.
pub fn render(word: &str, server: &ZkServer, facts: &RuntimeFacts) -> Option<String> {
    Some(match word {
        "ruok" => "imok".to_string(),
        "isro" => "rw".to_string(),
        "srvr" => summary(server, None),
        "stat" => summary(server, Some(&clients(server, facts))),
        "cons" => format!("{}\n", clients(server, facts)),
        "envi" => environment(facts),
        "conf" => configuration(server, facts),
        "wchs" => watch_summary(server),
        "wchc" => watches_by_session(server),
        "wchp" => watches_by_path(server),
        "dump" => dump(server),
        "mntr" => monitor(server, facts),
        _ => return None,
    })
}

fn summary(server: &ZkServer, clients: Option<&str>) -> String {
    let mut out = format!("Zookeeper version: {VERSION}\n");
    if let Some(clients) = clients {
        let _ = write!(out, "Clients:\n{clients}\n");
    }
    let latency = server.latency();
    let counters = server.counters();
    let _ = write!(
        out,
        "Latency min/avg/max: {}/{:.1}/{}\nReceived: {}\nSent: {}\nConnections: {}\n\
         Outstanding: {}\nZxid: {:#x}\nMode: standalone\nNode count: {}\n",
        latency.min_ms,
        latency.average_ms(),
        latency.max_ms,
        counters.packets_received,
        counters.packets_sent,
        server.connection_count(),
        server.outstanding(),
        server.tree().last_processed_zxid().0,
        node_count(server),
    );
    out
}

/// ZooKeeper counts the root twice (it is stored under "" and "/").
fn node_count(server: &ZkServer) -> u64 {
    server.tree().node_count() + 1
}

fn clients(server: &ZkServer, facts: &RuntimeFacts) -> String {
    let mut out = String::new();
    for (conn, _, received, sent) in server.connection_stats() {
        let address = facts
            .client_addresses
            .get(&conn)
            .map_or("unknown", String::as_str);
        let _ = writeln!(
            out,
            " /{address}[1](queued=0,recved={received},sent={sent})"
        );
    }
    out
}

fn environment(facts: &RuntimeFacts) -> String {
    format!(
        "Environment:\nzookeeper.version={VERSION}\nhost.name={}\nos.name={}\nos.arch={}\n\
         user.dir={}\n",
        facts.host_name,
        std::env::consts::OS,
        std::env::consts::ARCH,
        facts.data_dir,
    )
}

fn configuration(server: &ZkServer, facts: &RuntimeFacts) -> String {
    let config = server.config();
    format!(
        "clientPort={}\nsecureClientPort=-1\ndataDir={}\ndataLogDir={}\ntickTime={}\n\
         maxClientCnxns={}\nminSessionTimeout={}\nmaxSessionTimeout={}\nserverId={}\n",
        facts.client_port,
        facts.data_dir,
        facts.data_log_dir,
        config.tick_ms,
        facts.max_client_cnxns,
        config.timeouts.min_ms,
        config.timeouts.max_ms,
        config.server_id,
    )
}

fn watch_summary(server: &ZkServer) -> String {
    let summary = server.watches().summary();
    format!(
        "{} connections watching {} paths\nTotal watches:{}\n",
        summary.sessions, summary.paths, summary.watches
    )
}

fn watches_by_session(server: &ZkServer) -> String {
    let mut out = String::new();
    for (session, paths) in server.watches().paths_by_session() {
        let _ = writeln!(out, "{:#x}", session);
        for path in paths {
            let _ = writeln!(out, "\t{path}");
        }
    }
    out
}

fn watches_by_path(server: &ZkServer) -> String {
    let mut out = String::new();
    for (path, sessions) in server.watches().sessions_by_path() {
        let _ = writeln!(out, "{path}");
        for session in sessions {
            let _ = writeln!(out, "\t{:#x}", session);
        }
    }
    out
}

fn dump(server: &ZkServer) -> String {
    let mut out = String::from("SessionTracker dump:\n");
    let sessions: Vec<_> = server.sessions().sessions().collect();
    let _ = writeln!(out, "Session Sets ({}):", sessions.len());
    for session in &sessions {
        let _ = writeln!(
            out,
            "{:#x} expires at {} ms",
            session.id,
            session.expires_at.as_millis()
        );
    }
    out.push_str("ephemeral nodes dump:\n");
    let owners = server.tree().sessions_with_ephemerals();
    let _ = writeln!(out, "Sessions with Ephemerals ({}):", owners.len());
    for owner in owners {
        let _ = writeln!(out, "{:#x}:", owner);
        for path in server.tree().ephemerals_of(owner) {
            let _ = writeln!(out, "\t{path}");
        }
    }
    out
}

fn monitor(server: &ZkServer, facts: &RuntimeFacts) -> String {
    let latency = server.latency();
    let counters = server.counters();
    let ephemerals: usize = server
        .tree()
        .sessions_with_ephemerals()
        .into_iter()
        .map(|owner| server.tree().ephemerals_of(owner).len())
        .sum();
    let rows: [(&str, String); 16] = [
        ("zk_version", VERSION.to_string()),
        ("zk_server_state", "standalone".to_string()),
        ("zk_ephemerals_count", ephemerals.to_string()),
        (
            "zk_num_alive_connections",
            server.connection_count().to_string(),
        ),
        ("zk_avg_latency", format!("{:.1}", latency.average_ms())),
        ("zk_min_latency", latency.min_ms.to_string()),
        ("zk_max_latency", latency.max_ms.to_string()),
        ("zk_outstanding_requests", server.outstanding().to_string()),
        ("zk_znode_count", node_count(server).to_string()),
        ("zk_global_sessions", server.sessions().len().to_string()),
        ("zk_watch_count", server.watches().watch_count().to_string()),
        (
            "zk_approximate_data_size",
            server.tree().approximate_data_size().to_string(),
        ),
        ("zk_packets_received", counters.packets_received.to_string()),
        ("zk_packets_sent", counters.packets_sent.to_string()),
        ("zk_uptime", facts.uptime_ms.to_string()),
        ("zk_max_client_cnxns", facts.max_client_cnxns.to_string()),
    ];
    rows.iter()
        .map(|(key, value)| format!("{key}\t{value}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zkserver::ZkServerConfig;

    fn server() -> ZkServer {
        ZkServer::new(ZkServerConfig::standalone(2000))
    }

    #[test]
    fn ruok_answers_imok_and_unknown_words_nothing() {
        let facts = RuntimeFacts::default();
        assert_eq!(render("ruok", &server(), &facts).as_deref(), Some("imok"));
        assert_eq!(render("nope", &server(), &facts), None);
    }

    #[test]
    fn srvr_has_zookeepers_lines_in_order() {
        let text = render("srvr", &server(), &RuntimeFacts::default()).unwrap();
        let keys: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "Zookeeper version",
                "Latency min/avg/max",
                "Received",
                "Sent",
                "Connections",
                "Outstanding",
                "Zxid",
                "Mode",
                "Node count"
            ]
        );
        assert!(text.contains("Zxid: 0x0\nMode: standalone\nNode count: 5\n"));
    }

    #[test]
    fn envi_carries_the_version_line_kazoo_parses() {
        let text = render("envi", &server(), &RuntimeFacts::default()).unwrap();
        assert!(text.starts_with("Environment:\nzookeeper.version=3.8.0-zooscope-"));
    }

    #[test]
    fn mntr_is_tab_separated_key_value_lines() {
        let text = render("mntr", &server(), &RuntimeFacts::default()).unwrap();
        assert!(text.lines().all(|line| line.split('\t').count() == 2));
        assert!(text.contains("zk_server_state\tstandalone\n"));
        assert!(text.contains("zk_znode_count\t5\n"));
    }

    #[test]
    fn wchs_reports_an_idle_server() {
        let text = render("wchs", &server(), &RuntimeFacts::default()).unwrap();
        assert_eq!(text, "0 connections watching 0 paths\nTotal watches:0\n");
    }
}
