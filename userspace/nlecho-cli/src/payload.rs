//! Where a command's payload comes from: its argument, standard input
//! (`-`), or `--file`.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

/// The payload options every sending command shares.
#[derive(Args, Debug)]
pub struct PayloadArgs {
    /// The payload; `-` reads it from standard input.
    #[arg(
        value_name = "MSG",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    msg: Option<OsString>,
    /// Read the payload from this file instead.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
}

impl PayloadArgs {
    /// The payload's bytes, exactly as given (no newline added or removed).
    pub fn read(&self) -> Result<Vec<u8>> {
        if let Some(path) = &self.file {
            return std::fs::read(path).with_context(|| format!("reading {}", path.display()));
        }
        match &self.msg {
            Some(m) if m == "-" => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut buf)
                    .context("reading standard input")?;
                Ok(buf)
            }
            Some(m) => Ok(m.clone().into_vec()),
            // clap requires MSG or --file.
            None => Ok(Vec::new()),
        }
    }
}
