//! What is selected in the drawing: a link (cut or heal it, one way or both) or a message
//! (its fields, and a button that drops it).

use crate::i18n::{Lang, Msg};
use crate::peer::message::ServerId;
use crate::play::action::ViewerAction;
use crate::ui::state::{Action, MessageRef, Model};
use crate::viz::flight::{FlightState, MessageInFlight};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub link: Option<(ServerId, ServerId)>,
    pub cut: Vec<(ServerId, ServerId)>,
    /// The selected message, if it is still in flight.
    pub message: Option<MessageInFlight>,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

fn dispatch(
    dispatcher: &UseReducerDispatcher<Model>,
    action: impl Fn() -> Action + 'static,
) -> Callback<MouseEvent> {
    let dispatcher = dispatcher.clone();
    Callback::from(move |_: MouseEvent| dispatcher.dispatch(action()))
}

#[function_component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    let lang = props.lang;
    let d = &props.dispatcher;
    let link = props.link.map(|(a, b)| {
        let ab = props.cut.contains(&(a, b));
        let ba = props.cut.contains(&(b, a));
        let state = match (ab, ba) {
            (false, false) => lang.t(Msg::LinkOk).to_string(),
            (true, true) => lang.fill(Msg::LinkCutState, &[&format!("{a} ⇄ {b}")]),
            (true, false) => lang.fill(Msg::LinkCutState, &[&format!("{a} → {b}")]),
            (false, true) => lang.fill(Msg::LinkCutState, &[&format!("{b} → {a}")]),
        };
        let cut = move |from, to, both_ways| move || Action::Act(ViewerAction::Cut { from, to, both_ways });
        html! {
            <div class="inspector-link" data-testid="link-inspector">
                <h3>{ lang.fill(Msg::LinkTitle, &[&a, &b]) }</h3>
                <p>{ state }</p>
                <div class="buttons">
                    <button class="danger" data-testid="cut-both" onclick={dispatch(d, cut(a, b, true))}>{ lang.t(Msg::CutBoth) }</button>
                    <button class="danger" data-testid="cut-forward" onclick={dispatch(d, cut(a, b, false))}>{ lang.fill(Msg::CutOneWay, &[&a, &b]) }</button>
                    <button class="danger" data-testid="cut-backward" onclick={dispatch(d, cut(b, a, false))}>{ lang.fill(Msg::CutOneWay, &[&b, &a]) }</button>
                    <button data-testid="heal" onclick={dispatch(d, move || Action::Act(ViewerAction::Heal { from: a, to: b, both_ways: true }))}>{ lang.t(Msg::Heal) }</button>
                    <button onclick={dispatch(d, || Action::SelectLink(None))}>{ lang.t(Msg::Close) }</button>
                </div>
            </div>
        }
    });
    let message = props.message.as_ref().map(|m| {
        let key = m.key;
        html! {
            <div class={classes!("inspector-message", m.family.name())} data-testid="message-inspector">
                <h3><span class="swatch"></span>{ lang.fill(Msg::MessageTitle, &[&m.kind, &m.from, &m.to]) }</h3>
                <p class="summary">{ &m.summary }</p>
                if m.state == FlightState::Held { <p class="hint">{ lang.t(Msg::MessageHeld) }</p> }
                if m.state == FlightState::Stalled { <p class="hint">{ lang.t(Msg::MessageStalled) }</p> }
                <dl>
                    { for m.fields.iter().map(|(name, value)| html! { <><dt>{ name }</dt><dd>{ value }</dd></> }) }
                </dl>
                <div class="buttons">
                    if let Some(key) = key {
                        <button class="danger" data-testid="drop-message" onclick={dispatch(d, move || Action::Act(ViewerAction::Drop(key)))}>{ lang.t(Msg::DropMessage) }</button>
                        <button data-testid="delay-message" title={lang.t(Msg::DelayMessageHint)}
                                onclick={dispatch(d, move || Action::Act(ViewerAction::Delay { key, ms: 1000 }))}>{ lang.t(Msg::DelayMessage) }</button>
                    }
                    <button onclick={dispatch(d, || Action::SelectMessage(None))}>{ lang.t(Msg::Close) }</button>
                </div>
            </div>
        }
    });
    let any_cut = !props.cut.is_empty();
    html! {
        <section class="inspector" aria-live="polite">
            if link.is_none() && message.is_none() {
                <p class="hint">{ lang.t(Msg::LinkHint) }{ " " }{ lang.t(Msg::MessageHint) }</p>
            }
            { for link }
            { for message }
            if any_cut {
                <button data-testid="heal-all" onclick={dispatch(d, || Action::Act(ViewerAction::HealAll))}>{ lang.t(Msg::HealAll) }</button>
            }
        </section>
    }
}

/// Finds the selected message again among those in flight.
pub fn find_selected(
    messages: &[MessageInFlight],
    selected: Option<&MessageRef>,
) -> Option<MessageInFlight> {
    let selected = selected?;
    messages
        .iter()
        .find(|m| {
            m.from == selected.from
                && m.to == selected.to
                && m.sent_at == selected.sent_at
                && m.kind == selected.kind
        })
        .cloned()
}
