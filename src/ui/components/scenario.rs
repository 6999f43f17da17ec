//! Scenarios: the picker (shipped lessons or a file from disk), the narration so far, the
//! open question with its choices, and answers explained once the outcome has played.

use crate::i18n::{Lang, Msg};
use crate::play::{Answer, Narration};
use crate::scenario::ast::Question;
use crate::scenario::library;
use crate::scenario::run::Shown;
use crate::ui::state::{Action, Model};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What the scenario panel shows, taken from the playback (the default: no scenario).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScenarioView {
    /// The followed (or left) scenario's name and title.
    pub name: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// Narration revealed so far (the display has reached it).
    pub narration: Vec<Narration>,
    /// Open, and the display has caught up to it.
    pub question: Option<Question>,
    /// Answers whose outcome has played.
    pub answers: Vec<Answer>,
    pub can_continue: bool,
    /// Answered, and the outcome is still playing.
    pub awaiting_reveal: bool,
    pub catching_up: bool,
    pub finished: bool,
    pub failure: Option<String>,
    /// Left for free play.
    pub left: bool,
}

#[derive(Properties, PartialEq)]
pub struct ScenarioPanelProps {
    pub view: ScenarioView,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

#[function_component(ScenarioPanel)]
pub fn scenario_panel(props: &ScenarioPanelProps) -> Html {
    let lang = props.lang;
    let view = &props.view;
    let on_select = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let Some(shipped) = library::find(&select.value()) else {
                dispatcher.dispatch(Action::LoadScenario(None));
                return;
            };
            // The files are not compiled in: fetched from beside the page when picked.
            let dispatcher = dispatcher.clone();
            yew::platform::spawn_local(async move {
                let scenario =
                    crate::ui::url::fetch_scenario(shipped.name)
                        .await
                        .and_then(|text| {
                            crate::scenario::parse(shipped.name, &text)
                                .map_err(|e| format!("scenario {}: {e}", shipped.name))
                        });
                match scenario {
                    Ok(scenario) => {
                        dispatcher.dispatch(Action::LoadScenario(Some(Box::new(scenario))))
                    }
                    Err(problem) => dispatcher.dispatch(Action::Problem(problem)),
                }
            });
        })
    };
    let on_file = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let dispatcher = dispatcher.clone();
            yew::platform::spawn_local(async move {
                let name = file.name();
                let stem = name.trim_end_matches(".scenario").to_string();
                let text = JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default();
                match crate::scenario::parse(&stem, &text) {
                    Ok(scenario) => {
                        dispatcher.dispatch(Action::LoadScenario(Some(Box::new(scenario))))
                    }
                    Err(e) => {
                        dispatcher.dispatch(Action::Problem(lang.fill(Msg::FileProblem, &[&e])))
                    }
                }
            });
        })
    };
    let next = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::ScenarioNext))
    };
    let shipped = library::shipped();
    let latest = view
        .narration
        .iter()
        .rev()
        .find(|n| matches!(n.shown, Shown::Say(_)));
    html! {
        <section class="scenario-bar" aria-label={lang.t(Msg::Scenario)}>
            <div class="picker">
                <label>{ lang.t(Msg::Scenario) }{ " " }
                    <select data-testid="scenario-select" onchange={on_select}>
                        <option value="" selected={view.name.is_none() || view.left}>{ lang.t(Msg::FreePlay) }</option>
                        { for shipped.iter().map(|s| {
                            let title = if lang == Lang::Zh { s.title_zh } else { s.title_en };
                            html! { <option value={s.name} selected={view.name.as_deref() == Some(s.name) && !view.left}>{ title }</option> }
                        }) }
                    </select>
                </label>
                <label class="file">{ lang.t(Msg::LoadScenarioFile) }
                    <input type="file" accept=".scenario,.txt" data-testid="scenario-file" onchange={on_file} />
                </label>
            </div>
            if let (Some(title), false) = (&view.title, view.left) {
                <div class="narration" data-testid="narration" data-steps={view.narration.len().to_string()}>
                    <h2>{ title }</h2>
                    if view.narration.is_empty() {
                        if let Some(summary) = &view.summary { <p class="summary">{ summary }</p> }
                        <p class="hint">{ lang.t(Msg::StartScenarioHint) }</p>
                    }
                    if let Some(n) = latest {
                        if let Shown::Say(text) = &n.shown { <p class="say">{ lang.pick(text) }</p> }
                    }
                    { for view.answers.last().map(|a| answer(a, lang)) }
                    if view.awaiting_reveal { <p class="hint">{ lang.t(Msg::WatchOutcome) }</p> }
                    if let Some(q) = &view.question { { question(q, lang, &props.dispatcher) } }
                    <div class="scenario-actions">
                        <button data-testid="scenario-next" class="primary" onclick={next} disabled={!view.can_continue}
                                title={lang.t(Msg::NextTitle)}>{ lang.t(Msg::Next) }</button>
                        if view.catching_up { <span class="hint">{ lang.t(Msg::Catching) }</span> }
                        if view.finished && view.failure.is_none() { <span class="done">{ lang.t(Msg::ScenarioDone) }</span> }
                        if let Some(failure) = &view.failure { <span class="problem">{ lang.fill(Msg::ScenarioFailed, &[failure]) }</span> }
                    </div>
                    <details class="steps">
                        <summary>{ format!("{} · {}", lang.t(Msg::Scenario), view.narration.len()) }</summary>
                        <ol>
                            { for view.narration.iter().map(|n| html! { <li>{ shown_text(&n.shown, lang) }</li> }) }
                        </ol>
                    </details>
                </div>
            }
            if view.left {
                <p class="narration left" data-testid="narration">{ lang.fill(Msg::LeftScenario, &[&view.title.clone().unwrap_or_default()]) }</p>
            }
        </section>
    }
}

