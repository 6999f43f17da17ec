//! `zooscope cli`: a zkCli.sh-style shell over the real wire protocol. Its output follows
//! zkCli 3.8's line for line (scripts that parse zkCli keep working). The command language
//! (words, commands, requests, output) is `crate::zkcli`, shared with the browser; this
//! module adds the connection, the session's watches, and the commands that need them (see
//! `exec`). With a command after the options it runs that command and exits with its
//! status; otherwise it reads commands from a terminal (line editing, history) or a script.

mod exec;
mod interpreter;
mod session;
mod watches;

use crate::native::client::ConnectOptions;
use crate::zkcli::usage_text;
use clap::Args;
use interpreter::{Flow, Interpreter};
use rustyline::error::ReadlineError;
use rustyline::{DefaultEditor, ExternalPrinter};
use session::Session;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Args, Debug)]
#[command(
    disable_help_flag = true,
    after_help = "zkCli's options: -server host:port[,host:port] (default localhost:2181), \
                  -timeout ms (default 30000), -r (accept a read-only server). \
                  Type `help` in the shell for its commands."
)]
pub struct ShellArgs {
    /// zkCli-style options, then optionally a command and its arguments.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<String>,
}

/// What the command line asked for, parsed as `ZooKeeperMain.MyCommandOptions.parseOptions`
/// does: options first, the first other word starts the command.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Invocation {
    server: String,
    timeout_ms: u64,
    read_only: bool,
    command: Option<Vec<String>>,
}

fn parse_invocation(args: &[String]) -> Result<Invocation, String> {
    let mut invocation = Invocation {
        server: "localhost:2181".to_string(),
        timeout_ms: 30_000,
        read_only: false,
        command: None,
    };
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let mut value = || {
            words
                .next()
                .cloned()
                .ok_or_else(|| format!("Error: no argument found for option {word}"))
        };
        match word.as_str() {
            "-server" => invocation.server = value()?,
            "-timeout" => {
                let text = value()?;
                invocation.timeout_ms = text
                    .parse()
                    .map_err(|_| format!("-timeout takes milliseconds, not {text:?}"))?;
            }
            "-r" => invocation.read_only = true,
            "-client-configuration" => {
                return Err("-client-configuration is not supported".to_string())
            }
            // zkCli always waits for its connection; other dashed words it ignores.
            option if option.starts_with('-') => {}
            _ => {
                let rest: Vec<String> = std::iter::once(word.clone())
                    .chain(words.cloned())
                    .collect();
                invocation.command = Some(rest);
                break;
            }
        }
    }
    Ok(invocation)
}

pub fn run(args: &ShellArgs) -> ExitCode {
    // zkCli has no help option; ours prints the commands rather than opening a shell.
    if matches!(args.args.first().map(String::as_str), Some("-h" | "--help")) {
        let _ = write!(std::io::stdout(), "{}", usage_text());
        return ExitCode::SUCCESS;
    }
    let invocation = match parse_invocation(&args.args) {
        Ok(invocation) => invocation,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "zooscope: cannot start the async runtime: {error}"
            );
            return ExitCode::FAILURE;
        }
    };
    ExitCode::from(runtime.block_on(shell(invocation)))
}

async fn shell(invocation: Invocation) -> u8 {
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let mut options = ConnectOptions::new(Vec::new());
    options.session_timeout = Duration::from_millis(invocation.timeout_ms);
    options.read_only = invocation.read_only;
    let mut interpreter = Interpreter::new(Session::new(options));
    let _ = writeln!(out, "Connecting to {}", invocation.server);
    // The connection's first event is shown after the banner, as zkCli's arrives then.
    let mut connected = Vec::new();
    interpreter
        .session
        .connect(&invocation.server, &mut connected, &mut err)
        .await;
    if let Some(words) = invocation.command {
        let _ = out.write_all(&connected);
        interpreter.execute_words(words, &mut out, &mut err).await;
        interpreter.session.close_quietly().await;
        return interpreter.exit_code;
    }
    let interactive = std::io::stdin().is_terminal();
    let _ = writeln!(out, "Welcome to ZooKeeper!");
    let jline = if interactive { "enabled" } else { "disabled" };
    let _ = writeln!(out, "JLine support is {jline}");
    let _ = out.write_all(&connected);
    let mut input = if interactive {
        match Input::editor(history_path()) {
            Ok(input) => input,
            Err(message) => {
                let _ = writeln!(err, "{message}");
                Input::piped()
            }
        }
    } else {
        Input::piped()
    };
    loop {
        input.ask(interpreter.prompt());
        let line = loop {
            tokio::select! {
                line = input.lines.recv() => break line.flatten(),
                event = interpreter.session.next_event() => {
                    let mut text = Vec::new();
                    interpreter.session.handle_event(&event, &mut text);
                    input.print_while_reading(text);
                }
            }
        };
        let Some(line) = line else {
            interpreter.session.close_quietly().await;
            break;
        };
        if interpreter.execute_line(&line, &mut out, &mut err).await == Flow::Quit {
            break;
        }
    }
    interpreter.exit_code
}

