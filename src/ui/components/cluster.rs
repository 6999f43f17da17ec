//! The ensemble drawn as an SVG: servers on a ring, the links between them (cut ones red),
//! and every message in flight gliding along its link, coloured by protocol family.

use crate::i18n::{Lang, Msg};
use crate::peer::message::{PeerState, ServerId};
use crate::play::action::ViewerAction;
use crate::sim::ServerStatus;
use crate::ui::state::{Action, MessageRef, Model};
use crate::viz::flight::{FlightState, MessageFamily, MessageInFlight};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

pub const WIDTH: f64 = 1000.0;
pub const HEIGHT: f64 = 620.0;
const NODE_RADIUS: f64 = 50.0;

/// A drag that started on a server: dropped on another it cuts or heals their link,
/// dropped in empty space it isolates the server.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Drag {
    from: ServerId,
    /// Where the pointer is, in drawing coordinates.
    x: f64,
    y: f64,
    /// Whether it has left the server it started on (before that it is a click).
    moved: bool,
    one_way: bool,
}

/// What dropping a drag here would do.
fn drag_outcome(
    drag: &Drag,
    target: Option<ServerId>,
    cut: &[(ServerId, ServerId)],
) -> Option<ViewerAction> {
    let from = drag.from;
    match target {
        Some(to) if to == from => None,
        Some(to) if cut.contains(&(from, to)) || cut.contains(&(to, from)) => {
            Some(ViewerAction::Heal {
                from,
                to,
                both_ways: true,
            })
        }
        Some(to) => Some(ViewerAction::Cut {
            from,
            to,
            both_ways: !drag.one_way,
        }),
        None => Some(ViewerAction::Isolate(from)),
    }
}

fn describe_outcome(lang: Lang, action: &ViewerAction) -> String {
    match action {
        ViewerAction::Heal { from, to, .. } => lang.fill(Msg::DragHeal, &[from, to]),
        ViewerAction::Cut {
            from,
            to,
            both_ways: true,
        } => lang.fill(Msg::DragCut, &[from, to]),
        ViewerAction::Cut { from, to, .. } => lang.fill(Msg::DragCutOneWay, &[from, to]),
        ViewerAction::Isolate(id) => lang.fill(Msg::DragIsolate, &[id]),
        _ => String::new(),
    }
}

/// A pointer event's position in drawing coordinates (`area` is the drawing's element).
fn drawing_point(event: &MouseEvent, area: &NodeRef) -> Option<(f64, f64)> {
    let element = area.cast::<web_sys::Element>()?;
    let rect = element.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    Some((
        (f64::from(event.client_x()) - rect.left()) * WIDTH / rect.width(),
        (f64::from(event.client_y()) - rect.top()) * HEIGHT / rect.height(),
    ))
}

/// The server drawn under a point, if any.
fn server_at(places: &[(ServerId, (f64, f64))], (x, y): (f64, f64)) -> Option<ServerId> {
    places
        .iter()
        .find(|(_, (px, py))| (px - x).powi(2) + (py - y).powi(2) <= NODE_RADIUS * NODE_RADIUS)
        .map(|(id, _)| *id)
}

#[derive(Properties, PartialEq)]
pub struct ClusterProps {
    pub servers: Vec<ServerStatus>,
    pub messages: Rc<Vec<MessageInFlight>>,
    /// Virtual time on show, with a fraction.
    pub display_ms: f64,
    pub cut: Vec<(ServerId, ServerId)>,
    /// Connected client sessions per server, by id.
    pub sessions: Vec<(ServerId, usize)>,
    pub selected_link: Option<(ServerId, ServerId)>,
    pub selected_message: Option<MessageRef>,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

/// A coordinate with one decimal, written without the float formatter (which would
/// add tens of kilobytes to the download).
pub fn px(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.unsigned_abs();
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

/// Where server number `index` of `count` sits.
pub fn position(index: usize, count: usize) -> (f64, f64) {
    let (cx, cy) = (WIDTH / 2.0, HEIGHT / 2.0);
    let (rx, ry) = (WIDTH / 2.0 - 110.0, HEIGHT / 2.0 - 90.0);
    let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * index as f64 / count as f64;
    // The browser's own cos and sin: Rust's would add the libm code to the download.
    (
        cx + rx * js_sys::Math::cos(angle),
        cy + ry * js_sys::Math::sin(angle),
    )
}

pub fn role_class(status: &ServerStatus) -> &'static str {
    match status.state {
        None if status.booting => "booting",
        None => "down",
        Some(PeerState::Leading) => "leading",
        Some(PeerState::Following) => "following",
        Some(PeerState::Observing) => "observing",
        Some(PeerState::Looking) => "looking",
    }
}

/// The role as the tests and the page read it (`data-role`).
pub fn role_label(status: &ServerStatus) -> String {
    match status.state {
        None if status.booting => "BOOTING".into(),
        None => "DOWN".into(),
        Some(state) => state.to_string(),
    }
}

/// The role inside a node: short enough for the circle in either language.
fn role_text(lang: Lang, status: &ServerStatus) -> &'static str {
    lang.t(match status.state {
        None if status.booting => Msg::RoleBooting,
        None => Msg::RoleDown,
        Some(PeerState::Looking) => Msg::NodeLooking,
        Some(PeerState::Following) => Msg::NodeFollowing,
        Some(PeerState::Leading) => Msg::NodeLeading,
        Some(PeerState::Observing) => Msg::NodeObserving,
    })
}

