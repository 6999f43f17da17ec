//! The UI's state and the actions that change it, in the shape of Yew's `use_reducer`.
//! The run itself lives in a [`Playback`]; this adds what only a viewer has: playing or not,
//! speed, the language, what is selected, filters.

use super::components::znode_tree::PAGE;
use crate::i18n::Lang;
use crate::peer::message::ServerId;
use crate::play::action::{Applied, ViewerAction};
use crate::play::Playback;
use crate::scenario::ast::Scenario;
use crate::sim::{EventKey, SimConfig};
use crate::time::VirtualTime;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::Reducible;

/// Virtual milliseconds per real second, and how each speed is labelled.
pub const SPEEDS: [(f64, &str); 8] = [
    (10.0, "0.01×"),
    (30.0, "0.03×"),
    (100.0, "0.1×"),
    (300.0, "0.3×"),
    (1000.0, "1×"),
    (3000.0, "3×"),
    (10_000.0, "10×"),
    (100_000.0, "100×"),
];
pub const DEFAULT_SPEED: usize = 2;

/// Virtual milliseconds per real second while no message is in flight.
const QUIET_SPEED: f64 = 5000.0;

/// A real frame longer than this (a background tab) counts as this long.
const LONGEST_FRAME_MS: f64 = 100.0;

/// Groups of trace events for the timeline's filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceGroup {
    Election,
    Zab,
    Disk,
    Faults,
    Clients,
}

#[derive(Clone)]
pub struct Model {
    /// Shared, not cloned: every action mutates the one playback and bumps `revision`.
    pub playback: Rc<RefCell<Playback>>,
    pub revision: u64,
    pub playing: bool,
    pub speed: usize,
    /// Virtual time on show, with a fraction, so messages glide between events.
    pub display_ms: f64,
    /// The real time of the last animation frame.
    pub last_frame: Option<f64>,
    /// The step the panels (everything but the drawing) show. While playing it is the step
    /// before this frame's events: a frame that carries out events redraws the drawing, and
    /// the next one updates the panels, so neither does both (in software raster, together
    /// they overran a frame). Any other action shows its outcome everywhere at once.
    pub panel_steps: u64,
    pub lang: Lang,
    pub problems: Vec<String>,
    pub selected_link: Option<(ServerId, ServerId)>,
    pub selected_message: Option<MessageRef>,
    pub tree_server: Option<ServerId>,
    pub open_paths: BTreeSet<String>,
    /// How many children each opened level lists (more than the first page if asked).
    pub page_limits: BTreeMap<String, usize>,
    pub selected_path: Option<String>,
    pub filter_server: Option<ServerId>,
    pub filter_group: Option<TraceGroup>,
    pub console_client: Option<String>,
    /// The last console action's refusal, shown under the input.
    pub console_error: Option<String>,
}

/// Which message a viewer clicked: messages have no identity of their own, so it is found
/// again by where and when it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRef {
    pub key: Option<EventKey>,
    pub from: ServerId,
    pub to: ServerId,
    pub sent_at: VirtualTime,
    pub kind: &'static str,
}

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.playback, &other.playback) && self.revision == other.revision
    }
}

pub enum Action {
    /// An animation frame at this real time (milliseconds).
    Frame(f64),
    Play,
    Pause,
    TogglePlay,
    Step,
    StepBack,
    /// Let this much virtual time pass at once.
    Advance(u64),
    SetSpeed(usize),
    /// Go to this virtual time (rewinding if it is earlier).
    SeekTime(u64),
    Act(ViewerAction),
    ScenarioNext,
    Answer(String),
    /// Follow a scenario from its start (None: free play with the current settings).
    LoadScenario(Option<Box<Scenario>>),
    NewRun(SimConfig),
    SetLang(Lang),
    SelectLink(Option<(ServerId, ServerId)>),
    SelectMessage(Option<MessageRef>),
    SelectTreeServer(ServerId),
    TogglePath(String),
    SelectPath(String),
    /// List another page of this level's children.
    ShowMore(String),
    FilterServer(Option<ServerId>),
    FilterGroup(Option<TraceGroup>),
    ConsoleClient(String),
    Problem(String),
}

impl Model {
    pub fn new(playback: Playback, lang: Lang, problems: Vec<String>) -> Model {
        let display_ms = playback.sim().now().as_millis() as f64;
        let panel_steps = playback.sim().steps_taken();
        let first_server = playback.sim().server_ids().first().copied();
        let console_client = playback.sim().clients().next().map(|c| c.name.clone());
        Model {
            playback: Rc::new(RefCell::new(playback)),
            revision: 0,
            playing: false,
            speed: DEFAULT_SPEED,
            display_ms,
            last_frame: None,
            panel_steps,
            lang,
            problems,
            selected_link: None,
            selected_message: None,
            tree_server: first_server,
            open_paths: BTreeSet::from(["/".to_string()]),
            page_limits: BTreeMap::new(),
            selected_path: None,
            filter_server: None,
            filter_group: None,
            console_client,
            console_error: None,
        }
    }

