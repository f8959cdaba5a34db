//! `.keycard-profile`: a file in a directory, or in the nearest parent that has one,
//! holding the name of the profile to use there (issue 17 §1). It only selects among the
//! profiles in config.toml (`Config::resolve` refuses another name, naming the file).
//!
//! The prompt pays for the search on every call, so it is one `open` per directory up
//! to the root, from the working directory as the kernel reports it (no canonicalising,
//! no reading of anything else).

use crate::fsio;
use crate::paths::ProfileName;
use anyhow::{Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".keycard-profile";

/// The longest file worth reading: a name is at most 64 bytes, plus a line break.
const MAX_BYTES: u64 = 256;

/// The nearest `.keycard-profile` from the working directory up: its path (kept for the
/// rest of the process: `Source::File` carries it) and the profile name it holds, or an
/// error naming the file when it cannot be used. `None` when there is none.
pub fn find() -> Option<(&'static Path, Result<ProfileName>)> {
    let cwd = std::env::current_dir().ok()?;
    let mut candidate = cwd.join(FILE_NAME);
    loop {
        match open(&candidate) {
            Ok(None) => {}
            Ok(Some(file)) => {
                let path: &'static Path = Box::leak(candidate.into_boxed_path());
                return Some((path, read(path, file)));
            }
            Err(e) => {
                let path: &'static Path = Box::leak(candidate.into_boxed_path());
                return Some((path, Err(e)));
            }
        }
        // `candidate` is DIR/.keycard-profile: go to DIR's parent.
        let parent = candidate.parent()?.parent()?.to_path_buf();
        candidate = parent.join(FILE_NAME);
    }
}

/// The file if it is there; `Ok(None)` when it is not (or a path component is not a
/// directory). Opened without blocking, so a FIFO planted there cannot hang a prompt.
fn open(path: &Path) -> Result<Option<std::fs::File>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    match options.open(path) {
        Ok(file) => Ok(Some(file)),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn read(path: &Path, mut file: std::fs::File) -> Result<ProfileName> {
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "{} is not a regular file; a .keycard-profile holds one profile name: \
             remove it or replace it with one",
            path.display()
        );
    }
    // Someone else's file must not choose which of this user's accounts is used (a
    // planted /tmp/.keycard-profile): only the user's own files and root's count.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: getuid has no preconditions and cannot fail.
        let me = unsafe { libc::getuid() };
        if meta.uid() != me && meta.uid() != 0 {
            anyhow::bail!(
                "{} belongs to another user (uid {}), so keycard does not take a profile \
                 from it; remove it, or pass --profile",
                path.display(),
                meta.uid()
            );
        }
    }
    let mut bytes = Vec::with_capacity(MAX_BYTES as usize);
    file.by_ref()
        .take(MAX_BYTES)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    ProfileName::parse(text.trim()).with_context(|| {
        format!(
            "{} must hold one profile name (write it with `{}`)",
            path.display(),
            crate::hint::no_profile("config use", "NAME --here")
        )
    })
}

/// Writes `dir/.keycard-profile` naming `name`: atomically, mode 0644 (it holds no
/// secret, and others sharing the directory may read which profile it picks).
pub fn write(dir: &Path, name: &ProfileName) -> Result<PathBuf> {
    let path = dir.join(FILE_NAME);
    fsio::write_atomic(&path, format!("{name}\n").as_bytes(), 0o644)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
