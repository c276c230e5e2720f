//! The scanning engine: compiles a [`RuleSet`] into a literal prefilter plus per-rule
//! regexes, and finds secrets in byte buffers. Pure and thread-safe (`&self` scans from
//! many rayon workers); knows nothing about files, git or people, and never logs or
//! prints a secret.
//!
//! # How a scan works
//!
//! 1. One pass of the keyword prefilter (a shift-or scanner, see [`keywords`]; ASCII
//!    case-insensitive) over the buffer finds every occurrence of every rule's keywords.
//!    Buffers without a keyword cost that one pass and allocate nothing.
//! 2. Each keyword hit selects the rules that own the keyword, and how each runs is fixed
//!    when the rule is compiled:
//!    - A rule whose pattern can never match a newline (checked on the parsed pattern)
//!      runs only on the lines that hold its keywords; since every match of a rule
//!      contains one of its keywords, and a newline-free match lies inside one line, this
//!      finds exactly the matches a whole-buffer search would (slicing at line boundaries
//!      changes neither `\b` nor `(?m)^`/`(?m)$`, and bare `^`/`$` are rejected at load).
//!      When every match also starts at a line start (`(?m)^...`), a line holds at most
//!      one, so the rule is tried once per such line, anchored at its start, rather than
//!      searched along it.
//!    - A rule that can span lines (`\s*` between a name and its value, PEM blocks) but
//!      whose every match starts with a literal holding one of its keywords at a known
//!      offset (found on the parsed pattern, case folded; see [`keyword_offsets`]) is
//!      *anchored*: its regex is tried only at the starts those offsets give, in order,
//!      skipping starts inside the previous match. That is exactly the sequence of
//!      matches a whole-buffer search yields, since no match can start anywhere else.
//!    - Other rules that can span lines run over the whole buffer, and only when one of
//!      their keywords occurs in it.
//! 3. Each candidate is filtered: entropy floor, documented example credentials,
//!    placeholder values (for rules that ask), and lines carrying `nhiscan:allow`. A rule's
//!    format validator (a GitHub token's checksum, see [`crate::rules::Validator`]) does
//!    not filter: a failed check marks the finding and lowers its severity.
//! 4. [`Matcher::scan`] keeps one match per span: a specific rule beats a generic one,
//!    then the longer secret wins, then the earlier rule.
//! 5. Line numbers are counted only for surviving matches, incrementally.

mod analysis;
mod heuristics;
mod k8s;
mod keywords;

use analysis::*;
pub use heuristics::*;
use k8s::*;

use crate::model::SecretBytes;
use crate::rules::{Rule, RuleError, RuleSet, Validator};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use memchr::memmem;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The inline allowlist marker: a line containing it never yields a match.
pub const ALLOW_MARKER: &[u8] = b"nhiscan:allow";

/// Documented example credentials (AWS's above all): never a finding, whatever rule sees
/// them, wherever they appear in the match.
const KNOWN_EXAMPLES: &[&[u8]] = &[
    // AWS's documented key pairs. The first two as prefixes: SDK test suites edit the
    // ending (`AKIAIOSFODNN7EXAMPLF`, `…/K7MDENG+bPxRfiCYEXAMPLEKEY`).
    b"AKIAIOSFODNN7",
    b"wJalrXUtnFEMI/K7MDENG",
    b"AKIAI44QH8DHBEXAMPLE",
    b"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // jwt.io's sample token signature and claims (`{"sub":"1234567890","name":"John Doe"…`,
    // re-signed in many test suites), PyJWT's documented `{"some":"payload"}` token, and
    // Stripe's documentation key body.
    b"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    b".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv",
    b".eyJzb21lIjoicGF5bG9hZCJ9.",
    b"4eC39HqLyjWDarjtT1zdp7dc",
    // OAuth's RFC examples, copied into every OAuth library's docs and tests: RFC 6749's
    // access token, refresh token, authorization code and client `s6BhdRkqt3:gX1fBat3bV`
    // (as Basic credentials), RFC 5849's consumer key and token.
    b"2YotnFZFEjr1zCsicMWpAA",
    b"tGzv3JOkF0XG5Qx2TlKWIA",
    b"SplxlOBeZQQYbYS6WxSbIA",
    b"czZCaGRSa3F0MzpnWDFmQmF0M2JW",
    b"gX1fBat3bV",
    b"0685bd9184jfhq22",
    b"ad180jjd733klru7",
    // The Azure Storage emulator's (Azurite's) account key for `devstoreaccount1` and the
    // Cosmos DB emulator's key: fixed, published by Microsoft, and accepted only by the
    // local emulators. Whole bodies, so that any other key under the same account name
    // is still a finding.
    b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    b"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
];

