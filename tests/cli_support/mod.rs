//! A real ZooKeeper server for the client and shell tests: started on a free loopback port
//! with a temporary data directory, ready once it answers `ruok` and `srvr` says it serves,
//! and killed when dropped (so also when a test fails).
//!
//! `ZOOSCOPE_TEST_SERVER` picks the server: `apache` (the default) runs Apache ZooKeeper
//! 3.8 from Debian's jars, `zooscope` runs this crate's `zooscope server <zoo.cfg>`. When the
//! chosen server cannot be run here (no java, no jar) the tests say so and skip.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
const SLF4J_JAR: &str = "/usr/share/java/slf4j-jdk14.jar";

/// Which server implementation the tests run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    Apache,
    Zooscope,
}

impl ServerKind {
    pub fn from_env() -> ServerKind {
        match std::env::var("ZOOSCOPE_TEST_SERVER").as_deref() {
            Ok("zooscope") => ServerKind::Zooscope,
            Ok("apache") | Err(_) => ServerKind::Apache,
            Ok(other) => panic!("ZOOSCOPE_TEST_SERVER must be apache or zooscope, not {other:?}"),
        }
    }

    /// The command that runs this server on `config`, or why it cannot run here.
    fn command(self, config: &Path) -> Result<Command, String> {
        match self {
            ServerKind::Apache => {
                for jar in [ZOOKEEPER_JAR, SLF4J_JAR] {
                    if !Path::new(jar).exists() {
                        return Err(format!("{jar} is missing (apt-get install zookeeper)"));
                    }
                }
                let java_runs = Command::new("java")
                    .arg("-version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|status| status.success());
                if !java_runs {
                    return Err("java is not installed".to_string());
                }
                let mut command = Command::new("java");
                command
                    .args(["-Xmx128m", "-XX:+UseSerialGC", "-cp"])
                    .arg(format!("{ZOOKEEPER_JAR}:{SLF4J_JAR}"))
                    .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
                    .arg(config);
                Ok(command)
            }
            ServerKind::Zooscope => {
                let mut command = Command::new(env!("CARGO_BIN_EXE_zooscope"));
                command.arg("server").arg(config);
                Ok(command)
            }
        }
    }
}

/// A running server; dropping it kills the process.
pub struct TestServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts the server `ZOOSCOPE_TEST_SERVER` names, or returns `None` after printing why
    /// the tests are skipped.
    pub fn start(test: &str) -> Option<TestServer> {
        let kind = ServerKind::from_env();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("the data directory");
        let config = dir.path().join("zoo.cfg");
        std::fs::write(
            &config,
            format!(
                "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                 admin.enableServer=false\n4lw.commands.whitelist=*\n",
                data.display()
            ),
        )
        .expect("zoo.cfg");
        let mut command = match kind.command(&config) {
            Ok(command) => command,
            Err(reason) => {
                eprintln!("SKIPPED {test}: cannot run the {kind:?} server: {reason}");
                return None;
            }
        };
        let log = std::fs::File::create(dir.path().join("server.log")).expect("server.log");
        let child = command
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("server.log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {kind:?} server: {e}"));
        let mut server = TestServer { child, port, dir };
        server.wait_until_serving(kind);
        Some(server)
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn wait_until_serving(&mut self, kind: ServerKind) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the {kind:?} server exited ({status}) before serving:\n{}",
                    self.log()
                );
            }
            // `ruok` answers before the server accepts sessions; `srvr` tells when it does.
            if four_letter_word(self.port, "ruok").as_deref() == Some("imok")
                && four_letter_word(self.port, "srvr").is_some_and(|text| text.contains("Mode:"))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the {kind:?} server was not serving after 20 s:\n{}",
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// Sends a four-letter word and returns the whole answer.
pub fn four_letter_word(port: u16, word: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(word.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}
