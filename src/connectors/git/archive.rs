//! Archives in the blob stage ([`super::content::scan_blob`]): zip and its kin (jar, war,
//! whl, apk, nupkg...), tar, and the gzip, xz, bzip2 and zstd streams (a compressed tar is
//! a tar), nested up to a depth.
//! Each entry goes back through the stage: text gets every rule, binary content the
//! specific ones, an archive is opened in turn.
//!
//! Bounded: entries are read one at a time, each at most the per-entry size limit, and
//! a top-level blob's expansion stops at a total size, an entry count and, per archive,
//! a compression ratio. A limit reached is a coverage note (and `archive_limit` count),
//! never a hang; an archive that cannot be read is a coverage error naming it.

use super::content::{self, ArchiveLimits, BlobScan};
use crate::matcher::Matcher;
use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

/// Coverage counts.
pub(crate) const SKIP_ARCHIVE_LIMIT: &str = "archive_limit";
pub(crate) const SKIP_ARCHIVE_DEPTH: &str = "archive_depth";
pub(crate) const SKIP_ARCHIVE_UNSUPPORTED: &str = "archive_unsupported";

/// The compression ratio guard allows any archive this much expansion, whatever its size.
const RATIO_FLOOR: u64 = 16 * 1024 * 1024;

/// Zip and the formats built on it, by name (a launcher script before the zip data of an
/// "executable" jar hides the magic; the central directory at the end still finds it).
const ZIP_EXT: &[&str] = &[
    "zip", "jar", "war", "ear", "whl", "apk", "nupkg", "aar", "egg", "xpi",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Zip,
    Tar,
    /// A compressed stream: one entry, or a tar.
    Stream(Codec),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Codec {
    Gzip,
    Xz,
    Bzip2,
    Zstd,
}

/// The largest xz dictionary or zstd window a stream may declare: 64 MiB, what `xz -9`
/// writes (every zstd level without `--long` stays at 8 MiB). Both decoders grow their
/// window with the bytes decoded, so what is held stays under the entry and ratio
/// limits; a stream declaring more is a coverage error naming it.
const DECODER_WINDOW: u64 = 64 * 1024 * 1024;

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Xz => "xz",
            Codec::Bzip2 => "bzip2",
            Codec::Zstd => "zstd",
        }
    }

    /// The file-name endings of this codec: (compressed, what the inner entry is named).
    fn suffixes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Codec::Gzip => &[(".tgz", ".tar"), (".gz", "")],
            Codec::Xz => &[(".txz", ".tar"), (".xz", "")],
            Codec::Bzip2 => &[(".tbz2", ".tar"), (".tbz", ".tar"), (".bz2", "")],
            Codec::Zstd => &[(".tzst", ".tar"), (".zst", "")],
        }
    }

    /// A reader of the decompressed bytes of `data` (concatenated streams and frames
    /// included).
    fn decoder(self, data: &[u8]) -> io::Result<Box<dyn Read + '_>> {
        Ok(match self {
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
            Codec::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
                data,
                true,
                // The dictionary plus the decoder's own state (about 30 KiB).
                (DECODER_WINDOW / 1024) as u32 + 1024,
            )),
            Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(data)),
            Codec::Zstd => Box::new(ZstdFrames::new(data)?),
        })
    }
}

/// zstd frames one after another (what `pzstd` and `cat a.zst b.zst` write): the
/// streaming decoder reads one frame, so the next starts where it stopped.
struct ZstdFrames<'a> {
    frame: ruzstd::decoding::StreamingDecoder<&'a [u8], ruzstd::decoding::FrameDecoder>,
}

impl<'a> ZstdFrames<'a> {
    fn new(data: &'a [u8]) -> io::Result<Self> {
        Ok(ZstdFrames {
            frame: Self::frame(data)?,
        })
    }

    fn frame(
        data: &'a [u8],
    ) -> io::Result<ruzstd::decoding::StreamingDecoder<&'a [u8], ruzstd::decoding::FrameDecoder>>
    {
        ruzstd::decoding::StreamingDecoder::new_with_max_window_size(data, DECODER_WINDOW)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
    }
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.frame.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let rest: &[u8] = self.frame.get_ref();
            if rest.is_empty() {
                return Ok(0);
            }
            self.frame = Self::frame(rest)?;
        }
    }
}

fn ext_of(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.rsplit_once('.')
        .filter(|(stem, _)| !stem.is_empty())
        .map(|(_, e)| e)
}

fn zip_named(name: &str) -> bool {
    ext_of(name).is_some_and(|e| ZIP_EXT.iter().any(|z| z.eq_ignore_ascii_case(e)))
}

fn is_tar_header(data: &[u8]) -> bool {
    data.len() >= 512 && &data[257..262] == b"ustar"
}

