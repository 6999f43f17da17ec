//! What the benchmark asks for: the operation mix, the znodes it touches, and the seeded
//! choice of the next operation, so that a run can be repeated request for request.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;
use std::str::FromStr;

/// The parent of every znode the benchmark creates; one name to find and delete them by.
pub const PARENT: &str = "/zooscope-bench";

/// The path of key `index`: `/zooscope-bench/k<index>`.
pub fn key_path(index: u64) -> String {
    format!("{PARENT}/k{index}")
}

/// Which operations the load phase sends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpMix {
    /// getData only.
    Read,
    /// setData only.
    Write,
    /// getData with this probability in percent, setData otherwise.
    Mixed { read_percent: f64 },
}

impl FromStr for OpMix {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "read" => Ok(OpMix::Read),
            "write" => Ok(OpMix::Write),
            _ => {
                let ratio = text.strip_prefix("mixed:").ok_or_else(|| {
                    format!("expected read, write or mixed:R (R = percent reads), got {text:?}")
                })?;
                let read_percent: f64 = ratio
                    .parse()
                    .map_err(|_| format!("read percentage {ratio:?} is not a number"))?;
                if !(0.0..=100.0).contains(&read_percent) {
                    return Err(format!(
                        "read percentage {ratio} is outside 0..=100 (mixed:90 means 90% reads)"
                    ));
                }
                Ok(OpMix::Mixed { read_percent })
            }
        }
    }
}

impl fmt::Display for OpMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpMix::Read => f.write_str("read"),
            OpMix::Write => f.write_str("write"),
            OpMix::Mixed { read_percent } => write!(f, "mixed:{read_percent}"),
        }
    }
}

/// One operation of the load phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Read,
    Write,
}

/// Draws each client's operations from its own seeded stream: the same seed and client give
/// the same sequence of (operation, key), whatever the timing of the run.
#[derive(Clone, Debug)]
pub struct Chooser {
    mix: OpMix,
    keys: u64,
    rng: ChaCha8Rng,
}

impl Chooser {
    /// `keys` must be at least 1 (the options enforce it).
    pub fn new(mix: OpMix, keys: u64, seed: u64, client: u64) -> Chooser {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Separate streams of one seed, rather than derived seeds, cannot collide.
        rng.set_stream(client);
        Chooser {
            mix,
            keys: keys.max(1),
            rng,
        }
    }

    /// The next operation and the index of the key it touches, uniform over the keys.
    pub fn next_op(&mut self) -> (OpKind, u64) {
        let kind = match self.mix {
            OpMix::Read => OpKind::Read,
            OpMix::Write => OpKind::Write,
            OpMix::Mixed { read_percent } => {
                if self.rng.random_range(0.0..100.0) < read_percent {
                    OpKind::Read
                } else {
                    OpKind::Write
                }
            }
        };
        (kind, self.rng.random_range(0..self.keys))
    }
}

/// The key indexes client `client` of `clients` owns when creating or deleting keys
/// `0..count`: every `clients`-th one, so the work is spread evenly and nothing is done twice.
pub fn owned_keys(client: u64, clients: u64, count: u64) -> impl Iterator<Item = u64> {
    (client..count).step_by(usize::try_from(clients.max(1)).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(chooser: &mut Chooser, n: usize) -> Vec<(OpKind, u64)> {
        (0..n).map(|_| chooser.next_op()).collect()
    }

    #[test]
    fn keys_are_named_under_the_bench_parent() {
        assert_eq!(key_path(0), "/zooscope-bench/k0");
        assert_eq!(key_path(999_999), "/zooscope-bench/k999999");
    }

    #[test]
    fn op_mix_parses_read_write_and_mixed_percentages() {
        assert_eq!("read".parse(), Ok(OpMix::Read));
        assert_eq!("write".parse(), Ok(OpMix::Write));
        assert_eq!("mixed:90".parse(), Ok(OpMix::Mixed { read_percent: 90.0 }));
        assert_eq!(
            "mixed:99.5".parse(),
            Ok(OpMix::Mixed { read_percent: 99.5 })
        );
        assert_eq!(OpMix::Mixed { read_percent: 90.0 }.to_string(), "mixed:90");
    }

    #[test]
    fn op_mix_rejects_unknown_names_and_percentages_out_of_range() {
        for bad in [
            "",
            "reads",
            "mixed",
            "mixed:",
            "mixed:x",
            "mixed:101",
            "mixed:-1",
        ] {
            assert!(bad.parse::<OpMix>().is_err(), "{bad:?} was accepted");
        }
        assert!("mixed:NaN".parse::<OpMix>().is_err());
    }

    #[test]
    fn same_seed_and_client_draw_the_same_operations() {
        let mix = OpMix::Mixed { read_percent: 50.0 };
        let mut a = Chooser::new(mix, 1000, 7, 3);
        let mut b = Chooser::new(mix, 1000, 7, 3);
        assert_eq!(draws(&mut a, 1000), draws(&mut b, 1000));
    }

    #[test]
    fn clients_and_seeds_draw_different_sequences() {
        let mix = OpMix::Mixed { read_percent: 50.0 };
        let base = draws(&mut Chooser::new(mix, 1000, 7, 0), 100);
        assert_ne!(base, draws(&mut Chooser::new(mix, 1000, 7, 1), 100));
        assert_ne!(base, draws(&mut Chooser::new(mix, 1000, 8, 0), 100));
    }

    #[test]
    fn mixed_ratio_is_honoured_and_keys_stay_in_range() {
        let mut chooser = Chooser::new(OpMix::Mixed { read_percent: 25.0 }, 10, 1, 0);
        let ops = draws(&mut chooser, 20_000);
        let reads = ops.iter().filter(|(kind, _)| *kind == OpKind::Read).count();
        assert!((4_500..=5_500).contains(&reads), "{reads} reads of 20000");
        assert!(ops.iter().all(|(_, key)| *key < 10));
        let distinct: std::collections::BTreeSet<u64> = ops.iter().map(|(_, k)| *k).collect();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn pure_mixes_never_draw_the_other_operation() {
        let reads = draws(&mut Chooser::new(OpMix::Read, 5, 1, 0), 500);
        assert!(reads.iter().all(|(kind, _)| *kind == OpKind::Read));
        let writes = draws(
            &mut Chooser::new(OpMix::Mixed { read_percent: 0.0 }, 5, 1, 0),
            500,
        );
        assert!(writes.iter().all(|(kind, _)| *kind == OpKind::Write));
    }

    #[test]
    fn owned_keys_partition_the_range_among_clients() {
        let mut all: Vec<u64> = (0..3).flat_map(|c| owned_keys(c, 3, 10)).collect();
        assert_eq!(owned_keys(1, 3, 10).collect::<Vec<_>>(), [1, 4, 7]);
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(owned_keys(5, 8, 3).count(), 0);
    }
}
