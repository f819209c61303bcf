//! Quiet exploration: panics that an execution catches and reports as
//! violations (a deadlock report, a failed assertion in a user's process)
//! would otherwise each print a message and a backtrace, thousands of
//! times in a long search. While this thread explores, the panic hook
//! stays silent; on every other thread, and on this one afterwards, it
//! behaves as before.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// Runs `f` with this thread's panics silent.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    install();
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let _restore = Restore(QUIET.with(|q| q.replace(true)));
    f()
}

/// Wraps the panic hook, after shuttle has installed its own (it does so
/// at its first execution), so that ours is outermost.
fn install() {
    INSTALL.call_once(|| {
        let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(0, 1);
        shuttle::Runner::new(scheduler, shuttle::Config::new()).run(|| {});
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}
