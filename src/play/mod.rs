//! Playback: the run a viewer watches, which can be played, stepped, rewound, branched and
//! written into a shareable address. Sans-IO like the rest of the core: the browser decides
//! when time passes, this decides what that means.
//!
//! A run is a *script* (the commands that shape it, each with the step and time it was
//! given at) applied to a fresh simulation. The simulation on show follows the script; to
//! rewind, a new one replays the script up to an earlier moment, and the script's later
//! entries stay, so playing on repeats the same future. Acting while rewound *branches*:
//! the later entries go and the new action takes their place.
//!
//! A scenario runs ahead of the display in its own [`Runner`]; the commands its steps give
//! become the script, and the display animates its way to where the runner already is.

pub mod action;
pub mod address;
pub mod export;

use crate::scenario::ast::{Action as StepAction, Question, Scenario, Text};
use crate::scenario::run::{Failure, Runner, Shown};
use crate::sim::{RecordedCommand, SimConfig, SimConfigError, Simulation};
use crate::time::VirtualTime;
use action::{Applied, ViewerAction};

/// One entry of a run's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptEntry {
    /// A command a scenario's step gave, replayed as it was.
    Scenario(RecordedCommand),
    /// Something the viewer did.
    Viewer {
        after_steps: u64,
        at: VirtualTime,
        action: ViewerAction,
    },
}

impl ScriptEntry {
    fn after_steps(&self) -> u64 {
        match self {
            ScriptEntry::Scenario(recorded) => recorded.after_steps,
            ScriptEntry::Viewer { after_steps, .. } => *after_steps,
        }
    }

    fn at(&self) -> VirtualTime {
        match self {
            ScriptEntry::Scenario(recorded) => recorded.at,
            ScriptEntry::Viewer { at, .. } => *at,
        }
    }
}

/// A line typed into the console and where its answer will be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleEntry {
    pub client: String,
    pub line: String,
    pub at: VirtualTime,
    pub outcome: Applied,
}

/// Something a scenario showed, stamped with the simulation step it belongs to, so the
/// display reveals it when it gets there (and hides it again when rewound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Narration {
    pub at_step: u64,
    pub shown: Shown,
}

/// A scenario being followed.
pub struct ScenarioRun {
    pub scenario: Scenario,
    runner: Runner,
    /// Scenario steps run so far (the address records this).
    pub steps_run: usize,
    /// Runner commands already copied into the script.
    imported: usize,
    pub narration: Vec<Narration>,
    /// The question waiting for the viewer's answer before the run goes on.
    pub open_question: Option<Question>,
    /// Questions answered: (question, the viewer's choice, revealed once the display has
    /// caught up with the steps that show the outcome).
    pub answers: Vec<Answer>,
    pub failure: Option<Failure>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub question: Question,
    /// None for a question passed on the way to a shared moment.
    pub chosen: Option<String>,
    /// The display step at which the outcome is visible.
    pub reveal_at_step: u64,
}

impl ScenarioRun {
    pub fn is_finished(&self) -> bool {
        self.runner.is_finished() || self.failure.is_some()
    }

    pub fn title(&self) -> &Text {
        &self.scenario.title
    }

    /// The seed `scenario` runs with unless told another.
    fn own_seed(scenario: &Scenario) -> u64 {
        scenario.setup.seed.unwrap_or(SimConfig::default().seed)
    }

    /// Runs the scenario's next step and records what it showed. False when the run stops
    /// there: a question opened, the scenario ended, or it failed.
    fn take_step(&mut self) -> bool {
        let at_step = self.runner.sim().steps_taken();
        self.steps_run += 1;
        match self.runner.step() {
            Ok(Some(shown)) => {
                let question = match &shown {
                    Shown::Question(q) => Some(q.clone()),
                    _ => None,
                };
                self.narration.push(Narration { at_step, shown });
                let stops = question.is_some();
                if stops {
                    self.open_question = question;
                }
                !stops
            }
            Ok(None) => false,
            Err(failure) => {
                self.failure = Some(failure);
                false
            }
        }
    }
}

