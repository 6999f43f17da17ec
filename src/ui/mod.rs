//! The browser visualiser (wasm32 only). Only this module touches the DOM: it owns a
//! [`Playback`](crate::play::Playback), advances it on the viewer's command or in real time,
//! and draws what the core reports through [`viz`](crate::viz).

mod app;
mod components;
mod export;
mod keyboard;
mod state;
mod url;

/// Mounts the app on the page's body.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
