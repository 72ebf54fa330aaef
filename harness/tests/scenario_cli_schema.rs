//! `dualhome schema` prints the library's schema, to stdout or to a file.

use std::process::Command;

fn dualhome() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dualhome"))
}

#[test]
fn schema_goes_to_stdout() {
    let out = dualhome().arg("schema").output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run dualhome: {e}"),
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        dualhome::scenario::scenario_schema_json()
    );
}

#[test]
fn schema_goes_to_a_file_and_unwritable_targets_exit_2() {
    let dir = std::env::temp_dir().join(format!("dualhome-schema-test-{}", std::process::id()));
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let file = dir.join("scenario.schema.json");
    let status = dualhome().args(["schema", "--output"]).arg(&file).status();
    assert!(status.is_ok_and(|s| s.success()));
    assert_eq!(
        std::fs::read_to_string(&file).ok(),
        Some(dualhome::scenario::scenario_schema_json())
    );
    let bad = dualhome()
        .args(["schema", "-o"])
        .arg(dir.join("missing-dir/x.json"))
        .output();
    assert!(
        bad.is_ok_and(|o| o.status.code() == Some(2) && String::from_utf8_lossy(&o.stderr).contains("cannot write"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