/// One secret found in a buffer.
#[derive(Debug, Clone)]
pub struct Match {
    pub rule: Arc<Rule>,
    /// Byte range of the secret within the buffer.
    pub start: usize,
    pub end: usize,
    /// 1-based line number of `start`.
    pub line: u64,
    pub secret: SecretBytes,
}

/// One rule, compiled.
struct Compiled {
    rule: Arc<Rule>,
    /// Compiled on first use: a scan needs only the rules whose keywords occur, and
    /// compiling all 400-odd at start-up cost more than a small scan. Built-in patterns
    /// are compiled by a unit test and `rules check`; `--rules` ones at load, so a
    /// pattern that does not compile is still a load error.
    regex: std::sync::OnceLock<Regex>,
    /// Capture group index holding the secret (`secret`, else 1, else 0).
    group: usize,
    /// The pattern cannot match `\n`: the rule may run line by line.
    line_local: bool,
    /// For a rule that can span lines but whose every match starts at a fixed offset
    /// before one of its keywords: `^(?s:.)(?:pattern)`, run on `data[start - 1..]` to
    /// try a match at exactly `start` (the extra byte keeps `\b` and `(?m)^` seeing the
    /// byte before). See [`keyword_offsets`].
    anchored: Option<Anchored>,
    /// A line-local rule whose every match starts at a line start (`(?m)^...`): tried
    /// once, anchored, at the start of each line holding a keyword (a line holds at most
    /// one match), not searched along the line. Its `anchored` form is set.
    line_anchored: bool,
    /// For a rule that can span lines, is not anchored, but whose every match starts on
    /// the line of a keyword it holds: searched from those lines only, not over the whole
    /// buffer. See [`head_holds_keyword`].
    line_start: Option<LineStart>,
    placeholders: bool,
    generic: bool,
    /// Bytes every match holds beyond its keyword (`@` for a URL credential): a window
    /// without one is not searched. See [`required_bytes`].
    required: Box<[u8]>,
}

/// Finds every keyword occurrence: the shift-or scanner, or Aho-Corasick when the
/// scanner cannot take the keywords (an empty one).
enum Prefilter {
    Shift(keywords::KeywordScanner),
    Ac(AhoCorasick),
}

/// A rule's anchored form, compiled on first use: a scan needs only those whose keywords
/// occur, and start-up stays as fast as without them.
struct Anchored {
    /// `^(?s:.)(?:pattern)`
    pattern: String,
    /// Capture groups the form must have: the rule's own.
    captures: usize,
    regex: std::sync::OnceLock<Option<Regex>>,
}

/// A rule searched from its keywords' lines is searched that way when the buffer holds at
/// least this many bytes per such line, else over the whole buffer.
/// (Tests take the line path always, so that it is what they compare.)
const LINE_START_MIN_BYTES: usize = if cfg!(test) { 0 } else { 512 };

/// A rule's line-start forms (see [`line_start_form`]), compiled on first use.
struct LineStart {
    /// `^(?s:.)[^\n]*?(?:pattern)`, run on `data[s - 1..]`.
    after: String,
    /// `^[^\n]*?(?:pattern)`, run on `data` for `s = 0`.
    at_start: String,
    regex: std::sync::OnceLock<Option<(Regex, Regex)>>,
}

impl LineStart {
    /// The compiled forms; `None` if they do not compile (the rule then runs over the
    /// whole buffer).
    fn get(&self) -> Option<&(Regex, Regex)> {
        self.regex
            .get_or_init(|| {
                Some((
                    build_regex(&self.after).ok()?,
                    build_regex(&self.at_start).ok()?,
                ))
            })
            .as_ref()
    }

