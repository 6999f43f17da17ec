//! The root component: builds the playback from the page address, runs the animation loop,
//! keeps the address in step with what is on show, and lays out the panels.

use super::components::{
    clients::{console_line, Clients},
    cluster::Cluster,
    controls::Controls,
    inspector::{find_selected, Inspector},
    locks::LockQueues,
    next_events::NextEvents,
    scenario::{ScenarioPanel, ScenarioView},
    server_cards::ServerCards,
    timeline::{group_of, Timeline},
    votes::VoteBoxes,
    zab_flow::ZabFlow,
    znode_tree::{TreeRow, ZnodeTree, PAGE},
};
use super::export;
use super::keyboard::use_keyboard;
use super::state::{Action, Model};
use super::url::{current_query, replace_query};
use crate::i18n::{Lang, Msg};
use crate::play::Playback;
use crate::scenario::run::Shown;
use crate::sim::SimConfig;
use crate::viz;
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How many of the latest (filtered) trace events the timeline lists.
const TIMELINE_LENGTH: usize = 60;
/// How many recent zxids the ZAB flow shows.
const ZAB_ROWS: usize = 12;
/// How many pending events the manual mode lists.
const NEXT_EVENTS: usize = 12;

/// The scenario file the page address names, fetched before the app was mounted.
#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    #[prop_or_default]
    pub scenario_text: Option<Result<String, String>>,
}

fn initial_model(scenario_text: Option<Result<String, String>>) -> Model {
    let query = current_query();
    let (playback, problems) = Playback::from_address_with(&query, |name| {
        scenario_text.unwrap_or_else(|| Err(format!("there is no scenario named {name:?}")))
    });
    let lang = form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::from_code(&v))
        .unwrap_or_default();
    Model::new(playback, lang, problems)
}

