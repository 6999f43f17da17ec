//! The root component: builds the simulation from the page address and lays out the panels.

use super::components::{controls::Controls, server_card::ServerCard, timeline::Timeline};
use super::state::{Action, ClusterState, FRAME_MS};
use super::url::current_query;
use crate::sim::link::config_from_query;
use crate::sim::Simulation;
use gloo::timers::callback::Interval;
use yew::prelude::*;

/// How many of the latest trace events the timeline shows.
const TIMELINE_LENGTH: usize = 40;

fn initial_state() -> ClusterState {
    let (config, problems) = config_from_query(&current_query());
    let sim = Simulation::new(config).expect("config_from_query returns only valid configs");
    ClusterState::new(sim, problems)
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(initial_state);

    // The play loop: while playing, advance virtual time every frame.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.playing, move |&playing| {
            let interval = playing
                .then(|| Interval::new(FRAME_MS, move || dispatcher.dispatch(Action::Frame)));
            move || drop(interval)
        });
    }

    let sim = state.sim.borrow();
    let config = sim.config();
    let servers = sim.servers();
    let trace = sim.trace();
    let recent = trace[trace.len().saturating_sub(TIMELINE_LENGTH)..].to_vec();
    let quorum = config.servers / 2 + 1;

    html! {
        <main class="app">
            <header class="masthead">
                <h1>{ "zooscope" }</h1>
                <p class="tagline">{ "A ZooKeeper you can watch think." }</p>
            </header>
            { for state.problems.iter().map(|p| html! {
                <p class="problem" data-testid="problem" role="alert">{ p }</p>
            }) }
            <Controls
                playing={state.playing}
                speed={state.speed}
                now={sim.now()}
                next_event={sim.next_event_at()}
                trace_hash={sim.trace_hash()}
                seed={config.seed}
                dispatcher={state.dispatcher()}
            />
            <section class="explainer">
                <p>
                    { format!(
                        "{} servers start LOOKING and vote for themselves; a better vote (higher epoch, \
                         then zxid, then myid) wins them over, and {} votes make a leader, who then \
                         establishes a new epoch with its followers. Crash the leader and watch the others \
                         elect another (tick {} ms).",
                        config.servers, quorum, config.tick_ms
                    ) }
                </p>
            </section>
            <section class="cluster" data-testid="cluster" aria-label="servers">
                { for servers.into_iter().map(|status| {
                    let id = status.id;
                    html! { <ServerCard key={id} {status} dispatcher={state.dispatcher()} /> }
                }) }
            </section>
            <Timeline events={recent} total={trace.len()} />
        </main>
    }
}