/// Archive formats recognized by their magic bytes but not opened (no decoder is built
/// in): counted as `archive_unsupported` with a note naming the format, and the raw bytes
/// still get the vendor-format rules.
const UNOPENED: &[(&[u8], &str)] = &[(b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!\x1a\x07", "rar")];

/// The format name of `data` when it is an archive nhiscan cannot open.
fn unopened_format(data: &[u8]) -> Option<&'static str> {
    UNOPENED
        .iter()
        .find_map(|(magic, name)| data.starts_with(magic).then_some(*name))
}

/// A bzip2 stream: `BZh`, the block-size digit, then a block or end-of-stream magic, so
/// text that starts "BZh" stays text.
fn is_bzip2(data: &[u8]) -> bool {
    data.len() >= 10
        && data.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&data[3])
        && (data[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
            || data[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
}

/// The archive format of `data`, by its magic bytes.
fn kind_of(data: &[u8]) -> Option<Kind> {
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if data.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Stream(Codec::Gzip))
    } else if data.starts_with(b"\xfd7zXZ\x00") {
        Some(Kind::Stream(Codec::Xz))
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Kind::Stream(Codec::Zstd))
    } else if is_bzip2(data) {
        Some(Kind::Stream(Codec::Bzip2))
    } else if is_tar_header(data) {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Which limit stopped an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Total,
    Entries,
    Ratio,
}

/// Bytes expanded so far for one top-level blob, shared with the readers lent to
/// decoders; which limit a reader ran into.
struct Budget {
    total: Cell<u64>,
    max_total: u64,
    hit: Cell<Option<Stop>>,
}

const LIMIT_MARK: &str = "archive expansion limit reached";

/// A reader out of one archive (a decompressed stream, an entry) that fails once the
/// blob's total or this archive's ratio allowance (`level` against `level_cap`) is used.
struct Capped<'l, R> {
    inner: R,
    budget: Rc<Budget>,
    level: &'l Cell<u64>,
    level_cap: u64,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let b = &self.budget;
        let total_left = b.max_total.saturating_sub(b.total.get());
        let level_left = self.level_cap.saturating_sub(self.level.get());
        if total_left == 0 || level_left == 0 {
            b.hit.set(Some(if total_left == 0 {
                Stop::Total
            } else {
                Stop::Ratio
            }));
            return Err(io::Error::other(LIMIT_MARK));
        }
        let n = buf
            .len()
            .min(usize::try_from(total_left.min(level_left)).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.level.set(self.level.get() + got as u64);
        b.total.set(b.total.get() + got as u64);
        Ok(got)
    }
}

/// Walks one top-level blob and everything inside it.
pub(crate) struct Expander<'m> {
    matcher: &'m Matcher,
    limits: ArchiveLimits,
    budget: Rc<Budget>,
    /// Entries seen so far, all levels.
    entries: u64,
    /// The total or the entry count is reached: nothing more is expanded.
    exhausted: bool,
    pub(crate) out: BlobScan,
}

impl<'m> Expander<'m> {
    pub(crate) fn new(matcher: &'m Matcher, limits: ArchiveLimits) -> Self {
        Expander {
            matcher,
            limits,
            budget: Rc::new(Budget {
                total: Cell::new(0),
                max_total: limits.max_total,
                hit: Cell::new(None),
            }),
            entries: 0,
            exhausted: false,
            out: BlobScan::default(),
        }
    }

    /// Scan `data`, named `label` in messages; `entry` is its path inside the top-level
    /// blob (`None` for the blob itself), `depth` the archives already opened around it.
    pub(crate) fn visit(&mut self, label: &str, entry: Option<&str>, data: &[u8], depth: u32) {
        let name = entry.map_or(label, |e| e.rsplit("!/").next().unwrap_or(e));
        let kind = kind_of(data).map(|k| (k, true)).or_else(|| {
            // By name only when the content is binary: an LFS pointer or a text file
            // named `.zip` is text.
            (zip_named(name) && content::is_binary(data)).then_some((Kind::Zip, false))
        });
        if let Some((kind, by_magic)) = kind {
            if depth >= self.limits.max_depth {
                self.out.skips.push(SKIP_ARCHIVE_DEPTH);
                self.out.notes.push(format!(
                    "{label}: archive nested deeper than {} levels not opened (scanned as binary)",
                    self.limits.max_depth
                ));
            } else if self.exhausted {
                // The limit is already noted; the raw bytes still get the specific rules.
            } else if self.expand(kind, by_magic, label, entry, data, depth) {
                return;
            }
        } else if let Some(format) = unopened_format(data) {
            self.out.skips.push(SKIP_ARCHIVE_UNSUPPORTED);
            self.out.notes.push(format!(
                "{label}: {format} archive not opened (format not supported; scanned as binary)"
            ));
        }
        let text = content::as_utf8_text(data);
        let hits = if content::is_binary(&text) {
            self.out.skips.push(content::SKIP_BINARY);
            content::hits_of(self.matcher.scan_specific(&text))
        } else {
            content::scan(self.matcher, &text)
        };
        self.out.bytes += text.len() as u64;
        for mut h in hits {
            h.entry = entry.map(str::to_string);
            self.out.hits.push(h);
        }
    }

