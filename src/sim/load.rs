//! The simulator's bench: a steady write load on a healthy ensemble, and its report. The
//! same run is measured natively (`zooscope sim --bench`) and in the browser (the page's
//! `simBench` hook), and both print the same report, whose trace hash must be equal.

use super::clients::ClientState;
use super::{Command, SimConfig, SimConfigError, Simulation};
use crate::data::types::ErrorCode;
use crate::proto::records::{Request, SetDataRequest};
use crate::time::VirtualTime;
use std::fmt::Write;

/// A steady write load for measuring the simulator itself: `servers` participants, one
/// client per server writing back to back (a new request as soon as the last is answered),
/// for `virtual_ms` of simulated time, no faults. The checker runs after every event, as
/// in any run.
pub fn write_load(servers: u64, seed: u64, virtual_ms: u64) -> Result<Simulation, SimConfigError> {
    let config = SimConfig {
        servers,
        seed,
        tick_ms: 2000,
        latency_min_ms: 1,
        latency_max_ms: 5,
        disk_min_ms: 1,
        disk_max_ms: 2,
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(config)?;
    let ids = sim.server_ids();
    for &server in &ids {
        sim.command(Command::AddClient {
            name: format!("w{server}"),
            server,
            timeout_ms: 10_000,
        });
    }
    let names: Vec<String> = ids.iter().map(|id| format!("w{id}")).collect();
    let mut in_flight: Vec<Option<i32>> = vec![None; names.len()];
    let mut written = 0u64;
    let deadline = VirtualTime::from_millis(virtual_ms);
    // The clients as last looked at: until a client event runs or a command is given, none
    // of them can have become ready for its next write.
    let mut seen_version = None;
    while sim.next_event_at().is_some_and(|at| at <= deadline) {
        sim.step();
        if seen_version == Some(sim.clients_version()) {
            continue;
        }
        for (slot, name) in in_flight.iter_mut().zip(&names) {
            let ready = sim.client(name).is_some_and(|c| {
                c.state == ClientState::Connected
                    && slot.is_none_or(|xid| c.outcomes.contains_key(&xid))
            });
            if ready {
                let request = Request::SetData(SetDataRequest {
                    path: "/".to_string(),
                    data: Some(written.to_be_bytes().to_vec()),
                    version: -1,
                });
                written += 1;
                *slot = sim.client_request(name, request);
            }
        }
        // Its own requests (commands) bump the version, but leave every client not ready:
        // one that just sent waits for the answer, and the others did not change.
        seen_version = Some(sim.clients_version());
    }
    Ok(sim)
}

/// The report of a [`write_load`] run that took `micros` microseconds of real time, in two
/// lines: what the run did and how fast, then its trace hash (`trace hash 0123456789abcdef`,
/// as every `zooscope sim` command prints it). Integer arithmetic only: formatting floats
/// would add about 9 KB to the browser's download for this one line.
pub fn report(sim: &Simulation, virtual_ms: u64, micros: u64) -> String {
    let servers = sim.config().servers;
    let messages = sim.messages_delivered();
    let steps = sim.steps_taken();
    let written: usize = sim
        .clients()
        .map(|c| {
            c.outcomes
                .values()
                .filter(|o| o.error() == ErrorCode::Ok)
                .count()
        })
        .sum();
    let micros = micros.max(1);
    let per_second = |count: u64| count.saturating_mul(1_000_000) / micros;
    let millis = (micros + 500) / 1000;
    let mut text = String::new();
    let _ = write!(
        text,
        "{servers} servers, {virtual_ms} ms virtual: {steps} steps, {messages} messages delivered, \
         {written} writes acknowledged, {} trace events in {}.{:03} s: {} messages/s, \
         {} steps/s\ntrace hash {:016x}",
        sim.trace().len(),
        millis / 1000,
        millis % 1000,
        per_second(messages),
        per_second(steps),
        sim.trace_hash()
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_run_and_the_report_names_it() {
        let first = write_load(5, 1, 3000).expect("a valid load");
        let second = write_load(5, 1, 3000).expect("a valid load");
        assert_eq!(first.trace_hash(), second.trace_hash());
        assert_eq!(first.trace(), second.trace());
        assert!(
            first.messages_delivered() > 1000,
            "a load, not an idle ensemble"
        );
        assert!(first.violations().is_empty(), "{:?}", first.violations());
        let other = write_load(5, 2, 3000).expect("a valid load");
        assert_ne!(first.trace_hash(), other.trace_hash());

        let text = report(&first, 3000, 500_000);
        let (summary, hash) = text.split_once('\n').expect("two lines");
        assert!(
            summary.starts_with("5 servers, 3000 ms virtual: "),
            "{summary}"
        );
        let rate = first.messages_delivered() * 2;
        assert!(
            summary.contains(&format!(" in 0.500 s: {rate} messages/s")),
            "{summary}"
        );
        assert_eq!(hash, format!("trace hash {:016x}", first.trace_hash()));
    }

    #[test]
    fn a_load_on_no_servers_is_refused() {
        assert_eq!(
            write_load(0, 1, 1000).err(),
            Some(SimConfigError::NoServers)
        );
    }
}
