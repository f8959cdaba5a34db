//! Private, atomic file writes. Tokens are credentials: a file is created 0600 from its
//! first byte (never chmod-ed afterwards), written to a temporary file beside the target,
//! synced and renamed into place, so readers see the old file or the new one, never half.

use anyhow::{Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Held for the whole of a write. The Ctrl-C handler takes it before exiting, so an
/// interrupt lands either before the temporary file exists or after the rename.
pub static WRITE_GUARD: Mutex<()> = Mutex::new(());

/// Creates `dir` (and parents) if missing; keycard's own directory gets mode 0700.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| unusable_dir(dir, "create", &e))?;
    // `recursive` applies the mode to parents too, but umask may have narrowed it; the
    // leaf must be exactly 0700 whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot set the mode of {}", dir.display()))?;
    }
    Ok(())
}

/// `ensure_private_dir`, and the directory takes new files: checked before work that
/// would be lost if the result could not be saved (a sign-in the user approved).
pub fn ensure_writable_dir(dir: &Path) -> Result<()> {
    ensure_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c_path = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .with_context(|| format!("{} is not a usable path", dir.display()))?;
        // SAFETY: a valid NUL-terminated path; access(2) only reads it.
        if unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return Err(unusable_dir(
                dir,
                "write to",
                &std::io::Error::last_os_error(),
            ));
        }
    }
    Ok(())
}

/// "cannot create the config directory DIR: FILE is a file, not a directory; ..." with
/// the way out, for a directory keycard cannot make or use.
pub fn unusable_dir(dir: &Path, doing: &str, e: &std::io::Error) -> anyhow::Error {
    // ENOTDIR names no path: find the regular file in the way.
    let why = dir
        .ancestors()
        .find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir()))
        .map(|file| format!("{} is a file, not a directory", file.display()))
        .unwrap_or_else(|| e.to_string());
    anyhow::anyhow!(
        "cannot {doing} the config directory {}: {why}; point --config-dir or \
         KEYCARD_CONFIG_DIR at a directory you can write",
        dir.display()
    )
}

/// Where a write to `path` must go so that a symbolic link there survives: the file the
/// link chain ends at (which need not exist yet), else `path` itself.
pub fn through_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current)
                    .with_context(|| format!("cannot read the link {}", current.display()))?;
                current = match current.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            _ => return Ok(current),
        }
    }
    anyhow::bail!(
        "{} is a chain of more than 40 symbolic links; point it at the real file",
        path.display()
    )
}

/// Opens `path` for reading without blocking on a FIFO (a prompt must never hang on one
/// planted where a file should be), and, unless `follow_links`, without following a
/// symbolic link in the last component (it fails with ELOOP instead). The caller checks
/// what it opened with `metadata()` before reading.
#[cfg(unix)]
pub fn open_nonblocking(path: &Path, follow_links: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let no_follow = if follow_links { 0 } else { libc::O_NOFOLLOW };
    OpenOptions::new()
        .read(true)
        .custom_flags(no_follow | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
pub fn open_nonblocking(path: &Path, follow_links: bool) -> std::io::Result<File> {
    if !follow_links && fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("symbolic link"));
    }
    File::open(path)
}

/// "a FIFO", "a device", ... for a path that should have been a regular file.
pub fn kind_of(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Atomically replaces `path` with `contents`, mode 0600.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    replace_in_private_dir(path, contents, Seam::Aimed)
}

/// `write_private` for keycard's small records beside the token files (the waiting
/// sign-in, the last session warning). They are written as safely, but the crash seam
/// (`KEYCARD_TEST_KILL_WRITE_AT`) passes them by: it aims at token files and config.toml.
pub fn write_record(path: &Path, contents: &[u8]) -> Result<()> {
    replace_in_private_dir(path, contents, Seam::Passed)
}

/// Makes sure `path`'s directory is private, then atomically replaces `path`, mode 0600.
fn replace_in_private_dir(path: &Path, contents: &[u8], seam: Seam) -> Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    ensure_private_dir(dir)?;
    replace(path, contents, 0o600, seam)
}

/// Atomically replaces `path` (in a directory that exists) with `contents`, created
/// with exactly `mode` whatever the umask.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    replace(path, contents, mode, Seam::Passed)
}

/// Whether a write is one the crash seam of debug builds may kill.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seam {
    Aimed,
    Passed,
}

fn replace(path: &Path, contents: &[u8], mode: u32, seam: Seam) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let _guard = WRITE_GUARD.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = temp_path(path);
    let result = write_new(&tmp, contents, mode, seam).and_then(|()| {
        fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", path.display()))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    // Make the rename itself durable; failure here loses nothing already visible.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_new(tmp: &Path, contents: &[u8], mode: u32, seam: Seam) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = options
        .open(tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    // The umask may only have narrowed a mode wider than 0600 (a file that holds no
    // secret); the empty file is set to exactly what was asked before anything is in it.
    #[cfg(unix)]
    if mode != 0o600 {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", tmp.display()))?;
    }
    let written = match seam {
        Seam::Aimed => write_contents(&mut file, contents),
        Seam::Passed => file.write_all(contents),
    };
    written
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))
}

