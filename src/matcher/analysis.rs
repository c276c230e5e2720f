//! What the engine learns from a rule's parsed pattern before it runs: the literal
//! prefixes every match starts with, where its keywords sit in them (anchoring), and
//! whether a match can span lines.

use super::*;

/// Prefixes (ASCII-lowercased) of what a pattern matches, at most this many...
pub(super) const PREFIX_LIMIT: usize = 256;
/// ...of at most this many bytes.
pub(super) const PREFIX_MAX_LEN: usize = 64;

/// Literal prefixes of every match of `hir`, ASCII-lowercased: each match, lowercased,
/// starts with one of the returned strings, and *equals* it when the flag is set (the
/// string is the whole match, so what follows in a concatenation may be appended).
pub(super) fn match_prefixes(hir: &regex_syntax::hir::Hir) -> Vec<(Vec<u8>, bool)> {
    use regex_syntax::hir::{Class, HirKind};
    let empty = || vec![(Vec::new(), true)];
    let unknown = || vec![(Vec::new(), false)];
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => empty(),
        HirKind::Literal(lit) => vec![(lit.0.to_ascii_lowercase(), true)],
        HirKind::Class(class) => {
            let mut bytes: Vec<u8> = Vec::new();
            let few = match class {
                Class::Bytes(c) => c.ranges().iter().all(|r| {
                    if usize::from(r.end() - r.start()) >= 8 {
                        return false;
                    }
                    bytes.extend((r.start()..=r.end()).map(|b| b.to_ascii_lowercase()));
                    true
                }),
                Class::Unicode(c) => c.ranges().iter().all(|r| {
                    let (s, e) = (u32::from(r.start()), u32::from(r.end()));
                    if e > 0x7f || e - s >= 8 {
                        return false;
                    }
                    bytes.extend((s..=e).filter_map(|b| u8::try_from(b).ok()));
                    bytes.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
                    true
                }),
            };
            bytes.sort_unstable();
            bytes.dedup();
            if few && !bytes.is_empty() && bytes.len() <= 4 {
                bytes.into_iter().map(|b| (vec![b], true)).collect()
            } else {
                unknown()
            }
        }
        HirKind::Capture(cap) => match_prefixes(&cap.sub),
        HirKind::Alternation(hs) => {
            let mut all = Vec::new();
            for h in hs {
                all.extend(match_prefixes(h));
                if all.len() > PREFIX_LIMIT {
                    return unknown();
                }
            }
            all
        }
        HirKind::Repetition(rep) => {
            if rep.max == Some(0) {
                return empty();
            }
            let mut sub = match_prefixes(&rep.sub);
            // After one repetition more may follow, unless at most one is allowed.
            if rep.max != Some(1) {
                sub.iter_mut().for_each(|p| p.1 = false);
            }
            if rep.min == 0 {
                sub.push((Vec::new(), true));
            }
            sub
        }
        HirKind::Concat(hs) => {
            let mut acc: Vec<(Vec<u8>, bool)> = empty();
            for h in hs {
                if acc.iter().all(|p| !p.1) {
                    break;
                }
                let next = match_prefixes(h);
                let mut grown = Vec::with_capacity(acc.len() * next.len());
                for (p, exact) in &acc {
                    if !*exact {
                        grown.push((p.clone(), false));
                        continue;
                    }
                    for (q, q_exact) in &next {
                        let mut pq = p.clone();
                        pq.extend_from_slice(q);
                        grown.push((pq, *q_exact));
                    }
                }
                grown.sort_unstable();
                grown.dedup();
                if grown.len() > PREFIX_LIMIT || grown.iter().any(|p| p.0.len() > PREFIX_MAX_LEN) {
                    // Stop here: what is known so far is still a prefix of every match.
                    acc.iter_mut().for_each(|p| p.1 = false);
                    break;
                }
                acc = grown;
            }
            acc
        }
    }
}