    /// Whether a match of the rule starts in `s..=` the end of the line holding `s`.
    fn starts_on_line(&self, data: &[u8], s: usize) -> Option<bool> {
        let (after, at_start) = self.get()?;
        Some(match s.checked_sub(1) {
            None => at_start.is_match(data),
            Some(b) => after.is_match(&data[b..]),
        })
    }
}

impl Anchored {
    /// The compiled form; `None` if it does not compile (the rule then runs over the
    /// whole buffer).
    fn get(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| {
                build_regex(&self.pattern)
                    .ok()
                    .filter(|re| re.captures_len() == self.captures)
            })
            .as_ref()
    }
}

/// A keyword selects a rule. For a rule with an anchored form, `offsets` says where its
/// matches may start: a hit at `h` is a candidate start at `h - d` for each `d`.
struct Route {
    rule: u32,
    offsets: Vec<usize>,
}

/// The compiled rule set. Build once, share by reference (`Send + Sync`).
pub struct Matcher {
    rules: Vec<Arc<Rule>>,
    compiled: Vec<Compiled>,
    /// Keyword prefilter; `None` when no rule has keywords.
    prefilter: Option<Prefilter>,
    /// Keyword id (= `prefilter` pattern id) -> rules it selects.
    keyword_rules: Vec<Vec<Route>>,
    /// Rules without keywords: run on every buffer.
    always: Vec<u32>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("rules", &self.rules.len())
            .finish()
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Matcher>();
};

