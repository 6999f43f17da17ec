//! Play, pause, step and speed: the transport bar of the simulation.

use crate::time::VirtualTime;
use crate::ui::state::{Action, ClusterState, SPEEDS};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub playing: bool,
    pub speed: u64,
    pub now: VirtualTime,
    pub next_event: Option<VirtualTime>,
    pub trace_hash: u64,
    pub seed: u64,
    pub dispatcher: UseReducerDispatcher<ClusterState>,
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let send = |action: fn() -> Action| {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(action()))
    };
    let on_speed = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(speed) = select.value().parse() {
                dispatcher.dispatch(Action::SetSpeed(speed));
            }
        })
    };
    let next_event = match props.next_event {
        Some(at) => format!("next event at {at}"),
        None => "nothing scheduled".to_string(),
    };

    html! {
        <section class="controls" aria-label="simulation controls">
            if props.playing {
                <button data-testid="pause" onclick={send(|| Action::Pause)}>{ "⏸ Pause" }</button>
            } else {
                <button data-testid="play" onclick={send(|| Action::Play)}>{ "▶ Play" }</button>
            }
            <button data-testid="step" onclick={send(|| Action::Step)} title="Carry out the next scheduled event">
                { "Step" }
            </button>
            <button data-testid="advance" onclick={send(|| Action::Advance { millis: 1000 })}>
                { "+1 s" }
            </button>
            <label class="speed">
                { "Speed " }
                <select data-testid="speed" onchange={on_speed}>
                    { for SPEEDS.iter().map(|&(value, label)| html! {
                        <option value={value.to_string()} selected={value == props.speed}>{ label }</option>
                    }) }
                </select>
            </label>
            <span class="clock" data-testid="clock" data-millis={props.now.as_millis().to_string()}>
                { format!("t = {}", props.now) }
            </span>
            <span class="next-event">{ next_event }</span>
            <span class="fingerprint" title="Same seed, same trace: compare with `zooscope sim --seed N`">
                { format!("seed {} · trace ", props.seed) }
                <code data-testid="trace-hash">{ format!("{:016x}", props.trace_hash) }</code>
            </span>
        </section>
    }
}
