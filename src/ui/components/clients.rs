//! Simulated client sessions (which server each uses, its timeout, its watches) and the
//! zkCli-style console that runs commands through one of them.

use crate::i18n::{Lang, Msg};
use crate::peer::message::ServerId;
use crate::play::action::{Applied, ViewerAction, DEFAULT_CLIENT_TIMEOUT_MS};
use crate::play::ConsoleEntry;
use crate::sim::clients::Outcome;
use crate::ui::state::{Action, Model};
use crate::viz::clients::ClientView;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// A console line with its answer so far.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsoleLine {
    pub entry: ConsoleEntry,
    /// None while waiting.
    pub output: Option<Vec<String>>,
    pub failed: bool,
}

/// The answer to a console line, as zkCli would print it.
pub fn console_line(entry: &ConsoleEntry, outcome: Option<&Outcome>, lang: Lang) -> ConsoleLine {
    let (output, failed) = match (&entry.outcome, outcome) {
        (Applied::Refused(reason), _) => (Some(vec![reason.clone()]), true),
        (Applied::Done, _) => (Some(Vec::new()), false),
        (Applied::Sent { .. }, None) => (None, false),
        (Applied::Sent { .. }, Some(Outcome::ConnectionLoss)) => {
            (Some(vec![lang.t(Msg::ConnectionLost).to_string()]), true)
        }
        (Applied::Sent { .. }, Some(Outcome::Reply { err, body, .. })) => {
            match crate::zkcli::parse_line(&entry.line) {
                Ok(command) => {
                    let reply = crate::zkcli::format_reply(&command, *err, body.as_ref());
                    let failed = reply.exit_code != 0;
                    (
                        Some(reply.out.into_iter().chain(reply.err).collect()),
                        failed,
                    )
                }
                Err(e) => (Some(vec![e.message]), true),
            }
        }
    };
    ConsoleLine {
        entry: entry.clone(),
        output,
        failed,
    }
}

/// Writes sent by a client's burst button.
const BURST: u32 = 50;

#[derive(Properties, PartialEq)]
pub struct ClientsProps {
    pub clients: Vec<ClientView>,
    pub servers: Vec<ServerId>,
    pub console: Vec<ConsoleLine>,
    pub console_client: Option<String>,
    pub console_error: Option<String>,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

fn next_client_name(clients: &[ClientView]) -> String {
    const NAMES: [&str; 8] = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    ];
    NAMES
        .iter()
        .map(|n| n.to_string())
        .chain((1..).map(|i| format!("client{i}")))
        .find(|name| !clients.iter().any(|c| &c.name == name))
        .expect("an unused name")
}

#[function_component(Clients)]
pub fn clients(props: &ClientsProps) -> Html {
    let lang = props.lang;
    let new_server = use_state(|| props.servers.first().copied().unwrap_or(1));
    let input = use_node_ref();
    let on_new_server = {
        let new_server = new_server.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(id) = select.value().parse() {
                new_server.set(id);
            }
        })
    };
    let add_client = {
        let dispatcher = props.dispatcher.clone();
        let name = next_client_name(&props.clients);
        let server = *new_server;
        Callback::from(move |_: MouseEvent| {
            dispatcher.dispatch(Action::Act(ViewerAction::AddClient {
                name: name.clone(),
                server,
                timeout_ms: DEFAULT_CLIENT_TIMEOUT_MS,
            }))
        })
    };
    let on_console_client = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            dispatcher.dispatch(Action::ConsoleClient(select.value()));
        })
    };
    let submit = {
        let dispatcher = props.dispatcher.clone();
        let input = input.clone();
        let client = props.console_client.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(field) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let line = field.value();
            if line.trim().is_empty() {
                return;
            }
            if let Some(client) = client.clone() {
                dispatcher.dispatch(Action::Act(ViewerAction::Cli {
                    client,
                    line: line.trim().to_string(),
                }));
                field.set_value("");
            }
        })
    };
    let server_options = |selected: Option<ServerId>| {
        props.servers.iter().map(move |id| html! {
            <option value={id.to_string()} selected={Some(*id) == selected}>{ id.to_string() }</option>
        }).collect::<Html>()
    };

    html! {
        <section class="panel clients" aria-label={lang.t(Msg::ClientsTitle)}>
            <h2>{ lang.t(Msg::ClientsTitle) }</h2>
            <div class="new-client">
                <label>{ lang.t(Msg::NewClient) }{ " " }
                    <select data-testid="new-client-server" onchange={on_new_server}>{ server_options(Some(*new_server)) }</select>
                </label>
                <button data-testid="add-client" onclick={add_client}>{ lang.t(Msg::AddClient) }</button>
            </div>
            if props.clients.is_empty() {
                <p class="hint">{ lang.t(Msg::NoClients) }</p>
            } else {
                <ul class="client-list">
                    { for props.clients.iter().map(|c| client_row(c, &props.servers, lang, &props.dispatcher)) }
                </ul>
            }
            <div class="console" data-testid="console">
                <ol class="console-log" aria-live="polite">
                    { for props.console.iter().map(|line| html! {
                        <li class={classes!(line.failed.then_some("failed"))}>
                            <div class="prompt"><span class="who">{ format!("[{}] ", line.entry.client) }</span><code>{ &line.entry.line }</code></div>
                            { match &line.output {
                                None => html! { <div class="output waiting">{ lang.t(Msg::AwaitingReply) }</div> },
                                Some(lines) => lines.iter().map(|l| html! { <div class="output">{ l }</div> }).collect::<Html>(),
                            } }
                        </li>
                    }) }
                </ol>
                if props.clients.is_empty() {
                    <p class="hint">{ lang.t(Msg::ConsoleNeedsClient) }</p>
                } else {
                    <form onsubmit={submit} class="console-form">
                        <label>{ lang.t(Msg::ConsoleFor) }{ " " }
                            <select data-testid="console-client" onchange={on_console_client}>
                                { for props.clients.iter().map(|c| html! {
                                    <option value={c.name.clone()} selected={props.console_client.as_deref() == Some(c.name.as_str())}>{ &c.name }</option>
                                }) }
                            </select>
                        </label>
                        <input ref={input} data-testid="console-input" type="text" spellcheck="false" autocomplete="off"
                               placeholder={lang.t(Msg::ConsolePlaceholder)} aria-label="zkCli" />
                        <button type="submit" data-testid="console-run">{ lang.t(Msg::Run) }</button>
                    </form>
                }
                if let Some(error) = &props.console_error {
                    <p class="problem" role="alert">{ error }</p>
                }
            </div>
        </section>
    }
}