impl Matcher {
    /// Compile every rule and the keyword prefilter. A pattern that does not compile is a
    /// [`RuleError::Invalid`] naming the rule and its file.
    pub fn new(rules: RuleSet) -> Result<Matcher, RuleError> {
        let mut compiled = Vec::with_capacity(rules.rules.len());
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_ids: HashMap<String, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<Route>> = Vec::new();
        let mut always = Vec::new();
        let mut seen: HashMap<String, std::path::PathBuf> = HashMap::new();
        for (i, rule) in rules.rules.into_iter().enumerate() {
            if let Some(first) = seen.insert(rule.id.clone(), rule.origin.clone()) {
                return Err(RuleError::Duplicate {
                    id: rule.id,
                    first,
                    second: rule.origin,
                });
            }
            let hir = rule.parsed().map_err(|m| crate::rules::invalid(&rule, m))?;
            let line_local = !can_match_newline(&hir);
            let regex = std::sync::OnceLock::new();
            if !crate::rules::is_builtin_origin(&rule.origin) {
                let re = build_regex(&rule.pattern)
                    .map_err(|e| crate::rules::invalid(&rule, format!("bad pattern: {e}")))?;
                let _ = regex.set(re);
            }
            let (group, captures_len) = secret_group(&hir);
            let lower: Vec<String> = rule
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .collect();
            // Rules that may span lines would otherwise run over the whole buffer.
            let offsets = if line_local {
                None
            } else {
                keyword_offsets(&hir, &lower)
            };
            let line_anchored = line_local && starts_at_line_start(&hir);
            let anchored = if line_anchored {
                anchored_form(&rule.pattern, &hir, captures_len)
            } else {
                offsets
                    .as_ref()
                    .and_then(|_| anchored_form(&rule.pattern, &hir, captures_len))
            };
            let line_anchored = line_anchored && anchored.is_some();
            let offsets = if anchored.is_some() { offsets } else { None };
            let line_start =
                (!line_local && anchored.is_none() && head_holds_keyword(&hir, &lower))
                    .then(|| line_start_form(&rule.pattern, &hir))
                    .flatten();
            let idx = i as u32;
            if rule.keywords.is_empty() {
                always.push(idx);
            }
            for key in &lower {
                let id = *keyword_ids.entry(key.clone()).or_insert_with(|| {
                    keywords.push(key.clone());
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if keyword_rules[id].iter().any(|r| r.rule == idx) {
                    continue;
                }
                let mut ds: Vec<usize> = offsets
                    .iter()
                    .flatten()
                    .filter(|(k, _)| k == key)
                    .map(|(_, d)| *d)
                    .collect();
                ds.sort_unstable();
                ds.dedup();
                keyword_rules[id].push(Route {
                    rule: idx,
                    offsets: ds,
                });
            }
            let required = required_bytes(&hir, &lower);
            let placeholders = rule.filters_placeholders();
            let generic = rule.is_generic();
            // A failed check does not drop the match (see `Rule::checksum_ok`); an unknown
            // validator name is still a load error.
            if let Some(name) = rule.validate.as_deref() {
                Validator::from_name(name).ok_or_else(|| {
                    crate::rules::invalid(&rule, format!("unknown validator {name:?}"))
                })?;
            }
            compiled.push(Compiled {
                rule: Arc::new(rule),
                regex,
                group,
                line_local,
                line_anchored,
                anchored,
                line_start,
                placeholders,
                generic,
                required,
            });
        }
        let prefilter = if keywords.is_empty() {
            None
        } else if let Some(s) = keywords::KeywordScanner::new(&keywords) {
            Some(Prefilter::Shift(s))
        } else {
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&keywords)
                .or_else(|_| {
                    // Too many keywords for a DFA: let the library pick (slower, still correct).
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .build(&keywords)
                })
                .map_err(|e| RuleError::Invalid {
                    id: "-".into(),
                    path: std::path::PathBuf::new(),
                    message: format!("building the keyword prefilter: {e}"),
                })?;
            Some(Prefilter::Ac(ac))
        };
        let rules = compiled.iter().map(|c| c.rule.clone()).collect();
        Ok(Matcher {
            rules,
            compiled,
            prefilter,
            keyword_rules,
            always,
        })
    }

    /// The built-in rules plus, when given, every `*.toml` under `dir`.
    pub fn load(dir: Option<&std::path::Path>) -> Result<Matcher, RuleError> {
        Matcher::new(RuleSet::load(dir)?)
    }

    /// Every secret in `data`, in order of position. Lines carrying an inline
    /// `nhiscan:allow` marker are skipped. Invalid UTF-8 is fine. Where several rules
    /// find overlapping secrets, one match survives: a specific rule beats a generic one,
    /// then the longer secret, then the rule listed first.
    pub fn scan(&self, data: &[u8]) -> Vec<Match> {
        let mut all = self.scan_rules(data, true);
        self.scan_k8s_secret_data(data, &mut all);
        if all.len() > 1 {
            dedupe(&mut all);
        }
        all
    }

    /// Kubernetes `Secret` manifests keep every value base64-encoded under `data:`, where
    /// no rule sees the credential (`DATABASE_URL: cG9zdGdyZXM6Ly9…`, a PEM key under
    /// `tls.key:`). In a buffer that declares `kind: Secret`, each `name: <base64>` line
    /// whose value decodes to text is scanned again as `name=<decoded>`; what that finds is
    /// reported at the encoded value's position with the decoded secret, and replaces any
    /// match on the encoded text itself (a generic rule seeing `password: <base64>`).
    fn scan_k8s_secret_data(&self, data: &[u8], out: &mut Vec<Match>) {
        if !declares_secret_kind(data) {
            return;
        }
        let mut allow = AllowCheck::new(data);
        let mut found = Vec::new();
        let mut spans = Vec::new();
        let (mut at, mut line) = (0usize, 1u64);
        for text in data.split(|&b| b == b'\n') {
            if let Some((name, (vs, ve))) = k8s_data_entry(text) {
                let (vs, ve) = (at + vs, at + ve);
                if let Some(decoded) = decode_base64_to_text(&data[vs..ve]) {
                    let mut synthetic = name.to_vec();
                    synthetic.push(b'=');
                    synthetic.extend_from_slice(&decoded);
                    let hits = self.scan_rules(&synthetic, true);
                    if !hits.is_empty() && !allow.is_allowed(vs, ve) {
                        spans.push((vs, ve));
                        found.extend(hits.into_iter().map(|m| Match {
                            start: vs,
                            end: ve,
                            line,
                            ..m
                        }));
                    }
                }
            }
            at += text.len() + 1;
            line += 1;
        }
        if found.is_empty() {
            return;
        }
        out.retain(|m| !spans.iter().any(|&(s, e)| m.start >= s && m.end <= e));
        out.extend(found);
        out.sort_by_key(|m| (m.start, m.end));
    }

    /// Like [`Matcher::scan`] with the specific (vendor-format) rules only, no catch-all
    /// ones: for minified bundles and other generated one-liners, where a hard-coded
    /// `sk_live_…` or `AKIA…` is a real leak but every `token:"…"` assignment is noise.
    pub fn scan_specific(&self, data: &[u8]) -> Vec<Match> {
        let mut all = self.scan_rules(data, false);
        if all.len() > 1 {
            dedupe(&mut all);
        }
        all
    }

    /// Like [`Matcher::scan`] but without merging overlapping matches of different rules
    /// (what `rules check` needs to see whether *this* rule fires on an example).
    pub fn scan_all(&self, data: &[u8]) -> Vec<Match> {
        self.scan_rules(data, true)
    }

    /// Every match of every rule (catch-all ones only with `generic`), not merged.
    fn scan_rules(&self, data: &[u8], generic: bool) -> Vec<Match> {
        let mut out = Vec::new();
        let n = self.compiled.len();
        // (rule, window start, window end). Allocated only on the first keyword hit.
        let mut windows: Vec<(u32, usize, usize)> = Vec::new();
        // (rule, candidate start) for rules with an anchored form.
        let mut starts: Vec<(u32, usize)> = Vec::new();
        // (rule, line start, line end) for rules searched from their keywords' lines.
        let mut heads: Vec<(u32, usize, usize)> = Vec::new();
        let mut last_line_end: Vec<usize> = Vec::new();
        let mut whole: Vec<bool> = Vec::new();
        {
            // The line holding the latest hit; hits arrive (nearly) in order, so lines are
            // computed about once each even when a line holds many keywords. Order does not
            // matter for correctness: windows and starts are sorted and merged below.
            let (mut ls, mut le) = (usize::MAX, 0usize);
            let mut on_hit = |hs: usize, he: usize, kw: usize| {
                if whole.is_empty() {
                    whole = vec![false; n];
                    last_line_end = vec![usize::MAX; n];
                }
                for route in &self.keyword_rules[kw] {
                    let ri = route.rule as usize;
                    let c = &self.compiled[ri];
                    if c.generic && !generic {
                        continue;
                    }
                    if c.line_local || c.line_start.is_some() {
                        if !(hs >= ls && he <= le) {
                            ls = memchr::memrchr(b'\n', &data[..hs]).map_or(0, |i| i + 1);
                            le = memchr::memchr(b'\n', &data[he..]).map_or(data.len(), |i| he + i);
                        }
                        if last_line_end[ri] != le {
                            last_line_end[ri] = le;
                            // The first line is searched as a window: the anchored
                            // form needs the byte before its start.
                            if c.line_anchored && ls > 0 {
                                starts.push((route.rule, ls));
                            } else if c.line_local {
                                windows.push((route.rule, ls, le));
                            } else {
                                heads.push((route.rule, ls, le));
                            }
                        }
                    } else if c.anchored.is_some() {
                        for &d in &route.offsets {
                            if let Some(at) = hs.checked_sub(d) {
                                starts.push((route.rule, at));
                            }
                        }
                    } else {
                        whole[ri] = true;
                    }
                }
            };
            match &self.prefilter {
                Some(Prefilter::Shift(s)) => s.for_each_hit(data, on_hit),
                Some(Prefilter::Ac(ac)) => {
                    for hit in ac.find_overlapping_iter(data) {
                        on_hit(hit.start(), hit.end(), hit.pattern().as_usize());
                    }
                }
                None => {}
            }
        }
        for &r in &self.always {
            if self.compiled[r as usize].generic && !generic {
                continue;
            }
            if whole.is_empty() {
                whole = vec![false; n];
            }
            whole[r as usize] = true;
        }
        if windows.is_empty() && starts.is_empty() && heads.is_empty() && !whole.iter().any(|w| *w)
        {
            return out;
        }
        let mut allow = AllowCheck::new(data);
        // Group each rule's lines and merge neighbours so that the regex runs once per
        // run of consecutive candidate lines.
        windows.sort_unstable();
        let mut i = 0;
        while i < windows.len() {
            let (r, start, mut end) = windows[i];
            let mut j = i + 1;
            while j < windows.len() && windows[j].0 == r && windows[j].1 <= end + 1 {
                end = end.max(windows[j].2);
                j += 1;
            }
            if !whole.get(r as usize).copied().unwrap_or(false) {
                self.run_rule(r as usize, data, start, end, &mut allow, &mut out);
            }
            i = j;
        }
        // Anchored rules: try the candidate starts in order, skipping those inside the
        // previous match, exactly as a whole-buffer search meets them.
        starts.sort_unstable();
        starts.dedup();
        let mut k = 0;
        while k < starts.len() {
            let r = starts[k].0;
            let Some(re) = self.compiled[r as usize]
                .anchored
                .as_ref()
                .and_then(Anchored::get)
            else {
                self.run_rule(r as usize, data, 0, data.len(), &mut allow, &mut out);
                while k < starts.len() && starts[k].0 == r {
                    k += 1;
                }
                continue;
            };
            let mut pos = 0usize;
            let mut locs = None;
            while k < starts.len() && starts[k].0 == r {
                let at = starts[k].1;
                k += 1;
                if at < pos {
                    continue;
                }
                let c = &self.compiled[r as usize];
                let found = c.run_anchored(re, data, at, &mut locs, &mut allow, &mut out);
                if let Some(end) = found {
                    pos = end;
                }
            }
        }
        // Rules searched from their keywords' lines: in order, each line from the end of
        // the previous match, so the matches are those a whole-buffer search meets.
        heads.sort_unstable();
        let mut k = 0;
        while k < heads.len() {
            let r = heads[k].0;
            let c = &self.compiled[r as usize];
            let mut pos = 0usize;
            // Lines dense enough that one search of the buffer is cheaper than one per
            // line (each costs a regex call): the whole buffer, same matches.
            let lines = heads[k..].iter().take_while(|h| h.0 == r).count();
            let mut whole_run = lines.saturating_mul(LINE_START_MIN_BYTES) > data.len();
            if whole_run {
                k += lines;
            }
            while k < heads.len() && heads[k].0 == r {
                let (_, ls, le) = heads[k];
                k += 1;
                let mut s = ls.max(pos);
                while s <= le && !whole_run {
                    match c
                        .line_start
                        .as_ref()
                        .and_then(|f| f.starts_on_line(data, s))
                    {
                        None => whole_run = true,
                        Some(false) => break,
                        Some(true) => {
                            // The leftmost match from `s` starts on this line: read it with
                            // the rule's own regex, look-arounds seeing the bytes before.
                            let Some(caps) = c.regex().captures_at(data, s) else {
                                break;
                            };
                            let Some(m0) = caps.get(0) else { break };
                            let m = caps.get(c.group).unwrap_or(m0);
                            c.keep(
                                data,
                                (m0.start(), m0.end()),
                                (m.start(), m.end()),
                                &mut allow,
                                &mut out,
                            );
                            pos = m0.end().max(s + 1);
                            s = pos;
                        }
                    }
                }
            }
            if whole_run {
                self.run_rule(r as usize, data, 0, data.len(), &mut allow, &mut out);
            }
        }
        for (r, w) in whole.iter().enumerate() {
            if *w {
                self.run_rule(r, data, 0, data.len(), &mut allow, &mut out);
            }
        }
        out.sort_by_key(|m| (m.start, m.end));
        number_lines(data, &mut out);
        out
    }

    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    /// Run one rule's regex on `data[start..end]` and keep the candidates that pass the
    /// filters. `line` is left 0; the caller numbers lines once at the end.
    fn run_rule(
        &self,
        r: usize,
        data: &[u8],
        start: usize,
        end: usize,
        allow: &mut AllowCheck,
        out: &mut Vec<Match>,
    ) {
        let c = &self.compiled[r];
        let hay = &data[start..end];
        // Most candidate lines hold a keyword and no match: answer that without captures,
        // and without the regex at all when a byte every match needs is missing.
        if !c.required.iter().all(|&b| memchr::memchr(b, hay).is_some()) {
            return;
        }
        let re = c.regex();
        if hay.len() < data.len() && !re.is_match(hay) {
            return;
        }
        for caps in re.captures_iter(hay) {
            let Some(whole) = caps.get(0) else { continue };
            let m = caps.get(c.group).unwrap_or(whole);
            let span = (start + whole.start(), start + whole.end());
            c.keep(data, span, (start + m.start(), start + m.end()), allow, out);
        }
    }
}

/// How every rule pattern is compiled.
fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(32 * 1024 * 1024)
        .build()
}