    fn replace_playback(&mut self, playback: Playback) {
        let fresh = Model::new(playback, self.lang, Vec::new());
        *self = Model {
            speed: self.speed,
            revision: self.revision,
            ..fresh
        };
    }

    fn sync_display(&mut self) {
        self.display_ms = self.playback.borrow().sim().now().as_millis() as f64;
    }

    fn frame(&mut self, now: f64) -> bool {
        let elapsed = self
            .last_frame
            .map_or(0.0, |last| (now - last).clamp(0.0, LONGEST_FRAME_MS));
        self.last_frame = Some(now);
        if !self.playing || elapsed == 0.0 {
            return false;
        }
        let mut playback = self.playback.borrow_mut();
        // Nothing to watch while no message travels: hurry to the next event.
        let speed = if playback.messages_travelling() {
            SPEEDS[self.speed].0
        } else {
            SPEEDS[self.speed].0.max(QUIET_SPEED)
        };
        let mut target = self.display_ms + elapsed * speed / 1000.0;
        if let Some(next) = playback.sim().next_event_at() {
            if speed > SPEEDS[self.speed].0 {
                target = target.min(next.as_millis() as f64);
            }
        }
        playback.advance_to(VirtualTime::from_millis(target as u64));
        let now_ms = playback.sim().now().as_millis() as f64;
        // Following a scenario, the display waits where the scenario's runner is.
        self.display_ms = if playback.caught_up() && playback.scenario().is_some() {
            now_ms
        } else {
            target.max(now_ms)
        };
        true
    }
}

impl Reducible for Model {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let mut panel_steps = None;
        match action {
            Action::Frame(now) => {
                let before = next.playback.borrow().sim().steps_taken();
                if !next.frame(now) {
                    if next.last_frame == self.last_frame {
                        return self;
                    }
                    // Only the frame clock moved: keep the same revision, nothing to redraw.
                    return Rc::new(next);
                }
                panel_steps = Some(before);
            }
            Action::Play => {
                next.playing = true;
                next.last_frame = None;
            }
            Action::Pause => next.playing = false,
            Action::TogglePlay => {
                next.playing = !next.playing;
                next.last_frame = None;
            }
            Action::Step => {
                next.playback.borrow_mut().step();
                next.sync_display();
            }
            Action::StepBack => {
                next.playing = false;
                next.playback.borrow_mut().step_back();
                next.sync_display();
            }
            Action::Advance(millis) => {
                let target = next.playback.borrow().sim().now() + millis;
                next.playback.borrow_mut().advance_to(target);
                next.sync_display();
            }
            Action::SetSpeed(speed) => next.speed = speed.min(SPEEDS.len() - 1),
            Action::SeekTime(ms) => {
                next.playback
                    .borrow_mut()
                    .seek_time(VirtualTime::from_millis(ms));
                next.sync_display();
            }
            Action::Act(action) => {
                if let ViewerAction::AddClient { name, .. } = &action {
                    next.console_client = Some(name.clone());
                }
                let outcome = next.playback.borrow_mut().act(action);
                next.console_error = match outcome {
                    Applied::Refused(reason) => Some(reason),
                    _ => None,
                };
                next.sync_display();
            }
            Action::ScenarioNext => {
                next.playback.borrow_mut().scenario_next();
                next.playing = true;
                next.last_frame = None;
            }
            Action::Answer(choice) => {
                next.playback.borrow_mut().answer(&choice);
                next.playing = true;
                next.last_frame = None;
            }
            Action::LoadScenario(Some(scenario)) => {
                match Playback::with_scenario(*scenario, None) {
                    Ok(playback) => next.replace_playback(playback),
                    Err(problem) => next.problems = vec![problem],
                }
            }
            Action::LoadScenario(None) => {
                let config = SimConfig {
                    seed: next.playback.borrow().config().seed,
                    ..SimConfig::default()
                };
                next.replace_playback(Playback::new(config).expect("the defaults are valid"));
            }
            Action::NewRun(config) => match Playback::new(config) {
                Ok(playback) => next.replace_playback(playback),
                Err(problem) => next.problems = vec![problem.to_string()],
            },
            Action::SetLang(lang) => next.lang = lang,
            Action::SelectLink(link) => next.selected_link = link,
            Action::SelectMessage(message) => next.selected_message = message,
            Action::SelectTreeServer(server) => next.tree_server = Some(server),
            Action::TogglePath(path) => {
                if !next.open_paths.remove(&path) {
                    next.open_paths.insert(path);
                }
            }
            Action::SelectPath(path) => next.selected_path = Some(path),
            Action::ShowMore(path) => {
                let limit = next.page_limits.entry(path).or_insert(PAGE);
                *limit += PAGE;
            }
            Action::FilterServer(server) => next.filter_server = server,
            Action::FilterGroup(group) => next.filter_group = group,
            Action::ConsoleClient(client) => next.console_client = Some(client),
            Action::Problem(problem) => next.problems = vec![problem],
        }
        next.panel_steps =
            panel_steps.unwrap_or_else(|| next.playback.borrow().sim().steps_taken());
        next.revision += 1;
        Rc::new(next)
    }
}
