//! One line at a time, as `ZooKeeperMain.executeLine`/`processZKCmd` handle it: the shell's
//! own commands (history, redo, printwatches, connect, quit, help), the "Not connected"
//! gate, then the server commands, with each command's exit status kept for scripts.

use super::exec::execute;
use super::session::Session;
use crate::zkcli::commands::find;
use crate::zkcli::words::split_words;
use crate::zkcli::{parse_server_command, usage_text, CliError};
use std::future::Future;
use std::io::Write;
use std::pin::Pin;

/// Whether the shell goes on after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

pub struct Interpreter {
    pub session: Session,
    /// Every line run, by command number (a `redo` is replaced by the line it ran).
    history: Vec<String>,
    /// The status of the last command: 0, 1 for a failure, 127 for an unknown command.
    pub exit_code: u8,
}

impl Interpreter {
    pub fn new(session: Session) -> Interpreter {
        Interpreter {
            session,
            history: Vec::new(),
            exit_code: 0,
        }
    }

    /// zkCli's prompt: `[zk: host:port(CONNECTED) 3] `.
    pub fn prompt(&self) -> String {
        format!(
            "[zk: {}({}) {}] ",
            self.session.host(),
            self.session.state_name(),
            self.history.len()
        )
    }

    /// Runs a line typed at the prompt or read from a script; blank lines are skipped and
    /// not numbered.
    pub async fn execute_line(
        &mut self,
        line: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Flow {
        let words = split_words(line);
        if words.is_empty() {
            return Flow::Continue;
        }
        self.history.push(line.to_string());
        let flow = self.process(words, out, err).await;
        self.session.print_events(out);
        flow
    }

    /// Runs a command given on the command line (`zooscope cli -server h ls /`).
    pub async fn execute_words(
        &mut self,
        words: Vec<String>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Flow {
        let flow = self.process(words, out, err).await;
        self.session.print_events(out);
        flow
    }

    /// Boxed because `redo` runs another command through it.
    fn process<'a>(
        &'a mut self,
        words: Vec<String>,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
    ) -> Pin<Box<dyn Future<Output = Flow> + 'a>> {
        Box::pin(async move {
            match self.run(words, out, err).await {
                Ok(Flow::Quit) => Flow::Quit,
                Ok(Flow::Continue) => {
                    self.exit_code = 0;
                    Flow::Continue
                }
                Err(error) => {
                    let _ = writeln!(err, "{}", error.message);
                    self.exit_code = error.exit_code;
                    Flow::Continue
                }
            }
        })
    }

