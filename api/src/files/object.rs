//! The object-store [`FileStore`]: files in an S3-compatible bucket under `{prefix}{hash}`, so
//! every instance behind a load balancer serves every upload.
//!
//! An upload is first written, hashed and counted by the local store (the instance's staging
//! directory, where the PDF check maps it), then sent with a multipart upload read from that
//! file part by part: memory holds a few parts, never the file. Reads are served from the local
//! copy when this instance has one, otherwise streamed from the bucket, a `Range` as a ranged
//! GET. Stored files never change, so a local copy is never stale; operators may prune them.

use std::{ops::Range, path::PathBuf, sync::Arc};

use futures_util::TryStreamExt;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart, aws::AmazonS3Builder,
    path::Path as ObjectPath,
};
use secrecy::ExposeSecret;
use tokio::{fs, io::AsyncReadExt};
use tokio_util::io::StreamReader;

use super::{ContentHash, FileError, FileReader, FileStore, LocalFileStore, StoredFile};
use crate::config::ObjectStoreSettings;

/// Parts of a multipart upload: S3's smallest, and how many are in flight at once.
const PART_BYTES: usize = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 2;

pub struct ObjectFileStore {
    local: LocalFileStore,
    bucket: Arc<dyn ObjectStore>,
    prefix: String,
}

impl ObjectFileStore {
    pub fn new(local: LocalFileStore, settings: &ObjectStoreSettings) -> Result<Self, FileError> {
        // reqwest is built without a rustls provider of its own: ring, as for FCM and sqlx.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret());
        if let Some(endpoint) = &settings.endpoint {
            // A server of one's own (MinIO, Ceph, a test double) is often plain HTTP inside
            // the network, and addressed by path rather than by bucket host name.
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let bucket = builder.build().map_err(unavailable)?;
        Ok(Self {
            local,
            bucket: Arc::new(bucket),
            prefix: settings.prefix.clone(),
        })
    }

    fn key(&self, hash: &ContentHash) -> ObjectPath {
        ObjectPath::from(format!("{}{}", self.prefix, hash.as_str()))
    }

    /// Sends the staged file to the bucket unless it is there already (same hash, same bytes).
    async fn upload(&self, hash: &ContentHash) -> Result<(), FileError> {
        let key = self.key(hash);
        match self.bucket.head(&key).await {
            Ok(_) => return Ok(()),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(unavailable(e)),
        }
        let mut file = fs::File::open(self.local.path(hash)).await?;
        let upload = self.bucket.put_multipart(&key).await.map_err(unavailable)?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            parts
                .wait_for_capacity(PARTS_IN_FLIGHT)
                .await
                .map_err(unavailable)?;
            parts.write(&buf[..n]);
        }
        parts.finish().await.map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl FileStore for ObjectFileStore {
    async fn put(&self, body: FileReader, limit: u64) -> Result<StoredFile, FileError> {
        let stored = self.local.put(body, limit).await?;
        self.upload(&stored.hash).await?;
        Ok(stored)
    }

    async fn open(
        &self,
        hash: &ContentHash,
        range: Option<Range<u64>>,
    ) -> Result<(FileReader, u64), FileError> {
        match self.local.open(hash, range.clone()).await {
            Err(FileError::NotFound(_)) => {}
            opened => return opened,
        }
        let range = match range {
            Some(r) if r.start >= r.end => return Err(FileError::RangeNotSatisfiable),
            r => r,
        };
        let options = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = match self.bucket.get_opts(&self.key(hash), options).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(FileError::NotFound(hash.as_str().to_owned()));
            }
            Err(e) => return Err(unavailable(e)),
        };
        // The bucket answers what it has: a range past the end comes back shorter.
        if range.as_ref().is_some_and(|r| *r != got.range) {
            return Err(FileError::RangeNotSatisfiable);
        }
        let len = got.range.end - got.range.start;
        let stream = got.into_stream().map_err(std::io::Error::other);
        Ok((Box::pin(StreamReader::new(stream)), len))
    }

    fn local_path(&self, hash: &ContentHash) -> PathBuf {
        self.local.path(hash)
    }

    async fn local_copy(&self, hash: &ContentHash) -> Result<PathBuf, FileError> {
        match self.local.local_copy(hash).await {
            Err(FileError::NotFound(_)) => {}
            found => return found,
        }
        // Staged through the local store, which hashes what the bucket sends.
        let (body, _) = self.open(hash, None).await?;
        let stored = self.local.put(body, u64::MAX).await?;
        if stored.hash != *hash {
            return Err(FileError::Io(std::io::Error::other(format!(
                "the bucket's {} holds other bytes",
                hash.as_str()
            ))));
        }
        Ok(self.local.path(hash))
    }
}

fn unavailable(e: object_store::Error) -> FileError {
    FileError::Io(std::io::Error::other(e))
}
