//! The keyword prefilter: finds every occurrence (ASCII case-insensitive, overlapping) of
//! every rule keyword in a buffer, about twice as fast as an Aho-Corasick DFA on source
//! text.
//!
//! It is a bit-parallel shift-or filter in the style of Hyperscan's FDR. Each keyword is
//! put in one of 8 buckets and filtered on its first (up to) 8 bytes, its *fingerprint*.
//! A 64-bit mask holds one byte per fingerprint position ("row") and one bit per bucket;
//! the table is indexed by the *pair* (previous byte, this byte), each folded to 6 bits, so
//! a row accepts only byte pairs some keyword of the bucket has there. That keeps false
//! candidates few even with a couple of hundred keywords (about 7% over the true hits on
//! the benchmark corpus). Eight positions are combined per step without a serial
//! dependency: `v |= T[pair(i + j)] << 8j` over a 128-bit accumulator whose upper half
//! carries into the next eight positions. The pair indices of sixteen positions are
//! computed at once (SSE2 on x86-64), so each position costs one load and its shifts.
//!
//! Every candidate (a position where all rows of a bucket accepted) is verified against
//! the bucket's keywords byte by byte, so hits are exact. The fold conflates only bytes
//! that differ in ASCII case or that no keyword is likely to hold (see [`fold`]); a
//! conflation can add candidates, never lose one.

/// Fingerprint length (rows) and bucket count: one 64-bit mask.
const ROWS: usize = 8;
const BUCKETS: usize = 8;

/// One keyword: its id (position in the list given to [`KeywordScanner::new`]), its bytes
/// lowercased, and its fingerprint length.
struct Keyword {
    id: u32,
    bytes: Box<[u8]>,
    fp: usize,
    /// The first (up to) 8 bytes as a little-endian word, `0x20` at each letter of them
    /// (OR-ing it into the text's word folds case there and nowhere else), and `0xff` at
    /// each of them: a candidate is checked with one load and compare.
    head: u64,
    case: u64,
    len_mask: u64,
}

impl Keyword {
    fn new(id: u32, bytes: Vec<u8>) -> Keyword {
        let fp = bytes.len().min(ROWS);
        let (mut head, mut case, mut len_mask) = (0u64, 0u64, 0u64);
        for (j, &b) in bytes.iter().take(8).enumerate() {
            head |= u64::from(b) << (8 * j);
            len_mask |= 0xff << (8 * j);
            if b.is_ascii_lowercase() {
                case |= 0x20 << (8 * j);
            }
        }
        Keyword {
            id,
            bytes: bytes.into_boxed_slice(),
            fp,
            head,
            case,
            len_mask,
        }
    }

