//! What a run measured, and how it is printed: a short text for people and one JSON line for
//! scripts (`scripts/bench/compare.sh` reads it).

use crate::data::types::ErrorCode;
use crate::play::export::json_string;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

/// The slowest latency the histogram tells apart: a minute, in microseconds.
const LATENCY_MAX_US: u64 = 60_000_000;

/// One client's (or, merged, the whole run's) measured operations.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Latency of successful measured operations, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Replies with a non-zero error code, by code.
    pub errors: BTreeMap<i32, u64>,
    /// When the last measured reply arrived.
    pub last_reply: Option<Instant>,
}

impl Measurement {
    pub fn new() -> Result<Measurement, String> {
        Ok(Measurement {
            // Three significant digits: 0.1% resolution at every latency.
            latency_us: Histogram::new_with_bounds(1, LATENCY_MAX_US, 3)
                .map_err(|e| format!("cannot make a latency histogram: {e}"))?,
            errors: BTreeMap::new(),
            last_reply: None,
        })
    }

    /// Counts a measured reply: its latency if it succeeded, its code if not.
    pub fn record(&mut self, err: i32, sent: Instant, received: Instant) {
        if err == 0 {
            let micros = received.saturating_duration_since(sent).as_micros();
            self.latency_us
                .saturating_record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
        } else {
            self.count_error(err);
        }
        self.last_reply = Some(self.last_reply.map_or(received, |last| last.max(received)));
    }

    pub fn count_error(&mut self, err: i32) {
        *self.errors.entry(err).or_insert(0) += 1;
    }

    pub fn merge(&mut self, other: &Measurement) -> Result<(), String> {
        self.latency_us
            .add(&other.latency_us)
            .map_err(|e| format!("cannot merge latency histograms: {e}"))?;
        for (code, count) in &other.errors {
            *self.errors.entry(*code).or_insert(0) += count;
        }
        self.last_reply = match (self.last_reply, other.last_reply) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    pub fn latency(&self) -> LatencySummary {
        let h = &self.latency_us;
        LatencySummary {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p99_9: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        }
    }
}

/// Latency percentiles in microseconds (0 when nothing was measured).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencySummary {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p99_9: u64,
    pub max: u64,
    pub mean: f64,
}

/// The result of a load run.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadReport {
    pub server: String,
    pub op: String,
    pub value_size: usize,
    pub keys: u64,
    pub clients: usize,
    pub pipeline: usize,
    pub seed: u64,
    pub warmup_s: f64,
    /// From the end of the warmup to the last measured reply.
    pub elapsed_s: f64,
    /// Successful measured operations.
    pub ops: u64,
    pub latency_us: LatencySummary,
    /// Failed replies during warmup and measurement, by error code.
    pub errors: BTreeMap<i32, u64>,
}

impl LoadReport {
    pub fn ops_per_s(&self) -> f64 {
        rate(self.ops, self.elapsed_s)
    }

    pub fn to_text(&self) -> String {
        let l = &self.latency_us;
        let mut text = format!(
            "zooscope bench against {}: {}, {}-byte values, {} keys, {} clients x pipeline {}, seed {}\n",
            self.server, self.op, self.value_size, self.keys, self.clients, self.pipeline, self.seed
        );
        let _ = writeln!(
            text,
            "throughput  {:.0} ops/s ({} ops in {:.3} s, after {} s warmup)",
            self.ops_per_s(),
            self.ops,
            self.elapsed_s,
            self.warmup_s
        );
        let _ = writeln!(
            text,
            "latency us  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  mean {:.0}",
            l.p50, l.p90, l.p99, l.p99_9, l.max, l.mean
        );
        let _ = writeln!(text, "errors      {}", errors_text(&self.errors));
        text
    }

    pub fn to_json(&self) -> String {
        let l = &self.latency_us;
        format!(
            concat!(
                "{{\"kind\":\"load\",\"server\":{},\"op\":{},\"value_size\":{},\"keys\":{},",
                "\"clients\":{},\"pipeline\":{},\"seed\":{},\"warmup_s\":{},\"elapsed_s\":{:.6},",
                "\"ops\":{},\"ops_per_s\":{:.1},\"latency_us\":{{\"p50\":{},\"p90\":{},",
                "\"p99\":{},\"p99_9\":{},\"max\":{},\"mean\":{:.1}}},\"errors\":{}}}"
            ),
            json_string(&self.server),
            json_string(&self.op),
            self.value_size,
            self.keys,
            self.clients,
            self.pipeline,
            self.seed,
            self.warmup_s,
            self.elapsed_s,
            self.ops,
            self.ops_per_s(),
            l.p50,
            l.p90,
            l.p99,
            l.p99_9,
            l.max,
            l.mean,
            errors_json(&self.errors)
        )
    }
}

/// The result of `--populate`.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulateReport {
    pub server: String,
    pub znodes: u64,
    /// Keys that were new; the others existed and had their value overwritten.
    pub created: u64,
    pub existed: u64,
    pub value_size: usize,
    pub clients: usize,
    pub pipeline: usize,
    pub elapsed_s: f64,
}

impl PopulateReport {
    pub fn to_text(&self) -> String {
        format!(
            "zooscope bench against {}: populated {} znodes of {} bytes ({} created, {} existed) \
             in {:.3} s = {:.0} znodes/s with {} clients x pipeline {}\n",
            self.server,
            self.znodes,
            self.value_size,
            self.created,
            self.existed,
            self.elapsed_s,
            rate(self.znodes, self.elapsed_s),
            self.clients,
            self.pipeline
        )
    }

