//! One server as a card: its id, whether it is up, which peers it hears, and crash/restart.

use crate::peer::Reach;
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
    let (state_name, state_class) = match status.reach {
        None if status.booting => ("BOOTING".to_string(), "booting"),
        None => ("DOWN".to_string(), "down"),
        Some(reach @ Reach::Quorum) => (reach.to_string(), "quorum"),
        Some(reach @ Reach::Minority) => (reach.to_string(), "minority"),
        Some(reach @ Reach::Alone) => (reach.to_string(), "alone"),
    };
    let hears = if status.peers_alive.is_empty() {
        "nobody".to_string()
    } else {
        status
            .peers_alive
            .iter()
            .map(|peer| format!("server {peer}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let dispatcher = props.dispatcher.clone();
    let crash = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Crash(id)));
    let dispatcher = props.dispatcher.clone();
    let restart = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Restart(id)));

    html! {
        <article
            class={classes!("server-card", state_class)}
            data-testid={format!("server-{id}")}
            data-state={if status.up { "up" } else if status.booting { "booting" } else { "down" }}
            data-reach={state_name.clone()}
        >
            <header>
                <h2>{ format!("Server {id}") }</h2>
                <span class="state-chip">{ state_name }</span>
            </header>
            <dl>
                <dt>{ "myid" }</dt><dd>{ id }</dd>
                <dt>{ "hears" }</dt><dd data-testid={format!("hears-{id}")}>{ hears }</dd>
                <dt>{ "hellos sent" }</dt><dd>{ status.hellos_sent }</dd>
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