    /// Whether the keyword occurs (ASCII case-insensitively) at `start`.
    #[inline(always)]
    fn at(&self, data: &[u8], start: usize) -> bool {
        let n = self.bytes.len();
        if start + n > data.len() {
            return false;
        }
        let w = match data.get(start..start + 8) {
            Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")),
            None => {
                let mut w = [0u8; 8];
                let tail = &data[start..];
                w[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(w)
            }
        };
        (w | self.case) & self.len_mask == self.head
            && (n <= 8 || data[start + 8..start + n].eq_ignore_ascii_case(&self.bytes[8..]))
    }
}

pub(super) struct KeywordScanner {
    /// Pair index (`fold(prev) << 6 | fold(cur)`) -> mask; bit `(7 - row) * 8 + bucket`
    /// is clear when some keyword of the bucket accepts the pair at that row.
    table: Box<[u64; 4096]>,
    buckets: [Vec<Keyword>; BUCKETS],
    /// Each bucket's keywords, sorted by the last byte of their fingerprint (lowercase):
    /// every keyword a candidate can be ends its fingerprint on the candidate's byte, so
    /// `slots[bucket][byte]` is the range of those to verify, whatever their lengths.
    slots: Box<[[(u16, u16); 256]; BUCKETS]>,
}

/// The pair-table indices (`fold(prev) << 6 | fold(cur)`) of the 16 positions from `at`
/// (`at + 16 <= data.len()`); the byte before position 0 counts as 0.
#[inline(always)]
fn pair_indices16(data: &[u8], at: usize) -> [u16; 16] {
    let cur: &[u8; 16] = data[at..at + 16].try_into().expect("16 bytes");
    // The 16 bytes before each position: read in place (a copy to the stack would stall
    // the load that follows it), except at the very start.
    let mut first = [0u8; 16];
    let prev: &[u8; 16] = if at > 0 {
        data[at - 1..at + 15].try_into().expect("16 bytes")
    } else {
        first[1..].copy_from_slice(&cur[..15]);
        &first
    };
    #[cfg(target_arch = "x86_64")]
    {
        // SSE2 is part of x86-64 itself: no detection needed.
        use core::arch::x86_64::*;
        // SAFETY: SSE2 is always available on x86-64; the loads and stores are unaligned
        // ones of exactly 16 and 2 x 16 bytes within the arrays.
        unsafe {
            let fold16 = |v: __m128i| {
                _mm_or_si128(
                    _mm_and_si128(v, _mm_set1_epi8(0x1f)),
                    _mm_and_si128(_mm_srli_epi16(v, 1), _mm_set1_epi8(0x20)),
                )
            };
            let c = fold16(_mm_loadu_si128(cur.as_ptr().cast()));
            let p = fold16(_mm_loadu_si128(prev.as_ptr().cast()));
            let z = _mm_setzero_si128();
            let lo = _mm_or_si128(
                _mm_unpacklo_epi8(c, z),
                _mm_slli_epi16(_mm_unpacklo_epi8(p, z), 6),
            );
            let hi = _mm_or_si128(
                _mm_unpackhi_epi8(c, z),
                _mm_slli_epi16(_mm_unpackhi_epi8(p, z), 6),
            );
            let mut out = [0u16; 16];
            _mm_storeu_si128(out.as_mut_ptr().cast(), lo);
            _mm_storeu_si128(out.as_mut_ptr().add(8).cast(), hi);
            out
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::array::from_fn(|j| (fold(prev[j]) << 6 | fold(cur[j])) as u16)
    }
}

/// Folds a byte to 6 bits: bits 0-4 plus bit 6 moved to bit 5. ASCII letters and their
/// upper-case forms fold together; so do a few rare pairs (`^`/`~`, `-`/CR, digits with
/// control bytes, each byte >= 0x80 with one below it), which only costs candidates.
#[inline(always)]
fn fold(b: u8) -> usize {
    usize::from((b & 0x1f) | ((b >> 1) & 0x20))
}

/// [`fold`] on the eight bytes of a word at once.
#[inline(always)]
fn fold8(w: u64) -> u64 {
    (w & 0x1f1f_1f1f_1f1f_1f1f) | ((w >> 1) & 0x2020_2020_2020_2020)
}

impl KeywordScanner {
    /// `None` for an empty list or one holding an empty keyword (which the caller then
    /// handles another way). Keywords are matched ASCII case-insensitively.
    pub(super) fn new(keywords: &[String]) -> Option<KeywordScanner> {
        if keywords.is_empty() || keywords.iter().any(|k| k.is_empty()) {
            return None;
        }
        // Keywords of similar shape share a bucket: sorted by fingerprint length, then by
        // fingerprint read backwards (the rows nearest the check), then cut in 8 runs.
        let mut order: Vec<(usize, Vec<u8>, u32)> = keywords
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let lower = k.as_bytes().to_ascii_lowercase();
                let fp = lower.len().min(ROWS);
                let mut key: Vec<u8> = lower[..fp].iter().rev().copied().collect();
                key.insert(0, fp as u8);
                (i, key, u32::try_from(i).unwrap_or(u32::MAX))
            })
            .collect();
        order.sort_by(|a, b| a.1.cmp(&b.1));
        let per = order.len().div_ceil(BUCKETS);
        let mut table = Box::new([!0u64; 4096]);
        let mut wildcard = 0u64;
        let mut buckets: [Vec<Keyword>; BUCKETS] = Default::default();
        for (n, (i, _, id)) in order.into_iter().enumerate() {
            let b = n / per;
            let bytes = keywords[i].as_bytes().to_ascii_lowercase();
            let fp = bytes.len().min(ROWS);
            // Row `ROWS - fp + j` holds fingerprint byte `j`; earlier rows accept anything.
            for row in 0..ROWS - fp {
                wildcard |= 1u64 << ((ROWS - 1 - row) * 8 + b);
            }
            for (j, &byte) in bytes[..fp].iter().enumerate() {
                let row = ROWS - fp + j;
                let bit = !(1u64 << ((ROWS - 1 - row) * 8 + b));
                let cur = fold(byte);
                if j == 0 {
                    for prev in 0..64 {
                        table[prev << 6 | cur] &= bit;
                    }
                } else {
                    table[fold(bytes[j - 1]) << 6 | cur] &= bit;
                }
            }
            buckets[b].push(Keyword::new(id, bytes));
        }
        for t in table.iter_mut() {
            *t &= !wildcard;
        }
        let mut slots = Box::new([[(0u16, 0u16); 256]; BUCKETS]);
        for (list, slot) in buckets.iter_mut().zip(slots.iter_mut()) {
            // Ranges are u16: a bigger bucket (65,536 keywords) goes to Aho-Corasick.
            if list.len() > usize::from(u16::MAX) {
                return None;
            }
            list.sort_by_key(|k| k.bytes[k.fp - 1]);
            for (n, k) in list.iter().enumerate() {
                let e = &mut slot[usize::from(k.bytes[k.fp - 1])];
                if e.0 == e.1 {
                    *e = (n as u16, n as u16);
                }
                e.1 += 1;
            }
        }
        Some(KeywordScanner {
            table,
            buckets,
            slots,
        })
    }

