//! The local-directory [`FileStore`]: `{root}/{first two hex digits}/{hash}`, written through
//! `{root}/tmp/` and renamed into place.

use std::{
    io::SeekFrom,
    ops::Range,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};
use tokio::{
    fs,
    io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt},
};

use super::{ContentHash, FileError, FileReader, FileStore, StoredFile};

pub struct LocalFileStore {
    root: PathBuf,
}

impl LocalFileStore {
    pub async fn new(root: impl Into<PathBuf>) -> Result<Self, FileError> {
        let root = root.into();
        fs::create_dir_all(root.join("tmp")).await?;
        Ok(Self { root })
    }

    /// Where a stored file lies, for checks that want the file itself (see
    /// [`check_pdf`](super::check_pdf)); nothing may be there.
    pub fn path(&self, hash: &ContentHash) -> PathBuf {
        let name = hash.as_str();
        self.root.join(&name[..2]).join(name)
    }
}

#[async_trait::async_trait]
impl FileStore for LocalFileStore {
    async fn put(&self, mut body: FileReader, limit: u64) -> Result<StoredFile, FileError> {
        let tmp = self.root.join("tmp").join(uuid::Uuid::new_v4().to_string());
        let written = write_hashed(&mut body, &tmp, limit).await;
        let stored = match written {
            Ok(stored) => stored,
            Err(e) => {
                let _ = fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let target = self.path(&stored.hash);
        if fs::try_exists(&target).await? {
            // Already stored: same hash, same bytes.
            fs::remove_file(&tmp).await?;
        } else {
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir).await?;
            }
            fs::rename(&tmp, &target).await?;
        }
        Ok(stored)
    }

    async fn open(
        &self,
        hash: &ContentHash,
        range: Option<Range<u64>>,
    ) -> Result<(FileReader, u64), FileError> {
        let path = self.path(hash);
        let mut file = match fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileError::NotFound(hash.as_str().to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata().await?.len();
        match range {
            None => Ok((Box::pin(file), size)),
            Some(range) if range.start < range.end && range.end <= size => {
                file.seek(SeekFrom::Start(range.start)).await?;
                let len = range.end - range.start;
                Ok((Box::pin(file.take(len)), len))
            }
            Some(_) => Err(FileError::RangeNotSatisfiable),
        }
    }

    fn local_path(&self, hash: &ContentHash) -> PathBuf {
        self.path(hash)
    }

    async fn local_copy(&self, hash: &ContentHash) -> Result<PathBuf, FileError> {
        let path = self.path(hash);
        if !fs::try_exists(&path).await? {
            return Err(FileError::NotFound(hash.as_str().to_owned()));
        }
        Ok(path)
    }
}

/// Copies `body` into a new file at `path`, hashing as it goes; durable before it returns.
async fn write_hashed(
    body: &mut FileReader,
    path: &Path,
    limit: u64,
) -> Result<StoredFile, FileError> {
    let mut file = fs::File::create(path).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = body.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > limit {
            return Err(FileError::TooLarge { limit });
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).await?;
    }
    file.sync_all().await?;
    let hash = ContentHash(hex::encode(hasher.finalize()));
    Ok(StoredFile { hash, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (LocalFileStore, PathBuf) {
        let root = std::env::temp_dir().join(format!("vanban-files-{}", uuid::Uuid::new_v4()));
        (LocalFileStore::new(&root).await.unwrap(), root)
    }

    fn body(bytes: &'static [u8]) -> FileReader {
        Box::pin(bytes)
    }

    async fn read_all(mut reader: FileReader) -> Vec<u8> {
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn a_file_is_stored_once_under_its_hash_and_read_back_whole_or_in_part() {
        let (store, root) = store().await;
        let first = store.put(body(b"%PDF-1.7 hello"), 1024).await.unwrap();
        assert_eq!(first.size, 14);
        assert_eq!(
            first.hash.as_str(),
            hex::encode(Sha256::digest(b"%PDF-1.7 hello"))
        );
        assert_eq!(
            store.put(body(b"%PDF-1.7 hello"), 1024).await.unwrap(),
            first
        );

        let (whole, len) = store.open(&first.hash, None).await.unwrap();
        assert_eq!(
            (read_all(whole).await, len),
            (b"%PDF-1.7 hello".to_vec(), 14)
        );
        let (part, len) = store.open(&first.hash, Some(9..14)).await.unwrap();
        assert_eq!((read_all(part).await, len), (b"hello".to_vec(), 5));
        assert!(matches!(
            store.open(&first.hash, Some(10..15)).await,
            Err(FileError::RangeNotSatisfiable)
        ));
        fs::remove_dir_all(root).await.unwrap();
    }

    #[tokio::test]
    async fn an_oversized_upload_leaves_nothing_behind() {
        let (store, root) = store().await;
        let refused = store.put(body(b"0123456789"), 9).await;
        assert!(matches!(refused, Err(FileError::TooLarge { limit: 9 })));
        let mut left = fs::read_dir(root.join("tmp")).await.unwrap();
        assert!(
            left.next_entry().await.unwrap().is_none(),
            "no temporary file left"
        );
        let missing = ContentHash::parse(&hex::encode(Sha256::digest(b"0123456789"))).unwrap();
        assert!(matches!(
            store.open(&missing, None).await,
            Err(FileError::NotFound(_))
        ));
        fs::remove_dir_all(root).await.unwrap();
    }

    #[test]
    fn only_sha256_hex_names_a_file() {
        assert!(ContentHash::parse(&"a".repeat(64)).is_some());
        assert!(ContentHash::parse("../../etc/passwd").is_none());
        assert!(ContentHash::parse(&"A".repeat(64)).is_none());
    }
}
