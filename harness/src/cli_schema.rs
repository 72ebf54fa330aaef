//! `dualhome schema`: print the JSON Schema of scenario files, for editors and CI.

use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Print the JSON Schema (draft 2020-12) of scenario files.
#[derive(Args)]
pub struct SchemaCommand {
    /// Write the schema to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Runs the command; exit code 0 on success, 2 when the output cannot be written.
pub fn run(cmd: SchemaCommand) -> u8 {
    let json = dualhome::scenario::scenario_schema_json();
    let result = match &cmd.output {
        Some(path) => std::fs::write(path, json.as_bytes()),
        None => std::io::stdout().lock().write_all(json.as_bytes()),
    };
    match result {
        Ok(()) => 0,
        // `dualhome schema | head` closes the pipe early; that is not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let target = cmd
                .output
                .as_ref()
                .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
            eprintln!("dualhome schema: cannot write {target}: {e}");
            2
        }
    }
}
