//! The refresh variants and their stable names.

/// How a holder rewrites its record to refresh the lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refresh {
    /// The seed's vulnerable code (commit 564adbc): `unlink` the lock file,
    /// then write it again (`open` with `O_CREAT|O_TRUNC`, then `write`);
    /// if either fails, write it again and re-raise. Between the two steps
    /// the lock file is missing and another agent can take the lock; the
    /// refresher then overwrites that agent's record and both hold it.
    ///
    /// (The seed's syscall listing shows the rewrite as `open(O_EXCL)`,
    /// but its race scenario, "Agent A writes refreshed lock → overwrites
    /// Agent B's lock", and "Silent failure (no errors raised)" need a
    /// truncating open; we follow the scenario.)
    UnlinkThenWrite,
    /// The seed's fix as written (commit fadf613): write the record to the
    /// fixed name `<name>.lock.tmp`, then `rename` it over the lock file;
    /// on failure remove the temp file and re-raise. The lock file is never
    /// missing. Still flawed: the owner check and the rename are separate
    /// steps, so a holder paused past its lease overwrites the record of
    /// whoever took the lock over; and two refreshers share one temp name.
    WriteTempThenReplace,
    /// Fenced leases: correct under pauses longer than the lease, given a
    /// resource that checks tokens.
    ///
    /// - **Tokens.** Every acquisition takes a fencing token from the
    ///   counter file `<name>.lock.token`, incremented under an exclusive
    ///   `flock` of that file (never unlinked), written in place and
    ///   `fsync`ed before use; so tokens are issued strictly increasing,
    ///   across pauses, crashes and power loss. An acquirer that pauses
    ///   between taking its token and publishing its record can still
    ///   publish after a later token was used and released: it then holds
    ///   the lock with a smaller token, which the resource rejects (a lease
    ///   dead on arrival, never a second writer).
    /// - **Publishing.** Acquire writes the record (with its token) to a
    ///   temp file created with `O_EXCL` (`<name>.lock.<pid>-<n>.tmp`)
    ///   and `link`s it to `<name>.lock` (`EEXIST` if held); refresh
    ///   `rename`s such a temp file over the lock file. Nobody ever sees a
    ///   missing, empty or partial record while the lock is held. The
    ///   records are not `fsync`ed: after a power loss a lock file may be
    ///   empty, which counts as corrupt and then, after `stale_after`, as
    ///   stale; safety rests on the counter, which is `fsync`ed.
    /// - **Refresh and release** re-read the record and refuse
    ///   ([`LockError::NotOwner`](super::LockError::NotOwner)) unless owner and token are still ours.
    ///
    /// **Assumes:** the protected resource is given the token with every
    /// write and rejects a token smaller than the largest it has seen; the
    /// threads of one process serialize their calls on one lock.
    ///
    /// **Guarantees:** tokens are issued strictly increasing; every write
    /// the resource accepts comes from the newest holder it has
    /// heard from, so a paused holder's late writes are rejected once the
    /// resource has seen its successor's token; a lock file that exists
    /// always parses (short of a power loss).
    ///
    /// **Does NOT guarantee** that one process at a time believes it holds
    /// the lock: a holder paused past `stale_after` is taken over while it
    /// still believes it holds, and because the owner check and the
    /// `rename` (or `unlink`, in release and in stale cleanup) are
    /// separate steps, a refresh, release or second takeover racing a
    /// takeover can still overwrite or remove the new holder's record, so
    /// two holders can both have been told "acquired". Whoever acquired
    /// last has the largest token, so safety comes from the resource's
    /// token check, not from the file.
    Fenced,
}

impl Refresh {
    /// Every variant, flawed first.
    pub const ALL: [Refresh; 3] = [
        Refresh::UnlinkThenWrite,
        Refresh::WriteTempThenReplace,
        Refresh::Fenced,
    ];

    /// The stable name, e.g. `lockfile/unlink-then-write`.
    pub fn name(self) -> &'static str {
        match self {
            Refresh::UnlinkThenWrite => "lockfile/unlink-then-write",
            Refresh::WriteTempThenReplace => "lockfile/write-temp-then-replace",
            Refresh::Fenced => "lockfile/fenced",
        }
    }
}

crate::variant::stable_names!(Refresh);
