//! Report writers: JUnit XML, JSON, Markdown, pcapng.