#[function_component(Cluster)]
pub fn cluster(props: &ClusterProps) -> Html {
    let count = props.servers.len();
    let index_of = |id: ServerId| props.servers.iter().position(|s| s.id == id);
    let at = |id: ServerId| index_of(id).map(|i| position(i, count));

    let glyphs = glyph_positions(props, &at);
    let canvas = use_node_ref();
    {
        // The messages are painted on a canvas over the drawing: hundreds of them move every
        // frame, which as SVG elements would cost a style recalculation each.
        let canvas = canvas.clone();
        let glyphs = glyphs.clone();
        let sprites = use_mut_ref(Sprites::default);
        use_effect(move || paint(&canvas, &glyphs, &mut sprites.borrow_mut()));
    }
    let onclick = {
        let glyphs = glyphs.clone();
        let canvas = canvas.clone();
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: MouseEvent| {
            let Some((x, y)) = drawing_point(&event, &canvas) else {
                return;
            };
            let nearest = glyphs
                .iter()
                .map(|g| ((g.x - x).powi(2) + (g.y - y).powi(2), g))
                .filter(|(distance, _)| *distance <= 14.0 * 14.0)
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((_, glyph)) = nearest {
                dispatcher.dispatch(Action::SelectMessage(Some(glyph.reference.clone())));
            }
        })
    };

    html! {
        <div class="cluster-drawing" {onclick}>
        // Redrawn only when what it shows changes, not on every animation frame.
        <Drawing
            servers={props.servers.clone()}
            cut={props.cut.clone()}
            sessions={props.sessions.clone()}
            selected_link={props.selected_link}
            lang={props.lang}
            dispatcher={props.dispatcher.clone()}
        />
        // Sized in device pixels by `paint`, so the compositor copies it without scaling.
        <canvas class="messages-canvas" ref={canvas}
                data-glyphs={glyphs.len().to_string()} aria-hidden="true"></canvas>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DrawingProps {
    servers: Vec<ServerStatus>,
    cut: Vec<(ServerId, ServerId)>,
    sessions: Vec<(ServerId, usize)>,
    selected_link: Option<(ServerId, ServerId)>,
    lang: Lang,
    dispatcher: UseReducerDispatcher<Model>,
}

/// The servers on their ring and the links between them, as SVG.
#[function_component(Drawing)]
fn drawing(props: &DrawingProps) -> Html {
    let lang = props.lang;
    let count = props.servers.len();
    let index_of = |id: ServerId| props.servers.iter().position(|s| s.id == id);
    let at = |id: ServerId| index_of(id).map(|i| position(i, count));

    let mut links = Vec::new();
    for (i, a) in props.servers.iter().enumerate() {
        for b in &props.servers[i + 1..] {
            let (from, to) = (position(i, count), at(b.id).unwrap_or_default());
            let ab = props.cut.contains(&(a.id, b.id));
            let ba = props.cut.contains(&(b.id, a.id));
            let selected = props.selected_link == Some((a.id, b.id));
            let pair = (a.id, b.id);
            let dispatcher = props.dispatcher.clone();
            let onclick = Callback::from(move |_: MouseEvent| {
                dispatcher.dispatch(Action::SelectLink(Some(pair)))
            });
            let mid = ((from.0 + to.0) / 2.0, (from.1 + to.1) / 2.0);
            let title = lang.fill(Msg::LinkTitle, &[&a.id, &b.id]);
            links.push(html! {
                <g class={classes!("link", selected.then_some("selected"))}
                   data-testid={format!("link-{}-{}", a.id, b.id)}
                   data-cut={match (ab, ba) { (true, true) => "both", (true, false) => "forward", (false, true) => "backward", _ => "none" }}
                   {onclick}>
                    <title>{ title }</title>
                    <line class="link-hit" x1={px(from.0)} y1={px(from.1)} x2={px(to.0)} y2={px(to.1)} />
                    <line class={classes!("link-line", ab.then_some("cut"))} x1={px(from.0)} y1={px(from.1)} x2={px(mid.0)} y2={px(mid.1)} />
                    <line class={classes!("link-line", ba.then_some("cut"))} x1={px(mid.0)} y1={px(mid.1)} x2={px(to.0)} y2={px(to.1)} />
                    if ab || ba {
                        <text class="scissors" x={px(mid.0)} y={px(mid.1 + 6.0)}>{ "✂" }</text>
                    }
                </g>
            });
        }
    }

    let area = use_node_ref();
    let places: Rc<Vec<(ServerId, (f64, f64))>> = Rc::new(
        props
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, position(i, count)))
            .collect(),
    );
    let drag = use_state(|| None::<Drag>);
    let onpointerdown = {
        let (drag, area, places) = (drag.clone(), area.clone(), places.clone());
        Callback::from(move |event: PointerEvent| {
            let Some(point) = drawing_point(&event, &area) else {
                return;
            };
            if let Some(from) = server_at(&places, point) {
                drag.set(Some(Drag {
                    from,
                    x: point.0,
                    y: point.1,
                    moved: false,
                    one_way: event.shift_key(),
                }));
            }
        })
    };
    let onpointermove = {
        let (drag, area, places) = (drag.clone(), area.clone(), places.clone());
        Callback::from(move |event: PointerEvent| {
            let (Some(current), Some(point)) = (*drag, drawing_point(&event, &area)) else {
                return;
            };
            let left = server_at(&places, point) != Some(current.from);
            drag.set(Some(Drag {
                x: point.0,
                y: point.1,
                moved: current.moved || left,
                one_way: event.shift_key(),
                ..current
            }));
        })
    };
    let onpointerup = {
        let (drag, places, cut) = (drag.clone(), places.clone(), props.cut.clone());
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |_: PointerEvent| {
            let Some(done) = *drag else {
                return;
            };
            drag.set(None);
            if !done.moved {
                return;
            }
            let target = server_at(&places, (done.x, done.y));
            if let Some(action) = drag_outcome(&done, target, &cut) {
                dispatcher.dispatch(Action::Act(action));
            }
        })
    };
    let onpointerleave = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| drag.set(None))
    };
    let rubber_band = drag.as_ref().filter(|d| d.moved).map(|d| {
        let start = places
            .iter()
            .find(|(id, _)| *id == d.from)
            .map_or((d.x, d.y), |(_, p)| *p);
        let target = server_at(&places, (d.x, d.y));
        let label = drag_outcome(d, target, &props.cut)
            .map(|action| describe_outcome(lang, &action))
            .unwrap_or_default();
        html! {
            <g class="drag" data-testid="drag-line">
                <line class="drag-line" x1={px(start.0)} y1={px(start.1)} x2={px(d.x)} y2={px(d.y)} />
                <text class="drag-label" x={px(d.x)} y={px(d.y - 14.0)}>{ label }</text>
            </g>
        }
    });
    let nodes = props.servers.iter().enumerate().map(|(i, status)| {
        let (x, y) = position(i, count);
        let id = status.id;
        let sessions = props
            .sessions
            .iter()
            .find(|(server, _)| *server == id)
            .map_or(0, |(_, n)| *n);
        let dispatcher = props.dispatcher.clone();
        let onclick = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::SelectTreeServer(id)));
        let shape = if status.observer {
            html! { <rect class="node-shape" x={px(-NODE_RADIUS)} y={px(-NODE_RADIUS * 0.8)} width={px(2.0 * NODE_RADIUS)} height={px(1.6 * NODE_RADIUS)} rx="14" /> }
        } else {
            html! { <circle class="node-shape" r={px(NODE_RADIUS)} /> }
        };
        let zxid_line = format!("{} / {}", status.last_logged, status.committed);
        html! {
            <g class={classes!("node", role_class(status), status.observer.then_some("observer"), status.paused.then_some("paused"))}
               transform={format!("translate({} {})", px(x), px(y))}
               data-testid={format!("server-{id}")}
               data-role={role_label(status)}
               data-epoch={status.current_epoch.to_string()}
               data-zxid={status.last_logged.to_string()}
               data-committed={status.committed.to_string()}
               {onclick}>
                <title>{ status.to_string() }</title>
                { shape }
                <text class="node-id" y="-8">{ id.to_string() }</text>
                <text class="node-role" y="16">{ role_text(lang, status) }</text>
                <text class="node-detail" y={px(NODE_RADIUS + 20.0)}>
                    { format!("e{} (a{}) · {}", status.current_epoch, status.accepted_epoch, zxid_line) }
                </text>
                if sessions > 0 {
                    <text class="node-sessions" y={px(NODE_RADIUS + 40.0)}>
                        { format!("{} {}", sessions, lang.t(Msg::SessionsHere)) }
                    </text>
                }
                if status.paused {
                    <text class="node-mark" y="-28">{ "❚❚" }</text>
                }
                if !status.up && !status.booting {
                    <text class="node-mark down" y="-26">{ "✕" }</text>
                }
                if status.observer {
                    <text class="node-tag" y={px(-NODE_RADIUS * 0.8 - 8.0)}>{ lang.t(Msg::ObserverTag) }</text>
                }
            </g>
        }
    });

    html! {
        <svg class={classes!("cluster-svg", drag.is_some_and(|d| d.moved).then_some("dragging"))}
             viewBox={format!("0 0 {} {}", px(WIDTH), px(HEIGHT))} role="img"
             aria-label={lang.t(Msg::ClusterTitle)} xmlns="http://www.w3.org/2000/svg"
             ref={area} {onpointerdown} {onpointermove} {onpointerup} {onpointerleave}>
            <g class="links">{ for links }</g>
            <g class="nodes">{ for nodes }</g>
            { for rubber_band }
        </svg>
    }
}

