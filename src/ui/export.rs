//! Saving what is on screen: the trace as JSON and the cluster drawing as an SVG or PNG file.

use super::components::cluster::{HEIGHT, WIDTH};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

/// A PNG is drawn at twice the drawing's size, sharp enough for slides.
const PNG_SCALE: f64 = 2.0;

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
    let url = object_url(contents, mime).ok_or_else(|| failed("no object URL"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| failed("no document"))?;
    let saved = save_link(&document, &url, file_name);
    let _ = web_sys::Url::revoke_object_url(&url);
    saved
}

/// `contents` as a blob of type `mime`, behind an object URL (to revoke once used).
fn object_url(contents: &str, mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Saves what `href` points to as `file_name`, as a clicked download link does.
fn save_link(document: &web_sys::Document, href: &str, file_name: &str) -> Result<(), String> {
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into().ok())
        .ok_or_else(|| format!("could not save {file_name}: no anchor"))?;
    anchor.set_href(href);
    anchor.set_download(file_name);
    anchor.click();
    Ok(())
}

/// The cluster drawing as a standalone SVG document, or None if it is not on the page.
pub fn cluster_svg() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let svg = document.query_selector(".cluster-svg").ok()??;
    let markup = svg.outer_html();
    let open_end = markup.find('>')?;
    // A size of its own, so that image viewers (and the PNG below) need not guess one.
    Some(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{} width=\"{}\" height=\"{}\"><style>{}</style>{}",
        &markup[..open_end],
        WIDTH as u32,
        HEIGHT as u32,
        SVG_STYLE,
        &markup[open_end + 1..]
    ))
}

/// Saves the drawing, messages in flight included, as a PNG named `file_name`: the SVG is
/// loaded as an image, painted on a canvas with the messages' canvas on top, and encoded.
/// Loading is asynchronous, so a failure then is reported through `problem`.
pub fn save_cluster_png(
    file_name: String,
    problem: impl Fn(String) + 'static,
) -> Result<(), String> {
    let failed = |what: &str| format!("could not save {file_name}: {what}");
    let svg = cluster_svg().ok_or_else(|| failed("the drawing is not on the page"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| failed("no document"))?;
    let svg_url = object_url(&svg, "image/svg+xml").ok_or_else(|| failed("no object URL"))?;
    let image = web_sys::HtmlImageElement::new().map_err(|_| failed("no image"))?;
    let loaded = {
        let image = image.clone();
        let svg_url = svg_url.clone();
        Closure::once_into_js(move || {
            let _ = web_sys::Url::revoke_object_url(&svg_url);
            if let Err(what) = paint_png(&document, &image, &file_name) {
                problem(what);
            }
        })
    };
    image.set_onload(Some(loaded.unchecked_ref()));
    image.set_src(&svg_url);
    Ok(())
}

fn paint_png(
    document: &web_sys::Document,
    image: &web_sys::HtmlImageElement,
    file_name: &str,
) -> Result<(), String> {
    let failed = |what: &str| format!("could not save {file_name}: {what}");
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .ok()
        .and_then(|e| e.dyn_into().ok())
        .ok_or_else(|| failed("no canvas"))?;
    let (width, height) = (WIDTH * PNG_SCALE, HEIGHT * PNG_SCALE);
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| failed("no 2d context"))?;
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, width, height);
    context
        .draw_image_with_html_image_element_and_dw_and_dh(image, 0.0, 0.0, width, height)
        .map_err(|_| failed("the drawing did not render"))?;
    let messages = document
        .query_selector(".messages-canvas")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok());
    if let Some(messages) = messages {
        context
            .draw_image_with_html_canvas_element_and_dw_and_dh(&messages, 0.0, 0.0, width, height)
            .map_err(|_| failed("the messages did not render"))?;
    }
    let data_url = canvas
        .to_data_url_with_type("image/png")
        .map_err(|_| failed("no PNG encoder"))?;
    save_link(document, &data_url, file_name)
}
