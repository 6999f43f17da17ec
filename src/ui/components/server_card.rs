//! One server as a card: its role, epochs, zxids, its current vote, and crash/restart.

use crate::peer::message::PeerState;
use crate::sim::ServerStatus;
use crate::ui::state::{Action, ClusterState};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ServerCardProps {
    pub status: ServerStatus,
    pub dispatcher: UseReducerDispatcher<ClusterState>,
}

#[function_component(ServerCard)]
pub fn server_card(props: &ServerCardProps) -> Html {
    let status = &props.status;
    let id = status.id;
    let (role, role_class) = match status.state {
        None if status.booting => ("BOOTING".to_string(), "booting"),
        None => ("DOWN".to_string(), "down"),
        Some(state) => (
            state.to_string(),
            match state {
                PeerState::Leading => "leading",
                PeerState::Following => "following",
                PeerState::Observing => "observing",
                PeerState::Looking => "looking",
            },
        ),
    };
    let phase = status.phase.map_or("-".to_string(), |p| p.to_string());
    let vote = status.vote.map_or("-".to_string(), |v| v.to_string());
    let dispatcher = props.dispatcher.clone();
    let crash = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Crash(id)));
    let dispatcher = props.dispatcher.clone();
    let restart = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Restart(id)));

    html! {
        <article
            class={classes!("server-card", role_class, status.observer.then_some("observer"))}
            data-testid={format!("server-{id}")}
            data-state={if status.up { "up" } else if status.booting { "booting" } else { "down" }}
            data-role={role.clone()}
            data-epoch={status.current_epoch.to_string()}
            data-zxid={status.last_logged.to_string()}
        >
            <header>
                <h2>{ format!("Server {id}") }{ if status.observer { " (observer)" } else { "" } }</h2>
                <span class="state-chip">{ role }</span>
            </header>
            <dl>
                <dt>{ "phase" }</dt><dd>{ phase }</dd>
                <dt>{ "epoch" }</dt>
                <dd>{ format!("{} (accepted {})", status.current_epoch, status.accepted_epoch) }</dd>
                <dt>{ "last logged" }</dt><dd>{ status.last_logged.to_string() }</dd>
                <dt>{ "committed" }</dt><dd>{ status.committed.to_string() }</dd>
                <dt>{ "vote" }</dt>
                <dd data-testid={format!("vote-{id}")}>
                    { format!("{vote}, round {}", status.election_round) }
                </dd>
                <dt>{ "boots" }</dt><dd>{ status.boots }</dd>
            </dl>
            <footer>
                if status.up {
                    <button class="danger" data-testid={format!("crash-{id}")} onclick={crash}>{ "Crash" }</button>
                } else if status.booting {
                    <span class="hint">{ "starting…" }</span>
                } else {
                    <button data-testid={format!("restart-{id}")} onclick={restart}>{ "Restart" }</button>
                }
            </footer>
        </article>
    }
}
