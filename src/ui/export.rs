//! Saving what is on screen: the trace as JSON and the cluster drawing as an SVG file.

use wasm_bindgen::JsCast;

/// The rules a saved drawing needs, since the page's style sheet does not travel with it.
const SVG_STYLE: &str = "
.link-hit{stroke:transparent;stroke-width:18}.link-line{stroke:#c9c3b6;stroke-width:3}
.link-line.cut{stroke:#c0392b;stroke-dasharray:8 6}.scissors{font-size:20px;text-anchor:middle;fill:#c0392b}
.node-shape{stroke:#1d2733;stroke-width:2;fill:#fff}.leading .node-shape{fill:#2e8b57}.following .node-shape{fill:#3a6ea5}
.looking .node-shape{fill:#c98a12}.observing .node-shape{fill:#7a5aa6}.down .node-shape,.booting .node-shape{fill:#9aa0a8}
.observer .node-shape{stroke-dasharray:6 4}
text{font-family:system-ui,sans-serif;text-anchor:middle}.node-id{font-size:30px;font-weight:700;fill:#fff}
.node-role{font-size:12px;fill:#fff}.node-detail,.node-sessions,.node-tag{font-size:14px;fill:#1d2733}.node-mark{font-size:22px;fill:#fff}
.message circle{stroke:#1d2733;stroke-width:1}.vote circle{fill:#e6a91a}.discovery circle{fill:#8e44ad}.sync circle{fill:#16a085}
.establish circle{fill:#2c3e50}.proposal circle{fill:#2980b9}.ack circle{fill:#27ae60}.commit circle{fill:#d35400}
.ping circle{fill:#bdc3c7}.request circle{fill:#e84393}.other circle{fill:#7f8c8d}";

/// Offers `contents` as a download named `file_name`.
pub fn download(file_name: &str, mime: &str, contents: &str) -> Result<(), String> {
    let failed = |what: &str| format!("could not save {file_name}: {what}");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| failed("no blob"))?;
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed("no object URL"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| failed("no document"))?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| failed("no anchor"))?
        .dyn_into()
        .map_err(|_| failed("no anchor"))?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The cluster drawing as a standalone SVG document, or None if it is not on the page.
pub fn cluster_svg() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let svg = document.query_selector(".cluster-svg").ok()??;
    let markup = svg.outer_html();
    let open_end = markup.find('>')?;
    Some(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}><style>{}</style>{}",
        &markup[..open_end],
        SVG_STYLE,
        &markup[open_end + 1..]
    ))
}