/// How a scenario was left for free play (kept in the address so a link lands there too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftScenario {
    pub name: String,
    pub title: Text,
    /// The seed the scenario sets (or the default): an address names another one only.
    pub own_seed: u64,
    pub steps_run: usize,
    /// Script entries kept from it.
    pub kept: usize,
}

pub struct Playback {
    config: SimConfig,
    shown: Simulation,
    script: Vec<ScriptEntry>,
    /// Script entries applied to `shown`.
    applied: usize,
    /// The furthest point reached, in steps and time: the end of the timeline.
    horizon: (u64, VirtualTime),
    scenario: Option<ScenarioRun>,
    left: Option<LeftScenario>,
    console: Vec<ConsoleEntry>,
}

impl Playback {
    pub fn new(config: SimConfig) -> Result<Playback, SimConfigError> {
        Ok(Playback {
            shown: Simulation::new(config.clone())?,
            config,
            script: Vec::new(),
            applied: 0,
            horizon: (0, VirtualTime::ZERO),
            scenario: None,
            left: None,
            console: Vec::new(),
        })
    }

    /// A playback that follows `scenario` (with its own seed, or `seed`).
    pub fn with_scenario(scenario: Scenario, seed: Option<u64>) -> Result<Playback, String> {
        let runner = Runner::new(scenario.clone(), seed)?;
        let mut playback =
            Playback::new(runner.sim().config().clone()).map_err(|e| e.to_string())?;
        playback.scenario = Some(ScenarioRun {
            scenario,
            runner,
            steps_run: 0,
            imported: 0,
            narration: Vec::new(),
            open_question: None,
            answers: Vec::new(),
            failure: None,
        });
        Ok(playback)
    }