/// When every match of the rule starts with a known literal that contains one of the
/// rule's `keywords` (lowercase), the (keyword, offset of the keyword in the match) pairs
/// that locate every possible match start from the keyword hits; `None` otherwise.
pub(super) fn keyword_offsets(
    hir: &regex_syntax::hir::Hir,
    keywords: &[String],
) -> Option<Vec<(String, usize)>> {
    if keywords.is_empty() {
        return None;
    }
    let mut out: Vec<(String, usize)> = Vec::new();
    for (prefix, _) in match_prefixes(hir) {
        // The keyword occurring earliest in the prefix (any one would do).
        let (d, kw) = keywords
            .iter()
            .filter(|k| !k.is_empty())
            .filter_map(|k| memmem::find(&prefix, k.as_bytes()).map(|d| (d, k)))
            .min()?;
        if !out.iter().any(|(k, o)| k == kw && *o == d) {
            out.push((kw.clone(), d));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `^(?s:.)(?:pattern)`: the rule anchored one byte after the start of the haystack, so
/// that look-arounds at the anchored position see the preceding byte. `None` when the
/// wrapped pattern would not mean the same (say, a trailing `(?x)` comment).
pub(super) fn anchored_form(
    pattern: &str,
    hir: &regex_syntax::hir::Hir,
    captures: usize,
) -> Option<Anchored> {
    use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Look};
    let wrapped = format!("^(?s:.)(?:{pattern})");
    let expect = Hir::concat(vec![
        Hir::look(Look::Start),
        Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(
            0, 0xff,
        )]))),
        hir.clone(),
    ]);
    wraps_same(pattern, &wrapped, expect).then(|| Anchored {
        pattern: wrapped,
        captures,
        regex: std::sync::OnceLock::new(),
    })
}

/// Bytes every match of `hir` contains (exact bytes: a literal outside any optional part
/// or alternation branch, or a one-byte class), at most a few, leaving out those the
/// rule's (lowercased) keywords hold, since a keyword hit already has them. A candidate
/// window lacking one of them cannot hold a match, so the regex need not run on it.
pub(super) fn required_bytes(hir: &regex_syntax::hir::Hir, keywords: &[String]) -> Box<[u8]> {
    use regex_syntax::hir::{Class, HirKind};
    fn req(h: &regex_syntax::hir::Hir) -> Vec<u8> {
        let mut v = match h.kind() {
            HirKind::Empty | HirKind::Look(_) => Vec::new(),
            HirKind::Literal(lit) => lit.0.to_vec(),
            HirKind::Class(Class::Bytes(c)) => match c.ranges() {
                [r] if r.start() == r.end() => vec![r.start()],
                _ => Vec::new(),
            },
            HirKind::Class(Class::Unicode(c)) => match c.ranges() {
                [r] if r.start() == r.end() && r.start().is_ascii() => vec![r.start() as u8],
                _ => Vec::new(),
            },
            HirKind::Capture(cap) => req(&cap.sub),
            HirKind::Repetition(rep) if rep.min >= 1 => req(&rep.sub),
            HirKind::Repetition(_) => Vec::new(),
            HirKind::Concat(hs) => hs.iter().flat_map(req).collect(),
            HirKind::Alternation(hs) => {
                let mut it = hs.iter().map(req);
                let first = it.next().unwrap_or_default();
                it.fold(first, |acc, b| {
                    acc.into_iter().filter(|x| b.contains(x)).collect()
                })
            }
        };
        v.sort_unstable();
        v.dedup();
        v
    }
    let mut bytes = req(hir);
    bytes.retain(|b| {
        !keywords
            .iter()
            .any(|k| k.as_bytes().contains(&b.to_ascii_lowercase()) || k.as_bytes().contains(b))
    });
    // Rarer bytes first would be better still; punctuation is rare enough in code.
    bytes.sort_by_key(|b| !b.is_ascii_punctuation());
    bytes.truncate(3);
    bytes.into_boxed_slice()
}

/// Whether every match of `hir` starts on the line of a keyword occurrence inside it: the
/// pattern's leading elements up to the first one that can match a newline (its *head*)
/// always hold one of `keywords` (lowercase). Then a rule that can span lines still
/// needs searching only from the lines its keywords are on (see [`line_start_form`]).
pub(super) fn head_holds_keyword(hir: &regex_syntax::hir::Hir, keywords: &[String]) -> bool {
    use regex_syntax::hir::{Hir, HirKind};
    fn contains(p: &[u8], keywords: &[String]) -> bool {
        // Only what comes before a newline in the literal counts.
        let p = p.split(|&b| b == b'\n').next().unwrap_or(p);
        keywords
            .iter()
            .any(|k| !k.is_empty() && memmem::find(p, k.as_bytes()).is_some())
    }
    // Every match of `h` begins with a literal holding a keyword before any newline.
    fn prefixes_hold(h: &Hir, keywords: &[String]) -> bool {
        match_prefixes(h).iter().all(|(p, _)| contains(p, keywords))
    }
    // Every match of `h` holds a keyword with no newline before it in the match.
    fn holds(h: &Hir, keywords: &[String]) -> bool {
        match h.kind() {
            HirKind::Literal(lit) => contains(&lit.0.to_ascii_lowercase(), keywords),
            HirKind::Capture(c) => holds(&c.sub, keywords),
            HirKind::Repetition(r) if r.min >= 1 => holds(&r.sub, keywords),
            HirKind::Alternation(hs) => {
                hs.iter().all(|b| holds(b, keywords)) || prefixes_hold(h, keywords)
            }
            HirKind::Concat(hs) => {
                for i in 0..hs.len() {
                    // Everything before `hs[i]` is newline-free here: a keyword it always
                    // holds, or that the literal run from it always starts with, counts
                    // (`bot_?token` spans three elements).
                    if holds(&hs[i], keywords)
                        || prefixes_hold(&Hir::concat(hs[i..].to_vec()), keywords)
                    {
                        return true;
                    }
                    if can_match_newline(&hs[i]) {
                        return false;
                    }
                }
                false
            }
            _ => false,
        }
    }
    !keywords.is_empty() && holds(hir, keywords)
}

