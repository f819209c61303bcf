//! Running one sequence on both sides, step by step (the rules are in the
//! crate doc of this test).

use std::collections::{BTreeMap, HashMap};
use std::io::SeekFrom;
use std::time::{Duration, Instant};

use lockcheck_fs::{Fd, LockApi, LockKind, Wait};

use crate::common::WaitKey;
use crate::ops::{Actor, Call, NEVER_OPENED, Op, PROCESSES};
use crate::outcome::{Inos, Out, Outcome, live_inos, real_tree, same, show_tree};
use crate::real::{Event, RealSide};
use crate::sim::SimSide;
use crate::wire::Opened;

/// How long a call may neither return nor be seen waiting before the case
/// fails: only a safety net, never how a result is decided.
const SAFETY: Duration = Duration::from_secs(30);

/// A descriptor a process has open: which open file description (counted
/// by the driver) and which real inode.
#[derive(Clone, Copy)]
struct Desc {
    id: u64,
    ino: u64,
    dir: bool,
}

/// Who owns a lock: an open file description (flock, OFD) or a process
/// (POSIX).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    Desc(u64),
    Process(usize),
}

/// A blocking lock request, as far as the serialization rule and
/// `/proc/locks` need it.
#[derive(Clone, Copy)]
struct Want {
    api: LockApi,
    kind: LockKind,
    ino: u64,
    owner: Owner,
}

impl Want {
    /// True when the two requests, both waiting, could be woken by one
    /// step and end differently depending on which runs first: the same
    /// lock table and inode, and either two owners not both asking for a
    /// shared lock, or one owner asking for two kinds, or one process
    /// asking twice for a POSIX lock (if the descriptor of one has been
    /// closed, its grant is undone with `EBADF`, and with it the process's
    /// lock, which the other may have been granted first or after).
    fn races(&self, other: &Want) -> bool {
        let table = |w: &Want| w.api == LockApi::Flock;
        let both_shared = self.kind == LockKind::Shared && other.kind == LockKind::Shared;
        let posix = self.api == LockApi::Posix && other.api == LockApi::Posix;
        table(self) == table(other)
            && self.ino == other.ino
            && if self.owner == other.owner {
                self.kind != other.kind || posix
            } else {
                !both_shared
            }
    }
}

/// A call that has not returned yet.
struct Pending {
    step: usize,
    op: Op<Fd>,
    want: Option<Want>,
}

/// What happened at each step, for the listing.
pub type Notes = BTreeMap<usize, String>;

/// The bookkeeping of one run.
struct Driver<'a> {
    calls: &'a [Call],
    real: RealSide,
    sim: SimSide,
    /// Per process: every descriptor `open` returned, in order (what
    /// [`crate::ops::FdIx`] indexes).
    opened: Vec<Vec<Fd>>,
    /// Per process: the descriptors open now.
    descs: Vec<HashMap<u32, Desc>>,
    next_desc: u64,
    pending: BTreeMap<Actor, Pending>,
    inos: Inos,
    notes: Notes,
}

/// Runs `calls` on both sides; `Err` describes the first divergence.
pub fn check(calls: &[Call]) -> Result<(), String> {
    let real = RealSide::start()?;
    let sim = SimSide::start();
    let mut d = Driver {
        calls,
        real,
        sim,
        opened: vec![Vec::new(); PROCESSES],
        descs: vec![HashMap::new(); PROCESSES],
        next_desc: 0,
        pending: BTreeMap::new(),
        inos: Inos::default(),
        notes: Notes::new(),
    };
    let result = d.run();
    let Driver { real, sim, .. } = d;
    sim.finish();
    let cleanup = real.finish();
    result.and(cleanup)
}