    pub fn sim(&self) -> &Simulation {
        &self.shown
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    pub fn scenario(&self) -> Option<&ScenarioRun> {
        self.scenario.as_ref()
    }

    pub fn left_scenario(&self) -> Option<&LeftScenario> {
        self.left.as_ref()
    }

    pub fn console(&self) -> &[ConsoleEntry] {
        &self.console
    }

    pub fn script(&self) -> &[ScriptEntry] {
        &self.script
    }

    /// The end of the timeline: the furthest (steps, time) this run has reached.
    pub fn horizon(&self) -> (u64, VirtualTime) {
        self.horizon
    }

    /// Whether the display is behind the furthest point reached (after a rewind).
    pub fn is_rewound(&self) -> bool {
        // Following a scenario, the script's future is the runner's lead, not a rewind.
        let future_entries = self.scenario.is_none() && self.applied < self.script.len();
        future_entries || self.shown.steps_taken() < self.horizon.0
    }

    /// Whether a message is on its way between servers (the display hurries through quiet
    /// stretches where only timers are due).
    pub fn messages_travelling(&self) -> bool {
        self.shown.any_deliveries()
    }

    /// Where the display may go: a scenario's runner bounds it; free play does not.
    fn limit(&self) -> Option<(u64, VirtualTime)> {
        self.scenario
            .as_ref()
            .map(|run| (run.runner.sim().steps_taken(), run.runner.sim().now()))
    }

    /// Whether the display has caught up with its scenario's runner (always, in free play).
    pub fn caught_up(&self) -> bool {
        match self.limit() {
            Some((steps, at)) => self.shown.steps_taken() >= steps && self.shown.now() >= at,
            None => true,
        }
    }

    // ---- moving through time ----

    /// Lets virtual time pass up to `deadline` (bounded by the scenario's runner), carrying
    /// out the script's entries at their places.
    pub fn advance_to(&mut self, deadline: VirtualTime) {
        self.run(deadline, u64::MAX);
    }

    /// Carries out exactly one event (and the entries due before it). False if nothing can
    /// happen (nothing scheduled, or the scenario's runner is not further on).
    pub fn step(&mut self) -> bool {
        let before = self.shown.steps_taken();
        let deadline = match (self.shown.next_event_at(), self.limit()) {
            (Some(at), Some((_, limit))) => at.min(limit),
            (Some(at), None) => at,
            (None, Some((_, limit))) => limit,
            (None, None) => return false,
        };
        self.run(deadline.max(self.shown.now()), before + 1);
        self.shown.steps_taken() > before
    }

    fn run(&mut self, deadline: VirtualTime, max_steps: u64) {
        let limit = self.limit();
        let deadline = match limit {
            Some((_, at)) => deadline.min(at),
            None => deadline,
        };
        loop {
            self.apply_due_entries(deadline);
            let steps = self.shown.steps_taken();
            if steps >= max_steps || limit.is_some_and(|(most, _)| steps >= most) {
                break;
            }
            // An entry still waiting at this step is due after the deadline: nothing may
            // happen before it.
            if self.entry_waiting().is_some() {
                break;
            }
            match self.shown.next_event_at() {
                Some(at) if at <= deadline => {
                    self.shown.step();
                }
                _ => break,
            }
        }
        if max_steps == u64::MAX {
            let until = self.entry_waiting().map_or(deadline, |at| at.min(deadline));
            if self.shown.next_event_at().is_none_or(|at| at > until) {
                self.shown.wait_until(until);
            }
        }
        self.note_horizon();
    }

    /// When the next script entry is due, if it waits at the step the display is at.
    fn entry_waiting(&self) -> Option<VirtualTime> {
        self.script
            .get(self.applied)
            .filter(|e| e.after_steps() == self.shown.steps_taken())
            .map(ScriptEntry::at)
    }

    fn apply_due_entries(&mut self, deadline: VirtualTime) {
        while let Some(entry) = self.script.get(self.applied) {
            if entry.after_steps() != self.shown.steps_taken() || entry.at() > deadline {
                break;
            }
            let entry = entry.clone();
            self.shown.wait_until(entry.at());
            self.apply_entry(&entry);
            self.applied += 1;
        }
    }

    fn apply_entry(&mut self, entry: &ScriptEntry) -> Applied {
        match entry {
            ScriptEntry::Scenario(recorded) => {
                self.shown.command(recorded.command.clone());
                Applied::Done
            }
            ScriptEntry::Viewer { action, at, .. } => {
                let outcome = action.apply(&mut self.shown);
                if let ViewerAction::Cli { client, line } = action {
                    self.console.push(ConsoleEntry {
                        client: client.clone(),
                        line: line.clone(),
                        at: *at,
                        outcome: outcome.clone(),
                    });
                }
                outcome
            }
        }
    }

    fn note_horizon(&mut self) {
        let here = (self.shown.steps_taken(), self.shown.now());
        if here > self.horizon {
            self.horizon = here;
        }
    }

    /// Goes back (or forward) to the moment `steps` steps into the run, then lets the clock
    /// run on to `at` if no event comes first.
    pub fn seek(&mut self, steps: u64, at: VirtualTime) {
        if steps < self.shown.steps_taken()
            || (steps == self.shown.steps_taken() && at < self.shown.now())
        {
            self.restart_display();
        }
        self.run(VirtualTime::from_millis(u64::MAX), steps);
        let next_entry_due = self.entry_waiting().is_some_and(|due| due <= at);
        if self.shown.steps_taken() == steps && !next_entry_due {
            let until = self.shown.next_event_at().map_or(at, |next| next.min(at));
            if until > self.shown.now() {
                self.shown.wait_until(until);
            }
        }
        self.note_horizon();
    }

    /// Goes to virtual time `at`: every event due by then has happened.
    pub fn seek_time(&mut self, at: VirtualTime) {
        if at < self.shown.now() {
            self.restart_display();
        }
        self.advance_to(at);
    }

    /// Goes back one event.
    pub fn step_back(&mut self) {
        let steps = self.shown.steps_taken();
        if steps > 0 {
            self.restart_display();
            self.run(VirtualTime::from_millis(u64::MAX), steps - 1);
        }
    }

    fn restart_display(&mut self) {
        self.shown = Simulation::new(self.config.clone()).expect("the config was valid before");
        self.applied = 0;
        self.console.clear();
    }

    // ---- acting ----

    /// Carries out a viewer's action now. While rewound, or while following a scenario, this
    /// branches: the script's future is dropped (and the scenario left for free play).
    pub fn act(&mut self, action: ViewerAction) -> Applied {
        if let Some(run) = self.scenario.take() {
            self.left = Some(LeftScenario {
                name: run.scenario.name.clone(),
                title: run.scenario.title.clone(),
                own_seed: ScenarioRun::own_seed(&run.scenario),
                steps_run: run.steps_run,
                kept: self.applied,
            });
        }
        if self.is_rewound() {
            self.script.truncate(self.applied);
            self.horizon = (self.shown.steps_taken(), self.shown.now());
        }
        let entry = ScriptEntry::Viewer {
            after_steps: self.shown.steps_taken(),
            at: self.shown.now(),
            action,
        };
        self.script.push(entry.clone());
        self.applied += 1;
        self.apply_entry(&entry)
    }

    // ---- following a scenario ----

    /// Runs the scenario's next part: the next step, then every step after it up to the next
    /// narration or question. Stops at a question until it is answered. Returns false if
    /// there is nothing to run (finished, failed, or a question is open).
    pub fn scenario_next(&mut self) -> bool {
        let Some(run) = self.scenario.as_mut() else {
            return false;
        };
        if run.open_question.is_some() || run.is_finished() {
            return false;
        }
        Self::run_scenario_part(run, false);
        self.import_scenario_commands();
        true
    }

    /// Runs steps up to the next narration or question. With `through_narration` (after an
    /// answer), narration before the first action runs too, so the part shows the outcome.
    fn run_scenario_part(run: &mut ScenarioRun, through_narration: bool) {
        let mut first = true;
        let mut acted = false;
        loop {
            let next = run
                .scenario
                .steps
                .get(run.runner.position())
                .map(|s| &s.action);
            let Some(next) = next else {
                // Lets the runner notice it is finished.
                let _ = run.runner.step();
                return;
            };
            let narrative = matches!(next, StepAction::Say(_) | StepAction::Question(_));
            let question = matches!(next, StepAction::Question(_));
            let keep_going = first || (through_narration && !acted && !question);
            if narrative && !keep_going {
                return;
            }
            first = false;
            acted |= !narrative;
            if !run.take_step() {
                return;
            }
        }
    }

    fn import_scenario_commands(&mut self) {
        let Some(run) = self.scenario.as_mut() else {
            return;
        };
        let commands = run.runner.sim().commands();
        self.script.extend(
            commands[run.imported..]
                .iter()
                .cloned()
                .map(ScriptEntry::Scenario),
        );
        run.imported = commands.len();
    }

    /// The viewer answers the open question; the scenario runs on to show the outcome.
    pub fn answer(&mut self, choice: &str) {
        let Some(run) = self.scenario.as_mut() else {
            return;
        };
        let Some(question) = run.open_question.take() else {
            return;
        };
        let next = run
            .scenario
            .steps
            .get(run.runner.position())
            .map(|s| &s.action);
        if !matches!(next, Some(StepAction::Question(_))) {
            Self::run_scenario_part(run, true);
        }
        let reveal_at_step = run.runner.sim().steps_taken();
        run.answers.push(Answer {
            question,
            chosen: Some(choice.to_string()),
            reveal_at_step,
        });
        self.import_scenario_commands();
    }

    /// Runs the scenario's first `steps_run` steps at once (restoring an address). Questions
    /// passed on the way count as seen but not answered.
    fn fast_forward_scenario(&mut self, steps_run: usize) {
        let Some(run) = self.scenario.as_mut() else {
            return;
        };
        while run.steps_run < steps_run && !run.is_finished() {
            if let Some(question) = run.open_question.take() {
                let reveal_at_step = run.runner.sim().steps_taken();
                run.answers.push(Answer {
                    question,
                    chosen: None,
                    reveal_at_step,
                });
            }
            run.take_step();
        }
        self.import_scenario_commands();
    }
}

#[cfg(test)]
mod tests;
