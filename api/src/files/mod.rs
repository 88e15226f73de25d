//! File storage, content-addressed: bytes are stored once under their SHA-256, so a file's
//! hash is its identity, a version can never change under a reader, and the same PDF uploaded
//! twice takes its space once. Uploads stream through a temporary file while being hashed and
//! counted, and become visible only once complete, so a cut connection or an oversized upload
//! leaves nothing behind. [`LocalFileStore`] keeps them in a directory (the embedded default);
//! [`ObjectFileStore`] in an S3-compatible bucket that every instance shares. [`check_pdf`]
//! tells whether a stored file really is a PDF.

mod local;
mod object;
pub mod pdf;
pub mod pdf_limits;

use std::{ops::Range, path::PathBuf, pin::Pin};

use tokio::io::AsyncRead;

pub use local::LocalFileStore;
pub use object::ObjectFileStore;
pub use pdf::{PdfError, PdfInfo, check_pdf};

/// A SHA-256 digest in lower-case hex: the name a stored file goes by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentHash(String);

impl ContentHash {
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A byte range as a client asks for it, before the file's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// From this offset to the end.
    From(u64),
    /// From the first offset to the second, inclusive.
    Between(u64, u64),
    /// The last this many bytes.
    Last(u64),
}

impl ByteRange {
    /// The bytes it names in a file of `size` bytes (an end past the file stops at its end).
    pub fn within(self, size: u64) -> Range<u64> {
        match self {
            ByteRange::From(start) => start..size,
            ByteRange::Between(start, end) => start..end.saturating_add(1).min(size),
            ByteRange::Last(n) => size.saturating_sub(n)..size,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub hash: ContentHash,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("no stored file {0}")]
    NotFound(String),
    #[error("the range is outside the file")]
    RangeNotSatisfiable,
    #[error("file storage failed: {0}")]
    Io(#[from] std::io::Error),
}

pub type FileReader = Pin<Box<dyn AsyncRead + Send>>;

#[async_trait::async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Stores everything `body` yields, refusing (and keeping nothing) past `limit` bytes.
    async fn put(&self, body: FileReader, limit: u64) -> Result<StoredFile, FileError>;

    /// The stored bytes, or the part of them in `range`, and how many bytes that is.
    async fn open(
        &self,
        hash: &ContentHash,
        range: Option<Range<u64>>,
    ) -> Result<(FileReader, u64), FileError>;

    /// Where this instance keeps its own copy of a file it has just stored, for checks that
    /// want the file itself (see [`check_pdf`]).
    fn local_path(&self, hash: &ContentHash) -> PathBuf;

    /// This instance's own copy of a stored file, fetched first when only the shared store has
    /// it: for work that maps the file rather than reading it into memory (signing).
    async fn local_copy(&self, hash: &ContentHash) -> Result<PathBuf, FileError>;
}

/// The whole of the stored file `sha256`, in memory: for work that needs all of it at once
/// (checking its signatures, carrying it inside a message).
pub async fn read_all(files: &dyn FileStore, sha256: &str) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    use tokio::io::AsyncReadExt;
    let hash = ContentHash::parse(sha256).context("a stored file hash is not SHA-256 hex")?;
    let (mut reader, len) = files
        .open(&hash, None)
        .await
        .context("opening a stored file")?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    reader
        .read_to_end(&mut bytes)
        .await
        .context("reading a stored file")?;
    Ok(bytes)
}
