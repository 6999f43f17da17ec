//! Keys: space plays or pauses, → steps, ← steps back, N runs the scenario's next part.
//! Ignored while typing in a field (the console, the settings).

use super::state::{Action, Model};
use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[hook]
pub fn use_keyboard(dispatcher: UseReducerDispatcher<Model>) {
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|window| {
            EventListener::new(&window, "keydown", move |event| {
                let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                let typing = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|e| {
                        matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    });
                if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let action = match event.key().as_str() {
                    " " => Action::TogglePlay,
                    "ArrowRight" => Action::Step,
                    "ArrowLeft" => Action::StepBack,
                    "n" | "N" => Action::ScenarioNext,
                    _ => return,
                };
                event.prevent_default();
                dispatcher.dispatch(action);
            })
        });
        move || drop(listener)
    });
}
