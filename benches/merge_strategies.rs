//! Speed and peak memory of the structure-aware merges against the plain line merge on inputs of
//! the size Jitsi ships: a 5 MB one-line CSS bundle and a 1 MB language file. Inputs are generated
//! deterministically. Each measurement runs in a child process of this binary so that the peak
//! resident size (`VmHWM`) belongs to that strategy alone.
//!
//! `cargo bench --bench merge_strategies`

use std::process::Command;
use std::time::{Duration, Instant};

use jitsi_custom::merge::{self, Labels, Strategy};

const RUNS: usize = 5;

/// A tiny deterministic generator (xorshift), so every run merges the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn css_rule(rng: &mut Rng, i: usize) -> String {
    format!(
        ".c{i}-{:x} .x{}{{color:#{:06x};font-size:{}px;margin:{}px {}px;background:url(\"img/{}.svg\") no-repeat}}",
        rng.below(1 << 20),
        rng.below(100),
        rng.below(1 << 24),
        8 + rng.below(20),
        rng.below(32),
        rng.below(32),
        rng.below(1000)
    )
}

/// base, local, upstream: a 5 MB one-line stylesheet; the admin changes three rules, upstream
/// changes two hundred others and appends some.
fn css_inputs() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut rng = Rng(0x05ee_dc55);
    let mut rules = Vec::new();
    let mut size = 0;
    let mut i = 0;
    while size < 5 << 20 {
        let rule = if i % 200 == 199 {
            format!(
                "@media (max-width:{}px){{{}{}}}",
                400 + i % 800,
                css_rule(&mut rng, i),
                css_rule(&mut rng, i + 1)
            )
        } else {
            css_rule(&mut rng, i)
        };
        size += rule.len();
        rules.push(rule);
        i += 1;
    }
    let join = |rules: &[String]| {
        let mut out = rules.concat().into_bytes();
        out.push(b'\n');
        out
    };
    let base = join(&rules);
    let mut local = rules.clone();
    for k in [1000, 20_000, 40_000] {
        let k = k % local.len();
        local[k] = local[k].replace("font-size:", "font-size:1");
    }
    let mut upstream = rules.clone();
    for k in 0..200 {
        let k = (k * 211 + 5) % upstream.len();
        upstream[k] = upstream[k].replace("no-repeat", "repeat-x");
    }
    for j in 0..50 {
        upstream.push(css_rule(&mut rng, 1_000_000 + j));
    }
    (base, join(&local), join(&upstream))
}

/// base, local, upstream: a 1 MB `main-de.json`-like document of nested sections; the admin
/// changes a few texts and adds keys, upstream changes, adds and removes others.
fn json_inputs() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    use serde_json::{Map, Value};
    let mut rng = Rng(0x001a_5eed);
    let words = [
        "Konferenz",
        "Teilnehmer",
        "Größe",
        "Stummschalten",
        "Bildschirm",
        "Übertragung",
        "Sprechstunde",
        "schließen",
    ];
    let mut root = Map::new();
    let mut size = 0;
    let mut s = 0;
    while size < 1 << 20 {
        let mut section = Map::new();
        for k in 0..60 {
            let text: Vec<&str> = (0..6)
                .map(|_| words[rng.below(words.len() as u64) as usize])
                .collect();
            let text = text.join(" ");
            size += text.len() + 24;
            section.insert(format!("key{k}_{:x}", rng.below(1 << 16)), Value::String(text));
        }
        root.insert(format!("section{s}"), Value::Object(section));
        s += 1;
    }
    let edit = |root: &Map<String, Value>, seed: u64, marker: &str, remove: bool| {
        let mut doc = root.clone();
        let mut rng = Rng(seed);
        let names: Vec<String> = doc.keys().cloned().collect();
        for _ in 0..20 {
            let name = &names[rng.below(names.len() as u64) as usize];
            if let Some(Value::Object(section)) = doc.get_mut(name) {
                let keys: Vec<String> = section.keys().cloned().collect();
                let key = &keys[rng.below(keys.len() as u64) as usize];
                if remove && rng.below(4) == 0 {
                    section.shift_remove(key);
                } else {
                    section.insert(key.clone(), Value::String(format!("{marker} Praxis Müller")));
                }
                section.insert(
                    format!("{marker}{}", rng.below(1000)),
                    Value::String("neu".into()),
                );
            }
        }
        let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        out.push(b'\n');
        out
    };
    let mut base = serde_json::to_vec_pretty(&root).unwrap_or_default();
    base.push(b'\n');
    (
        base,
        edit(&root, 7, "local", false),
        edit(&root, 11, "upstream", true),
    )
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Child process: one input, one strategy; prints `median_ms peak_before_kib peak_after_kib clean`.
fn measure(input: &str, strategy: &str) {
    let (base, local, upstream) = if input == "css" {
        css_inputs()
    } else {
        json_inputs()
    };
    let strategy = match strategy {
        "minified" => Strategy::Minified,
        "json" => Strategy::Json,
        _ => Strategy::Text,
    };
    let before = peak_kib();
    let mut times: Vec<Duration> = Vec::new();
    let mut clean = false;
    for _ in 0..RUNS {
        let start = Instant::now();
        let merged = merge::merge(strategy, &base, &local, &upstream, &Labels::default());
        times.push(start.elapsed());
        clean = merged.is_clean();
        std::hint::black_box(merged);
    }
    times.sort();
    println!(
        "{:.1} {} {} {}",
        times[RUNS / 2].as_secs_f64() * 1000.0,
        before,
        peak_kib(),
        clean
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--measure") {
        if let (Some(input), Some(strategy)) = (args.get(pos + 1), args.get(pos + 2)) {
            measure(input, strategy);
        }
        return;
    }
    let Ok(me) = std::env::current_exe() else {
        eprintln!("cannot find the benchmark binary");
        return;
    };
    let (css, _, _) = css_inputs();
    let (json, _, _) = json_inputs();
    println!(
        "inputs: css {} bytes on one line, json {} bytes; median of {RUNS} runs",
        css.len(),
        json.len()
    );
    println!(
        "{:<6} {:<10} {:>10} {:>12} {:>12} {:>6}",
        "input", "strategy", "median ms", "peak KiB", "+merge KiB", "clean"
    );
    for (input, strategy) in [
        ("css", "text"),
        ("css", "minified"),
        ("json", "text"),
        ("json", "json"),
    ] {
        let output = Command::new(&me).args(["--measure", input, strategy]).output();
        let line = match output {
            Ok(out) => String::from_utf8_lossy(&out.stdout).trim().to_string(),
            Err(err) => format!("failed: {err}"),
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [ms, before, after, clean] = fields.as_slice() {
            let delta = after.parse::<i64>().unwrap_or(0) - before.parse::<i64>().unwrap_or(0);
            println!("{input:<6} {strategy:<10} {ms:>10} {after:>12} {delta:>12} {clean:>6}");
        } else {
            println!("{input:<6} {strategy:<10} {line}");
        }
    }
}