impl Compiled {
    /// The rule's regex, compiled on first use.
    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // Only built-in patterns get here uncompiled, and every one of them is
            // compiled by `builtin_patterns_compile_with_the_groups_read_at_load`.
            build_regex(&self.rule.pattern)
                .unwrap_or_else(|e| panic!("built-in rule {} does not compile: {e}", self.rule.id))
        })
    }

    /// Try this rule for a match starting exactly at `at` with its anchored form `re`; at 0,
    /// take the leftmost match from 0, which is what a whole-buffer search finds first.
    /// Returns the end of the match found, whether the filters keep it or not.
    fn run_anchored(
        &self,
        re: &Regex,
        data: &[u8],
        at: usize,
        locs: &mut Option<CaptureLocations>,
        allow: &mut AllowCheck,
        out: &mut Vec<Match>,
    ) -> Option<usize> {
        let (span, secret) = match at.checked_sub(1) {
            None => {
                let caps = self.regex().captures(data)?;
                let whole = caps.get(0)?;
                let m = caps.get(self.group).unwrap_or(whole);
                ((whole.start(), whole.end()), (m.start(), m.end()))
            }
            Some(base) => {
                // Capture slots are reused across the candidates of one buffer.
                let locs = locs.get_or_insert_with(|| re.capture_locations());
                let whole = re.captures_read(locs, &data[base..])?;
                // The anchored form's match begins with the byte before `at`.
                let span = (at, base + whole.end());
                let secret = match locs.get(self.group) {
                    Some((s, e)) if self.group != 0 => (base + s, base + e),
                    _ => span,
                };
                (span, secret)
            }
        };
        self.keep(data, span, secret, allow, out);
        Some(span.1)
    }

    /// Filter one candidate (the whole match and the secret, absolute spans) and keep it.
    fn keep(
        &self,
        data: &[u8],
        whole: (usize, usize),
        secret: (usize, usize),
        allow: &mut AllowCheck,
        out: &mut Vec<Match>,
    ) {
        let bytes = &data[secret.0..secret.1];
        if bytes.is_empty() {
            return;
        }
        if let Some(floor) = self.rule.entropy {
            if shannon_entropy(bytes) < entropy_floor_for(floor, bytes) {
                return;
            }
        }
        let whole_bytes = &data[whole.0..whole.1];
        if KNOWN_EXAMPLES
            .iter()
            .any(|k| memmem::find(whole_bytes, k).is_some())
        {
            return;
        }
        // Human-chosen values (generic assignments, passwords in URLs) get the full
        // stand-in word check; random token bodies only the format check.
        if self.placeholders
            && if self.generic || human_chosen(&self.rule.credential) {
                looks_like_placeholder(bytes)
            } else {
                looks_like_format_placeholder(bytes)
            }
        {
            return;
        }
        if self.generic && looks_like_code_or_words(bytes) {
            return;
        }
        if self.generic && has_marker_word(bytes) {
            return;
        }
        // A quoted value followed by `:` is the next key of a JSON or YAML map
        // (`"clientSecret":"client-secret","registrationExpiresAt":"1973-…"`), not a value.
        if self.generic && quoted_key_follows(data, secret.1) {
            return;
        }
        // A key, token or secret is generated, never a name: a class, constant or header
        // name (`FileWebIdentityTokenLoader`, `Access-Control-Allow-Credentials`) or a
        // file path assigned to a `*_token`/`credentials` name is not one. (Passwords are
        // chosen by people and may well be words: not for them.)
        if self.generic
            && self.rule.credential == "generic_secret"
            && (looks_like_identifier(bytes)
                || looks_like_path(bytes)
                || value_restates_name(assigned_name_in(data, whole.0, secret.0), bytes))
        {
            return;
        }
        if self.generic && looks_like_resource_path(bytes) {
            return;
        }
        if self.generic && names_documentation_host(&data[secret.1..whole.1]) {
            return;
        }
        if self.generic
            && matches!(self.rule.credential.as_str(), "generic_secret" | "password")
            && key_names_a_non_secret(assigned_name_in(data, whole.0, secret.0))
        {
            return;
        }
        if allow.is_allowed(whole.0, whole.1) {
            return;
        }
        out.push(Match {
            rule: self.rule.clone(),
            start: secret.0,
            end: secret.1,
            line: 0,
            secret: SecretBytes::new(bytes),
        });
    }
}

