//! The UI's state and the actions that change it, in the shape of Yew's `use_reducer`.

use crate::peer::message::ServerId;
use crate::sim::Simulation;
use crate::time::VirtualTime;
use std::cell::RefCell;
use std::rc::Rc;
use yew::Reducible;

/// How many virtual milliseconds pass per real millisecond while playing.
pub const SPEEDS: [(u64, &str); 5] = [(1, "1x"), (2, "2x"), (5, "5x"), (10, "10x"), (50, "50x")];

/// The period of the play loop, in real milliseconds.
pub const FRAME_MS: u32 = 100;

#[derive(Clone)]
pub struct ClusterState {
    /// Shared, not cloned: every action mutates the one simulation and bumps `revision`.
    pub sim: Rc<RefCell<Simulation>>,
    pub revision: u64,
    pub playing: bool,
    pub speed: u64,
    pub problems: Vec<String>,
}

impl PartialEq for ClusterState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sim, &other.sim)
            && self.revision == other.revision
            && self.playing == other.playing
            && self.speed == other.speed
    }
}

pub enum Action {
    /// Carry out exactly one scheduled event.
    Step,
    /// Let this much virtual time pass.
    Advance {
        millis: u64,
    },
    /// One frame of the play loop.
    Frame,
    Play,
    Pause,
    SetSpeed(u64),
    Crash(ServerId),
    Restart(ServerId),
}

impl ClusterState {
    pub fn new(sim: Simulation, problems: Vec<String>) -> Self {
        ClusterState {
            sim: Rc::new(RefCell::new(sim)),
            revision: 0,
            playing: false,
            speed: 1,
            problems,
        }
    }

    fn advance(&self, millis: u64) {
        let mut sim = self.sim.borrow_mut();
        let deadline: VirtualTime = sim.now() + millis;
        sim.run_until(deadline);
    }
}

impl Reducible for ClusterState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Step => {
                next.sim.borrow_mut().step();
            }
            Action::Advance { millis } => next.advance(millis),
            Action::Frame if next.playing => next.advance(u64::from(FRAME_MS) * next.speed),
            Action::Frame => return self,
            Action::Play => next.playing = true,
            Action::Pause => next.playing = false,
            Action::SetSpeed(speed) => next.speed = speed,
            Action::Crash(server) => {
                next.sim.borrow_mut().crash(server);
            }
            Action::Restart(server) => {
                next.sim.borrow_mut().restart(server);
            }
        }
        next.revision += 1;
        Rc::new(next)
    }
}
