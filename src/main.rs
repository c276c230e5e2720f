use std::process::ExitCode;

fn main() -> ExitCode {
    nhiscan::cli::main()
}
