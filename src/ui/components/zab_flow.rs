//! The ZAB flow: for each recent zxid, the proposal, who logged and ACKed it, the quorum
//! line, the commit, and who applied it.

use crate::i18n::{Lang, Msg};
use crate::peer::message::ServerId;
use crate::viz::zab::{ProposalStatus, ZabFlow as Flow};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ZabFlowProps {
    pub flow: Flow,
    pub lang: Lang,
}

fn marks(servers: &[ServerId], of: &[ServerId], class: &'static str) -> Html {
    html! {
        <span class="marks">
            { for servers.iter().map(|s| {
                let on = of.contains(s);
                html! { <span class={classes!("mark", class, on.then_some("on"))} title={s.to_string()}>{ s.to_string() }</span> }
            }) }
        </span>
    }
}

#[function_component(ZabFlow)]
pub fn zab_flow(props: &ZabFlowProps) -> Html {
    let lang = props.lang;
    let flow = &props.flow;
    let everyone: Vec<ServerId> = flow
        .participants
        .iter()
        .chain(&flow.observers)
        .copied()
        .collect();
    html! {
        <section class="panel zab" data-testid="zab-flow" aria-label={lang.t(Msg::ZabTitle)}>
            <h2>{ lang.t(Msg::ZabTitle) }</h2>
            if flow.leader.is_none() { <p class="hint">{ lang.t(Msg::ZabNoLeader) }</p> }
            if flow.rows.is_empty() {
                <p class="hint">{ lang.t(Msg::ZabEmpty) }</p>
            } else {
                <table>
                    <thead><tr>
                        <th>{ "zxid" }</th><th>{ lang.t(Msg::ColTxn) }</th><th>{ lang.t(Msg::ColLogged) }</th>
                        <th>{ lang.t(Msg::ColAcked) }</th><th>{ lang.t(Msg::ColQuorum) }</th>
                        <th>{ lang.t(Msg::ColCommit) }</th><th>{ lang.t(Msg::ColApplied) }</th>
                    </tr></thead>
                    <tbody>
                        { for flow.rows.iter().rev().map(|row| {
                            let acked_participants = row.acked.iter().filter(|s| flow.participants.contains(s)).count();
                            let quorum_met = acked_participants >= flow.quorum;
                            let (status, class) = match row.status {
                                ProposalStatus::Pending => (lang.t(Msg::StatusPending), "pending"),
                                ProposalStatus::Committed => (lang.t(Msg::StatusCommitted), "committed"),
                                ProposalStatus::Truncated => (lang.t(Msg::StatusTruncated), "truncated"),
                            };
                            html! {
                                <tr class={class} data-zxid={row.zxid.to_string()} data-status={class}>
                                    <td class="zxid">{ row.zxid.to_string() }</td>
                                    <td class="op">{ &row.op }</td>
                                    <td>{ marks(&everyone, &row.logged, "logged") }</td>
                                    <td>{ marks(&flow.participants, &row.acked, "acked") }</td>
                                    <td class={classes!("quorum", quorum_met.then_some("met"))}>
                                        <div class="quorum-bar">
                                            <span style={format!("width: {}%", 100 * acked_participants.min(flow.quorum) / flow.quorum.max(1))}></span>
                                        </div>
                                        { lang.fill(Msg::QuorumOf, &[&acked_participants, &flow.quorum]) }
                                    </td>
                                    <td class="status">{ status }</td>
                                    <td>{ marks(&everyone, &row.applied, "applied") }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