/// A message's glyph: where it is drawn and how.
#[derive(Clone, Debug, PartialEq)]
struct Glyph {
    x: f64,
    y: f64,
    colour: &'static str,
    parked: bool,
    selected: bool,
    reference: MessageRef,
}

fn family_colour(family: MessageFamily) -> &'static str {
    match family {
        MessageFamily::Vote => "#e6a91a",
        MessageFamily::Discovery => "#8e44ad",
        MessageFamily::Sync => "#16a085",
        MessageFamily::Establish => "#2c3e50",
        MessageFamily::Proposal => "#2980b9",
        MessageFamily::Ack => "#27ae60",
        MessageFamily::Commit => "#d35400",
        MessageFamily::Ping => "#bdc3c7",
        MessageFamily::Request => "#e84393",
        MessageFamily::Other => "#7f8c8d",
    }
}

fn glyph_positions(
    props: &ClusterProps,
    at: &impl Fn(ServerId) -> Option<(f64, f64)>,
) -> Rc<Vec<Glyph>> {
    let glyphs = props.messages.iter().filter_map(|message| {
        let (from, to) = (at(message.from)?, at(message.to)?);
        let parked = message.state != FlightState::Travelling;
        let progress = if parked {
            0.12
        } else {
            let span = message.arrives_at.millis_since(message.sent_at).max(1) as f64;
            ((props.display_ms - message.sent_at.as_millis() as f64) / span).clamp(0.0, 1.0)
        };
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let length = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / length, dy / length);
        // Each direction has its own lane, so crossing messages do not hide each other.
        let lane = 7.0;
        let start = NODE_RADIUS + 4.0;
        let travel = (length - 2.0 * start).max(0.0);
        let reference = MessageRef {
            key: message.key,
            from: message.from,
            to: message.to,
            sent_at: message.sent_at,
            kind: message.kind,
        };
        Some(Glyph {
            x: from.0 + ux * (start + travel * progress) - uy * lane,
            y: from.1 + uy * (start + travel * progress) + ux * lane,
            colour: family_colour(message.family),
            parked,
            selected: props.selected_message.as_ref() == Some(&reference),
            reference,
        })
    });
    Rc::new(glyphs.collect())
}

