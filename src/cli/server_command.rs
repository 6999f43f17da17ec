//! `zooscope server`: read zoo.cfg and serve clients until stopped.

use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// A standard ZooKeeper configuration file.
    #[arg(long, value_name = "ZOO_CFG")]
    config: Option<PathBuf>,
    /// The configuration file, as Apache ZooKeeper's scripts pass it.
    #[arg(value_name = "ZOO_CFG", conflicts_with = "config")]
    config_positional: Option<PathBuf>,
}

pub fn run(args: &ServerArgs) -> Result<(), String> {
    let path = args
        .config
        .as_ref()
        .or(args.config_positional.as_ref())
        .ok_or("give the configuration file: zooscope server --config zoo.cfg")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cfg = crate::zoocfg::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for warning in &cfg.warnings {
        eprintln!("zooscope: {}: {warning}", path.display());
    }
    if !cfg.is_standalone() {
        return Err(format!(
            "{}: server.N lines describe an ensemble; this zooscope runs standalone servers \
             (replicated ensembles run in the simulator for now)",
            path.display()
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::native::server::worker_threads())
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(crate::native::server::run(cfg))
}