    pub fn to_json(&self) -> String {
        format!(
            concat!(
                "{{\"kind\":\"populate\",\"server\":{},\"znodes\":{},\"created\":{},",
                "\"existed\":{},\"value_size\":{},\"clients\":{},\"pipeline\":{},",
                "\"elapsed_s\":{:.6},\"znodes_per_s\":{:.1}}}"
            ),
            json_string(&self.server),
            self.znodes,
            self.created,
            self.existed,
            self.value_size,
            self.clients,
            self.pipeline,
            self.elapsed_s,
            rate(self.znodes, self.elapsed_s)
        )
    }
}

fn rate(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// `-101 NoNode: 3, -103 BadVersion: 1`, or `none`.
pub fn errors_text(errors: &BTreeMap<i32, u64>) -> String {
    if errors.is_empty() {
        return "none".to_string();
    }
    errors
        .iter()
        .map(|(code, count)| format!("{code} {}: {count}", error_name(*code)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn error_name(code: i32) -> String {
    ErrorCode::from_code(code).map_or_else(|| "Unknown".to_string(), |c| format!("{c:?}"))
}

fn errors_json(errors: &BTreeMap<i32, u64>) -> String {
    let entries: Vec<String> = errors
        .iter()
        .map(|(code, count)| format!("\"{code}\":{count}"))
        .collect();
    format!("{{{}}}", entries.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample() -> LoadReport {
        LoadReport {
            server: "127.0.0.1:2181".to_string(),
            op: "mixed:90".to_string(),
            value_size: 1024,
            keys: 1000,
            clients: 4,
            pipeline: 16,
            seed: 1,
            warmup_s: 1.0,
            elapsed_s: 2.0,
            ops: 50_000,
            latency_us: LatencySummary {
                p50: 800,
                p90: 1200,
                p99: 2300,
                p99_9: 4100,
                max: 9000,
                mean: 850.25,
            },
            errors: BTreeMap::from([(-101, 3), (-103, 1)]),
        }
    }

    #[test]
    fn load_report_text_names_rate_percentiles_and_errors() {
        let text = sample().to_text();
        assert_eq!(
            text,
            "zooscope bench against 127.0.0.1:2181: mixed:90, 1024-byte values, 1000 keys, 4 clients x pipeline 16, seed 1\n\
             throughput  25000 ops/s (50000 ops in 2.000 s, after 1 s warmup)\n\
             latency us  p50 800  p90 1200  p99 2300  p99.9 4100  max 9000  mean 850\n\
             errors      -103 BadVersion: 1, -101 NoNode: 3\n"
        );
    }

    #[test]
    fn load_report_json_is_one_flat_line_with_every_figure() {
        let json = sample().to_json();
        assert_eq!(
            json,
            concat!(
                "{\"kind\":\"load\",\"server\":\"127.0.0.1:2181\",\"op\":\"mixed:90\",",
                "\"value_size\":1024,\"keys\":1000,\"clients\":4,\"pipeline\":16,\"seed\":1,",
                "\"warmup_s\":1,\"elapsed_s\":2.000000,\"ops\":50000,\"ops_per_s\":25000.0,",
                "\"latency_us\":{\"p50\":800,\"p90\":1200,\"p99\":2300,\"p99_9\":4100,",
                "\"max\":9000,\"mean\":850.2},\"errors\":{\"-103\":1,\"-101\":3}}"
            )
        );
        assert!(!json.contains('\n'));
    }

    #[test]
    fn no_errors_read_as_none_and_an_empty_object() {
        let mut report = sample();
        report.errors.clear();
        assert!(report.to_text().contains("errors      none\n"));
        assert!(report.to_json().ends_with("\"errors\":{}}"));
        assert_eq!(error_name(-999), "Unknown");
    }

    #[test]
    fn populate_report_gives_the_rate() {
        let report = PopulateReport {
            server: "[::1]:2181".to_string(),
            znodes: 1000,
            created: 900,
            existed: 100,
            value_size: 10,
            clients: 2,
            pipeline: 64,
            elapsed_s: 0.5,
        };
        assert_eq!(
            report.to_text(),
            "zooscope bench against [::1]:2181: populated 1000 znodes of 10 bytes (900 created, \
             100 existed) in 0.500 s = 2000 znodes/s with 2 clients x pipeline 64\n"
        );
        assert!(report
            .to_json()
            .starts_with("{\"kind\":\"populate\",\"server\":\"[::1]:2181\",\"znodes\":1000,"));
        assert!(report.to_json().ends_with("\"znodes_per_s\":2000.0}"));
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }

    #[test]
    fn measurement_records_successes_as_latency_and_failures_by_code() {
        let start = Instant::now();
        let mut a = Measurement::new().unwrap();
        a.record(0, start, start + Duration::from_micros(500));
        a.record(-101, start, start + Duration::from_micros(900));
        let mut b = Measurement::new().unwrap();
        b.record(0, start, start + Duration::from_millis(2));
        b.record(-101, start, start + Duration::from_millis(3));
        a.merge(&b).unwrap();
        assert_eq!(a.latency_us.len(), 2);
        assert_eq!(a.errors, BTreeMap::from([(-101, 2)]));
        assert_eq!(a.last_reply, Some(start + Duration::from_millis(3)));
        let latency = a.latency();
        assert!((499..=501).contains(&latency.p50), "{latency:?}");
        assert!((1999..=2002).contains(&latency.max), "{latency:?}");
    }
}
