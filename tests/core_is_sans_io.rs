//! The core's promises, checked on its source: no IO, no clock, no ambient entropy, no
//! hash-ordered collections where order could leak into behaviour, and no DOM.
//! (That it compiles to wasm32 is checked by `./x test`'s wasm32 clippy and web build.)

use std::fs;
use std::path::{Path, PathBuf};

/// Modules that make up the sans-IO core and the simulator.
const CORE_PATHS: &[&str] = &[
    "src/data",
    "src/proto",
    "src/peer",
    "src/zkserver",
    "src/sim",
    "src/scenario",
    "src/viz",
    "src/play",
    "src/i18n",
    "src/zkcli",
    "src/time.rs",
    "src/zoocfg.rs",
];

/// What the core must never mention, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "std::fs",
        "the core touches no files: persistence is an output",
    ),
    (
        "std::net",
        "the core touches no sockets: messages are inputs and outputs",
    ),
    ("std::io", "the core does no IO"),
    (
        "std::thread",
        "the core is single-threaded and driven by its caller",
    ),
    ("std::time", "the core reads no clock: `now` is given"),
    ("SystemTime", "the core reads no clock"),
    ("Instant::now", "the core reads no clock"),
    ("thread_rng", "randomness comes only from a given seed"),
    ("rand::rng(", "randomness comes only from a given seed"),
    ("from_entropy", "randomness comes only from a given seed"),
    ("from_os_rng", "randomness comes only from a given seed"),
    ("OsRng", "randomness comes only from a given seed"),
    ("getrandom", "randomness comes only from a given seed"),
    (
        "HashMap",
        "iteration order would leak into behaviour: use BTreeMap",
    ),
    (
        "HashSet",
        "iteration order would leak into behaviour: use BTreeSet",
    ),
    ("web_sys", "only the UI touches the DOM"),
    ("js_sys", "only the UI touches the DOM"),
    ("yew", "only the UI touches the DOM"),
    ("tokio", "only the native runtime does async IO"),
];

fn rust_files(path: &Path, found: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = fs::read_dir(path)
            .expect("core directory is readable")
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, found);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        found.push(path.to_path_buf());
    }
}

#[test]
fn core_source_mentions_no_io_clock_entropy_or_dom() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for path in CORE_PATHS {
        rust_files(&root.join(path), &mut files);
    }
    assert!(
        files.len() >= 5,
        "expected the core's files, found {files:?}"
    );

    let mut violations = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("source is UTF-8");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (needle, why) in FORBIDDEN {
                if code.contains(needle) {
                    violations.push(format!(
                        "{}:{}: `{needle}`: {why}",
                        file.strip_prefix(root).unwrap_or(file).display(),
                        number + 1
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "core invariants broken:\n{}",
        violations.join("\n")
    );
}
