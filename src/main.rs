//! The `zooscope` binary: the command line natively, the visualiser in the browser.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    zooscope::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    zooscope::ui::start();
}
