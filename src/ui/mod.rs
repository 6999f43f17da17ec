//! The browser visualiser (wasm32 only). Only this module touches the DOM: it owns a
//! [`Simulation`](crate::sim::Simulation), advances it on the user's command or in real time,
//! and draws what the core reports.

mod app;
mod components;
mod state;
mod url;

/// Mounts the app on the page's body.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
