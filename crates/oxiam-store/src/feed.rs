//! The encoding of one change-feed entry, shared by every backend.
//!
//! A feed entry can carry megabyte values (policy documents, sealed blobs), so it is a
//! length-prefixed binary format rather than JSON, whose byte arrays would quadruple in size:
//!
//! ```text
//! entry  = version:u8 (=1) count:u32 change*
//! change = 0x01 table:bytes key:bytes value:bytes     ; Put
//!        | 0x02 table:bytes key:bytes                 ; Delete
//! bytes  = len:u32 data:len*u8                        ; integers are little-endian
//! ```

use crate::{Change, Record};

const FORMAT_V1: u8 = 1;
const TAG_PUT: u8 = 1;
const TAG_DELETE: u8 = 2;

/// Why an entry could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FeedCodecError {
    #[error("feed entry format version {0} is unknown")]
    Version(u8),
    #[error("feed entry is truncated")]
    Truncated,
    #[error("feed entry has unknown change tag {0}")]
    Tag(u8),
    #[error("feed entry has a table or key that is not UTF-8")]
    Utf8,
    #[error("feed entry has {0} trailing bytes")]
    Trailing(usize),
    #[error("feed entry field is longer than 4 GiB")]
    TooLong,
}

pub(crate) fn encode(changes: &[Change]) -> Result<Vec<u8>, FeedCodecError> {
    let size = changes.iter().map(encoded_len).sum::<usize>() + 5;
    let mut out = Vec::with_capacity(size);
    out.push(FORMAT_V1);
    put_u32(&mut out, changes.len())?;
    for change in changes {
        match change {
            Change::Put(record) => {
                out.push(TAG_PUT);
                put_bytes(&mut out, record.table.as_bytes())?;
                put_bytes(&mut out, record.key.as_bytes())?;
                put_bytes(&mut out, &record.value)?;
            }
            Change::Delete { table, key } => {
                out.push(TAG_DELETE);
                put_bytes(&mut out, table.as_bytes())?;
                put_bytes(&mut out, key.as_bytes())?;
            }
        }
    }
    Ok(out)
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<Change>, FeedCodecError> {
    let mut input = Reader(bytes);
    let version = input.u8()?;
    if version != FORMAT_V1 {
        return Err(FeedCodecError::Version(version));
    }
    let count = input.u32()?;
    // A corrupt count must not make us reserve gigabytes: each change takes >= 9 bytes.
    let mut changes = Vec::with_capacity(count.min(input.0.len() / 9));
    for _ in 0..count {
        let change = match input.u8()? {
            TAG_PUT => Change::Put(Record {
                table: input.string()?,
                key: input.string()?,
                value: input.bytes()?.to_vec(),
            }),
            TAG_DELETE => Change::Delete {
                table: input.string()?,
                key: input.string()?,
            },
            tag => return Err(FeedCodecError::Tag(tag)),
        };
        changes.push(change);
    }
    if !input.0.is_empty() {
        return Err(FeedCodecError::Trailing(input.0.len()));
    }
    Ok(changes)
}

fn encoded_len(change: &Change) -> usize {
    match change {
        Change::Put(r) => 13 + r.table.len() + r.key.len() + r.value.len(),
        Change::Delete { table, key } => 9 + table.len() + key.len(),
    }
}

fn put_u32(out: &mut Vec<u8>, n: usize) -> Result<(), FeedCodecError> {
    let n = u32::try_from(n).map_err(|_| FeedCodecError::TooLong)?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), FeedCodecError> {
    put_u32(out, bytes.len())?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// A cursor over the unread rest of an entry.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FeedCodecError> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(FeedCodecError::Truncated)?;
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, FeedCodecError> {
        let (&first, rest) = self.0.split_first().ok_or(FeedCodecError::Truncated)?;
        self.0 = rest;
        Ok(first)
    }

    fn u32(&mut self) -> Result<usize, FeedCodecError> {
        let raw: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| FeedCodecError::Truncated)?;
        usize::try_from(u32::from_le_bytes(raw)).map_err(|_| FeedCodecError::TooLong)
    }

    fn bytes(&mut self) -> Result<&'a [u8], FeedCodecError> {
        let len = self.u32()?;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, FeedCodecError> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| FeedCodecError::Utf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Change> {
        vec![
            Change::Put(Record {
                table: "user".into(),
                key: "AIDAEXAMPLE/ü".into(),
                value: (0..=255).collect(),
            }),
            Change::Delete {
                table: "access_key".into(),
                key: "AKIAEXAMPLE".into(),
            },
            Change::Put(Record {
                table: "t".into(),
                key: "empty".into(),
                value: vec![],
            }),
        ]
    }

    #[test]
    fn round_trips_and_is_compact() {
        let changes = sample();
        let bytes = encode(&changes).unwrap();
        assert_eq!(decode(&bytes).unwrap(), changes);
        // header 5; put 1+(4+4)+(4+14)+(4+256); delete 1+(4+10)+(4+11); put 1+(4+1)+(4+5)+(4+0)
        assert_eq!(bytes.len(), 5 + 287 + 30 + 19);
        assert_eq!(decode(&encode(&[]).unwrap()).unwrap(), vec![]);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = encode(&sample()).unwrap();
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut]).is_err(),
                "prefix of {cut} bytes decoded"
            );
        }
    }

    #[test]
    fn rejects_unknown_version_tag_trailing_bytes_and_bad_utf8() {
        let mut bytes = encode(&sample()).unwrap();
        bytes[0] = 9;
        assert!(matches!(decode(&bytes), Err(FeedCodecError::Version(9))));

        let mut bytes = encode(&sample()).unwrap();
        bytes[5] = 7;
        assert!(matches!(decode(&bytes), Err(FeedCodecError::Tag(7))));

        let mut bytes = encode(&sample()).unwrap();
        bytes.push(0);
        assert!(matches!(decode(&bytes), Err(FeedCodecError::Trailing(1))));

        // Put "user": tag at 5, table length at 6..10, table bytes at 10..14.
        let mut bytes = encode(&sample()).unwrap();
        bytes[10] = 0xff;
        assert!(matches!(decode(&bytes), Err(FeedCodecError::Utf8)));
    }

    #[test]
    fn huge_count_does_not_preallocate() {
        let mut bytes = vec![FORMAT_V1];
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(&bytes), Err(FeedCodecError::Truncated)));
    }
}
