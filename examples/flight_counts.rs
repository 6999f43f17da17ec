//! Messages in flight per millisecond of a page address's run, to find the moments the
//! visualiser's budgets measure (`scripts/bench/ui-budgets.mjs`).
//!
//!     cargo run --release --example flight_counts -- 'seed=1&servers=7&act=...' FROM_MS TO_MS
use zooscope::play::Playback;
use zooscope::time::VirtualTime;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (playback, problems) = Playback::from_address(&args[1]);
    assert!(problems.is_empty(), "{problems:?}");
    let mut playback = playback;
    let from: u64 = args[2].parse().unwrap();
    let to: u64 = args[3].parse().unwrap();
    playback.advance_to(VirtualTime::from_millis(from));
    let mut ms = from;
    while ms <= to {
        let sim = playback.sim();
        let n = zooscope::viz::flight::messages_in_flight(sim).len();
        println!("{} {} {}", sim.steps_taken(), sim.now().as_millis(), n);
        ms += 1;
        playback.advance_to(VirtualTime::from_millis(ms));
    }
}