    async fn run(
        &mut self,
        words: Vec<String>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, CliError> {
        let name = words.first().cloned().unwrap_or_default();
        if find(&name).is_none() {
            let _ = write!(err, "{}", usage_text());
            return Err(CliError {
                message: format!("Command not found: {name}"),
                exit_code: 127,
            });
        }
        match name.as_str() {
            "quit" => {
                self.session.close(out).await;
                return Ok(Flow::Quit);
            }
            "help" => {
                let _ = write!(out, "{}", usage_text());
                return Ok(Flow::Continue);
            }
            "redo" => return self.redo(&words, out, err).await,
            "history" => {
                let current = self.history.len().saturating_sub(1);
                let first = current.saturating_sub(10);
                for (number, line) in self.history.iter().enumerate().skip(first) {
                    let _ = writeln!(out, "{number} - {line}");
                }
            }
            "printwatches" => match words.get(1) {
                None => {
                    let state = if self.session.print_watches {
                        "on"
                    } else {
                        "off"
                    };
                    let _ = writeln!(out, "printwatches is {state}");
                }
                Some(choice) => self.session.print_watches = choice == "on",
            },
            "connect" => {
                let host = words
                    .get(1)
                    .cloned()
                    .unwrap_or_else(|| self.session.host().to_string());
                self.session.connect(&host, out, err).await;
            }
            _ => {}
        }
        // Like zkCli, even the shell's own commands end with this check.
        if !self.session.is_alive() {
            let _ = writeln!(out, "Not connected");
            return Ok(Flow::Continue);
        }
        if matches!(name.as_str(), "history" | "printwatches" | "connect") {
            return Ok(Flow::Continue);
        }
        let parsed = parse_server_command(&words);
        for warning in &parsed.warnings {
            let _ = writeln!(err, "{warning}");
        }
        execute(&mut self.session, parsed.command?, out, err).await?;
        Ok(Flow::Continue)
    }

    /// `redo n`: runs line `n` again under the current number.
    async fn redo(
        &mut self,
        words: &[String],
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, CliError> {
        let Some(number) = words.get(1) else {
            return Err(CliError::new("redo cmdno"));
        };
        let current = self.history.len().saturating_sub(1);
        let index = java_decode(number)
            .and_then(|index| usize::try_from(index).ok())
            .filter(|index| *index < current)
            .ok_or_else(|| CliError::new("Command index out of range"))?;
        let line = self.history.get(index).cloned().unwrap_or_default();
        let redone = split_words(&line);
        if redone.first().map(String::as_str) == Some("redo") {
            return Err(CliError::new("No redoing redos"));
        }
        if let Some(last) = self.history.last_mut() {
            *last = line;
        }
        // As in zkCli, the redone command reports its own failure; the redo itself succeeds.
        Ok(self.process(redone, out, err).await)
    }
}

/// Java's `Integer.decode`: decimal, `0x`/`#` hexadecimal or leading-zero octal, signed.
fn java_decode(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (radix, digits) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .or_else(|| digits.strip_prefix('#'))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let value = i64::from_str_radix(digits, radix).ok()?;
    let value = if negative { -value } else { value };
    i32::try_from(value).ok().map(i64::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::client::ConnectOptions;

    fn offline() -> Interpreter {
        Interpreter::new(Session::new(ConnectOptions::new(Vec::new())))
    }

    async fn run(shell: &mut Interpreter, line: &str) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        shell.execute_line(line, &mut out, &mut err).await;
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn redo_numbers_decode_as_java_integers() {
        assert_eq!(java_decode("12"), Some(12));
        assert_eq!(java_decode("0x1f"), Some(31));
        assert_eq!(java_decode("#10"), Some(16));
        assert_eq!(java_decode("010"), Some(8));
        assert_eq!(java_decode("-3"), Some(-3));
        assert_eq!(java_decode("x"), None);
        assert_eq!(java_decode("--1"), None);
        assert_eq!(java_decode("99999999999"), None);
    }

    #[tokio::test]
    async fn an_unknown_command_prints_usage_and_exits_127() {
        let mut shell = offline();
        let (out, err) = run(&mut shell, "frobnicate").await;
        assert_eq!(out, "");
        assert!(err.starts_with("ZooKeeper -server host:port"));
        assert!(err.ends_with("Command not found: frobnicate\n"));
        assert_eq!(shell.exit_code, 127);
    }

    #[tokio::test]
    async fn printwatches_and_history_work_and_then_report_the_closed_session() {
        let mut shell = offline();
        shell.session.close_quietly().await;
        assert_eq!(
            run(&mut shell, "printwatches off").await.0,
            "Not connected\n"
        );
        assert_eq!(
            run(&mut shell, "printwatches").await.0,
            "printwatches is off\nNot connected\n"
        );
        assert_eq!(
            run(&mut shell, "history").await.0,
            "0 - printwatches off\n1 - printwatches\n2 - history\nNot connected\n"
        );
        assert_eq!(shell.prompt(), "[zk: (CLOSED) 3] ");
    }

    #[tokio::test]
    async fn redo_refuses_out_of_range_numbers_and_redos() {
        let mut shell = offline();
        shell.session.close_quietly().await;
        run(&mut shell, "printwatches").await;
        assert_eq!(
            run(&mut shell, "redo 5").await.1,
            "Command index out of range\n"
        );
        assert_eq!(shell.exit_code, 1);
        assert_eq!(
            run(&mut shell, "redo 0").await.0,
            "printwatches is on\nNot connected\n"
        );
        assert_eq!(shell.exit_code, 0);
        assert_eq!(run(&mut shell, "redo 1").await.1, "No redoing redos\n");
    }

    #[tokio::test]
    async fn a_failed_connection_is_connection_loss_for_the_commands_path() {
        let mut shell = offline();
        let (out, err) = run(&mut shell, "get /x").await;
        assert_eq!(out, "");
        assert_eq!(err, "KeeperErrorCode = ConnectionLoss for /x\n");
        assert_eq!(shell.exit_code, 1);
        assert_eq!(shell.prompt(), "[zk: (CONNECTING) 1] ");
    }
}
