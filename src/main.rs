//! `ctinject`: see `ctinject --help`.

fn main() {
    std::process::exit(ctinject::cli::main_with(
        "ctinject",
        std::env::args_os().collect(),
    ));
}
