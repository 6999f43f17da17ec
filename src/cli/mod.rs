//! The native command line. Only this module and the native runtime touch the process's
//! stdout, files and sockets.

pub mod bench;
mod inspect_command;
mod server_command;
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
    /// Run a standalone ZooKeeper server from a zoo.cfg.
    Server(server_command::ServerArgs),
    /// Print a server's transaction log or newest snapshot.
    Inspect(inspect_command::InspectArgs),
    /// Load a ZooKeeper-compatible server over the wire and report throughput and latency.
    Bench(bench::BenchArgs),
    /// A zkCli.sh-style shell: `zooscope cli -server host:port [command ...]`.
    Cli(shell::ShellArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Locked only where used: the shell prints from more than one thread.
    let stdout = || std::io::stdout().lock();
    let result = match cli.command {
        Command::Sim(args) => sim_command::run(&args, &mut stdout()),
        Command::Server(args) => server_command::run(&args),
        Command::Inspect(args) => inspect_command::run(&args, &mut stdout()),
        Command::Bench(args) => bench::run(&args, &mut stdout()),
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
