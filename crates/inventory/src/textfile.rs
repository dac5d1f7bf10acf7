//! Reading a text file the way every rolecall reader does: bounded in size, a UTF-8 byte-order
//! mark accepted, a NUL byte or invalid UTF-8 an error with its position, never a panic.
//!
//! The bound is `ROLECALL_MAX_FILE_MB` mebibytes (default 1024, enough for an Organization's
//! authorization details); a larger file is refused with its size and the variable to raise.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Default bound on one input file, in mebibytes.
pub const DEFAULT_MAX_FILE_MB: u64 = 1024;

#[derive(Debug, thiserror::Error)]
pub enum TextFileError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {size} bytes is over the {limit}-byte limit for one input file (raise it with ROLECALL_MAX_FILE_MB)")]
    TooLarge {
        file: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{file}:{line}:{column}: NUL byte: not a text file")]
    Nul {
        file: PathBuf,
        line: usize,
        column: usize,
    },
    #[error("{file}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { file: PathBuf, offset: usize },
}

/// The configured bound, in bytes.
pub fn max_file_bytes() -> u64 {
    std::env::var("ROLECALL_MAX_FILE_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_FILE_MB)
        .saturating_mul(1024 * 1024)
}

/// Reads a UTF-8 text file of at most `limit` bytes (BOM stripped).
pub fn read_text_limited(path: &Path, limit: u64) -> Result<String, TextFileError> {
    let read_err = |source| TextFileError::Read {
        file: path.into(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    if let Ok(meta) = file.metadata() {
        if meta.is_dir() {
            return Err(read_err(std::io::Error::other("is a directory")));
        }
        if meta.len() > limit {
            return Err(TextFileError::TooLarge {
                file: path.into(),
                size: meta.len(),
                limit,
            });
        }
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(TextFileError::TooLarge {
            file: path.into(),
            size: bytes.len() as u64,
            limit,
        });
    }
    decode(path, bytes)
}

/// Reads a UTF-8 text file within the configured bound.
pub fn read_text(path: &Path) -> Result<String, TextFileError> {
    read_text_limited(path, max_file_bytes())
}

/// Bytes to text: BOM stripped, NUL and invalid UTF-8 reported with their position.
pub fn decode(path: &Path, mut bytes: Vec<u8>) -> Result<String, TextFileError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let before = bytes.get(..at).unwrap_or(&[]);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or(&[]))
            .chars()
            .count()
            + 1;
        return Err(TextFileError::Nul {
            file: path.into(),
            line,
            column,
        });
    }
    String::from_utf8(bytes).map_err(|e| TextFileError::NotUtf8 {
        file: path.into(),
        offset: e.utf8_error().valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rolecall-textfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn bom_nul_utf8_and_size() {
        let p = tmp("bom.json", b"\xEF\xBB\xBF{\"a\":1}");
        assert_eq!(read_text(&p).unwrap(), "{\"a\":1}");
        let p = tmp("nul.json", b"{\n  \"a\": \x00}");
        let e = read_text(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("nul.json:2:8: NUL byte: not a text file"),
            "{e}"
        );
        let p = tmp("latin1.json", b"{\"a\": \"\xE9\"}");
        assert!(read_text(&p).unwrap_err().to_string().contains("offset 7"));
        let p = tmp("big.json", &[b' '; 100]);
        assert!(matches!(
            read_text_limited(&p, 99).unwrap_err(),
            TextFileError::TooLarge { size: 100, .. }
        ));
        assert!(read_text_limited(&p, 100).is_ok());
        let dir = p.parent().unwrap();
        assert!(read_text(dir).is_err());
    }
}
