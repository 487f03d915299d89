//! `cargo ctinject ARGS`: Cargo runs `cargo-ctinject ctinject ARGS`; drop the
//! subcommand name and behave exactly as `ctinject ARGS`.

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "ctinject") {
        args.remove(1);
    }
    std::process::exit(ctinject::cli::main_with("cargo ctinject", args));
}