    /// Open `data` as a `kind` archive and visit its entries. `false` when it could not
    /// be opened (then scanned as plain content): a coverage error too when its magic
    /// bytes said it was one; found by name only, it was just binary.
    fn expand(
        &mut self,
        kind: Kind,
        by_magic: bool,
        label: &str,
        entry: Option<&str>,
        data: &[u8],
        depth: u32,
    ) -> bool {
        let r = match kind {
            Kind::Zip => self.zip(label, entry, data, depth),
            Kind::Tar => self.tar(label, entry, data, data.len() as u64, depth),
            Kind::Stream(codec) => self.stream(codec, label, entry, data, depth),
        };
        match r {
            Ok(()) => true,
            Err(e) => {
                if by_magic {
                    self.out
                        .errors
                        .push(format!("{label}: cannot read archive: {e}"));
                }
                false
            }
        }
    }

    /// What an archive of `len` bytes may expand to under the ratio guard.
    fn ratio_cap(&self, len: u64) -> u64 {
        RATIO_FLOOR.max(len.saturating_mul(self.limits.max_ratio))
    }

    fn capped<'l, R: Read>(&self, inner: R, level: &'l Cell<u64>, len: u64) -> Capped<'l, R> {
        Capped {
            inner,
            budget: self.budget.clone(),
            level,
            level_cap: self.ratio_cap(len),
        }
    }

    /// The limit a reader ran into, if that is why it failed.
    fn limit_hit(&self) -> Option<Stop> {
        self.budget.hit.take()
    }

    fn stop(&mut self, label: &str, why: Stop, left: Option<usize>) {
        if why != Stop::Ratio {
            self.exhausted = true;
        }
        self.out.skips.push(SKIP_ARCHIVE_LIMIT);
        let limit = match why {
            Stop::Total => format!(
                "total expanded size over {} (archive limit)",
                content::human_size(self.limits.max_total)
            ),
            Stop::Entries => format!(
                "more than {} entries (archive limit)",
                self.limits.max_entries
            ),
            Stop::Ratio => format!(
                "compression ratio over {}:1 (archive limit, zip bomb guard)",
                self.limits.max_ratio
            ),
        };
        let rest = left.map_or_else(
            || "the rest was not scanned".to_string(),
            |n| format!("{n} more entries were not scanned"),
        );
        self.out
            .notes
            .push(format!("{label}: stopped expanding: {limit}; {rest}"));
    }

    /// Count one entry; `false` (and the limit noted) when there are too many.
    fn count_entry(&mut self, label: &str, left: Option<usize>) -> bool {
        if self.entries >= self.limits.max_entries {
            self.stop(label, Stop::Entries, left);
            return false;
        }
        self.entries += 1;
        true
    }

    /// An entry over the per-entry size limit, not scanned: counted, and a coverage error
    /// when it is text (judged from its first bytes), as for a file.
    fn too_large(&mut self, at: &str, size: u64, head: &[u8]) {
        self.out.skips.push(content::SKIP_TOO_LARGE);
        let head = &head[..head.len().min(content::BINARY_SNIFF)];
        if !content::is_binary(head) {
            self.out
                .errors
                .push(content::too_large_error(at, size, self.limits.max_entry));
        }
    }

    /// Read one entry whole (at most the per-entry limit) and visit it; `false` when a
    /// limit stopped the archive.
    #[allow(clippy::too_many_arguments)]
    fn entry<R: Read>(
        &mut self,
        mut reader: R,
        label: &str,
        at: &str,
        child: &str,
        size_hint: u64,
        depth: u32,
        left: Option<usize>,
    ) -> bool {
        let max = self.limits.max_entry;
        let mut buf = Vec::with_capacity(usize::try_from(size_hint.min(max)).unwrap_or(0));
        let read = (&mut reader)
            .take(max.saturating_add(1))
            .read_to_end(&mut buf);
        drop(reader);
        if let Some(why) = self.limit_hit() {
            self.stop(label, why, left);
            return false;
        }
        if buf.len() as u64 > max {
            self.too_large(at, size_hint.max(buf.len() as u64), &buf);
            return true;
        }
        if let Err(e) = read {
            self.out
                .errors
                .push(format!("{at}: cannot read archive entry: {e}"));
        }
        self.visit(at, Some(child), &buf, depth + 1);
        true
    }

    fn zip(&mut self, label: &str, entry: Option<&str>, data: &[u8], depth: u32) -> io::Result<()> {
        let mut zip = zip::ZipArchive::new(Cursor::new(data)).map_err(io::Error::other)?;
        let level = Cell::new(0);
        let n = zip.len();
        for i in 0..n {
            if self.exhausted {
                break;
            }
            let left = Some(n - i);
            let (name, size, encrypted, dir) = match zip.by_index_raw(i) {
                Ok(f) => (f.name().to_string(), f.size(), f.encrypted(), f.is_dir()),
                Err(e) => {
                    self.out
                        .errors
                        .push(format!("{label}: cannot read archive entry {}: {e}", i + 1));
                    continue;
                }
            };
            if dir {
                continue;
            }
            if !self.count_entry(label, left) {
                break;
            }
            let child = child_entry(entry, &name);
            let at = format!("{label}!/{name}");
            if encrypted {
                self.out.skips.push(SKIP_ARCHIVE_UNSUPPORTED);
                self.out
                    .notes
                    .push(format!("{at}: encrypted archive entry not scanned"));
                continue;
            }
            let f = match zip.by_index(i) {
                Ok(f) => f,
                Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                    self.out.skips.push(SKIP_ARCHIVE_UNSUPPORTED);
                    self.out
                        .notes
                        .push(format!("{at}: archive entry not scanned: {why}"));
                    continue;
                }
                Err(e) => {
                    self.out
                        .errors
                        .push(format!("{at}: cannot read archive entry: {e}"));
                    continue;
                }
            };
            let mut f = self.capped(f, &level, data.len() as u64);
            if size > self.limits.max_entry {
                let mut head = Vec::new();
                let _ = (&mut f)
                    .take(content::BINARY_SNIFF as u64)
                    .read_to_end(&mut head);
                drop(f);
                if let Some(why) = self.limit_hit() {
                    self.stop(label, why, left);
                    break;
                }
                self.too_large(&at, size, &head);
                continue;
            }
            if !self.entry(f, label, &at, &child, size, depth, left) {
                break;
            }
        }
        Ok(())
    }

    /// A tar stream out of `reader` (`len` bytes before decompression).
    #[allow(clippy::explicit_counter_loop)]
    fn tar<R: Read>(
        &mut self,
        label: &str,
        entry: Option<&str>,
        reader: R,
        len: u64,
        depth: u32,
    ) -> io::Result<()> {
        let level = Cell::new(0);
        let mut ar = tar::Archive::new(self.capped(reader, &level, len));
        let mut seen = 0u64;
        for ent in ar.entries()? {
            if self.exhausted {
                break;
            }
            let mut ent = match ent {
                Ok(e) => e,
                Err(e) => {
                    if let Some(why) = self.limit_hit() {
                        self.stop(label, why, None);
                    } else if seen == 0 {
                        return Err(e);
                    } else {
                        self.out.errors.push(format!(
                            "{label}: cannot read archive after {seen} entries: {e}"
                        ));
                    }
                    break;
                }
            };
            seen += 1;
            if !matches!(
                ent.header().entry_type(),
                tar::EntryType::Regular | tar::EntryType::Continuous
            ) {
                continue;
            }
            if !self.count_entry(label, None) {
                break;
            }
            let name = String::from_utf8_lossy(&ent.path_bytes()).into_owned();
            let child = child_entry(entry, &name);
            let at = format!("{label}!/{name}");
            let size = ent.size();
            if size > self.limits.max_entry {
                let mut head = Vec::new();
                let _ = (&mut ent)
                    .take(content::BINARY_SNIFF as u64)
                    .read_to_end(&mut head);
                drop(ent);
                if let Some(why) = self.limit_hit() {
                    self.stop(label, why, None);
                    break;
                }
                self.too_large(&at, size, &head);
                continue;
            }
            if !self.entry(ent, label, &at, &child, size, depth, None) {
                break;
            }
        }
        Ok(())
    }

    /// A compressed stream: a tar inside is a tar; anything else is one entry, named as
    /// the archive without its compression suffix (`.tgz` names a `.tar`).
    fn stream(
        &mut self,
        codec: Codec,
        label: &str,
        entry: Option<&str>,
        data: &[u8],
        depth: u32,
    ) -> io::Result<()> {
        // Opening the stream and reading its head name the codec (`xz: ...`), here only,
        // so a corrupt stream's error says once what it was read as.
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", codec.name()));
        let mut head = Vec::with_capacity(512);
        codec
            .decoder(data)
            .map_err(named)?
            .take(512)
            .read_to_end(&mut head)
            .map_err(named)?;
        let len = data.len() as u64;
        if is_tar_header(&head) {
            return self.tar(label, entry, codec.decoder(data)?, len, depth);
        }
        if !self.count_entry(label, None) {
            return Ok(());
        }
        let inner = inner_name(codec, label);
        let child = child_entry(entry, &inner);
        let at = format!("{label}!/{inner}");
        let level = Cell::new(0);
        let reader = self.capped(codec.decoder(data)?, &level, len);
        self.entry(reader, label, &at, &child, 0, depth, None);
        Ok(())
    }
}