/// The forms of a rule whose matches start on a keyword's line: `^(?s:.)[^\n]*?(?:pattern)`,
/// run on `data[s - 1..]`, matches iff a match of the rule starts in `s..=` the end of
/// that line (the extra byte keeps look-arounds seeing the byte before `s`); the search
/// is anchored, so it stops once no match can start on the line and none is under way,
/// not at the end of the buffer. `^[^\n]*?(?:pattern)` does the same from 0. `None` when
/// the wrapped pattern would not mean the same.
pub(super) fn line_start_form(pattern: &str, hir: &regex_syntax::hir::Hir) -> Option<LineStart> {
    use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Look, Repetition};
    let not_nl = || {
        Hir::repetition(Repetition {
            min: 0,
            max: None,
            greedy: false,
            sub: Box::new(Hir::class(Class::Bytes(ClassBytes::new([
                ClassBytesRange::new(0, b'\n' - 1),
                ClassBytesRange::new(b'\n' + 1, 0xff),
            ])))),
        })
    };
    let after = format!("^(?s:.)[^\n]*?(?:{pattern})");
    let at_start = format!("^[^\n]*?(?:{pattern})");
    let any = Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(
        0, 0xff,
    )])));
    let same = |wrapped: &str, parts: Vec<Hir>| wraps_same(pattern, wrapped, Hir::concat(parts));
    let ok = same(
        &after,
        vec![Hir::look(Look::Start), any, not_nl(), hir.clone()],
    ) && same(
        &at_start,
        vec![Hir::look(Look::Start), not_nl(), hir.clone()],
    );
    ok.then(|| LineStart {
        after,
        at_start,
        regex: std::sync::OnceLock::new(),
    })
}

/// Whether `wrapped`, a prefix and then `(?:pattern)`, parses to `expect` (that prefix's
/// elements, then the pattern's own parse). A pattern that parses alone means the same
/// inside a non-capturing group (its flags are scoped to the group), unless verbose mode
/// lets a `#` comment run on over the closing parenthesis. So only a pattern holding `#`
/// is parsed again (the start-up cost of hundreds of rules); tests check all the others.
fn wraps_same(pattern: &str, wrapped: &str, expect: regex_syntax::hir::Hir) -> bool {
    if !pattern.contains('#') {
        return true;
    }
    crate::rules::parse_pattern(wrapped).ok() == Some(expect)
}

/// Whether every match of `hir` starts at a line start: it begins with `(?m)^` (in every
/// branch).
pub(super) fn starts_at_line_start(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{HirKind, Look};
    match hir.kind() {
        // Not `(?R)^`: it also holds after a lone `\r`, inside a line.
        HirKind::Look(l) => *l == Look::StartLF,
        HirKind::Capture(c) => starts_at_line_start(&c.sub),
        HirKind::Concat(hs) => hs.first().is_some_and(starts_at_line_start),
        HirKind::Alternation(hs) => hs.iter().all(starts_at_line_start),
        _ => false,
    }
}

/// Whether the parsed pattern can match a `\n` byte anywhere.
pub(super) fn can_match_newline(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.contains(&b'\n'),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Repetition(rep) => rep.max != Some(0) && can_match_newline(&rep.sub),
        HirKind::Capture(cap) => can_match_newline(&cap.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().any(can_match_newline),
    }
}

/// The capture group holding a pattern's secret (`secret`, else 1, else 0) and its
/// number of groups (the whole match included), read from the parsed pattern so the
/// regex itself can be compiled on first use.
pub(super) fn secret_group(hir: &regex_syntax::hir::Hir) -> (usize, usize) {
    use regex_syntax::hir::HirKind;
    fn named(h: &regex_syntax::hir::Hir) -> Option<usize> {
        match h.kind() {
            HirKind::Capture(c) => {
                if c.name.as_deref() == Some("secret") {
                    Some(c.index as usize)
                } else {
                    named(&c.sub)
                }
            }
            HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().find_map(named),
            HirKind::Repetition(r) => named(&r.sub),
            _ => None,
        }
    }
    let len = hir.properties().explicit_captures_len() + 1;
    let group = named(hir).unwrap_or(if len > 1 { 1 } else { 0 });
    (group, len)
}
