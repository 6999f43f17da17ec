//! The event log of the trace, newest first, filterable by server and kind.

use crate::i18n::{describe_trace, Lang, Msg};
use crate::peer::message::ServerId;
use crate::peer::trace::{TraceEvent, TraceKind};
use crate::ui::state::{Action, Model, TraceGroup};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// (place in the trace, event), oldest first.
    pub events: Vec<(usize, TraceEvent)>,
    /// How many events the whole run has produced.
    pub total: usize,
    pub servers: Vec<ServerId>,
    pub filter_server: Option<ServerId>,
    pub filter_group: Option<TraceGroup>,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

pub fn group_of(kind: &TraceKind) -> TraceGroup {
    match kind {
        TraceKind::ElectionStarted { .. }
        | TraceKind::VoteChanged { .. }
        | TraceKind::Finalizing { .. }
        | TraceKind::ElectionDecided { .. }
        | TraceKind::StateChanged { .. } => TraceGroup::Election,
        TraceKind::Booted { .. }
        | TraceKind::Crashed
        | TraceKind::Paused
        | TraceKind::Resumed
        | TraceKind::MessageLost { .. }
        | TraceKind::Violation { .. }
        | TraceKind::Note { .. }
        | TraceKind::ObserverAdded { .. } => TraceGroup::Faults,
        TraceKind::DiskDone { .. } | TraceKind::Logged { .. } | TraceKind::SnapshotTaken { .. } => {
            TraceGroup::Disk
        }
        TraceKind::Client { .. } => TraceGroup::Clients,
        _ => TraceGroup::Zab,
    }
}

fn tone(kind: &TraceKind) -> &'static str {
    match kind {
        TraceKind::Booted { .. }
        | TraceKind::LeaderEstablished { .. }
        | TraceKind::ElectionDecided { .. }
        | TraceKind::Resumed => "good",
        TraceKind::Crashed
        | TraceKind::MessageLost { .. }
        | TraceKind::LeaderGaveUp { .. }
        | TraceKind::LeftLeader { .. }
        | TraceKind::LearnerDropped { .. }
        | TraceKind::Violation { .. }
        | TraceKind::Paused => "bad",
        TraceKind::StateChanged { .. }
        | TraceKind::VoteChanged { .. }
        | TraceKind::SyncChosen { .. }
        | TraceKind::Truncated { .. }
        | TraceKind::Committed { .. } => "notice",
        _ => "quiet",
    }
}

const GROUPS: [(TraceGroup, Msg); 5] = [
    (TraceGroup::Election, Msg::KindElection),
    (TraceGroup::Zab, Msg::KindZab),
    (TraceGroup::Disk, Msg::KindDisk),
    (TraceGroup::Faults, Msg::KindFaults),
    (TraceGroup::Clients, Msg::KindClients),
];

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let lang = props.lang;
    let on_server = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            dispatcher.dispatch(Action::FilterServer(select.value().parse().ok()));
        })
    };
    let on_group = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let group = select
                .value()
                .parse::<usize>()
                .ok()
                .and_then(|i| GROUPS.get(i))
                .map(|g| g.0);
            dispatcher.dispatch(Action::FilterGroup(group));
        })
    };
    let go_back_to = |at: u64| {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| {
            dispatcher.dispatch(Action::Pause);
            dispatcher.dispatch(Action::SeekTime(at));
        })
    };
    let go_back_hint = lang.t(Msg::TimelineSeekHint);
    html! {
        <section class="panel timeline" data-testid="timeline" aria-label={lang.fill(Msg::TimelineTitle, &[&props.total])}>
            <h2>{ lang.fill(Msg::TimelineTitle, &[&props.total]) }</h2>
            <div class="filters">
                <label>{ lang.t(Msg::FilterServer) }{ " " }
                    <select data-testid="filter-server" onchange={on_server}>
                        <option value="" selected={props.filter_server.is_none()}>{ lang.t(Msg::All) }</option>
                        { for props.servers.iter().map(|id| html! {
                            <option value={id.to_string()} selected={props.filter_server == Some(*id)}>{ id.to_string() }</option>
                        }) }
                    </select>
                </label>
                <label>{ lang.t(Msg::FilterKind) }{ " " }
                    <select data-testid="filter-kind" onchange={on_group}>
                        <option value="" selected={props.filter_group.is_none()}>{ lang.t(Msg::All) }</option>
                        { for GROUPS.iter().enumerate().map(|(i, (group, msg))| html! {
                            <option value={i.to_string()} selected={props.filter_group == Some(*group)}>{ lang.t(*msg) }</option>
                        }) }
                    </select>
                </label>
            </div>
            if props.events.is_empty() {
                <p class="hint">{ lang.t(Msg::NoEvents) }</p>
            }
            <ol reversed=true>
                { for props.events.iter().rev().map(|(index, event)| html! {
                    <li key={*index} class={tone(&event.kind)} data-server={event.server.to_string()}
                        data-at={event.at.as_millis().to_string()} title={go_back_hint}
                        onclick={go_back_to(event.at.as_millis())}>
                        <span class="at">{ event.at.to_string() }</span>
                        <span class="who">{ if event.server == 0 { String::new() } else { lang.fill(Msg::TraceServerPrefix, &[&event.server]) } }</span>
                        <span class="what">{ describe_trace(lang, event) }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
