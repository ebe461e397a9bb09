//! Reopening a file part-way through its decompressed bytes, so a later page of a
//! large file does not read every row before it (see `linkpage`'s page index).
//!
//! | stored as | how `reopen_at` gets to decompressed byte `offset` |
//! |---|---|
//! | plain text | `seek` straight there |
//! | BGZF (`.vcf.gz` from bgzip) | walks the block headers (18 bytes + 4-byte ISIZE footer per 64 KiB block, no inflating) to the block holding `offset`, seeks there and inflates from that block on |
//! | plain gzip | inflates from the start and throws away `offset` bytes (gzip has no places to restart) |
//!
//! BGZF is SAM/BAM spec §4.1 (<https://samtools.github.io/hts-specs/SAMv1.pdf>): every
//! block is a gzip member whose extra field holds `BC` with the block size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::lines::{DecompressionLimits, decompress_with_limits};

const READ_BUFFER: usize = 64 * 1024;
/// A BGZF block header: gzip header with FEXTRA, XLEN = 6, subfield `BC`, SLEN = 2, BSIZE.
const BGZF_HEADER_LEN: usize = 18;

/// How a file is stored, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    Plain,
    Gzip,
    Bgzf,
}

fn storage(head: &[u8]) -> Storage {
    if head.len() < 2 || head[..2] != [0x1f, 0x8b] {
        return Storage::Plain;
    }
    if is_bgzf_header(head) {
        Storage::Bgzf
    } else {
        Storage::Gzip
    }
}

fn is_bgzf_header(h: &[u8]) -> bool {
    h.len() >= BGZF_HEADER_LEN
        && h[0] == 0x1f
        && h[1] == 0x8b
        && h[2] == 8
        && h[3] & 4 != 0
        && u16::from_le_bytes([h[10], h[11]]) == 6
        && &h[12..14] == b"BC"
        && u16::from_le_bytes([h[14], h[15]]) == 2
}

/// Something whose decompressed bytes can be read again from an offset: a local
/// file ([`LocalFile`]), or a dataset on a server that honours HTTP Range
/// requests (`sources::galaxy`). The page index keeps offsets; this gets back
/// to them.
pub trait Reopen: Send + Sync + std::fmt::Debug {
    fn reopen_at(
        &self,
        offset: u64,
        limits: DecompressionLimits,
    ) -> io::Result<Box<dyn BufRead + Send>>;
}

/// A file that is not on disk but can be read from any offset (a Galaxy
/// dataset whose server honours Range requests).
#[derive(Clone, Debug)]
pub struct RemoteFile {
    /// What it is, e.g. `galaxy http://galaxy/ dataset 02d2d859f4bdc686`.
    pub identity: String,
    /// Its size in bytes.
    pub len: u64,
    /// Changes whenever its bytes may have (Galaxy's `update_time`).
    pub version: String,
    pub reopen: std::sync::Arc<dyn Reopen>,
}

/// A file on disk, reopened with [`reopen_at`].
#[derive(Debug)]
pub struct LocalFile(pub std::path::PathBuf);

impl Reopen for LocalFile {
    fn reopen_at(
        &self,
        offset: u64,
        limits: DecompressionLimits,
    ) -> io::Result<Box<dyn BufRead + Send>> {
        reopen_at(&self.0, offset, limits)
    }
}

/// The file's decompressed bytes from `offset` on (plain text is read as is),
/// with the same decompression limits as [`super::open`] applies.
pub fn reopen_at(
    path: &Path,
    offset: u64,
    limits: DecompressionLimits,
) -> io::Result<Box<dyn BufRead + Send>> {
    let mut file = File::open(path)?;
    let mut head = [0u8; BGZF_HEADER_LEN];
    let got = read_up_to(&mut file, &mut head)?;
    file.seek(SeekFrom::Start(0))?;
    match storage(&head[..got]) {
        Storage::Plain => {
            file.seek(SeekFrom::Start(offset))?;
            Ok(Box::new(BufReader::with_capacity(READ_BUFFER, file)))
        }
        Storage::Bgzf => match bgzf_block_for(&mut file, offset)? {
            Some((block_start, block_offset)) => {
                file.seek(SeekFrom::Start(block_start))?;
                let input = BufReader::with_capacity(READ_BUFFER, file);
                let reader = decompress_with_limits(Box::new(input), limits)?;
                skip(reader, offset - block_offset)
            }
            // Not BGZF all the way through (a plain gzip member appended): the slow way.
            None => inflate_and_skip(file, offset, limits),
        },
        Storage::Gzip => inflate_and_skip(file, offset, limits),
    }
}

