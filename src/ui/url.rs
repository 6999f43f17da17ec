//! The page address: where a shared link's run settings come from.

/// The current page's query string, or an empty one if the page has no location.
pub fn current_query() -> String {
    web_sys::window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default()
}