/// Answers "does a line spanned by this range carry `nhiscan:allow`?" cheaply: the buffer
/// is searched for the marker once, and only when it occurs are lines looked at.
struct AllowCheck<'a> {
    data: &'a [u8],
    present: Option<bool>,
}

impl<'a> AllowCheck<'a> {
    fn new(data: &'a [u8]) -> Self {
        AllowCheck {
            data,
            present: None,
        }
    }
    fn is_allowed(&mut self, start: usize, end: usize) -> bool {
        let data = self.data;
        let present = *self
            .present
            .get_or_insert_with(|| memmem::find(data, ALLOW_MARKER).is_some());
        if !present {
            return false;
        }
        let ls = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        let le = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |i| end + i);
        memmem::find(&data[ls..le], ALLOW_MARKER).is_some()
    }
}

/// Fill in 1-based line numbers for matches sorted by `start`, counting newlines only
/// between consecutive matches.
fn number_lines(data: &[u8], matches: &mut [Match]) {
    let mut pos = 0usize;
    let mut line = 1u64;
    for m in matches.iter_mut() {
        if m.start >= pos {
            line += memchr::memchr_iter(b'\n', &data[pos..m.start]).count() as u64;
            pos = m.start;
        } else {
            // Not sorted (cannot happen after `scan_all`'s sort): recount from the top.
            line = 1 + memchr::memchr_iter(b'\n', &data[..m.start]).count() as u64;
            pos = m.start;
        }
        m.line = line;
    }
}

