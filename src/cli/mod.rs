//! The native command line. Only this module (and, later, the native runtime) touches the
//! process's stdout, files and sockets.

mod shell;
mod sim_command;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "zooscope", version, about = "A ZooKeeper you can watch think.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a simulated ensemble headless and print its trace.
    Sim(sim_command::SimArgs),
    /// A zkCli.sh-style shell: `zooscope cli -server host:port [command ...]`.
    Cli(shell::ShellArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sim(args) => sim_command::run(&args, &mut std::io::stdout().lock()),
        // The shell reports its own errors and exits with the last command's status.
        Command::Cli(args) => return shell::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("zooscope: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