/// Runs the animation loop while playing: one `Frame` per browser frame.
#[hook]
fn use_animation(model: &UseReducerHandle<Model>) {
    let dispatcher = model.dispatcher();
    use_effect_with(model.playing, move |&playing| {
        let handle: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
        fn schedule(
            handle: Rc<RefCell<Option<AnimationFrame>>>,
            dispatcher: UseReducerDispatcher<Model>,
        ) {
            let next = handle.clone();
            *handle.borrow_mut() = Some(request_animation_frame(move |now| {
                dispatcher.dispatch(Action::Frame(now));
                schedule(next, dispatcher);
            }));
        }
        if playing {
            schedule(handle.clone(), dispatcher);
        }
        move || {
            handle.borrow_mut().take();
        }
    });
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let model = {
        let scenario_text = props.scenario_text.clone();
        use_reducer(move || initial_model(scenario_text))
    };
    use_animation(&model);
    use_keyboard(model.dispatcher());

    // The address follows the run whenever it is still (not on every animation frame).
    {
        let playback = model.playback.clone();
        let lang = model.lang;
        use_effect_with(
            (model.revision, model.playing, lang),
            move |&(_, playing, lang)| {
                if !playing {
                    let mut query = playback.borrow().address();
                    if lang != Lang::En {
                        query.push_str(&format!("&lang={}", lang.code()));
                    }
                    replace_query(&query);
                }
                // Only when it changes: setting `lang` on the root, even to the same value,
                // makes the browser restyle the whole page.
                if let Some(root) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.document_element())
                    .filter(|root| root.get_attribute("lang").as_deref() != Some(lang.code()))
                {
                    let _ = root.set_attribute("lang", lang.code());
                }
            },
        );
    }

    let lang = model.lang;
    let dispatcher = model.dispatcher();
    // What the panels show changes only when the run does (an event, a command) or the
    // viewer changes a selection, not on every animation frame: computed once per change.
    let key = {
        let playback = model.playback.borrow();
        ViewKey {
            steps: model.panel_steps,
            commands: playback.sim().commands().len(),
            lang,
            tree_server: model.tree_server,
            open_paths: model.open_paths.clone(),
            page_limits: model.page_limits.clone(),
            selected_path: model.selected_path.clone(),
            filter_server: model.filter_server,
            filter_group: model.filter_group,
        }
    };
    let views = {
        let playback = model.playback.clone();
        use_memo(key, move |key| Views::of(&playback.borrow(), key))
    };
    // The drawing follows every event at once (see `Model::panel_steps`).
    let messages: Rc<Vec<viz::flight::MessageInFlight>> = {
        let playback = model.playback.clone();
        let run = {
            let playback = playback.borrow();
            (
                playback.sim().steps_taken(),
                playback.sim().commands().len(),
            )
        };
        use_memo(run, move |_| {
            viz::flight::messages_in_flight(playback.borrow().sim())
        })
    };
    let playback = model.playback.borrow();
    let sim = playback.sim();
    let config = sim.config();
    let servers = sim.servers();
    let server_ids = sim.server_ids();
    let selected_message = find_selected(&messages, model.selected_message.as_ref());
    let cut: Vec<_> = sim.network().cut_links().copied().collect();
    let scenario_view = scenario_view(&playback, lang);
    let quorum = config.servers / 2 + 1;

    let on_export_trace = {
        let playback = model.playback.clone();
        let dispatcher = dispatcher.clone();
        Callback::from(move |_: MouseEvent| {
            let playback = playback.borrow();
            let sim = playback.sim();
            let document = crate::play::export::trace_json(&playback);
            let name = format!(
                "zooscope-seed{}-{}ms.json",
                sim.config().seed,
                sim.now().as_millis()
            );
            if let Err(problem) = export::download(&name, "application/json", &document) {
                dispatcher.dispatch(Action::Problem(problem));
            }
        })
    };
    let picture_name = format!("zooscope-seed{}-{}ms", config.seed, sim.now().as_millis());
    let on_export_picture = {
        let dispatcher = dispatcher.clone();
        let name = format!("{picture_name}.svg");
        Callback::from(move |_: MouseEvent| {
            let result = export::cluster_svg()
                .ok_or_else(|| "the drawing is not on the page".to_string())
                .and_then(|svg| export::download(&name, "image/svg+xml", &svg));
            if let Err(problem) = result {
                dispatcher.dispatch(Action::Problem(problem));
            }
        })
    };
    let on_export_png = {
        let dispatcher = dispatcher.clone();
        let name = format!("{picture_name}.png");
        Callback::from(move |_: MouseEvent| {
            let later = dispatcher.clone();
            let report = move |problem| later.dispatch(Action::Problem(problem));
            if let Err(problem) = export::save_cluster_png(name.clone(), report) {
                dispatcher.dispatch(Action::Problem(problem));
            }
        })
    };

    html! {
        <main class="app">
            <header class="masthead">
                <h1>{ "zooscope" }</h1>
                <p class="tagline">{ lang.t(Msg::Tagline) }</p>
                <div class="masthead-tools">
                    <div class="lang-switch" role="group" aria-label={lang.t(Msg::Language)}>
                        { for Lang::ALL.iter().map(|&l| {
                            let dispatcher = dispatcher.clone();
                            html! {
                                <button data-testid={format!("lang-{}", l.code())} class={classes!((l == lang).then_some("active"))}
                                        aria-pressed={(l == lang).to_string()}
                                        onclick={Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::SetLang(l)))}>
                                    { l.own_name() }
                                </button>
                            }
                        }) }
                    </div>
                    <button data-testid="export-trace" onclick={on_export_trace}>{ lang.t(Msg::ExportTrace) }</button>
                    <button data-testid="export-picture" onclick={on_export_picture}>{ lang.t(Msg::ExportPicture) }</button>
                    <button data-testid="export-png" onclick={on_export_png}>{ lang.t(Msg::ExportPng) }</button>
                </div>
            </header>
            { for model.problems.iter().map(|p| html! {
                <p class="problem" data-testid="problem" role="alert">{ p }</p>
            }) }
            <ScenarioPanel view={scenario_view} {lang} dispatcher={dispatcher.clone()} />
            <Controls
                playing={model.playing}
                speed={model.speed}
                now={sim.now()}
                horizon={playback.horizon().1}
                rewound={playback.is_rewound()}
                next_event={sim.next_event_at()}
                trace_hash={sim.trace_hash()}
                seed={config.seed}
                {lang}
                dispatcher={dispatcher.clone()}
            />
            <div class="stage">
                <section class="cluster" data-testid="cluster" aria-label={lang.t(Msg::ClusterTitle)}
                         data-messages={messages.len().to_string()}>
                    <Cluster
                        servers={servers.clone()}
                        messages={Rc::clone(&messages)}
                        display_ms={model.display_ms}
                        cut={cut.clone()}
                        sessions={views.sessions.clone()}
                        selected_link={model.selected_link}
                        selected_message={model.selected_message.clone()}
                        {lang}
                        dispatcher={dispatcher.clone()}
                    />
                    <Legend {lang} count={messages.len()} />
                    <Inspector link={model.selected_link} cut={cut} message={selected_message} {lang} dispatcher={dispatcher.clone()} />
                    <ServerCards servers={servers.clone()} {lang} dispatcher={dispatcher.clone()} />
                </section>
                <div class="side">
                    <VoteBoxes boxes={views.votes.clone()} {lang} />
                    <ZabFlow flow={views.zab.clone()} {lang} />
                </div>
            </div>
            <div class="panels">
                <ZnodeTree
                    servers={servers.iter().map(|s| (s.id, s.up)).collect::<Vec<_>>()}
                    server={views.tree_server}
                    reference={views.reference}
                    rows={views.tree_rows.clone()}
                    selected={model.selected_path.clone()}
                    detail={views.detail.clone()}
                    {lang}
                    dispatcher={dispatcher.clone()}
                />
                <div class="column">
                    <Clients
                        clients={views.clients.clone()}
                        servers={server_ids.clone()}
                        console={views.console.clone()}
                        console_client={model.console_client.clone()}
                        console_error={model.console_error.clone()}
                        {lang}
                        dispatcher={dispatcher.clone()}
                    />
                    <LockQueues queues={views.locks.clone()} {lang} />
                </div>
                <div class="column">
                    <NextEvents events={views.pending.clone()} total={views.pending_total} {lang} dispatcher={dispatcher.clone()} />
                    <Timeline
                        events={views.timeline.clone()}
                        total={views.trace_len}
                        servers={server_ids.clone()}
                        filter_server={model.filter_server}
                        filter_group={model.filter_group}
                        {lang}
                        dispatcher={dispatcher.clone()}
                    />
                </div>
            </div>
            <footer class="colophon">
                <NewRun config={config.clone()} {lang} dispatcher={dispatcher.clone()} />
                <p class="explainer">{ lang.fill(Msg::Explainer, &[&config.servers, &quorum]) }</p>
                <p class="hint">{ lang.t(Msg::KeysHelp) }</p>
            </footer>
        </main>
    }
}

