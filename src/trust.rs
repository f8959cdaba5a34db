//! Whose files these are, as ssh checks `~/.ssh` (StrictModes): another local user who
//! can write the config directory or config.toml can make the next refresh send the
//! refresh token to their server, and one who owns a token or lock file can read or
//! swap the tokens in it.
//!
//! The checks take the metadata of a handle or path the caller already has (one `fstat`
//! or `stat`), so a prompt pays no extra path walk for them. Only the error path looks up
//! user and group names.
//!
//! Who is trusted: the user keycard runs as, and root (a root-owned directory is how an
//! administrator hands out a shared config, and root can change anything anyway). When
//! keycard itself runs as root, a directory or file owned by another user is accepted:
//! root pointing `--config-dir` at a user's directory reads that user's session on
//! purpose and sends nothing of root's. Writable by group or others is refused for
//! everyone, root included: then any member of the group could have changed it.

use crate::hint::shell_word;
use anyhow::Result;
use std::fs::Metadata;
use std::path::Path;

/// What must hold for a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The config directory and config.toml: owned by a trusted user and writable by
    /// nobody else.
    Private,
    /// Token and lock files: owned by a trusted user (the directory already keeps
    /// others from replacing them; a readable token file draws its own warning).
    Owned,
}

/// `Ok` when `meta` (of `path`) satisfies `rule`; else an error naming the path, who can
/// change it, and the command that fixes it.
#[cfg(unix)]
pub fn check(path: &Path, meta: &Metadata, rule: Rule) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid cannot fail and has no side effects.
    let me = unsafe { libc::geteuid() };
    let owner = meta.uid();
    if owner != me && owner != 0 && me != 0 {
        return Err(anyhow::anyhow!(
            "{} belongs to {}, not to you ({}): that user could {}, so keycard refuses to \
             use it; fix it with `chown {} {}` (as root), or point --config-dir at a \
             directory of your own",
            path.display(),
            user_name(owner),
            user_name(me),
            harm(meta),
            plain_name(me),
            shell_word(&path.to_string_lossy())
        ));
    }
    let writers = meta.mode() & 0o022;
    if rule == Rule::Private && writers != 0 && !meta.file_type().is_symlink() {
        let who = match (writers & 0o020 != 0, writers & 0o002 != 0) {
            (true, true) => format!("group {} and every other user", group_name(meta.gid())),
            (true, false) => format!("group {}", group_name(meta.gid())),
            _ => "every other user".to_string(),
        };
        return Err(anyhow::anyhow!(
            "{} can be changed by {who} (mode {:04o}): they could {}, so keycard refuses to \
             use it; fix it with `chmod go-w {}`",
            path.display(),
            meta.mode() & 0o7777,
            harm(meta),
            shell_word(&path.to_string_lossy())
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check(_: &Path, _: &Metadata, _: Rule) -> Result<()> {
    Ok(())
}

/// What another user could do with the path, in words.
fn harm(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        "put their own config.toml or token files here and have your tokens sent to their server"
    } else {
        "read or replace what keycard keeps in it and have your tokens sent to their server"
    }
}

/// "alice (uid 1000)", or "uid 1000" when the user has no name.
#[cfg(unix)]
fn user_name(uid: u32) -> String {
    match name_of_user(uid) {
        Some(name) => format!("{name} (uid {uid})"),
        None => format!("uid {uid}"),
    }
}

/// The bare name `chown` takes, or the number.
#[cfg(unix)]
fn plain_name(uid: u32) -> String {
    name_of_user(uid).unwrap_or_else(|| uid.to_string())
}

/// The name of `uid` in /etc/passwd. Not getpwuid(3): keycard is linked statically,
/// and glibc's static NSS would load shared libraries, or crash. Users known only to a
/// directory service show as their number.
#[cfg(unix)]
fn name_of_user(uid: u32) -> Option<String> {
    name_in("/etc/passwd", uid)
}

/// "'staff' (gid 20)", or "gid 20" when the group has no name in /etc/group.
#[cfg(unix)]
fn group_name(gid: u32) -> String {
    match name_in("/etc/group", gid) {
        Some(name) => format!("'{name}' (gid {gid})"),
        None => format!("gid {gid}"),
    }
}

/// The first field of the line of `file` (passwd(5) or group(5) format) whose third
/// field is `id`.
#[cfg(unix)]
fn name_in(file: &str, id: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let number = fields.nth(1)?;
        (number.parse() == Ok(id)).then(|| name.to_string())
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writable_by_others_is_refused_with_the_fix() {
        let dir = std::env::temp_dir().join(format!("keycard-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (mode, who) in [(0o777, "every other user"), (0o770, "group ")] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
            let meta = std::fs::metadata(&dir).unwrap();
            let err = check(&dir, &meta, Rule::Private).unwrap_err().to_string();
            assert!(err.contains(who), "{err}");
            assert!(
                err.contains(&format!("chmod go-w {}", dir.display())),
                "{err}"
            );
            assert!(check(&dir, &meta, Rule::Owned).is_ok());
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let meta = std::fs::metadata(&dir).unwrap();
        assert!(check(&dir, &meta, Rule::Private).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
