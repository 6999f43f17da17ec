//! The fair-lock recipe's queues: children in order, the holder, and who watches whom.

use crate::i18n::{Lang, Msg};
use crate::viz::locks::LockQueue;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LockQueuesProps {
    pub queues: Vec<LockQueue>,
    pub lang: Lang,
}

#[function_component(LockQueues)]
pub fn lock_queues(props: &LockQueuesProps) -> Html {
    let lang = props.lang;
    html! {
        <section class="panel locks" data-testid="lock-queue" aria-label={lang.t(Msg::LocksTitle)}>
            <h2>{ lang.t(Msg::LocksTitle) }</h2>
            if props.queues.is_empty() {
                <p class="hint">{ lang.t(Msg::NoLocks) }</p>
            }
            { for props.queues.iter().map(|queue| html! {
                <div class="lock" data-path={queue.path.clone()}
                     data-holder={queue.entries.iter().find(|e| e.holder).and_then(|e| e.client.clone()).unwrap_or_default()}>
                    <h3><code>{ &queue.path }</code></h3>
                    <ol class="queue">
                        { for queue.entries.iter().map(|entry| {
                            let who = entry.client.clone().unwrap_or_else(|| lang.fill(Msg::SessionOf, &[&format!("0x{:x}", entry.session)]));
                            let status = if entry.holder {
                                lang.t(Msg::Holder).to_string()
                            } else if entry.herd {
                                lang.t(Msg::HerdTag).to_string()
                            } else if let Some(watching) = &entry.watching {
                                lang.fill(Msg::WaitsWatching, &[watching])
                            } else {
                                lang.t(Msg::Waits).to_string()
                            };
                            html! {
                                <li class={classes!("lock-entry", entry.holder.then_some("holder"), entry.herd.then_some("herd"))}
                                    data-client={entry.client.clone().unwrap_or_default()} data-node={entry.node.clone()}>
                                    <span class="lock-node"><code>{ &entry.node }</code></span>
                                    <span class="lock-who">{ who }</span>
                                    <span class="lock-status">{ if entry.holder { "★ " } else if entry.watching.is_some() { "→ " } else { "" } }{ status }</span>
                                </li>
                            }
                        }) }
                    </ol>
                </div>
            }) }
        </section>
    }
}