impl Driver<'_> {
    fn run(&mut self) -> Result<(), String> {
        for (i, call) in self.calls.iter().enumerate() {
            self.step(i, call)?;
        }
        let real_tree =
            real_tree(&self.real.fs).map_err(|e| format!("walking the real tree: {e}"))?;
        let sim_tree = self.sim.fs.snapshot();
        if &real_tree != sim_tree.entries() {
            return Err(format!(
                "the final trees differ\n  real:\n{}  sim:\n{}sequence:\n{}",
                show_tree(&real_tree),
                show_tree(sim_tree.entries()),
                crate::listing(self.calls, &self.notes, None)
            ));
        }
        Ok(())
    }

    fn skip(&mut self, i: usize, why: &str) {
        crate::record("(skipped)", why);
        self.notes.insert(i, format!("skipped: {why}"));
    }

    fn step(&mut self, i: usize, call: &Call) -> Result<(), String> {
        let (who, p) = (call.who, call.who.process);
        if self.pending.contains_key(&who) {
            self.skip(i, "its thread is blocked");
            return Ok(());
        }
        let op = call
            .op
            .map_fd(|ix| self.opened[p].get(ix.0).copied().unwrap_or(NEVER_OPENED));
        // A directory's SEEK_END is each file system's own (ext4 gives
        // i64::MAX, tmpfs EINVAL), and a huge offset then changes what a
        // read of the directory fails with: such a seek is left out.
        if let Op::Seek(fd, SeekFrom::End(_)) = &op
            && self.descs[p].get(&fd.0).is_some_and(|d| d.dir)
        {
            self.skip(i, "SEEK_END on a directory");
            return Ok(());
        }
        let want = match &op {
            Op::Lock(fd, api, kind, Wait::Block) => self.descs[p].get(&fd.0).map(|d| Want {
                api: *api,
                kind: *kind,
                ino: d.ino,
                owner: match api {
                    LockApi::Posix => Owner::Process(p),
                    _ => Owner::Desc(d.id),
                },
            }),
            _ => None,
        };
        if let Some(w) = &want {
            let waiting = self.pending.values().filter_map(|q| q.want.as_ref());
            if waiting.clone().any(|q| w.races(q)) {
                self.skip(i, "it could race a waiter for the same lock");
                return Ok(());
            }
        }
        self.real.issue(who, &op)?;
        self.sim.issue(who, op.clone());
        self.pending.insert(who, Pending { step: i, op, want });

        let real = self.settle_real()?;
        let sim = self.settle_sim()?;
        let real_done: BTreeMap<Actor, &Outcome> = real.iter().map(|(a, (o, _))| (*a, o)).collect();
        let sim_done: BTreeMap<Actor, &Outcome> = sim.iter().map(|(a, o)| (*a, o)).collect();
        let agree = real_done.len() == sim_done.len()
            && real_done
                .iter()
                .all(|(a, r)| sim_done.get(a).is_some_and(|s| same(r, s)));
        if !agree {
            let waiting = |done: &BTreeMap<Actor, &Outcome>| -> Vec<Actor> {
                self.pending
                    .keys()
                    .filter(|a| !done.contains_key(a))
                    .copied()
                    .collect()
            };
            return Err(self.diverged(
                i,
                format!(
                    "  real: returned {real_done:?}, waiting {:?}\n  sim:  returned {sim_done:?}, waiting {:?}",
                    waiting(&real_done),
                    waiting(&sim_done)
                ),
            ));
        }
        for (who, (outcome, opened)) in real {
            let sim_outcome = &sim[&who];
            self.returned(i, who, outcome, opened, sim_outcome)?;
        }
        for (a, q) in &self.pending {
            if q.step == i {
                crate::record(q.op.name(), "blocked");
                self.notes.insert(i, format!("{a:?} blocks"));
            }
        }
        Ok(())
    }

    /// Books a call that returned (the same way on both sides).
    fn returned(
        &mut self,
        i: usize,
        who: Actor,
        outcome: Outcome,
        opened: Opened,
        sim: &Outcome,
    ) -> Result<(), String> {
        let q = self.pending.remove(&who).expect("a pending call returned");
        let p = who.process;
        let waited = if q.step == i { "" } else { " after waiting" };
        let what = match &outcome {
            Ok(_) => format!("ok{waited}"),
            Err(code) => format!("{code}{waited}"),
        };
        crate::record(q.op.name(), &what);
        if q.step != i {
            let note = format!("{who:?} returns {outcome:?} from step {}", q.step);
            self.notes
                .entry(i)
                .and_modify(|n| n.push_str(&format!("; {note}")))
                .or_insert(note);
        }
        match (&q.op, &outcome, sim) {
            (Op::Open(..), Ok(Out::Fd(n)), _) => {
                let (ino, dir) = opened.ok_or("the child sent no inode for an open")?;
                self.opened[p].push(Fd(*n));
                self.next_desc += 1;
                let desc = Desc {
                    id: self.next_desc,
                    ino,
                    dir,
                };
                self.descs[p].insert(*n, desc);
            }
            (Op::Close(fd), Ok(_), _) => {
                self.descs[p].remove(&fd.0);
            }
            (_, Ok(Out::Stat { ino: ri, .. }), Ok(Out::Stat { ino: si, .. }))
                if !self.inos.bind(*ri, *si) =>
            {
                let procs: Vec<(&lockcheck_fs::SimProc, Vec<Fd>)> = (0..PROCESSES)
                    .map(|p| {
                        let fds = self.descs[p].keys().map(|n| Fd(*n)).collect();
                        (&self.sim.probes[p], fds)
                    })
                    .collect();
                self.inos.prune(&live_inos(&procs));
                if !self.inos.bind(*ri, *si) {
                    let why = self.inos.describe(*ri, *si);
                    return Err(self.diverged(i, format!("  inode numbers disagree: {why}")));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn diverged(&self, i: usize, what: String) -> String {
        format!(
            "SimFs and Linux diverge at step {i}: {:?}\n{what}\nsequence:\n{}",
            self.calls[i],
            crate::listing(self.calls, &self.notes, Some(i))
        )
    }

    /// Waits until every pending real call has returned or is listed as
    /// waiting in `/proc/locks`; returns those that returned.
    fn settle_real(&self) -> Result<BTreeMap<Actor, (Outcome, Opened)>, String> {
        let deadline = Instant::now() + SAFETY;
        let mut done = BTreeMap::new();
        let take = |e: Event, done: &mut BTreeMap<Actor, (Outcome, Opened)>| match e {
            Event::Returned(who, outcome, opened) => {
                done.insert(who, (outcome, opened));
                Ok(())
            }
            Event::Died(p, log) => Err(format!("child process {p} died; its stderr:\n{log}")),
        };
        loop {
            while let Some(e) = self.real.next_event(Duration::ZERO) {
                take(e, &mut done)?;
            }
            let waiting: Vec<(&Actor, &Pending)> = self
                .pending
                .iter()
                .filter(|(a, _)| !done.contains_key(a))
                .collect();
            let mut expected: BTreeMap<WaitKey, usize> = BTreeMap::new();
            let all_locks = waiting.iter().all(|(a, q)| match q.want {
                Some(w) => {
                    let key = WaitKey::of(w.api, w.kind, self.real.pid(a.process), w.ino);
                    *expected.entry(key).or_default() += 1;
                    true
                }
                None => false,
            });
            let listed = if all_locks { self.real.waiters() } else { None };
            if let Some(listed) = &listed
                && expected.iter().all(|(k, n)| listed.get(k) == Some(n))
            {
                return Ok(done);
            }
            if Instant::now() > deadline {
                let waiting: Vec<&Actor> = waiting.iter().map(|(a, _)| *a).collect();
                return Err(format!(
                    "real side: after {SAFETY:?}, {waiting:?} neither returned nor are all listed \
                     as waiting in /proc/locks (expected {expected:?}, listed {listed:?})"
                ));
            }
            if let Some(e) = self.real.next_event(Duration::from_millis(1)) {
                take(e, &mut done)?;
            }
        }
    }

    /// Waits until every pending simulated call has returned or is asleep
    /// waiting for a lock, with no step taken while that was checked.
    fn settle_sim(&self) -> Result<BTreeMap<Actor, Outcome>, String> {
        let deadline = Instant::now() + SAFETY;
        let mut done = BTreeMap::new();
        loop {
            while let Some((who, outcome)) = self.sim.next_reply(Duration::ZERO) {
                done.insert(who, outcome);
            }
            let steps = self.sim.fs.steps();
            let waiting: Vec<Actor> = self
                .pending
                .keys()
                .filter(|a| !done.contains_key(a))
                .copied()
                .collect();
            if waiting.iter().all(|a| self.sim.is_blocked(*a)) && self.sim.fs.steps() == steps {
                return Ok(done);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "sim side: after {SAFETY:?}, {waiting:?} neither returned nor are all blocked"
                ));
            }
            if let Some((who, outcome)) = self.sim.next_reply(Duration::from_millis(1)) {
                done.insert(who, outcome);
            }
        }
    }
}
