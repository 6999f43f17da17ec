//! The simulator's bench, callable from the page (wasm32 only), so that it can be measured
//! in a browser: `scripts/bench/sim-wasm.mjs` calls
//! `window.wasmBindings.simBench(5, 1n, 60000n)` on the release build and compares the
//! report with `zooscope sim --bench --servers 5 --seed 1 --millis 60000`.
//!
//! Kept apart from the visualiser (nothing in the UI calls it) and from the core: it reads
//! the browser's clock, which the core never does. Compiled only with the `bench-hook`
//! feature (`./x build --features bench-hook --dist target/dist-bench`), so the served
//! visualiser does not carry it.

use crate::sim::load;
use wasm_bindgen::prelude::wasm_bindgen;

/// Runs the bench's write load (`servers` participants, `seed`, `millis` of virtual time) and
/// returns the same two-line report as `zooscope sim --bench`, or what is wrong with the
/// arguments. The time measured is the run's, as natively: not loading, not freeing.
#[wasm_bindgen(js_name = simBench)]
pub fn sim_bench(servers: u32, seed: u64, millis: u64) -> String {
    let started = js_sys::Date::now();
    match load::write_load(u64::from(servers), seed, millis) {
        Ok(sim) => {
            // Whole milliseconds: Date.now() has no finer grain.
            let micros = (js_sys::Date::now() - started) as u64 * 1000;
            load::report(&sim, millis, micros)
        }
        Err(error) => format!("error: {error}"),
    }
}