#[cfg(not(debug_assertions))]
fn write_contents(file: &mut File, contents: &[u8]) -> std::io::Result<()> {
    file.write_all(contents)
}

/// Test seam, debug builds only (release builds compile the plain write above): with
/// `KEYCARD_TEST_KILL_WRITE_AT=K` (1 to 8) the temporary file is written in eight chunks
/// and the process kills itself with SIGKILL after the K-th, before the file is synced
/// and renamed: a crash at an exact point of the write, so tests/cli/crash.rs can check
/// that readers still see the old file and the next writer sweeps the temporary one,
/// however fast or busy the machine is.
#[cfg(debug_assertions)]
fn write_contents(file: &mut File, contents: &[u8]) -> std::io::Result<()> {
    let kill_at: Option<usize> = std::env::var("KEYCARD_TEST_KILL_WRITE_AT")
        .ok()
        .and_then(|k| k.parse().ok());
    let Some(kill_at) = kill_at else {
        return file.write_all(contents);
    };
    for (n, chunk) in contents
        .chunks(contents.len().div_ceil(8).max(1))
        .enumerate()
    {
        file.write_all(chunk)?;
        file.flush()?;
        if n + 1 == kill_at {
            #[cfg(unix)]
            // SAFETY: kill(2) on our own pid has no memory effects.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
        }
    }
    Ok(())
}

/// A small regular file's bytes (at most `limit`), or `None` when there is none, or it is
/// a link, a FIFO, a device or a directory, or longer: for keycard's own small records
/// (`.auth-NAME.signin.json`, `.auth-NAME.warned`), which are never worth blocking or
/// failing a command over.
pub fn read_small(path: &Path, limit: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = open_nonblocking(path, false).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

/// Deletes the temporary files a killed writer of `path` left behind (SIGKILL cannot be
/// caught, so nothing else removes them). Call it only while holding the lock that every
/// writer of `path` takes: then no live writer owns any of them.
pub fn sweep_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let is_ours = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .is_some_and(is_temp_suffix);
        if is_ours {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `PID.N.tmp`, exactly as `temp_path` makes it: so the sweep of profile `a` never touches
/// the files of profile `a.json.1`, whose names also start with `.auth-a.json.`.
fn is_temp_suffix(rest: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match rest.strip_suffix(".tmp").and_then(|r| r.split_once('.')) {
        Some((pid, n)) => digits(pid) && digits(n),
        None => false,
    }
}

/// A sibling name no other writer uses: hidden, with the pid and a per-process counter.
fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("keycard-fsio-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn creates_dir_0700_and_file_0600_and_replaces_atomically() {
        let dir = scratch("modes").join("nested");
        let file = dir.join("auth-x.json");
        write_private(&file, b"one").unwrap();
        write_private(&file, b"two").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn writes_through_a_link_keep_the_link() {
        let dir = scratch("links");
        fs::create_dir_all(dir.join("dotfiles")).unwrap();
        fs::write(dir.join("dotfiles/config.toml"), b"old").unwrap();
        std::os::unix::fs::symlink("dotfiles/config.toml", dir.join("config.toml")).unwrap();
        let target = through_links(&dir.join("config.toml")).unwrap();
        assert_eq!(target, dir.join("dotfiles/config.toml"));
        write_private(&target, b"new").unwrap();
        assert!(
            fs::symlink_metadata(dir.join("config.toml"))
                .unwrap()
                .is_symlink()
        );
        assert_eq!(fs::read(dir.join("config.toml")).unwrap(), b"new");
        // A loop ends in an error, not a hang.
        std::os::unix::fs::symlink("loop-b", dir.join("loop-a")).unwrap();
        std::os::unix::fs::symlink("loop-a", dir.join("loop-b")).unwrap();
        assert!(through_links(&dir.join("loop-a")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_in_the_way_of_the_directory_is_named() {
        let dir = scratch("in-the-way");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("file"), b"").unwrap();
        let err = ensure_writable_dir(&dir.join("file/sub")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("{} is a file", dir.join("file").display())),
            "{message}"
        );
        assert!(message.contains("KEYCARD_CONFIG_DIR"), "{message}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_sweep_removes_only_this_files_temporaries() {
        let dir = scratch("sweep");
        fs::create_dir_all(&dir).unwrap();
        let names = [
            ".auth-a.json.123.0.tmp",
            ".auth-a.json.9.17.tmp",
            ".auth-a.json.1.json.5.0.tmp",
            ".auth-b.json.1.0.tmp",
            ".auth-a.json.x.0.tmp",
            "auth-a.json",
        ];
        for n in names {
            fs::write(dir.join(n), b"").unwrap();
        }
        sweep_temps(&dir.join("auth-a.json"));
        let mut left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut kept = names[2..].to_vec();
        kept.sort();
        assert_eq!(left, kept, "only a's own PID.N.tmp files go");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failed_write_leaves_no_temp_file() {
        let dir = scratch("fail");
        fs::create_dir_all(dir.join("target-is-a-dir")).unwrap();
        // Renaming a file over a non-empty directory fails.
        fs::write(dir.join("target-is-a-dir").join("x"), b"").unwrap();
        assert!(write_private(&dir.join("target-is-a-dir"), b"data").is_err());
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("target-is-a-dir")]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