/// `$ZOOSCOPE_HISTORY`, or `.zooscope_history` in the home directory.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ZOOSCOPE_HISTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".zooscope_history"))
}

/// Where lines come from: a line editor on its own thread (it blocks), or standard input
/// read by a thread. `None` on the channel is the end of input.
struct Input {
    lines: mpsc::UnboundedReceiver<Option<String>>,
    /// The editor thread waits for each prompt; absent for piped input.
    prompts: Option<std::sync::mpsc::Sender<String>>,
    /// Prints above the line being edited, for events that arrive meanwhile.
    printer: Option<Box<dyn ExternalPrinter + Send>>,
}

impl Input {
    fn editor(history: Option<PathBuf>) -> Result<Input, String> {
        let (prompts, prompt_receiver) = std::sync::mpsc::channel::<String>();
        let (line_sender, lines) = mpsc::unbounded_channel();
        let (printer_sender, printer_receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut editor = match DefaultEditor::new() {
                Ok(editor) => editor,
                Err(error) => {
                    let _ = printer_sender.send(Err(format!("line editor unavailable: {error}")));
                    return;
                }
            };
            let printer = editor
                .create_external_printer()
                .ok()
                .map(|printer| Box::new(printer) as Box<dyn ExternalPrinter + Send>);
            let _ = printer_sender.send(Ok(printer));
            if let Some(path) = &history {
                let _ = editor.load_history(path);
            }
            while let Ok(prompt) = prompt_receiver.recv() {
                let line = match editor.readline(&prompt) {
                    Ok(line) => line,
                    // Ctrl-C abandons the line being typed, as in a Unix shell.
                    Err(ReadlineError::Interrupted) => String::new(),
                    Err(_) => {
                        let _ = line_sender.send(None);
                        return;
                    }
                };
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    if let Some(path) = &history {
                        let _ = editor.save_history(path);
                    }
                }
                if line_sender.send(Some(line)).is_err() {
                    return;
                }
            }
        });
        let printer = printer_receiver
            .recv()
            .map_err(|_| "line editor unavailable".to_string())??;
        Ok(Input {
            lines,
            prompts: Some(prompts),
            printer,
        })
    }

    fn piped() -> Input {
        let (line_sender, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = Vec::new();
            loop {
                buffer.clear();
                match stdin.read_until(b'\n', &mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buffer);
                        let line = line.trim_end_matches(['\n', '\r']).to_string();
                        if line_sender.send(Some(line)).is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = line_sender.send(None);
        });
        Input {
            lines,
            prompts: None,
            printer: None,
        }
    }

    /// Asks the editor for the next line (piped input needs no asking).
    fn ask(&mut self, prompt: String) {
        if let Some(prompts) = &self.prompts {
            if prompts.send(prompt).is_err() {
                self.prompts = None;
            }
        }
    }

    fn print_while_reading(&mut self, text: Vec<u8>) {
        if text.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        match &mut self.printer {
            Some(printer) => {
                let _ = printer.print(text);
            }
            None => {
                let _ = std::io::stdout().write_all(text.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn options_come_before_the_command_and_unknown_ones_are_ignored() {
        assert_eq!(
            parse_invocation(&words(
                "-server h:1 -timeout 5000 -r -waitforconnection ls -s /"
            )),
            Ok(Invocation {
                server: "h:1".into(),
                timeout_ms: 5000,
                read_only: true,
                command: Some(words("ls -s /")),
            })
        );
        let defaults = parse_invocation(&[]).unwrap();
        assert_eq!(defaults.server, "localhost:2181");
        assert_eq!(defaults.timeout_ms, 30_000);
        assert_eq!(defaults.command, None);
    }

    #[test]
    fn an_option_without_its_value_is_an_error() {
        assert_eq!(
            parse_invocation(&words("-server")),
            Err("Error: no argument found for option -server".into())
        );
        assert!(parse_invocation(&words("-timeout soon")).is_err());
    }
}
