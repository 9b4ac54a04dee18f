//! `nlecho generate-assets DIR`: the man pages and shell completions that
//! `make install` installs, generated from the clap definitions so that they
//! always say what `--help` says.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

use crate::Cli;

/// The shells completions are written for.
const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// Writes `DIR/man/nlecho.1`, one `nlecho-<path>.1` per subcommand, and
/// `DIR/completions/{nlecho.bash,_nlecho,nlecho.fish}`.
pub fn generate(dir: &Path) -> Result<()> {
    let man = dir.join("man");
    create_dir(&man)?;
    // As clap_mangen::generate_to does: `help` is no command to document.
    let mut cmd = public_command().disable_help_subcommand(true);
    cmd.build();
    let source = format!("{} {}", cmd.get_name(), cmd.get_version().unwrap_or(""));
    man_pages(&cmd, None, &man, &source)?;

    let completions = dir.join("completions");
    create_dir(&completions)?;
    let mut cmd = public_command();
    let name = cmd.get_name().to_owned();
    cmd.set_bin_name(&name);
    cmd.build();
    for shell in SHELLS {
        // try_generate, not clap_complete::generate, which panics on errors.
        let mut script = Vec::new();
        shell
            .try_generate(&cmd, &mut script)
            .with_context(|| format!("generating the {shell} completions"))?;
        write(&completions.join(shell.file_name(&name)), &script)?;
    }
    Ok(())
}

/// Writes the page of `cmd` and of each of its visible subcommands, named
/// after their path (`nlecho-peer-listen.1`). `cmd` must be built, which
/// gives subcommands those names.
fn man_pages(cmd: &clap::Command, parent: Option<&str>, dir: &Path, source: &str) -> Result<()> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(sub, Some(name), dir, source)?;
    }
    // clap_mangen would fill the after-help text into one paragraph under
    // "EXTRA", so it is left out here and rendered by after_help().
    let bare = cmd
        .clone()
        .after_help(None::<&str>)
        .after_long_help(None::<&str>);
    // The default source of a subcommand's page is "send 0.1.0".
    let man = Man::new(bare).source(source);
    let mut extra = after_help(cmd);
    if let Some(parent) = parent {
        extra.control("SH", ["SEE ALSO"]);
        extra.text([bold(parent), roman("(1)")]);
    }
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    // The second part repeats roff's two-line preamble, which is harmless.
    man.render(&mut page)
        .and_then(|()| extra.to_writer(&mut page))
        .with_context(|| format!("rendering {}", path.display()))?;
    write(&path, &page)
}

/// The after-help text of `cmd` as a man section: its "Heading:" line names
/// the section, indented lines (examples, tables) stay as they are, and the
/// other lines are filled as prose.
fn after_help(cmd: &clap::Command) -> Roff {
    let mut roff = Roff::new();
    let Some(text) = cmd.get_after_long_help().or(cmd.get_after_help()) else {
        return roff;
    };
    let text = text.to_string();
    let mut lines = text.lines().peekable();
    let heading = match lines.peek().and_then(|l| l.strip_suffix(':')) {
        Some(heading) => {
            let heading = heading.to_uppercase();
            lines.next();
            heading
        }
        None => String::from("NOTES"),
    };
    roff.control("SH", [heading.as_str()]);
    // Whether the current paragraph is indented; None before the first.
    let mut indented = None;
    for line in lines {
        let this = line.starts_with(' ');
        if indented != Some(this) {
            if indented == Some(true) {
                roff.control("fi", []).control("RE", []);
            }
            if this {
                roff.control("RS", ["4"]).control("nf", []);
            } else {
                roff.control("PP", []);
            }
            indented = Some(this);
        }
        roff.text([roman(line.trim_start())]);
    }
    if indented == Some(true) {
        roff.control("fi", []).control("RE", []);
    }
    roff
}

/// The command tree users see: `Cli` without its hidden subcommands.
/// clap_complete, unlike clap_mangen, completes hidden subcommands too, and
/// clap cannot remove a subcommand, so the root is rebuilt from its parts.
/// The test below checks that nothing but the hidden subcommands is lost.
fn public_command() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new(full.get_name().to_owned())
        .propagate_version(full.is_propagate_version_set())
        .subcommand_required(full.is_subcommand_required_set())
        .arg_required_else_help(full.is_arg_required_else_help_set())
        .args(full.get_arguments().cloned())
        .groups(full.get_groups().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(version) = full.get_version() {
        cmd = cmd.version(version.to_owned());
    }
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    if let Some(about) = full.get_long_about() {
        cmd = cmd.long_about(about.clone());
    }
    if let Some(help) = full.get_after_help() {
        cmd = cmd.after_help(help.clone());
    }
    if let Some(help) = full.get_after_long_help() {
        cmd = cmd.after_long_help(help.clone());
    }
    cmd
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

fn write(path: &Path, contents: &[u8]) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that `public` prints the same help and version as `full` at
    /// every level, and has the same visible subcommands.
    fn same(full: &mut clap::Command, public: &mut clap::Command) {
        let name = full.get_display_name().unwrap_or("").to_owned();
        assert_eq!(
            full.render_long_help().to_string(),
            public.render_long_help().to_string(),
            "{name} --help"
        );
        assert_eq!(full.render_version(), public.render_version(), "{name}");
        let visible = |c: &clap::Command| -> Vec<String> {
            c.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| s.get_name().to_owned())
                .collect()
        };
        let names = visible(full);
        assert_eq!(names, visible(public), "{name}");
        for sub in names {
            same(
                full.find_subcommand_mut(&sub).unwrap(),
                public.find_subcommand_mut(&sub).unwrap(),
            );
        }
    }

    #[test]
    fn the_public_tree_is_cli_without_its_hidden_subcommands() {
        let mut full = Cli::command();
        full.build();
        assert!(full
            .find_subcommand("generate-assets")
            .is_some_and(clap::Command::is_hide_set));
        let mut public = public_command();
        public.build();
        assert!(public.get_subcommands().all(|s| !s.is_hide_set()));
        same(&mut full, &mut public);
    }
}
