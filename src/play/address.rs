//! A playback written into a page address and read back: the settings, the scenario and how
//! far it ran, every viewer action with its place, and the moment on show. Opening the
//! address rebuilds the same state (the run is a pure function of these).
//!
//! `?seed=7&servers=5&act=120.340.crash:3&act=...&at=900.5000`, or with a scenario
//! `?scenario=leader-crash&sstep=6&left=4&act=...&at=...`.

use super::action::ViewerAction;
use super::{Playback, ScenarioRun, ScriptEntry};
use crate::scenario::library;
use crate::sim::link::config_from_query;
use crate::time::VirtualTime;

/// Keys this module reads; the UI may add its own (such as `lang`).
const KEYS: [&str; 5] = ["scenario", "sstep", "left", "act", "at"];

impl Playback {
    /// The address query (without `?`) that rebuilds this playback at its current moment.
    pub fn address(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let scenario = self
            .scenario
            .as_ref()
            .map(|run| (run.scenario.name.clone(), run.steps_run, None))
            .or_else(|| {
                self.left
                    .as_ref()
                    .map(|left| (left.name.clone(), left.steps_run, Some(left.kept)))
            });
        match &scenario {
            Some((name, steps_run, kept)) => {
                query.append_pair("scenario", name);
                if self.config.seed != self.scenario_seed() {
                    query.append_pair("seed", &self.config.seed.to_string());
                }
                query.append_pair("sstep", &steps_run.to_string());
                if let Some(kept) = kept {
                    query.append_pair("left", &kept.to_string());
                }
            }
            None => {
                query.append_pair("seed", &self.config.seed.to_string());
                query.append_pair("servers", &self.config.servers.to_string());
                if self.config.observers > 0 {
                    query.append_pair("observers", &self.config.observers.to_string());
                }
                if self.config.tick_ms != crate::sim::SimConfig::default().tick_ms {
                    query.append_pair("tick", &self.config.tick_ms.to_string());
                }
            }
        }
        for entry in &self.script {
            if let ScriptEntry::Viewer {
                after_steps,
                at,
                action,
            } = entry
            {
                query.append_pair("act", &format!("{after_steps}.{}.{action}", at.as_millis()));
            }
        }
        let (steps, at) = (self.shown.steps_taken(), self.shown.now());
        if steps > 0 || at > VirtualTime::ZERO {
            query.append_pair("at", &format!("{steps}.{}", at.as_millis()));
        }
        query.finish()
    }

    /// The seed the followed (or left) scenario runs with when the address names none.
    fn scenario_seed(&self) -> u64 {
        self.scenario
            .as_ref()
            .map(|run| ScenarioRun::own_seed(&run.scenario))
            .or_else(|| self.left.as_ref().map(|left| left.own_seed))
            .unwrap_or(crate::sim::SimConfig::default().seed)
    }

    /// The playback an address describes, and what in it could not be used (reported to the
    /// viewer; the rest still applies). A scenario it names is one of the shipped files,
    /// embedded natively.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_address(query: &str) -> (Playback, Vec<String>) {
        Playback::from_address_with(query, |name| {
            library::find(name)
                .map(|shipped| shipped.text.to_string())
                .ok_or_else(|| format!("there is no scenario named {name:?}"))
        })
    }

    /// The scenario an address follows (or left), if it names one: its file must be at hand
    /// for [`Playback::from_address_with`]. Only shipped scenarios' names are returned, so
    /// the name is safe to put in a file's address.
    pub fn scenario_in_address(query: &str) -> Option<&'static str> {
        let query = query.trim_start_matches('?');
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "scenario")
            .and_then(|(_, name)| library::find(&name))
            .map(|shipped| shipped.name)
    }

    /// As [`Playback::from_address`], with `scenario_text` giving the text of the scenario
    /// file the address names (or why there is none): the browser fetches it first.
    pub fn from_address_with(
        query: &str,
        scenario_text: impl FnOnce(&str) -> Result<String, String>,
    ) -> (Playback, Vec<String>) {
        let query = query.trim_start_matches('?');
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let mut problems = Vec::new();
        let number = |key: &str, problems: &mut Vec<String>| -> Option<u64> {
            let text = get(key)?;
            match text.parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(format!("{key}={text:?} is not a whole number; ignored"));
                    None
                }
            }
        };

        let mut playback = None;
        if let Some(name) = get("scenario") {
            let scenario = scenario_text(name).and_then(|text| {
                crate::scenario::parse(name, &text).map_err(|e| format!("scenario {name}: {e}"))
            });
            match scenario {
                Err(problem) => problems.push(problem),
                Ok(scenario) => {
                    let seed = number("seed", &mut problems);
                    match Playback::with_scenario(scenario, seed) {
                        Ok(mut p) => {
                            let steps_run = number("sstep", &mut problems).unwrap_or(0);
                            p.fast_forward_scenario(
                                usize::try_from(steps_run).unwrap_or(usize::MAX),
                            );
                            if let Some(kept) = number("left", &mut problems) {
                                p.leave_scenario(usize::try_from(kept).unwrap_or(usize::MAX));
                            }
                            playback = Some(p);
                        }
                        Err(e) => problems.push(format!("scenario {name}: {e}")),
                    }
                }
            }
        }
        let mut playback = playback.unwrap_or_else(|| {
            let plain: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| !KEYS.contains(&k.as_str()))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let (config, config_problems) = config_from_query(&plain.join("&"));
            problems.extend(config_problems);
            Playback::new(config).expect("config_from_query returns only valid configs")
        });

        for (key, value) in &pairs {
            if key != "act" {
                continue;
            }
            match parse_entry(value) {
                Ok(entry) => {
                    if entry.after_steps() < playback.script_end_steps() {
                        problems.push(format!("act={value:?} is out of order; ignored"));
                    } else {
                        playback.script.push(entry);
                    }
                }
                Err(reason) => problems.push(format!("act={value:?}: {reason}; ignored")),
            }
        }
        match get("at").map(parse_position) {
            None => {}
            Some(Ok((steps, at))) => playback.seek(steps, at),
            Some(Err(reason)) => problems.push(format!("at: {reason}; ignored")),
        }
        (playback, problems)
    }

    /// The step the script's last entry waits for.
    fn script_end_steps(&self) -> u64 {
        self.script.last().map_or(0, ScriptEntry::after_steps)
    }

    /// Stops following the scenario, keeping the first `kept` script entries.
    fn leave_scenario(&mut self, kept: usize) {
        if let Some(run) = self.scenario.take() {
            self.script.truncate(kept);
            self.left = Some(super::LeftScenario {
                name: run.scenario.name.clone(),
                title: run.scenario.title.clone(),
                own_seed: ScenarioRun::own_seed(&run.scenario),
                steps_run: run.steps_run,
                kept: self.script.len(),
            });
        }
    }
}

fn parse_position(text: &str) -> Result<(u64, VirtualTime), String> {
    let bad = || format!("{text:?} is not STEPS.MILLIS");
    let (steps, at) = text.split_once('.').ok_or_else(bad)?;
    Ok((
        steps.parse().map_err(|_| bad())?,
        VirtualTime::from_millis(at.parse().map_err(|_| bad())?),
    ))
}

fn parse_entry(text: &str) -> Result<ScriptEntry, String> {
    let mut parts = text.splitn(3, '.');
    let (Some(steps), Some(at), Some(action)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("write STEPS.MILLIS.ACTION".to_string());
    };
    let (after_steps, at) = parse_position(&format!("{steps}.{at}"))?;
    Ok(ScriptEntry::Viewer {
        after_steps,
        at,
        action: ViewerAction::parse(action)?,
    })
}