/// The open levels of `server`'s tree under `parent`, depth first, a page at a time.
fn collect_rows(
    sim: &crate::sim::Simulation,
    server: crate::peer::message::ServerId,
    parent: &str,
    depth: usize,
    model: &ViewKey,
    rows: &mut Vec<TreeRow>,
) {
    let limit = model.page_limits.get(parent).copied().unwrap_or(PAGE);
    // Only the listed children are looked up: a level can have tens of thousands.
    let viz::tree::ChildPage {
        shown: children,
        total,
    } = viz::tree::children_page(sim, server, parent, limit);
    for child in children {
        let open = model.open_paths.contains(&child.path);
        let path = child.path.clone();
        rows.push(TreeRow::Node { depth, child, open });
        if open {
            collect_rows(sim, server, &path, depth + 1, model, rows);
        }
    }
    if total > limit {
        rows.push(TreeRow::More {
            depth,
            parent: parent.to_string(),
            count: total - limit,
        });
    }
}

fn scenario_view(playback: &Playback, lang: Lang) -> ScenarioView {
    let shown_steps = playback.sim().steps_taken();
    if let Some(left) = playback.left_scenario() {
        return ScenarioView {
            name: Some(left.name.clone()),
            title: Some(lang.pick(&left.title).to_string()),
            left: true,
            ..ScenarioView::default()
        };
    }
    let Some(run) = playback.scenario() else {
        return ScenarioView::default();
    };
    let caught_up = playback.caught_up();
    let narration: Vec<_> = run
        .narration
        .iter()
        .filter(|n| n.at_step <= shown_steps)
        .cloned()
        .collect();
    let answers: Vec<_> = run
        .answers
        .iter()
        .filter(|a| a.reveal_at_step <= shown_steps && caught_up)
        .cloned()
        .collect();
    let awaiting_reveal = run.answers.len() > answers.len();
    let question = run.open_question.clone().filter(|_| caught_up);
    let question_shown = question.is_some()
        || narration
            .last()
            .is_some_and(|n| matches!(n.shown, Shown::Question(_)))
            && run.open_question.is_some();
    ScenarioView {
        name: Some(run.scenario.name.clone()),
        title: Some(lang.pick(run.title()).to_string()),
        summary: run
            .scenario
            .summary
            .as_ref()
            .map(|s| lang.pick(s).to_string()),
        narration,
        question,
        answers,
        can_continue: !run.is_finished() && !question_shown && run.open_question.is_none(),
        awaiting_reveal,
        catching_up: !caught_up,
        finished: run.is_finished(),
        failure: run.failure.as_ref().map(|f| f.to_string()),
        left: false,
    }
}

