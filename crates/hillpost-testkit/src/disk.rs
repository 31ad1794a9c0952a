//! A small filesystem of its own per test (a tmpfs mounted by the test), to fill up on
//! purpose: what a database does when its disk is full is only learnt on a full disk.
//!
//! Mounting needs root (CI runs as root); elsewhere the test reports a loud skip, which
//! `HILLPOST_TEST_REQUIRE_ALL=1` turns into a failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs, unmounted when dropped.
pub struct SmallDisk {
    dir: tempfile::TempDir,
    filler: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes` for `test`, or reports the skip and returns `None`.
    pub fn mount(test: &str, megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("create a mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={megabytes}m,mode=0700"))
            .arg("tmpfs")
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                crate::skip(
                    test,
                    "a filesystem the test can fill (mounting a tmpfs needs root)",
                    &format!(
                        "mount said: {}. Run the tests as root (as CI does).",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                );
                return None;
            }
            Err(error) => {
                crate::skip(
                    test,
                    "a filesystem the test can fill (mount(8))",
                    &format!("({error}) Run the tests as root on Linux (as CI does)."),
                );
                return None;
            }
        }
        let filler = dir.path().join("filler");
        Some(SmallDisk { dir, filler })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the filesystem has no room left; returns the bytes written.
    pub fn fill(&self) -> u64 {
        let mut file = std::fs::File::create(&self.filler).expect("create the filler file");
        let block = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        // Large blocks first, then single bytes: the last few bytes of room matter.
        for chunk in [block.len(), 4096, 1] {
            loop {
                match file.write(&block[..chunk]) {
                    Ok(0) => break,
                    Ok(n) => written += n as u64,
                    Err(_) => break,
                }
            }
        }
        let _ = file.flush();
        written
    }

    /// Gives the room taken by [`SmallDisk::fill`] back.
    pub fn free(&self) {
        std::fs::remove_file(&self.filler).expect("remove the filler file");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazy: a database connection a failed test left open must not keep it mounted.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .output();
    }
}
