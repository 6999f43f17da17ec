//! The browser visualiser (wasm32 only). Only this module touches the DOM: it owns a
//! [`Playback`](crate::play::Playback), advances it on the viewer's command or in real time,
//! and draws what the core reports through [`viz`](crate::viz).

mod app;
mod components;
mod export;
mod keyboard;
mod state;
mod url;

/// Mounts the app on the page's body. An address that follows a shipped scenario waits for
/// the scenario's file first (the files are fetched, not compiled in), so the page opens on
/// the very state the address describes.
pub fn start() {
    let query = url::current_query();
    match crate::play::Playback::scenario_in_address(&query) {
        None => {
            yew::Renderer::<app::App>::new().render();
        }
        Some(name) => yew::platform::spawn_local(async move {
            let text = url::fetch_scenario(name).await;
            let props = app::AppProps {
                scenario_text: Some(text),
            };
            yew::Renderer::<app::App>::with_props(props).render();
        }),
    }
}