/// Keep one match per overlapping span. Input and output are sorted by position.
fn dedupe(matches: &mut Vec<Match>) {
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by_key(|&i| {
        let m = &matches[i];
        (
            m.rule.is_generic(),
            std::cmp::Reverse(m.end - m.start),
            m.start,
        )
    });
    // Accepted spans, disjoint: start -> end.
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut keep = vec![false; matches.len()];
    for i in order {
        let (s, e) = (matches[i].start, matches[i].end);
        // Among disjoint spans, the one starting last before `e` also ends last; if it
        // does not reach `s`, nothing does.
        let overlaps = taken.range(..e).next_back().is_some_and(|(_, &te)| te > s);
        if !overlaps {
            taken.insert(s, e);
            keep[i] = true;
        }
    }
    let mut k = keep.into_iter();
    matches.retain(|_| k.next().unwrap_or(false));
}

/// Whether `data` looks binary: a NUL byte in the first 8 KiB (what git and ripgrep use).
/// File and git scanners skip such blobs.
pub fn is_probably_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8 * 1024)]).is_some()
}

/// Whether `data` looks minified or machine-generated: more than 64 KiB with an average
/// line longer than 1000 bytes. Scanners may skip such files (bundles, source maps) or
/// scan them with a note; the matcher itself handles them fine.
pub fn is_minified(data: &[u8]) -> bool {
    const MIN_SIZE: usize = 64 * 1024;
    if data.len() <= MIN_SIZE {
        return false;
    }
    // Minified iff lines < len / 1000; stop counting as soon as that is disproved.
    let limit = data.len() / 1000;
    let lines = 1 + memchr::memchr_iter(b'\n', data).take(limit).count();
    lines < limit
}

#[cfg(test)]
mod tests;
