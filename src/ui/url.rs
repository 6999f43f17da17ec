//! The page address: where a shared link's run comes from, and where the current one is kept;
//! and the shipped scenarios' files, fetched from beside the page.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The current page's query string, or an empty one if the page has no location.
pub fn current_query() -> String {
    web_sys::window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default()
}

/// Puts `query` in the address bar without reloading or adding a history entry (unless it
/// is there already: replacing the history entry costs the browser milliseconds).
pub fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if window
        .location()
        .search()
        .is_ok_and(|search| search.strip_prefix('?').unwrap_or(&search) == query)
    {
        return;
    }
    let Ok(history) = window.history() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_default();
    let _ = history.replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&format!("{path}?{query}")),
    );
}

/// The text of the shipped scenario `name`, fetched from `scenarios/NAME.scenario` beside the
/// page (Trunk copies the directory into the build), or why it could not be.
pub async fn fetch_scenario(name: &str) -> Result<String, String> {
    let Some(shipped) = crate::scenario::library::find(name) else {
        return Err(format!("there is no scenario named {name:?}"));
    };
    let url = shipped.url();
    let failed = |error: wasm_bindgen::JsValue| {
        let reason = error
            .dyn_into::<js_sys::Error>()
            .map_or_else(|_| "the request failed".to_string(), |e| e.message().into());
        format!("scenario {name}: could not fetch {url}: {reason}")
    };
    let window = web_sys::window().ok_or_else(|| format!("scenario {name}: no window"))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(failed)?
        .unchecked_into();
    if !response.ok() {
        return Err(format!(
            "scenario {name}: could not fetch {url}: HTTP {}",
            response.status()
        ));
    }
    let text = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?;
    text.as_string()
        .ok_or_else(|| format!("scenario {name}: {url} is not text"))
}