fn client_row(
    c: &ClientView,
    servers: &[ServerId],
    lang: Lang,
    dispatcher: &UseReducerDispatcher<Model>,
) -> Html {
    let on_move = {
        let dispatcher = dispatcher.clone();
        let name = c.name.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(server) = select.value().parse() {
                dispatcher.dispatch(Action::Act(ViewerAction::MoveClient {
                    name: name.clone(),
                    server,
                }));
            }
        })
    };
    let disconnect = {
        let dispatcher = dispatcher.clone();
        let name = c.name.clone();
        Callback::from(move |_: MouseEvent| {
            dispatcher.dispatch(Action::Act(ViewerAction::Disconnect(name.clone())))
        })
    };
    let burst = {
        let dispatcher = dispatcher.clone();
        let client = c.name.clone();
        Callback::from(move |_: MouseEvent| {
            dispatcher.dispatch(Action::Act(ViewerAction::Burst {
                client: client.clone(),
                count: BURST,
            }))
        })
    };
    let watches = if c.watches.is_empty() {
        lang.t(Msg::NoWatches).to_string()
    } else {
        c.watches
            .iter()
            .map(|(path, kind)| format!("{path} ({kind})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let live = c.state == "CONNECTED" || c.state == "CONNECTING";
    html! {
        <li class={classes!("client", c.state.to_ascii_lowercase())} data-testid={format!("client-{}", c.name)} data-state={c.state.clone()}>
            <strong>{ &c.name }</strong>
            <span>{ c.server.map_or_else(|| lang.t(Msg::NotConnected).to_string(), |s| lang.fill(Msg::ConnectedTo, &[&s])) }</span>
            <span class="state">{ &c.state }</span>
            <span><code>{ format!("0x{:x}", c.session_id) }</code></span>
            <span>{ lang.fill(Msg::SessionTimeout, &[&c.timeout_ms]) }</span>
            if c.pending > 0 { <span>{ lang.fill(Msg::PendingRequests, &[&c.pending]) }</span> }
            <span class="watches">{ format!("{}: {}", lang.t(Msg::WatchesHeld), watches) }</span>
            if live {
                <label>{ lang.t(Msg::MoveTo) }{ " " }
                    <select onchange={on_move}>
                        { for servers.iter().map(|id| html! { <option value={id.to_string()} selected={Some(*id) == c.server}>{ id.to_string() }</option> }) }
                    </select>
                </label>
                <button data-testid={format!("burst-{}", c.name)} onclick={burst}>{ lang.fill(Msg::Burst, &[&BURST]) }</button>
                <button onclick={disconnect}>{ lang.t(Msg::Disconnect) }</button>
            }
        </li>
    }
}