fn inflate_and_skip(
    file: File,
    offset: u64,
    limits: DecompressionLimits,
) -> io::Result<Box<dyn BufRead + Send>> {
    let input = BufReader::with_capacity(READ_BUFFER, file);
    let reader = decompress_with_limits(Box::new(input), limits)?;
    skip(reader, offset)
}

/// Reads and drops `n` bytes; fewer at the end of the input.
fn skip(mut reader: Box<dyn BufRead + Send>, mut n: u64) -> io::Result<Box<dyn BufRead + Send>> {
    while n > 0 {
        let available = match reader.fill_buf() {
            Ok(buf) => buf.len(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available == 0 {
            break;
        }
        let used = available.min(usize::try_from(n).unwrap_or(usize::MAX));
        reader.consume(used);
        n -= used as u64;
    }
    Ok(reader)
}

/// The compressed offset of the BGZF block holding decompressed byte `offset`, and
/// the decompressed offset that block starts at. `None` when a member is not a
/// BGZF block. An `offset` at or past the end gives the end of the file.
fn bgzf_block_for(file: &mut File, offset: u64) -> io::Result<Option<(u64, u64)>> {
    let len = file.metadata()?.len();
    let mut block_start = 0u64;
    let mut block_offset = 0u64;
    let mut header = [0u8; BGZF_HEADER_LEN];
    let mut footer = [0u8; 4];
    while block_start < len {
        file.seek(SeekFrom::Start(block_start))?;
        if read_up_to(file, &mut header)? < BGZF_HEADER_LEN || !is_bgzf_header(&header) {
            return Ok(None);
        }
        let block_size = u64::from(u16::from_le_bytes([header[16], header[17]])) + 1;
        if block_size < (BGZF_HEADER_LEN + 8) as u64 || block_start + block_size > len {
            return Ok(None);
        }
        file.seek(SeekFrom::Start(block_start + block_size - 4))?;
        file.read_exact(&mut footer)?;
        let inflated = u64::from(u32::from_le_bytes(footer));
        if block_offset + inflated > offset {
            return Ok(Some((block_start, block_offset)));
        }
        block_offset += inflated;
        block_start += block_size;
    }
    Ok(Some((len, block_offset)))
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A BGZF file from `blocks`, one block each, with the empty EOF block.
    fn bgzf(blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for data in blocks.iter().copied().chain([&b""[..]]) {
            let mut deflate =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            deflate.write_all(data).expect("deflate");
            let cdata = deflate.finish().expect("finish");
            let block_size = (BGZF_HEADER_LEN + cdata.len() + 8 - 1) as u16;
            out.extend_from_slice(&[
                0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0,
            ]);
            out.extend_from_slice(&block_size.to_le_bytes());
            out.extend_from_slice(&cdata);
            let mut crc = flate2::Crc::new();
            crc.update(data);
            out.extend_from_slice(&crc.sum().to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        }
        out
    }

    fn read_from(bytes: &[u8], offset: u64) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).expect("write");
        let mut out = String::new();
        reopen_at(&path, offset, DecompressionLimits::NONE)
            .and_then(|mut r| r.read_to_string(&mut out))
            .expect("reopen");
        out
    }

    #[test]
    fn plain_text_is_reopened_at_the_byte() {
        assert_eq!(read_from(b"line1\nline2\n", 6), "line2\n");
    }

    #[test]
    fn bgzf_is_reopened_inside_a_later_block() {
        let file = bgzf(&[b"aaaa\n", b"bbbb\ncc", b"cc\n"]);
        assert_eq!(storage(&file), Storage::Bgzf);
        assert_eq!(read_from(&file, 0), "aaaa\nbbbb\ncccc\n");
        assert_eq!(read_from(&file, 5), "bbbb\ncccc\n");
        assert_eq!(read_from(&file, 10), "cccc\n");
        assert_eq!(read_from(&file, 12), "cc\n");
        assert_eq!(read_from(&file, 15), "");
        assert_eq!(read_from(&file, 99), "");
    }

    #[test]
    fn plain_gzip_is_inflated_and_skipped() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"one\ntwo\nthree\n").expect("write");
        let file = gz.finish().expect("finish");
        assert_eq!(storage(&file), Storage::Gzip);
        assert_eq!(read_from(&file, 4), "two\nthree\n");
    }
}