#[derive(Properties, PartialEq)]
struct LegendProps {
    lang: Lang,
    count: usize,
}

#[function_component(Legend)]
fn legend(props: &LegendProps) -> Html {
    let lang = props.lang;
    let families = [
        ("vote", Msg::FamilyVote),
        ("discovery", Msg::FamilyDiscovery),
        ("sync", Msg::FamilySync),
        ("establish", Msg::FamilyEstablish),
        ("proposal", Msg::FamilyProposal),
        ("ack", Msg::FamilyAck),
        ("commit", Msg::FamilyCommit),
        ("ping", Msg::FamilyPing),
        ("request", Msg::FamilyRequest),
    ];
    html! {
        <div class="legend" aria-label={lang.t(Msg::Legend)}>
            <span class="count">{ lang.fill(Msg::MessagesInFlight, &[&props.count]) }</span>
            { for families.iter().map(|(class, msg)| html! {
                <span class={classes!("legend-item", *class)}><span class="swatch"></span>{ lang.t(*msg) }</span>
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct NewRunProps {
    config: SimConfig,
    lang: Lang,
    dispatcher: UseReducerDispatcher<Model>,
}

/// Settings for a fresh run: ensemble size, observers, seed.
#[function_component(NewRun)]
fn new_run(props: &NewRunProps) -> Html {
    let lang = props.lang;
    let servers = use_node_ref();
    let observers = use_node_ref();
    let seed = use_node_ref();
    let onclick = {
        let (servers, observers, seed) = (servers.clone(), observers.clone(), seed.clone());
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| {
            let read = |node: &NodeRef, default: u64| {
                node.cast::<HtmlInputElement>()
                    .and_then(|i| i.value().parse().ok())
                    .unwrap_or(default)
            };
            let config = SimConfig {
                servers: read(&servers, 3),
                observers: read(&observers, 0),
                seed: read(&seed, 1),
                ..SimConfig::default()
            };
            dispatcher.dispatch(Action::NewRun(config));
        })
    };
    html! {
        <div class="new-run">
            <label>{ lang.t(Msg::Servers) }{ " " }<input ref={servers} data-testid="servers" type="number" min="1" max="15" value={props.config.servers.to_string()} /></label>
            <label>{ lang.t(Msg::Observers) }{ " " }<input ref={observers} data-testid="observers" type="number" min="0" max="15" value={props.config.observers.to_string()} /></label>
            <label>{ lang.t(Msg::Seed) }{ " " }<input ref={seed} data-testid="seed" type="number" min="0" value={props.config.seed.to_string()} /></label>
            <button data-testid="new-run" onclick={onclick} title={lang.t(Msg::NewRunTitle)}>{ lang.t(Msg::NewRun) }</button>
        </div>
    }
}

/// What decides the panels' contents (besides the run itself, through `steps`/`commands`).
#[derive(Clone, PartialEq)]
struct ViewKey {
    steps: u64,
    commands: usize,
    lang: Lang,
    tree_server: Option<crate::peer::message::ServerId>,
    open_paths: std::collections::BTreeSet<String>,
    page_limits: std::collections::BTreeMap<String, usize>,
    selected_path: Option<String>,
    filter_server: Option<crate::peer::message::ServerId>,
    filter_group: Option<super::state::TraceGroup>,
}

/// Every panel's contents for one state of the run.
struct Views {
    sessions: Vec<(crate::peer::message::ServerId, usize)>,
    votes: Vec<viz::votes::VoteBox>,
    zab: viz::zab::ZabFlow,
    clients: Vec<viz::clients::ClientView>,
    console: Vec<super::components::clients::ConsoleLine>,
    tree_server: Option<crate::peer::message::ServerId>,
    reference: Option<crate::peer::message::ServerId>,
    tree_rows: Vec<TreeRow>,
    detail: Option<viz::tree::ZnodeDetail>,
    locks: Vec<viz::locks::LockQueue>,
    pending: Vec<crate::sim::PendingEvent>,
    pending_total: usize,
    timeline: Vec<(usize, crate::peer::trace::TraceEvent)>,
    trace_len: usize,
}

impl Views {
    fn of(playback: &Playback, key: &ViewKey) -> Views {
        let sim = playback.sim();
        let lang = key.lang;
        let server_ids = sim.server_ids();
        let clients = viz::clients::clients(sim);
        let sessions = server_ids
            .iter()
            .map(|&id| {
                let here = clients
                    .iter()
                    .filter(|c| c.server == Some(id) && c.state == "CONNECTED")
                    .count();
                (id, here)
            })
            .collect();
        let tree_server = key
            .tree_server
            .filter(|s| server_ids.contains(s))
            .or(server_ids.first().copied());
        let reference = viz::tree::reference_server(sim);
        let mut tree_rows = Vec::new();
        if let Some(server) = tree_server {
            collect_rows(sim, server, "/", 1, key, &mut tree_rows);
        }
        let detail = tree_server
            .zip(key.selected_path.as_deref())
            .and_then(|(server, path)| viz::tree::detail(sim, server, path));
        let lock_server = reference.or(tree_server).unwrap_or(1);
        let trace = sim.trace();
        let mut timeline: Vec<_> = trace
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, e)| key.filter_server.is_none_or(|s| e.server == s))
            .filter(|(_, e)| key.filter_group.is_none_or(|g| group_of(&e.kind) == g))
            .take(TIMELINE_LENGTH)
            .map(|(i, e)| (i, e.clone()))
            .collect();
        timeline.reverse();
        let console = playback
            .console()
            .iter()
            .map(|entry| {
                let outcome = match entry.outcome {
                    crate::play::action::Applied::Sent { xid } => {
                        sim.client(&entry.client).and_then(|c| c.outcomes.get(&xid))
                    }
                    _ => None,
                };
                console_line(entry, outcome, lang)
            })
            .collect();
        Views {
            sessions,
            votes: viz::votes::vote_boxes(sim),
            zab: viz::zab::zab_flow(sim, ZAB_ROWS),
            clients,
            console,
            tree_server,
            reference,
            tree_rows,
            detail,
            locks: viz::locks::lock_queues(sim, lock_server),
            pending: sim.pending_events_head(NEXT_EVENTS),
            pending_total: sim.pending_count(),
            timeline,
            trace_len: trace.len(),
        }
    }
}