/// A message's disc, as drawn: radius and outline in the drawing's coordinates.
const GLYPH_RADIUS: f64 = 8.0;
const GLYPH_OUTLINE: f64 = 1.2;
const INK: &str = "#1d2733";

/// One disc per colour, drawn once at the canvas's scale and then copied to each message's
/// place: copying pixels is several times cheaper than filling and stroking hundreds of
/// anti-aliased circles in software.
#[derive(Default)]
struct Sprites {
    scale: f64,
    /// Side in device pixels.
    size: u32,
    discs: Vec<(&'static str, web_sys::HtmlCanvasElement)>,
}

impl Sprites {
    /// The disc of `colour` at `scale`, and half its side in device pixels.
    fn disc(
        &mut self,
        colour: &'static str,
        scale: f64,
    ) -> Option<(&web_sys::HtmlCanvasElement, f64)> {
        if self.scale != scale {
            self.discs.clear();
            self.scale = scale;
            self.size = ((GLYPH_RADIUS + GLYPH_OUTLINE) * 2.0 * scale).ceil() as u32 + 2;
        }
        let half = f64::from(self.size) / 2.0;
        if let Some(at) = self.discs.iter().position(|(c, _)| *c == colour) {
            return Some((&self.discs[at].1, half));
        }
        let sprite: web_sys::HtmlCanvasElement = web_sys::window()?
            .document()?
            .create_element("canvas")
            .ok()?
            .dyn_into()
            .ok()?;
        sprite.set_width(self.size);
        sprite.set_height(self.size);
        let context = context_2d(&sprite)?;
        let centre = half / scale;
        let _ = context.scale(scale, scale);
        context.begin_path();
        let _ = context.arc(centre, centre, GLYPH_RADIUS, 0.0, std::f64::consts::TAU);
        context.set_fill_style_str(colour);
        context.fill();
        context.set_stroke_style_str(INK);
        context.set_line_width(GLYPH_OUTLINE);
        context.stroke();
        self.discs.push((colour, sprite));
        self.discs.last().map(|(_, sprite)| (sprite, half))
    }
}

fn context_2d(canvas: &web_sys::HtmlCanvasElement) -> Option<web_sys::CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn paint(canvas: &NodeRef, glyphs: &[Glyph], sprites: &mut Sprites) {
    let Some(canvas) = canvas.cast::<web_sys::HtmlCanvasElement>() else {
        return;
    };
    let Some(context) = context_2d(&canvas) else {
        return;
    };
    // As many pixels as the canvas covers on the screen: a canvas of another size is scaled
    // by the compositor on every frame, which in software is as slow as drawing it. (Reading
    // the size costs nothing on frames that change no layout; on the others, the browser
    // lays out here instead of after this effect.)
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let device = |css: i32| (f64::from(css.max(1)) * ratio).round() as u32;
    let (width, height) = (
        device(canvas.client_width()),
        device(canvas.client_height()),
    );
    if canvas.width() != width || canvas.height() != height {
        canvas.set_width(width);
        canvas.set_height(height);
    }
    let (sx, sy) = (f64::from(width) / WIDTH, f64::from(height) / HEIGHT);
    let _ = context.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    context.clear_rect(0.0, 0.0, f64::from(width), f64::from(height));
    // The discs, copied whole pixels into place (no resampling).
    for glyph in glyphs {
        let Some((disc, half)) = sprites.disc(glyph.colour, sx) else {
            continue;
        };
        let _ = context.draw_image_with_html_canvas_element(
            disc,
            (glyph.x * sx - half).round(),
            (glyph.y * sy - half).round(),
        );
    }
    // Drawn in the SVG's coordinates (its viewBox) from here, whatever the pixels: parked
    // messages (held, or waiting for a cut link) wear a pause mark; the selected one a thick
    // ring.
    let _ = context.set_transform(sx, 0.0, 0.0, sy, 0.0, 0.0);
    context.set_fill_style_str(INK);
    for glyph in glyphs.iter().filter(|g| g.parked) {
        context.fill_rect(glyph.x - 3.0, glyph.y - 4.0, 2.0, 8.0);
        context.fill_rect(glyph.x + 1.0, glyph.y - 4.0, 2.0, 8.0);
    }
    if let Some(glyph) = glyphs.iter().find(|g| g.selected) {
        context.begin_path();
        let _ = context.arc(glyph.x, glyph.y, 12.0, 0.0, std::f64::consts::TAU);
        context.set_stroke_style_str(INK);
        context.set_line_width(4.0);
        context.stroke();
    }
}