/// The entry inside a compressed stream named `label`: its base name without the
/// codec's suffix, `.tgz`-style suffixes naming a `.tar`.
fn inner_name(codec: Codec, label: &str) -> String {
    let name = label.rsplit("!/").next().unwrap_or(label);
    let base = name.rsplit('/').next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    for (suffix, becomes) in codec.suffixes() {
        if lower.ends_with(suffix) && base.len() > suffix.len() {
            return format!("{}{becomes}", &base[..base.len() - suffix.len()]);
        }
    }
    base.to_string()
}

/// The path of entry `name` inside the top-level blob, below `parent` (`None`: the blob).
fn child_entry(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => format!("{p}!/{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    //! Archives built at run time; every secret is an obvious fake assembled here, so
    //! this file holds no token-shaped literal.
    use super::*;
    use crate::rules::RuleSet;
    use std::io::Write;
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    fn matcher() -> &'static Matcher {
        static M: OnceLock<Matcher> = OnceLock::new();
        M.get_or_init(|| Matcher::new(RuleSet::builtin().expect("builtin")).expect("matcher"))
    }

    /// A fake AWS access key id.
    fn akia() -> String {
        format!("AKIA{}", "Z7FAKEQ3KEY4NH2X")
    }

    /// A fake classic GitHub token, checksum valid.
    fn ghp() -> String {
        crate::rules::with_github_checksum("ghp_", "FAKEa7q2x9Lm4Np8Rs3Tv6Wy1Zb5Cd")
    }

    /// A generic password assignment (no vendor format).
    fn password_line() -> String {
        ["db_pass", "word = \"Zq8fK2", "mPw9!Lr4Vt7\"\n"].concat()
    }

    fn limits() -> ArchiveLimits {
        ArchiveLimits::new(64 * 1024 * 1024)
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).expect("start");
            w.write_all(data).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).expect("append");
        }
        b.into_inner().expect("tar")
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gz");
        e.finish().expect("gz")
    }

    fn rules(s: &BlobScan) -> Vec<(&str, Option<&str>, u64)> {
        s.hits
            .iter()
            .map(|h| (h.rule.id.as_str(), h.entry.as_deref(), h.line))
            .collect()
    }

    #[test]
    fn a_key_in_a_zip_entry_is_found_at_the_entry() {
        let env = format!("# staging\nAWS_ACCESS_KEY_ID={}\n", akia());
        let jar = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("config/.env", env.as_bytes()),
        ]);
        let s = scan_blob_of("dist/app.jar", &jar);
        assert_eq!(
            rules(&s),
            [("nhi.aws.access-key-id.1", Some("config/.env"), 2)],
            "{:?}",
            s.notes
        );
        assert_eq!(s.hits[0].secret.expose(), akia().as_bytes());
        assert!(s.errors.is_empty() && s.notes.is_empty(), "{:?}", s.errors);
        // The jar's compressed bytes are not scanned as binary: its entries are.
        assert!(!s.skips.contains(&content::SKIP_BINARY), "{:?}", s.skips);
        let at = s.hits[0].path_in(&"dist/app.jar".into());
        assert_eq!(&*at, "dist/app.jar!/config/.env");
    }

    fn scan_blob_of(label: &str, data: &[u8]) -> BlobScan {
        content::scan_blob(matcher(), label, data, limits())
    }

    #[test]
    fn tar_gz_and_zip_nested_in_it() {
        let settings = format!("x=1\ny=2\nGITHUB_TOKEN={}\n", ghp());
        let tgz = gz(&tar_of(&[("app/settings.env", settings.as_bytes())]));
        let s = scan_blob_of("release.tgz", &tgz);
        assert_eq!(
            rules(&s),
            [("nhi.github.pat-classic.1", Some("app/settings.env"), 3)]
        );

        let inner = zip_of(&[(
            "c.env",
            format!("AWS_ACCESS_KEY_ID={}\n", akia()).as_bytes(),
        )]);
        let outer = gz(&tar_of(&[
            ("README", b"nothing here\n"),
            ("lib/inner.zip", &inner),
        ]));
        let s = scan_blob_of("a.tar.gz", &outer);
        assert_eq!(
            rules(&s),
            [("nhi.aws.access-key-id.1", Some("lib/inner.zip!/c.env"), 1)]
        );
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        // A plain gzip is one entry, named without `.gz`.
        let s = scan_blob_of("db/dump.sql.gz", &gz(settings.as_bytes()));
        assert_eq!(
            rules(&s),
            [("nhi.github.pat-classic.1", Some("dump.sql"), 3)]
        );
    }

    #[test]
    fn rule_ids_are_what_the_tests_expect() {
        // Guards the ids used above against a rule rename.
        let ids: Vec<&str> = matcher().rules().iter().map(|r| r.id.as_str()).collect();
        assert!(ids.contains(&"nhi.github.pat-classic.1"), "{ids:?}");
        assert!(ids.contains(&"nhi.aws.access-key-id.1"));
    }

    #[test]
    fn binary_content_gets_the_specific_rules_only() {
        let text = format!("AWS_ACCESS_KEY_ID={}\n{}", akia(), password_line());
        // As text, both are found.
        let s = scan_blob_of("conf.txt", text.as_bytes());
        let ids: Vec<&str> = s.hits.iter().map(|h| h.rule.id.as_str()).collect();
        assert!(ids.contains(&"nhi.aws.access-key-id.1"), "{ids:?}");
        assert!(
            ids.contains(&"nhi.generic.password-assignment.1"),
            "{ids:?}"
        );
        // With a NUL in front (a compiled binary, a SQL dump): the key only.
        let mut bin = b"\x7fELF\x02\x01\x01\0\0\0\0".to_vec();
        bin.extend_from_slice(text.as_bytes());
        let s = scan_blob_of("bin/tool", &bin);
        assert_eq!(rules(&s), [("nhi.aws.access-key-id.1", None, 1)]);
        assert_eq!(s.skips, [content::SKIP_BINARY]);
        assert!(s.errors.is_empty());
        // The same inside an archive entry.
        let z = zip_of(&[("bin/tool", &bin)]);
        let s = scan_blob_of("tools.zip", &z);
        assert_eq!(
            rules(&s),
            [("nhi.aws.access-key-id.1", Some("bin/tool"), 1)]
        );
    }

    #[test]
    fn utf16_and_text_named_like_an_archive() {
        let text = format!("$env:GITHUB_TOKEN = \"{}\"\r\n", ghp());
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let s = scan_blob_of("w.zip", &zip_of(&[("deploy.ps1", &utf16)]));
        assert_eq!(
            rules(&s),
            [("nhi.github.pat-classic.1", Some("deploy.ps1"), 1)]
        );
        // A Git LFS pointer named `.zip` is text: no error, no archive.
        let lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        let s = scan_blob_of("big.zip", lfs.as_bytes());
        assert!(s.errors.is_empty() && s.notes.is_empty() && s.skips.is_empty());
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut w =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn bz2(data: &[u8]) -> Vec<u8> {
        let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn zst(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    /// Each codec with its compress function and the suffixes a tar and a plain file
    /// carry.
    #[allow(clippy::type_complexity)]
    fn codecs() -> [(
        &'static str,
        fn(&[u8]) -> Vec<u8>,
        &'static str,
        &'static str,
    ); 4] {
        [
            ("gzip", gz, ".tgz", ".gz"),
            ("xz", xz, ".tar.xz", ".xz"),
            ("bzip2", bz2, ".tbz2", ".bz2"),
            ("zstd", zst, ".tar.zst", ".zst"),
        ]
    }

    #[test]
    fn every_codec_opens_a_plain_stream_and_a_tar() {
        let settings = format!("x=1\ny=2\nGITHUB_TOKEN={}\n", ghp());
        let inner = zip_of(&[(
            "c.env",
            format!("AWS_ACCESS_KEY_ID={}\n", akia()).as_bytes(),
        )]);
        for (name, compress, tar_suffix, suffix) in codecs() {
            // One file: the entry is the name without the suffix.
            let s = scan_blob_of(
                &format!("db/dump.sql{suffix}"),
                &compress(settings.as_bytes()),
            );
            assert_eq!(
                rules(&s),
                [("nhi.github.pat-classic.1", Some("dump.sql"), 3)],
                "{name}: {:?}",
                s.errors
            );
            assert!(
                s.errors.is_empty() && s.notes.is_empty() && s.skips.is_empty(),
                "{name}"
            );
            // A tar, with a zip inside.
            let t = compress(&tar_of(&[
                ("README", b"nothing here\n"),
                ("app/settings.env", settings.as_bytes()),
                ("lib/inner.zip", &inner),
            ]));
            let s = scan_blob_of(&format!("release{tar_suffix}"), &t);
            assert_eq!(
                rules(&s),
                [
                    ("nhi.github.pat-classic.1", Some("app/settings.env"), 3),
                    ("nhi.aws.access-key-id.1", Some("lib/inner.zip!/c.env"), 1)
                ],
                "{name}: {:?}",
                s.errors
            );
            assert!(s.errors.is_empty(), "{name}: {:?}", s.errors);
            // Nested in a zip, found by its magic bytes whatever its name.
            let z = zip_of(&[("blob.bin", &compress(settings.as_bytes()))]);
            let s = scan_blob_of("dist.zip", &z);
            assert_eq!(
                rules(&s),
                [("nhi.github.pat-classic.1", Some("blob.bin!/blob.bin"), 3)],
                "{name}"
            );
        }
    }

    #[test]
    fn concatenated_streams_and_frames_are_read_to_the_end() {
        let first = b"nothing in the first part\n".repeat(100);
        let second = format!("GITHUB_TOKEN={}\n", ghp());
        for (name, compress, _, suffix) in codecs() {
            let mut data = compress(&first);
            data.extend_from_slice(&compress(second.as_bytes()));
            let s = scan_blob_of(&format!("log{suffix}"), &data);
            assert_eq!(
                rules(&s),
                [("nhi.github.pat-classic.1", Some("log"), 101)],
                "{name}: {:?}",
                s.errors
            );
        }
    }

    #[test]
    fn a_corrupt_or_cut_stream_is_an_error_naming_it() {
        let text = format!("a=1\nGITHUB_TOKEN={}\n", ghp()).repeat(200);
        for (name, compress, _, suffix) in codecs() {
            let mut data = compress(text.as_bytes());
            data.truncate(data.len() / 2);
            let label = format!("cut{suffix}");
            let s = scan_blob_of(&label, &data);
            assert!(
                s.errors
                    .iter()
                    .any(|e| e.starts_with(&format!("{label}: cannot read"))),
                "{name}: {:?}",
                s.errors
            );
        }
        // A zstd frame declaring a 128 MiB window (`--long=27`): refused before any
        // allocation, an error naming the entry; the raw bytes still get the specific
        // rules.
        let mut big = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3];
        // One raw last block carrying the key.
        let body = format!("id={}\n", akia());
        let header = ((body.len() as u32) << 3) | 1;
        big.extend_from_slice(&header.to_le_bytes()[..3]);
        big.extend_from_slice(body.as_bytes());
        let s = scan_blob_of("big.zst", &big);
        assert!(
            s.errors
                .iter()
                .any(|e| e.starts_with("big.zst: cannot read archive: zstd")
                    && e.contains("window_size is too big")
                    && e.matches("zstd:").count() == 1),
            "{:?}",
            s.errors
        );
        assert_eq!(rules(&s), [("nhi.aws.access-key-id.1", None, 1)]);
    }

    #[test]
    fn a_compression_bomb_trips_the_ratio_guard_in_every_codec() {
        let zeros = vec![0u8; 24 * 1024 * 1024];
        for (name, compress, _, suffix) in codecs() {
            let data = compress(&zeros);
            assert!(
                data.len() < 24 * 1024 * 1024 / 250,
                "{name}: {}",
                data.len()
            );
            let lim = ArchiveLimits {
                max_ratio: 250,
                ..limits()
            };
            let label = format!("zeros{suffix}");
            let t = Instant::now();
            // A floor of 16 MiB applies whatever the ratio: 24 MiB passes it.
            let s = content::scan_blob(matcher(), &label, &data, lim);
            assert!(t.elapsed() < Duration::from_secs(60), "{name}");
            assert!(
                s.notes
                    .iter()
                    .any(|n| n.contains("compression ratio over 250:1")),
                "{name}: {:?} {:?}",
                s.notes,
                s.errors
            );
        }
    }

    #[test]
    fn formats_not_opened_are_counted_noted_and_still_get_the_specific_rules() {
        let key = akia();
        for (magic, format) in [
            (&b"7z\xbc\xaf\x27\x1c\x00\x04"[..], "7z"),
            (&b"Rar!\x1a\x07\x01\x00"[..], "rar"),
        ] {
            let mut data = magic.to_vec();
            data.extend_from_slice(b"\x00\x01 id=");
            data.extend_from_slice(key.as_bytes());
            data.extend_from_slice(b" \x00\x02");
            // Nested in a zip, so the note names the entry and the count is kept.
            let s = scan_blob_of("dist.zip", &zip_of(&[("inner.bin", &data)]));
            assert_eq!(
                s.skips
                    .iter()
                    .filter(|k| **k == SKIP_ARCHIVE_UNSUPPORTED)
                    .count(),
                1,
                "{format}: {:?}",
                s.skips
            );
            assert!(
                s.notes
                    .iter()
                    .any(|n| n.starts_with("dist.zip!/inner.bin: ") && n.contains(format)),
                "{format}: {:?}",
                s.notes
            );
            assert!(s.errors.is_empty(), "{format}: {:?}", s.errors);
            // The bytes are still read with the vendor-format rules.
            assert_eq!(rules(&s).len(), 1, "{format}");
        }
        // Text that happens to start like a bzip2 stream is text.
        let s = scan_blob_of("notes.txt", b"BZh is how bzip2 streams begin\n");
        assert!(s.skips.is_empty() && s.notes.is_empty() && s.errors.is_empty());
    }

    #[test]
    fn a_corrupt_zip_is_an_error_naming_it_and_still_gets_the_specific_rules() {
        let mut bad = b"PK\x03\x04\x14\0\0\0\x08\0garbage garbage ".to_vec();
        bad.extend_from_slice(ghp().as_bytes());
        bad.extend_from_slice(b"\0\0\0 more garbage");
        let s = scan_blob_of("dist/broken.jar", &bad);
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert!(
            s.errors[0].starts_with("dist/broken.jar: cannot read archive:"),
            "{:?}",
            s.errors
        );
        assert_eq!(rules(&s), [("nhi.github.pat-classic.1", None, 1)]);
        // A gzip cut short: an error too.
        let mut tgz = gz(&tar_of(&[("a.env", b"A=1\n")]));
        tgz.truncate(12);
        let s = scan_blob_of("cut.tgz", &tgz);
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert!(s.errors[0].starts_with("cut.tgz"), "{:?}", s.errors);
    }

    #[test]
    fn too_many_entries_stop_the_archive_with_a_note() {
        let names: Vec<String> = (0..10_050).map(|i| format!("f{i}.txt")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x\n"[..])).collect();
        let mut entries = entries;
        let late = format!("T={}\n", ghp());
        entries.push(("last.env", late.as_bytes()));
        let z = zip_of(&entries);
        let t = Instant::now();
        let s = scan_blob_of("many.zip", &z);
        assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(
            s.notes[0].starts_with("many.zip: stopped expanding: more than 10000 entries"),
            "{:?}",
            s.notes
        );
        assert!(
            s.notes[0].contains("51 more entries were not scanned"),
            "{:?}",
            s.notes
        );
        assert_eq!(
            s.skips.iter().filter(|r| **r == SKIP_ARCHIVE_LIMIT).count(),
            1
        );
        assert!(s.errors.is_empty());
        assert!(s.hits.is_empty(), "past the limit");
    }

    #[test]
    fn a_highly_compressible_entry_trips_the_ratio_guard() {
        // 48 MiB of zeros deflate to about 48 KiB: a ratio near 1000:1.
        let zeros = vec![0u8; 48 * 1024 * 1024];
        let z = zip_of(&[("zeros.bin", &zeros), ("after.env", b"A=1\n")]);
        drop(zeros);
        assert!(z.len() < 1024 * 1024, "{}", z.len());
        let t = Instant::now();
        let s = scan_blob_of("bomb.zip", &z);
        assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(
            s.notes[0].starts_with("bomb.zip: stopped expanding: compression ratio over 250:1"),
            "{:?}",
            s.notes
        );
        assert_eq!(s.skips, [SKIP_ARCHIVE_LIMIT]);
        assert!(s.errors.is_empty());

        // The same as a gzip stream.
        let g = gz(&vec![0u8; 40 * 1024 * 1024]);
        let s = scan_blob_of("zeros.gz", &g);
        assert!(
            s.notes[0].contains("compression ratio over 250:1"),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn the_total_expanded_size_is_capped_across_nested_archives() {
        let lim = ArchiveLimits {
            max_total: 4 * 1024 * 1024,
            max_ratio: 1_000_000,
            ..limits()
        };
        let mb = vec![b'a'; 1024 * 1024];
        let inner = zip_of(&[("1", &mb), ("2", &mb), ("3", &mb)]);
        let outer = gz(&tar_of(&[
            ("x.zip", &inner),
            ("y.zip", &inner),
            ("z.env", b"A=1\n"),
        ]));
        let s = content::scan_blob(matcher(), "nest.tgz", &outer, lim);
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(
            s.notes[0].contains(": stopped expanding: total expanded size over 4 MiB"),
            "{:?}",
            s.notes
        );
        assert!(s.bytes <= lim.max_total, "{}", s.bytes);
    }

    #[test]
    fn nesting_stops_at_the_depth_limit() {
        let env = format!("T={}\n", ghp());
        let mut z = zip_of(&[("deep.env", env.as_bytes())]);
        for i in 0..3 {
            z = zip_of(&[(&format!("l{i}.zip"), &z)]);
        }
        // 4 levels: the innermost is not opened.
        let s = scan_blob_of("top.zip", &z);
        assert!(s.hits.is_empty());
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(
            s.notes[0].starts_with("top.zip!/l2.zip!/l1.zip!/l0.zip: archive nested deeper than 3"),
            "{:?}",
            s.notes
        );
        assert!(s.skips.contains(&SKIP_ARCHIVE_DEPTH));
        // 3 levels are.
        let mut z = zip_of(&[("deep.env", env.as_bytes())]);
        for i in 0..2 {
            z = zip_of(&[(&format!("l{i}.zip"), &z)]);
        }
        let s = scan_blob_of("top.zip", &z);
        assert_eq!(
            rules(&s),
            [(
                "nhi.github.pat-classic.1",
                Some("l1.zip!/l0.zip!/deep.env"),
                1
            )]
        );
    }

    #[test]
    fn a_text_entry_over_the_size_limit_is_an_error() {
        let lim = ArchiveLimits {
            max_entry: 1024,
            ..limits()
        };
        let big = "INSERT INTO t VALUES (1);\n".repeat(100);
        let mut bin = vec![0u8; 8];
        bin.extend(std::iter::repeat(b'z').take(4000));
        let z = zip_of(&[("dump.sql", big.as_bytes()), ("blob.dat", &bin)]);
        let s = content::scan_blob(matcher(), "d.zip", &z, lim);
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert!(
            s.errors[0].starts_with("d.zip!/dump.sql: "),
            "{:?}",
            s.errors
        );
        assert_eq!(
            s.skips
                .iter()
                .filter(|r| **r == content::SKIP_TOO_LARGE)
                .count(),
            2
        );
    }
}
