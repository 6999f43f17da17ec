//! One server's znode tree, opened level by level (a tree can hold tens of thousands of
//! znodes: only open levels are listed, and long ones a page at a time), with differences
//! from the reference server marked, and the selected znode's data, Stat and ACL.

use crate::i18n::{Lang, Msg};
use crate::peer::message::ServerId;
use crate::ui::state::{Action, Model};
use crate::viz::tree::{NodeDiff, ZnodeChild, ZnodeDetail};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Children listed per level before a "more" button.
pub const PAGE: usize = 100;

#[derive(Clone, Debug, PartialEq)]
pub enum TreeRow {
    Node {
        depth: usize,
        child: ZnodeChild,
        open: bool,
    },
    /// `count` more children of `parent` not listed.
    More {
        depth: usize,
        parent: String,
        count: usize,
    },
}

#[derive(Properties, PartialEq)]
pub struct ZnodeTreeProps {
    pub servers: Vec<(ServerId, bool)>,
    pub server: Option<ServerId>,
    pub reference: Option<ServerId>,
    pub rows: Vec<TreeRow>,
    pub selected: Option<String>,
    pub detail: Option<ZnodeDetail>,
    pub lang: Lang,
    pub dispatcher: UseReducerDispatcher<Model>,
}

fn diff_label(lang: Lang, diff: NodeDiff) -> Option<(&'static str, &'static str)> {
    match diff {
        NodeDiff::Same => None,
        NodeDiff::Missing => Some(("missing", lang.t(Msg::DiffMissing))),
        NodeDiff::Extra => Some(("extra", lang.t(Msg::DiffExtra))),
        NodeDiff::DataDiffers => Some(("differs", lang.t(Msg::DiffData))),
    }
}

#[function_component(ZnodeTree)]
pub fn znode_tree(props: &ZnodeTreeProps) -> Html {
    let lang = props.lang;
    let on_server = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(id) = select.value().parse() {
                dispatcher.dispatch(Action::SelectTreeServer(id));
            }
        })
    };
    let up = props
        .server
        .and_then(|s| props.servers.iter().find(|(id, _)| *id == s))
        .is_some_and(|(_, up)| *up);
    let rows = props.rows.iter().map(|row| match row {
        TreeRow::Node { depth, child, open } => {
            let path = child.path.clone();
            let toggle = {
                let dispatcher = props.dispatcher.clone();
                let path = path.clone();
                Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::TogglePath(path.clone())))
            };
            let select = {
                let dispatcher = props.dispatcher.clone();
                let path = path.clone();
                Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::SelectPath(path.clone())))
            };
            let diff = diff_label(lang, child.diff);
            let selected = props.selected.as_deref() == Some(path.as_str());
            html! {
                <li class={classes!("znode", diff.map(|d| d.0), selected.then_some("selected"))}
                    style={format!("padding-left: {}px", depth * 18)} data-path={path.clone()}>
                    if child.num_children > 0 {
                        <button class="twisty" onclick={toggle} aria-expanded={open.to_string()}>{ if *open { "▾" } else { "▸" } }</button>
                    } else {
                        <span class="twisty-space"></span>
                    }
                    <button class="znode-name" onclick={select}>{ &child.name }</button>
                    if child.ephemeral { <span class="tag ephemeral">{ "E" }</span> }
                    if child.num_children > 0 { <span class="count">{ lang.fill(Msg::Children, &[&child.num_children]) }</span> }
                    if let Some((_, label)) = diff { <span class="tag diff">{ label }</span> }
                </li>
            }
        }
        TreeRow::More { depth, parent, count } => {
            let dispatcher = props.dispatcher.clone();
            let parent = parent.clone();
            let more = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::ShowMore(parent.clone())));
            html! {
                <li class="more" style={format!("padding-left: {}px", depth * 18)}>
                    <button onclick={more}>{ lang.fill(Msg::MoreChildren, &[count]) }</button>
                </li>
            }
        }
    });
    html! {
        <section class="panel tree" data-testid="znode-tree" data-server={props.server.map(|s| s.to_string()).unwrap_or_default()} aria-label={lang.t(Msg::TreeTitle)}>
            <h2>{ lang.t(Msg::TreeTitle) }</h2>
            <label>{ lang.t(Msg::TreeOfServer) }{ " " }
                <select data-testid="tree-server" onchange={on_server}>
                    { for props.servers.iter().map(|(id, _)| html! {
                        <option value={id.to_string()} selected={Some(*id) == props.server}>{ lang.fill(Msg::ServerName, &[id]) }</option>
                    }) }
                </select>
            </label>
            if let Some(reference) = props.reference.filter(|r| Some(*r) != props.server) {
                <p class="hint">{ lang.fill(Msg::TreeDiffNote, &[&reference]) }</p>
            }
            if !up {
                <p class="hint">{ lang.t(Msg::TreeDown) }</p>
            } else {
                <ul class="znodes" role="tree">
                    <li class="znode root"><span>{ "/" }</span></li>
                    { for rows }
                </ul>
            }
            { detail(props.detail.as_ref(), lang) }
        </section>
    }
}

fn detail(detail: Option<&ZnodeDetail>, lang: Lang) -> Html {
    let Some(d) = detail else {
        return html! { <p class="hint">{ lang.t(Msg::SelectZnode) }</p> };
    };
    let s = &d.stat;
    let owner = match (&d.ephemeral_owner, &d.owner_client) {
        (Some(session), Some(client)) => format!("0x{session:x} ({client})"),
        (Some(session), None) => format!("0x{session:x}"),
        (None, _) => lang.t(Msg::NotEphemeral).to_string(),
    };
    html! {
        <div class="znode-detail" data-testid="znode-detail" data-path={d.path.clone()}>
            <h3><code>{ &d.path }</code></h3>
            <dl>
                <dt>{ lang.t(Msg::Data) }</dt>
                <dd><code class="data" data-testid="znode-data">{ &d.data }</code>{ " " }<small>{ lang.fill(Msg::Bytes, &[&d.data_len]) }</small></dd>
                <dt>{ lang.t(Msg::Acl) }</dt><dd>{ d.acl.join(", ") }</dd>
                <dt>{ lang.t(Msg::EphemeralOwner) }</dt><dd>{ owner }</dd>
            </dl>
            <dl class="stat">
                <dt>{ "cZxid" }</dt><dd>{ format!("0x{:x}", s.czxid) }</dd>
                <dt>{ "mZxid" }</dt><dd>{ format!("0x{:x}", s.mzxid) }</dd>
                <dt>{ "pZxid" }</dt><dd>{ format!("0x{:x}", s.pzxid) }</dd>
                <dt>{ "dataVersion" }</dt><dd>{ s.version }</dd>
                <dt>{ "cversion" }</dt><dd>{ s.cversion }</dd>
                <dt>{ "aclVersion" }</dt><dd>{ s.aversion }</dd>
                <dt>{ "numChildren" }</dt><dd>{ s.num_children }</dd>
                <dt>{ "dataLength" }</dt><dd>{ s.data_length }</dd>
            </dl>
        </div>
    }
}
