//! The manual mode's list: what can happen next, in order; any of it can be taken next, and
//! a message in flight can be dropped.

use crate::i18n::{describe_pending, Lang, Msg};
use crate::play::action::ViewerAction;
use crate::sim::PendingEvent;
use crate::ui::state::{Action, Model};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NextEventsProps {
    pub events: Vec<PendingEvent>,
    /// How many there are in all (only the first few are listed).
    pub total: usize,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

#[function_component(NextEvents)]
pub fn next_events(props: &NextEventsProps) -> Html {
    let lang = props.lang;
    html! {
        <section class="panel next-events" data-testid="next-events" aria-label={lang.t(Msg::NextEventsTitle)}>
            <h2>{ lang.t(Msg::NextEventsTitle) }</h2>
            <ol>
                { for props.events.iter().enumerate().map(|(i, event)| {
                    let key = event.key;
                    let take = {
                        let dispatcher = props.dispatcher.clone();
                        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Act(ViewerAction::Take(key))))
                    };
                    let drop = {
                        let dispatcher = props.dispatcher.clone();
                        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Act(ViewerAction::Drop(key))))
                    };
                    html! {
                        <li class={classes!("pending", event.kind)} data-kind={event.kind}>
                            <span class="at">{ key.0.to_string() }</span>
                            <span class="what">{ describe_pending(lang, &event.what) }</span>
                            if i > 0 {
                                <button class="small" data-testid="take-event" onclick={take}>{ lang.t(Msg::Take) }</button>
                            }
                            if event.droppable {
                                <button class="small danger" onclick={drop}>{ lang.t(Msg::Drop) }</button>
                            }
                        </li>
                    }
                }) }
            </ol>
            if props.total > props.events.len() {
                <p class="hint">{ lang.fill(Msg::MoreEvents, &[&(props.total - props.events.len())]) }</p>
            }
        </section>
    }
}