fn shown_text(shown: &Shown, lang: Lang) -> String {
    match shown {
        Shown::Say(text) => lang.pick(text).to_string(),
        Shown::Question(q) => format!("{}: {}", lang.t(Msg::Question), lang.pick(&q.ask)),
        Shown::Did(text) => lang.fill(Msg::DidStep, &[text]),
        Shown::Held(text) => lang.fill(Msg::HeldStep, &[text]),
    }
}

fn choice_label(q: &Question, key: &str, lang: Lang) -> String {
    q.choices
        .iter()
        .find(|(k, _)| k == key)
        .map_or_else(|| key.to_string(), |(_, text)| lang.pick(text).to_string())
}

fn question(q: &Question, lang: Lang, dispatcher: &UseReducerDispatcher<Model>) -> Html {
    html! {
        <div class="question" data-testid="question">
            <h3>{ lang.t(Msg::Question) }</h3>
            <p>{ lang.pick(&q.ask) }</p>
            <p class="hint">{ lang.t(Msg::AnswerPrompt) }</p>
            <div class="choices">
                { for q.choices.iter().map(|(key, text)| {
                    let dispatcher = dispatcher.clone();
                    let choice = key.clone();
                    let onclick = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Answer(choice.clone())));
                    html! { <button data-testid={format!("choice-{key}")} {onclick}>{ lang.pick(text) }</button> }
                }) }
            </div>
        </div>
    }
}

fn answer(a: &Answer, lang: Lang) -> Html {
    let right = choice_label(&a.question, &a.question.answer, lang);
    let verdict = match &a.chosen {
        Some(chosen) if *chosen == a.question.answer => lang.t(Msg::Correct).to_string(),
        Some(_) => lang.fill(Msg::Wrong, &[&right]),
        None => lang.fill(Msg::NotAnswered, &[&right]),
    };
    html! {
        <div class="answer" data-testid="answer">
            <p class="ask">{ lang.pick(&a.question.ask) }</p>
            <p class="verdict"><strong>{ verdict }</strong></p>
            <p class="explain">{ lang.pick(&a.question.explain) }</p>
        </div>
    }
}
