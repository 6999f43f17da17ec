//! The latest trace events, newest first.

use crate::peer::trace::{TraceEvent, TraceKind};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub events: Vec<TraceEvent>,
    /// How many events the whole run has produced.
    pub total: usize,
}

fn kind_class(kind: &TraceKind) -> &'static str {
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

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    html! {
        <section class="timeline" data-testid="timeline" aria-label="event log">
            <h2>{ format!("Events ({} in all, latest first)", props.total) }</h2>
            <ol reversed=true>
                { for props.events.iter().rev().map(|event| html! {
                    <li class={kind_class(&event.kind)}>{ event.to_string() }</li>
                }) }
            </ol>
        </section>
    }
}