    /// Calls `f(start, end, keyword id)` for every occurrence of every keyword, in order of
    /// the end of their fingerprints (nearly, not exactly, in order of start).
    pub(super) fn for_each_hit(&self, data: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        let mut carry = 0u64;
        let mut prev = 0u64;
        let mut base = 0usize;
        // Sixteen positions a step: their pair indices are computed together (SIMD on
        // x86-64), so the scalar work per position is one table load and its shifts.
        let table = &*self.table;
        while base + 16 <= data.len() {
            let idx = pair_indices16(data, base);
            for half in 0..2 {
                let mut lo = 0u64;
                let mut hi = 0u64;
                for j in 0..8 {
                    let m = table[usize::from(idx[half * 8 + j]) & 4095];
                    lo |= m << (8 * j);
                    if j > 0 {
                        hi |= m >> (64 - 8 * j);
                    }
                }
                let z = !(lo | carry);
                carry = hi;
                if z != 0 {
                    self.verify(data, base + half * 8, z, &mut f);
                }
            }
            base += 16;
        }
        if base > 0 {
            prev = fold(data[base - 1]) as u64;
        }
        let mut chunks = data[base..].chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let (lo, hi) = self.block(u64::from_le_bytes(w), &mut prev);
            let z = !(lo | carry);
            carry = hi;
            if z != 0 {
                self.verify(data, base, z, &mut f);
            }
            base += 8;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            let (lo, _) = self.block(u64::from_le_bytes(w), &mut prev);
            let z = !(lo | carry) & ((1u64 << (8 * rest.len())) - 1);
            if z != 0 {
                self.verify(data, base, z, &mut f);
            }
        }
    }

    /// The masks of eight positions (the bytes of `w`, little-endian), combined: the low
    /// word's byte j has the rows ending at position j from this block, the high word the
    /// rows this block contributes to the next one. `prev` is the folded byte before `w`.
    #[inline(always)]
    fn block(&self, w: u64, prev: &mut u64) -> (u64, u64) {
        let table = &*self.table;
        let fw = fold8(w);
        // Byte j of `pw` is the folded byte before byte j.
        let pw = (fw << 8) | *prev;
        *prev = fw >> 56;
        let mut v = 0u128;
        for j in 0..8 {
            let c = (fw >> (8 * j)) & 0x3f;
            let p = (pw >> (8 * j)) & 0x3f;
            v |= u128::from(table[((p << 6) | c) as usize & 4095]) << (8 * j);
        }
        (v as u64, (v >> 64) as u64)
    }

    /// `z`: candidate bits for the eight positions from `base` (byte j = position
    /// `base + j`, bit b = bucket b); reports the keywords whose fingerprint ends there.
    #[inline(never)]
    fn verify(
        &self,
        data: &[u8],
        base: usize,
        mut z: u64,
        f: &mut impl FnMut(usize, usize, usize),
    ) {
        while z != 0 {
            let j = z.trailing_zeros() as usize / 8;
            let mut buckets = (z >> (j * 8)) & 0xff;
            z &= !(0xffu64 << (j * 8));
            let end_fp = base + j + 1;
            let Some(&last) = data.get(end_fp - 1) else {
                continue;
            };
            let last = usize::from(last.to_ascii_lowercase());
            while buckets != 0 {
                let b = buckets.trailing_zeros() as usize;
                buckets &= buckets - 1;
                let (s, e) = self.slots[b][last];
                for k in &self.buckets[b][usize::from(s)..usize::from(e)] {
                    let Some(start) = end_fp.checked_sub(k.fp) else {
                        continue;
                    };
                    if k.at(data, start) {
                        f(start, start + k.bytes.len(), k.id as usize);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(keywords: &[&str], data: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (id, k) in keywords.iter().enumerate() {
            let k = k.as_bytes();
            for s in 0..data.len() {
                if data[s..].len() >= k.len() && data[s..s + k.len()].eq_ignore_ascii_case(k) {
                    out.push((s, s + k.len(), id));
                }
            }
        }
        out.sort_unstable();
        out
    }

    fn scan(keywords: &[&str], data: &[u8]) -> Vec<(usize, usize, usize)> {
        let owned: Vec<String> = keywords.iter().map(|s| s.to_string()).collect();
        let Some(s) = KeywordScanner::new(&owned) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        s.for_each_hit(data, |a, b, id| out.push((a, b, id)));
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_every_overlapping_occurrence() {
        let kws = [
            "secret",
            "secret_key",
            "ecr",
            "://",
            "a",
            "ab",
            "abcdefghijklmnop",
            "TOKEN",
            "x~y",
            "-----begin rsa private key",
            "ghp_",
            "hp_q",
        ];
        let data = b"a SECRET_KEY= ghp_QZ https://x ABCDEFGHIJKLMNOPQ x^y x~Y\r\n\
                     -----BEGIN RSA PRIVATE KEY-----\ntoken\xffsecre\xe5t abab";
        for cut in 0..data.len() {
            assert_eq!(
                scan(&kws, &data[cut..]),
                naive(&kws, &data[cut..]),
                "cut {cut}"
            );
            assert_eq!(
                scan(&kws, &data[..cut]),
                naive(&kws, &data[..cut]),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn empty_keyword_or_list_is_none() {
        assert!(KeywordScanner::new(&[]).is_none());
        assert!(KeywordScanner::new(&["a".into(), String::new()]).is_none());
    }

    proptest::proptest! {
        #[test]
        fn matches_naive_search(
            kws in proptest::collection::vec("[a-cA-C_:/.~^\\-]{1,10}", 1..40),
            data in proptest::collection::vec(proptest::sample::select(
                b"abcABC_:/.~^-\r\n\x00\xe1 ".to_vec()), 0..300),
        ) {
            let kws: Vec<&str> = kws.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(scan(&kws, &data), naive(&kws, &data));
        }

        /// Hundreds of keywords: large buckets, many keywords sharing a last byte.
        #[test]
        fn matches_naive_search_with_hundreds_of_keywords(
            kws in proptest::collection::vec("[a-dA-D_:.~-]{1,12}", 200..500),
            data in proptest::collection::vec(proptest::sample::select(
                b"abcdABCD_:.~-\n ".to_vec()), 0..400),
        ) {
            let kws: Vec<&str> = kws.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(scan(&kws, &data), naive(&kws, &data));
        }
    }
}
