//! FastLeaderElection vote boxes: each server's vote and round, the votes it received, who
//! agrees, and the comparison that last changed its mind.

use crate::i18n::{describe_vote_reason, role_name, Lang, Msg};
use crate::viz::votes::VoteBox;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct VoteBoxesProps {
    pub boxes: Vec<VoteBox>,
    pub lang: Lang,
}

#[function_component(VoteBoxes)]
pub fn vote_boxes(props: &VoteBoxesProps) -> Html {
    let lang = props.lang;
    html! {
        <section class="panel votes" aria-label={lang.t(Msg::VotesTitle)}>
            <h2>{ lang.t(Msg::VotesTitle) }</h2>
            <div class="vote-boxes">
                { for props.boxes.iter().map(|b| vote_box(b, lang)) }
            </div>
        </section>
    }
}

fn vote_box(b: &VoteBox, lang: Lang) -> Html {
    let vote = b
        .vote
        .map(|v| lang.fill(Msg::VoteOf, &[&v.leader, &v.zxid, &v.peer_epoch]));
    let change = match &b.last_change {
        Some(change) => lang.fill(
            Msg::VoteWins,
            &[
                &change.to.leader,
                &describe_vote_reason(lang, change.reason),
            ],
        ),
        None => lang.t(Msg::StillOwnVote).to_string(),
    };
    html! {
        <article class={classes!("vote-box", b.looking.then_some("looking"), (!b.up).then_some("down"))}
                 data-testid={format!("vote-box-{}", b.server)}
                 data-votes-for={b.vote.map(|v| v.leader.to_string()).unwrap_or_default()}>
            <header>
                <h3>{ lang.fill(Msg::ServerName, &[&b.server]) }</h3>
                <span class="round">{ lang.fill(Msg::Round, &[&b.round]) }</span>
                if !b.looking { <span class="hint">{ lang.t(Msg::NotElecting) }</span> }
            </header>
            if let Some(vote) = vote {
                <p class="current-vote"><strong>{ vote }</strong></p>
            }
            if b.up && !b.observer {
                <p class="reason">{ change }</p>
                <p class="quorum">
                    { lang.fill(Msg::QuorumCount, &[&b.agreeing.len(), &b.quorum]) }
                    { " " }
                    <span class="agreeing">{ b.agreeing.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" ") }</span>
                </p>
            }
            if let Some(until) = b.finalizing_until {
                <p class="finalizing">{ lang.fill(Msg::FinalizingUntil, &[&until]) }</p>
            }
            if b.rows.is_empty() {
                <p class="hint">{ lang.t(Msg::NoVotesYet) }</p>
            } else {
                <table>
                    <thead><tr>
                        <th>{ lang.t(Msg::ColFrom) }</th><th>{ lang.t(Msg::ColLeader) }</th>
                        <th>{ lang.t(Msg::ColZxid) }</th><th>{ lang.t(Msg::ColEpoch) }</th>
                        <th>{ lang.t(Msg::ColRound) }</th><th>{ lang.t(Msg::ColState) }</th>
                    </tr></thead>
                    <tbody>
                        { for b.rows.iter().map(|row| html! {
                            <tr class={classes!(row.agrees.then_some("agrees"), row.out_of_election.then_some("decided"))}>
                                <td>{ row.from }</td><td>{ row.leader }</td><td>{ row.zxid.to_string() }</td>
                                <td>{ row.epoch }</td><td>{ row.round }</td>
                                <td>{ role_name(lang, row.state) }{ if row.out_of_election { lang.t(Msg::OutOfElection) } else { "" } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </article>
    }
}
