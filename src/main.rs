//! The `lockcheck` command; see [`lockcheck::cli`].

fn main() -> std::process::ExitCode {
    // Like any Unix filter, end quietly when the reader of standard output
    // goes away (`lockcheck check models/ | head`): Rust ignores SIGPIPE,
    // which would turn the next print into a panic in the middle of an
    // exploration, with shuttle's notes around it.
    // SAFETY: restoring a signal's default disposition at the start of
    // main, before any other thread exists, has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    lockcheck::cli::main()
}
