//! No output may destroy an input: every output path is compared with every
//! input and with the other outputs, after canonicalisation (and by device
//! and inode, so a hard link or a symlink is caught), before anything is
//! opened or sent.

use std::path::{Path, PathBuf};

/// A path the command reads or writes, with the flag that named it.
pub struct Named<'a> {
    /// `--input`, `--config`, ...
    pub flag: &'static str,
    /// The path as given.
    pub path: &'a Path,
}

/// Refuses, with one sentence, an output that is also an input or another
/// output. `-` (standard input) is no file and never collides, nor does a
/// device such as `/dev/null`.
pub fn check(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> anyhow::Result<()> {
    for (i, out) in outputs.iter().enumerate() {
        if std::fs::metadata(out.path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            continue;
        }
        let key = identity(out.path);
        for input in inputs {
            if input.path.as_os_str() != "-" && identity(input.path) == key {
                anyhow::bail!(
                    "{} {} is also the {}: writing it would destroy that input; choose another file",
                    out.flag,
                    out.path.display(),
                    input.flag
                );
            }
        }
        for other in &outputs[..i] {
            if identity(other.path) == key {
                anyhow::bail!(
                    "{} {} is also the {}: the two outputs would overwrite each other; choose another file",
                    out.flag,
                    out.path.display(),
                    other.flag
                );
            }
        }
    }
    Ok(())
}

/// What makes two paths the same file.
#[derive(PartialEq, Eq, Debug)]
enum Identity {
    /// An existing file: its device and inode.
    Inode(u64, u64),
    /// A file not created yet: its canonical parent and name.
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let Ok(m) = std::fs::metadata(path) {
            return Identity::Inode(m.dev(), m.ino());
        }
    }
    if let Ok(c) = std::fs::canonicalize(path) {
        return Identity::Path(c);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    Identity::Path(parent.join(path.file_name().unwrap_or_default()))
}
