//! `zooscope bench` against the real Apache ZooKeeper 3.8: the load generator must speak the
//! wire protocol well enough that a pipelined run completes operations without a single error.
//! Skipped, with a message, where Java or ZooKeeper's jar is not installed
//! (`apt-get install zookeeper`; or set ZOOSCOPE_ZK_CLASSPATH).

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
const SLF4J_BINDING: &str = "/usr/share/java/slf4j-jdk14.jar";

/// A ZooKeeper server this test started; killed (by its own pid) when dropped, pass or fail.
struct ZooKeeper {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn classpath() -> Option<String> {
    if let Ok(classpath) = std::env::var("ZOOSCOPE_ZK_CLASSPATH") {
        return Some(classpath);
    }
    if !Path::new(ZOOKEEPER_JAR).is_file() {
        return None;
    }
    let mut classpath = ZOOKEEPER_JAR.to_string();
    if Path::new(SLF4J_BINDING).is_file() {
        classpath.push(':');
        classpath.push_str(SLF4J_BINDING);
    }
    Some(classpath)
}

fn free_loopback_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

fn start_zookeeper() -> Option<ZooKeeper> {
    let classpath = classpath();
    if !on_path("java") || classpath.is_none() {
        eprintln!(
            "skipping: needs `java` on PATH and {ZOOKEEPER_JAR} (apt-get install zookeeper), \
             or ZOOSCOPE_ZK_CLASSPATH"
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_loopback_port();
    let data = dir.path().join("data");
    fs::create_dir(&data).expect("data directory");
    let config = dir.path().join("zoo.cfg");
    fs::write(
        &config,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\n",
            data.display()
        ),
    )
    .expect("write zoo.cfg");
    let log = dir.path().join("zookeeper.log");
    let log_file = fs::File::create(&log).expect("log file");
    let child = Command::new("java")
        .arg("-Xmx256m")
        .arg("-cp")
        .arg(classpath.unwrap_or_default())
        .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log file"))
        .stderr(log_file)
        .spawn()
        .expect("start java");
    Some(ZooKeeper {
        child,
        port,
        log,
        _dir: dir,
    })
}

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zooscope"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run zooscope bench")
}

/// Waits until the server opens sessions and accepts a write (creating the bench parent).
fn wait_until_serving(zookeeper: &ZooKeeper, server: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let output = bench(&["--server", server, "--populate", "0", "--clients", "1"]);
        if output.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "ZooKeeper did not serve within 30 s: {}\nlog:\n{}",
            String::from_utf8_lossy(&output.stderr),
            fs::read_to_string(&zookeeper.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The number after `"key":` in a flat JSON line.
fn json_number(json: &str, key: &str) -> f64 {
    let pattern = format!("\"{key}\":");
    let start = json.find(&pattern).expect(key) + pattern.len();
    let digits: String = json[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().expect(key)
}

#[test]
fn pipelined_bench_against_apache_zookeeper_completes_operations_without_errors() {
    let Some(zookeeper) = start_zookeeper() else {
        return;
    };
    let server = format!("127.0.0.1:{}", zookeeper.port);
    wait_until_serving(&zookeeper, &server);

    let output = bench(&[
        "--server",
        &server,
        "--clients",
        "4",
        "--pipeline",
        "32",
        "--op",
        "mixed:50",
        "--keys",
        "100",
        "--value-size",
        "1024",
        "--duration",
        "2",
        "--warmup",
        "0.5",
        "--teardown",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(json_number(&stdout, "ops") > 0.0, "{stdout}");
    assert!(json_number(&stdout, "ops_per_s") > 0.0, "{stdout}");
    assert!(stdout.trim_end().ends_with("\"errors\":{}}"), "{stdout}");

    let output = bench(&[
        "--server",
        &server,
        "--populate",
        "2000",
        "--value-size",
        "10",
        "--clients",
        "2",
        "--pipeline",
        "128",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "populate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Teardown deleted the load run's keys, so every one of these is new.
    assert_eq!(json_number(&stdout, "created"), 2000.0, "{stdout}");
    assert_eq!(json_number(&stdout, "existed"), 0.0, "{stdout}");
}
