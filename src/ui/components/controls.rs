//! The transport bar: play, pause, step, step back, speed, the timeline scrubber (drag to
//! rewind), the clock and the run's fingerprint.

use crate::i18n::{Lang, Msg};
use crate::time::VirtualTime;
use crate::ui::state::{Action, Model, SPEEDS};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub playing: bool,
    pub speed: usize,
    pub now: VirtualTime,
    pub horizon: VirtualTime,
    pub rewound: bool,
    pub next_event: Option<VirtualTime>,
    pub trace_hash: u64,
    pub seed: u64,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let lang = props.lang;
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
    let on_scrub = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Ok(ms) = input.value().parse() {
                dispatcher.dispatch(Action::SeekTime(ms));
            }
        })
    };
    let next_event = match props.next_event {
        Some(at) => lang.fill(Msg::NextEventAt, &[&at]),
        None => lang.t(Msg::NothingScheduled).to_string(),
    };
    let end = props.horizon.max(props.now).as_millis();

    html! {
        <section class="controls" aria-label="controls">
            if props.playing {
                <button class="primary" data-testid="pause" onclick={send(|| Action::Pause)}>{ lang.t(Msg::Pause) }</button>
            } else {
                <button class="primary" data-testid="play" onclick={send(|| Action::Play)}>{ lang.t(Msg::Play) }</button>
            }
            <button data-testid="step-back" onclick={send(|| Action::StepBack)} title={lang.t(Msg::StepBackTitle)}>{ lang.t(Msg::StepBack) }</button>
            <button data-testid="step" onclick={send(|| Action::Step)} title={lang.t(Msg::StepTitle)}>{ lang.t(Msg::Step) }</button>
            <button data-testid="advance" onclick={send(|| Action::Advance(1000))}>{ "+1 s" }</button>
            <label class="speed">{ lang.t(Msg::Speed) }{ " " }
                <select data-testid="speed" onchange={on_speed}>
                    { for SPEEDS.iter().enumerate().map(|(i, &(_, label))| html! {
                        <option value={i.to_string()} selected={i == props.speed}>{ label }</option>
                    }) }
                </select>
            </label>
            <span class="clock" data-testid="clock" data-millis={props.now.as_millis().to_string()}>
                { lang.fill(Msg::Clock, &[&props.now]) }
            </span>
            <label class="scrubber" title={lang.t(Msg::TimelineScrubber)}>
                <span class="visually-hidden">{ lang.t(Msg::TimelineScrubber) }</span>
                <input type="range" data-testid="scrubber" min="0" max={end.to_string()} step="1"
                       value={props.now.as_millis().to_string()} oninput={on_scrub} />
            </label>
            <span class="next-event">{ next_event }</span>
            <span class="fingerprint" title={lang.t(Msg::SeedHashTitle)}>
                { lang.fill(Msg::SeedHash, &[&props.seed, &""]) }
                <code data-testid="trace-hash">{ format!("{:016x}", props.trace_hash) }</code>
            </span>
            if props.rewound {
                <p class="rewound" data-testid="rewound">{ lang.t(Msg::Rewound) }</p>
            }
        </section>
    }
}
