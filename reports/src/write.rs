//! Writing reports to a directory: the format selection (`--format junit,json,md,pcap`) and atomic file writes.
//!
//! Every selected format is rendered in memory first, so a report that fails its check writes nothing; each file is
//! then written to a temporary file in the target directory and renamed over the target, so a reader never sees a
//! half-written file and an I/O error leaves no partial one behind.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::run::RunReport;

/// A report format this crate writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// JUnit XML, `junit.xml`.
    Junit,
    /// JSON, `report.json` (schema: `docs/reports.md`).
    Json,
    /// Markdown for a CI job summary, `summary.md`.
    Markdown,
}

impl Format {
    /// The file name the format is written to inside the report directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Junit => "junit.xml",
            Format::Json => "report.json",
            Format::Markdown => "summary.md",
        }
    }

    /// Renders `report` in this format.
    pub fn render(self, report: &RunReport) -> Result<String, ReportError> {
        match self {
            Format::Junit => crate::junit::to_junit(report),
            Format::Json => crate::json::to_json(report),
            Format::Markdown => crate::markdown::to_markdown(report),
        }
    }
}

/// The outputs selected with `--format`: the report formats of this crate, and whether packet captures are wanted
/// (written by the simulator during the run, not here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// JUnit XML.
    pub junit: bool,
    /// JSON.
    pub json: bool,
    /// Markdown.
    pub markdown: bool,
    /// pcapng captures per segment.
    pub pcap: bool,
}

impl Default for Formats {
    /// Everything: `junit,json,md,pcap`.
    fn default() -> Self {
        Formats {
            junit: true,
            json: true,
            markdown: true,
            pcap: true,
        }
    }
}

impl Formats {
    /// Parses a comma-separated list of `junit`, `json`, `md` (or `markdown`), `pcap`; empty items are ignored,
    /// repeats are harmless, anything else is an error naming it.
    pub fn parse(list: &str) -> Result<Self, ReportError> {
        let mut formats = Formats {
            junit: false,
            json: false,
            markdown: false,
            pcap: false,
        };
        for item in list.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            match item {
                "junit" => formats.junit = true,
                "json" => formats.json = true,
                "md" | "markdown" => formats.markdown = true,
                "pcap" => formats.pcap = true,
                other => return Err(ReportError::UnknownFormat(other.to_owned())),
            }
        }
        Ok(formats)
    }

    /// The report formats selected, in a fixed order.
    pub fn reports(&self) -> Vec<Format> {
        [
            (self.junit, Format::Junit),
            (self.json, Format::Json),
            (self.markdown, Format::Markdown),
        ]
        .into_iter()
        .filter_map(|(on, format)| on.then_some(format))
        .collect()
    }
}

/// Writes `report` into `dir` (created if missing) in each selected report format; returns the files written, in
/// format order. All formats are rendered before any file is touched.
pub fn write_reports(report: &RunReport, dir: &Path, formats: &Formats) -> Result<Vec<PathBuf>, ReportError> {
    let rendered = formats
        .reports()
        .into_iter()
        .map(|format| Ok((dir.join(format.file_name()), format.render(report)?)))
        .collect::<Result<Vec<_>, ReportError>>()?;
    std::fs::create_dir_all(dir).map_err(|err| ReportError::io(dir, err))?;
    let mut written = Vec::with_capacity(rendered.len());
    for (path, text) in rendered {
        write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so `path` holds either its
/// old content or all of `bytes`, never a part. The temporary file is removed if anything fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".dualhome-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Reports are meant to be read (CI artifacts, a browser); tempfile's default is owner-only 0600.
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut file = builder.tempfile_in(dir).map_err(|err| ReportError::io(dir, err))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|err| ReportError::io(file.path(), err))?;
    // On error the NamedTempFile inside PersistError is dropped, which deletes the temporary file.
    file.persist(path).map_err(|err| ReportError::io(path, err.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_format_lists() {
        let all = Formats::parse("junit,json,md,pcap").unwrap();
        assert_eq!(all, Formats::default());
        assert_eq!(all.reports(), [Format::Junit, Format::Json, Format::Markdown]);
        let some = Formats::parse(" json , markdown,,json").unwrap();
        assert_eq!(some.reports(), [Format::Json, Format::Markdown]);
        assert!(!some.pcap);
        assert!(Formats::parse("").unwrap().reports().is_empty());
        let err = Formats::parse("json,html").unwrap_err();
        assert_eq!(err.to_string(), "unknown report format `html` (known: junit, json, md)");
    }

    #[test]
    fn write_atomic_replaces_whole_files_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.txt"]);
    }

    #[test]
    fn write_atomic_fails_cleanly_into_a_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("out.txt");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert!(matches!(err, ReportError::Io { .. }), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn a_failed_rename_leaves_no_temporary() {
        // Renaming a file over a non-empty directory fails on every platform.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        assert!(write_atomic(&target, b"x").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["taken"]);
    }
}
