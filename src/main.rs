//! The `lockcheck` command; see [`lockcheck::cli`].

fn main() -> std::process::ExitCode {
    lockcheck::cli::main()
}
