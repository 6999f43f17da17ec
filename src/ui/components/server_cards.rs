//! One compact card per server under the drawing: role, phase, epochs, zxids, vote, and the
//! buttons that crash, restart, pause and resume it.

use super::cluster::{role_class, role_label};
use crate::i18n::{phase_name, role_name, Lang, Msg};
use crate::play::action::ViewerAction;
use crate::sim::ServerStatus;
use crate::ui::state::{Action, Model};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ServerCardsProps {
    pub servers: Vec<ServerStatus>,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

#[function_component(ServerCards)]
pub fn server_cards(props: &ServerCardsProps) -> Html {
    let lang = props.lang;
    let room = (props.servers.len() as u64) < crate::sim::MAX_SERVERS;
    html! {
        <div class="server-cards">
            { for props.servers.iter().map(|status| card(status, lang, &props.dispatcher)) }
            if room {
                <article class="server-card add-observer">
                    <button data-testid="add-observer" title={lang.t(Msg::AddObserverHint)}
                            onclick={act(&props.dispatcher, ViewerAction::AddObserver)}>{ lang.t(Msg::AddObserver) }</button>
                    <p class="hint">{ lang.t(Msg::AddObserverHint) }</p>
                </article>
            }
        </div>
    }
}

fn act(dispatcher: &UseReducerDispatcher<Model>, action: ViewerAction) -> Callback<MouseEvent> {
    let dispatcher = dispatcher.clone();
    Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Act(action.clone())))
}

fn card(status: &ServerStatus, lang: Lang, dispatcher: &UseReducerDispatcher<Model>) -> Html {
    let id = status.id;
    let role = match status.state {
        Some(state) => role_name(lang, state).to_string(),
        None if status.booting => lang.t(Msg::RoleBooting).to_string(),
        None => lang.t(Msg::RoleDown).to_string(),
    };
    let phase = status.phase.map_or("-", |p| phase_name(lang, p));
    let vote = status.vote.map_or("-".to_string(), |v| {
        lang.fill(Msg::VoteLine, &[&v, &status.election_round])
    });
    html! {
        <article class={classes!("server-card", role_class(status), status.observer.then_some("observer"))}
                 data-testid={format!("server-card-{id}")} data-role={role_label(status)}
                 data-state={if status.up { "up" } else if status.booting { "booting" } else { "down" }}>
            <header>
                <h3>{ lang.fill(Msg::ServerName, &[&id]) }
                    if status.observer { <small>{ format!(" · {}", lang.t(Msg::ObserverTag)) }</small> }
                </h3>
                <span class="state-chip">{ role }</span>
                if status.paused { <span class="state-chip paused">{ lang.t(Msg::PausedTag) }</span> }
            </header>
            <dl>
                <dt>{ lang.t(Msg::Phase) }</dt><dd>{ phase }</dd>
                <dt>{ lang.t(Msg::Epoch) }</dt>
                <dd>{ lang.fill(Msg::EpochLine, &[&status.current_epoch, &status.accepted_epoch]) }</dd>
                <dt>{ lang.t(Msg::LastLogged) }</dt><dd>{ status.last_logged.to_string() }</dd>
                <dt>{ lang.t(Msg::Committed) }</dt><dd>{ status.committed.to_string() }</dd>
                <dt>{ lang.t(Msg::Vote) }</dt><dd data-testid={format!("vote-{id}")}>{ vote }</dd>
                <dt>{ lang.t(Msg::Boots) }</dt><dd>{ status.boots }</dd>
            </dl>
            if !status.pending_disk.is_empty() {
                <p class="disk">{ lang.fill(Msg::DiskBusy, &[&disk_steps(status)]) }</p>
            }
            <footer>
                if status.up {
                    <button class="danger" data-testid={format!("crash-{id}")} onclick={act(dispatcher, ViewerAction::Crash(id))}>{ lang.t(Msg::Crash) }</button>
                    if status.paused {
                        <button data-testid={format!("resume-{id}")} onclick={act(dispatcher, ViewerAction::Resume(id))}>{ lang.t(Msg::ResumeServer) }</button>
                    } else {
                        <button data-testid={format!("pause-{id}")} onclick={act(dispatcher, ViewerAction::Pause(id))}>{ lang.t(Msg::PauseServer) }</button>
                    }
                } else if status.booting {
                    <span class="hint">{ lang.t(Msg::Starting) }</span>
                } else {
                    <button data-testid={format!("restart-{id}")} onclick={act(dispatcher, ViewerAction::Restart(id))}>{ lang.t(Msg::Restart) }</button>
                }
            </footer>
        </article>
    }
}

fn disk_steps(status: &ServerStatus) -> String {
    status
        .pending_disk
        .iter()
        .map(|kind| format!("{kind:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
