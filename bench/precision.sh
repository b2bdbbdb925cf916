#!/bin/sh
# Precision of the merges (issue #9: "the merges ask only where a person must"), before and after:
#
#   1. every fixture case under tests/fixtures/ (base, local, upstream, expected, case.toml with the
#      install path and maybe a strategy) through `jitsi-custom merge-file --path PATH base local
#      upstream` with both binaries: clean (exit 0, result equals `expected`), flagged (exit 1, a
#      person is asked), silent loss (exit 0 but the result differs from `expected`: nobody is
#      asked and a change of the admin's or upstream's is gone), error (any other exit);
#      grouped by strategy and by the issue's classes;
#   2. `merge-file` run time on the 1 MB lang JSON and the 5 MB minified CSS of
#      benches/merge_strategies.rs (bench/gen_merge_inputs.py writes the same bytes), hyperfine,
#      both binaries on the same files; the issue's bound is after/before <= 2.
#
# Results go to bench/results/precision.md.
#
# usage: bench/precision.sh [BEFORE_BIN [AFTER_BIN]]
#   env: BEFORE_BIN (required, e.g. a release build of 6eae751), AFTER_BIN (default
#        target/release/jitsi-custom), BEFORE_LABEL (6eae751), AFTER_LABEL (HEAD's short hash),
#        RUNS (30), RESULTS (bench/results/precision.md)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BEFORE_BIN=${1:-${BEFORE_BIN:-}}
AFTER_BIN=${2:-${AFTER_BIN:-$REPO/target/release/jitsi-custom}}
BEFORE_LABEL=${BEFORE_LABEL:-6eae751}
AFTER_LABEL=${AFTER_LABEL:-$(git -C "$REPO" rev-parse --short HEAD)}
RUNS=${RUNS:-30}
RESULTS=${RESULTS:-$HERE/results/precision.md}
FIXTURES=$REPO/tests/fixtures

for tool in hyperfine python3 jq awk cmp diff; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ -n "$BEFORE_BIN" ] || { echo "usage: $0 BEFORE_BIN [AFTER_BIN]" >&2; exit 2; }
for bin in "$BEFORE_BIN" "$AFTER_BIN"; do
    [ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
export LC_ALL=C

# The strategy each binary picks for an install path: Strategy::for_path in src/merge/mod.rs at
# 6eae751 and now. Checked for every run below: `--strategy` with this name must give the same
# bytes, exit status and messages as `--path` alone.
strategy_before() {
    name=${1##*/}
    case $name in
    *.json) echo json ;;
    *.lua | *.conf | *.properties) echo text-ignore-space ;;
    *.min.css | all.css | *.min.js) echo minified ;;
    *.png | *.ico | *.jpg | *.jpeg | *.gif | *.webp | *.woff | *.woff2 | *.ttf | *.wasm) echo binary ;;
    config.js | interface_config.js) echo js-config ;;
    *-config.js)
        case $1 in
        /etc/jitsi/meet/*) echo js-config ;;
        *) echo text ;;
        esac
        ;;
    *)
        case $1 in
        /etc/nginx/*) echo text-ignore-space ;;
        *) echo text ;;
        esac
        ;;
    esac
}
strategy_after() {
    name=${1##*/}
    case $name in
    *.json) echo json; return ;;
    *.lua) echo lua; return ;;
    *.properties) echo properties; return ;;
    *.hocon | jicofo.conf | jvb.conf) echo hocon; return ;;
    esac
    case $1 in
    /etc/nginx/*) echo nginx; return ;;
    esac
    case $name in
    *.conf) echo text-ignore-space ;;
    *) strategy_before "$1" ;;
    esac
}

# The issue's classes: 1 both changed the same value, 2 upstream removed or commented out a
# setting the admin set, 3 upstream's own file repeats a JSON key, 4 untouched bytes stay
# untouched, 5 comments or code beside js-config settings, 6 minified CSS by rule identity, 7
# neighbouring settings in nginx, Lua, properties, HOCON. The cases written for #9
# (bench/precision_fixtures.py) each have one; of the issue-5 fixtures (those at 6eae751;
# css-same-rule-conflict is now css-same-declaration-kept-yours) the ones that exercise a class
# count in it too, the others under "-".
class_of() {
    case $1 in
    hocon-both-changed-max-participants | properties-logging-level-both-changed | \
        jsconfig-interface-download-link-both-changed | json-several-texts-both-changed | \
        jsconfig-both-changed-same-value | json-both-changed-same-key | \
        lua-authentication-both-changed | nginx-ssl-protocols-both-changed | \
        properties-both-changed-auth-url | css-same-declaration-kept-yours) echo 1 ;;
    json-upstream-removed-key | lua-upstream-removed-setting | \
        jsconfig-upstream-comments-out-set-option | hocon-upstream-removed-setting | \
        jsconfig-upstream-removed-option | jsconfig-setting-moved) echo 2 ;;
    json-upstream-repeats-key-untouched | json-upstream-repeats-key-customised) echo 3 ;;
    json-odd-layout-kept) echo 4 ;;
    jsconfig-admin-comment-beside-settings | jsconfig-admin-code-after-config) echo 5 ;;
    css-neighbour-rules-merge | css-media-block-neighbours | css-chat-font-size-survives) echo 6 ;;
    nginx-neighbour-directives | lua-neighbour-settings | lua-both-add-modules | \
        properties-neighbour-keys | hocon-neighbour-settings | hocon-both-add-in-object) echo 7 ;;
    *) echo - ;;
    esac
}
origin_of() {
    case $1 in
    adjacent-edits | binary-changed-on-both-sides | css-chat-font-size-survives | \
        css-same-declaration-kept-yours | disjoint-edits | js-bundle-statements-merge | \
        jsconfig-both-changed-same-value | jsconfig-comment-rewritten-above-uncommented | \
        jsconfig-same-change-both-sides | jsconfig-setting-moved | \
        jsconfig-trailing-commas-and-moved-block | jsconfig-unparsable-falls-back | \
        jsconfig-upstream-removed-option | jsconfig-upstream-resorts-keys | \
        json-both-changed-same-key | json-duplicate-keys-moved | json-invalid-falls-back | \
        json-upstream-adds-keys | lua-authentication-both-changed | lua-reindented-upstream | \
        nginx-ssl-protocols-both-changed | nginx-ssl-protocols-both-same | patch-became-empty | \
        properties-both-changed-auth-url | text-upstream-moves-setting | \
        upstream-deletes-customised-line) echo issue-5 ;;
    *) echo issue-9 ;;
    esac
}

toml_string() { # KEY FILE: the value of `KEY = "..."`, or nothing
    sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" "$2" | head -1
}

# merge BIN CASE_DIR OUT_PREFIX [--strategy S]: runs merge-file, prints its exit status.
merge() {
    bin=$1 dir=$2 out=$3
    shift 3
    status=0
    "$bin" merge-file --path "$path" "$@" "$dir/base" "$dir/local" "$dir/upstream" \
        >"$out.out" 2>"$out.err" || status=$?
    echo "$status"
}

# verdict STATUS OUT EXPECTED
verdict() {
    case $1 in
    0) if cmp -s "$2" "$3"; then echo clean; else echo loss; fi ;;
    1) echo flagged ;;
    *) echo "error($1)" ;;
    esac
}

echo "merging the fixture cases" >&2
TABLE=$WORK/cases.tsv
: >"$TABLE"
: >"$WORK/losses.md"
MISPICKED=
for dir in "$FIXTURES"/*/; do
    dir=${dir%/}
    [ -f "$dir/case.toml" ] || continue
    name=${dir##*/}
    path=$(toml_string path "$dir/case.toml")
    forced=$(toml_string strategy "$dir/case.toml")
    if [ -n "$forced" ]; then
        set -- --strategy "$forced"
        s_before=$forced s_after=$forced
    else
        set --
        s_before=$(strategy_before "$path") s_after=$(strategy_after "$path")
    fi
    rb=$(merge "$BEFORE_BIN" "$dir" "$WORK/b" "$@")
    ra=$(merge "$AFTER_BIN" "$dir" "$WORK/a" "$@")
    for side in b a; do
        if [ $side = b ]; then bin=$BEFORE_BIN s=$s_before r=$rb; else bin=$AFTER_BIN s=$s_after r=$ra; fi
        rc=$(merge "$bin" "$dir" "$WORK/check" --strategy "$s")
        if [ "$rc" != "$r" ] || ! cmp -s "$WORK/check.out" "$WORK/$side.out" ||
            ! cmp -s "$WORK/check.err" "$WORK/$side.err"; then
            MISPICKED="$MISPICKED $name($side:$s)"
        fi
    done
    vb=$(verdict "$rb" "$WORK/b.out" "$dir/expected")
    va=$(verdict "$ra" "$WORK/a.out" "$dir/expected")
    # A structure-aware strategy that could not take the case merged the whole file as text.
    fb=$(grep -q '^note: fell back to text' "$WORK/b.err" && echo yes || echo no)
    fa=$(grep -q '^note: fell back to text' "$WORK/a.err" && echo yes || echo no)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(class_of "$name")" \
        "$(origin_of "$name")" "$s_before" "$s_after" "$vb" "$va" "$fb" "$fa" >>"$TABLE"
    for side in b a; do
        if [ $side = b ]; then v=$vb label=$BEFORE_LABEL s=$s_before; else v=$va label=$AFTER_LABEL s=$s_after; fi
        [ "$v" = loss ] || continue
        # One-line CSS/JS is shown a rule per line.
        if [ "$s" = minified ]; then
            tr '}' '\n' <"$dir/expected" >"$WORK/want"
            tr '}' '\n' <"$WORK/$side.out" >"$WORK/got"
        else
            cp "$dir/expected" "$WORK/want"
            cp "$WORK/$side.out" "$WORK/got"
        fi
        {
            echo "### \`$name\`, $label ($s)"
            echo
            echo '```diff'
            diff -u --label expected --label "$label" "$WORK/want" "$WORK/got" | head -60 || true
            echo '```'
            echo
            if [ "$s" = json ] && jq -S . "$dir/expected" >"$WORK/want.json" 2>/dev/null &&
                jq -S . "$WORK/$side.out" >"$WORK/got.json" 2>/dev/null &&
                cmp -s "$WORK/want.json" "$WORK/got.json"; then
                echo "The same JSON data as \`expected\` (every key and text of both sides is there);"
                echo "what is lost is upstream's layout, bytes neither side changed."
                echo
            fi
        } >>"$WORK/losses.md"
    done
done
[ -z "$MISPICKED" ] || { echo "strategy guessed wrong for:$MISPICKED" >&2; exit 1; }

# tally KEY_COLUMN: one markdown row per value of that column (in first-seen order), then totals.
tally() {
    awk -F '\t' -v key="$1" '
    function fmt(c, k,   l, e) {
        l = c[k, "loss"] + 0; e = c[k, "error"] + 0
        return (c[k, "clean"] + 0) " / " (c[k, "flagged"] + 0) " / " (l ? "**" l "**" : "0") (e ? " / " e " error" : "")
    }
    {
        k = $key
        if (!(k in n)) { order[++keys] = k }
        n[k]++
        vb = $6; va = $7; sub(/\(.*/, "", vb); sub(/\(.*/, "", va)
        b[k, vb]++; a[k, va]++
        if (key == 5 && $4 != $5 && index(", " other[k] ", ", ", " $4 ", ") == 0) {
            other[k] = other[k] (other[k] ? ", " : "") $4
        }
    }
    END {
        for (i = 1; i <= keys; i++) {
            k = order[i]
            label = (key == 5 && other[k] != "") ? k " (before: " other[k] ")" : k
            printf "| %s | %d | %s | %s |\n", label, n[k], fmt(b, k), fmt(a, k)
        }
    }'
}

# Rows grouped by strategy (the one the current binary picks), by class, and the totals.
sort -t "$(printf '\t')" -k5,5 -k1,1 "$TABLE" >"$WORK/by-strategy.tsv"
{
    awk -F '\t' '$2 != "-"' "$TABLE" | sort -t "$(printf '\t')" -k2,2 -k1,1
    awk -F '\t' '$2 == "-"' "$TABLE"
} >"$WORK/by-class.tsv"
STRATEGY_ROWS=$(tally 5 <"$WORK/by-strategy.tsv")
CLASS_ROWS=$(tally 2 <"$WORK/by-class.tsv")
ORIGIN_ROWS=$(tally 3 <"$TABLE")
ALL_ROWS=$(awk -F '\t' -v OFS='\t' '{ $3 = "all"; print }' "$TABLE" | tally 3)
count() { # COLUMN VERDICT
    awk -F '\t' -v c="$1" -v v="$2" '$c ~ "^" v { n++ } END { print n + 0 }' "$TABLE"
}
CASES=$(wc -l <"$TABLE")
FLAGGED_AFTER=
ASKED=0
awk -F '\t' '$7 == "flagged" { print $1 }' "$TABLE" >"$WORK/flagged-after"
while read -r name; do
    FLAGGED_AFTER="$FLAGGED_AFTER \`$name\`"
    if grep -q '^conflicts = [1-9]' "$FIXTURES/$name/case.toml"; then ASKED=$((ASKED + 1)); fi
done <"$WORK/flagged-after"

echo "timing merge-file on the large inputs" >&2
python3 "$HERE/gen_merge_inputs.py" "$WORK/big"
JSON_PATH=/usr/share/jitsi-meet/lang/main-de.json
CSS_PATH=/usr/share/jitsi-meet/css/all.css
for input in json css; do
    if [ $input = json ]; then p=$JSON_PATH; else p=$CSS_PATH; fi
    for side in b a; do
        if [ $side = b ]; then bin=$BEFORE_BIN; else bin=$AFTER_BIN; fi
        status=0
        "$bin" merge-file --path "$p" "$WORK/big/$input/base" "$WORK/big/$input/local" \
            "$WORK/big/$input/upstream" >"$WORK/big/$input.$side.out" 2>/dev/null || status=$?
        echo "$status" >"$WORK/big/$input.$side.status"
    done
done
outcome() { # INPUT SIDE
    case $(cat "$WORK/big/$1.$2.status") in
    0) echo clean ;;
    1) echo flagged ;;
    *) echo "error ($(cat "$WORK/big/$1.$2.status"))" ;;
    esac
}
same_result() { # INPUT
    if cmp -s "$WORK/big/$1.b.out" "$WORK/big/$1.a.out"; then echo "same bytes"; else echo "different bytes"; fi
}
carried() { # INPUT SIDE: does the result hold every edit of both sides?
    python3 "$HERE/gen_merge_inputs.py" --check "$WORK/big/$1" "$WORK/big/$1.$2.out" || true
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for input in json css; do
    if [ $input = json ]; then p=$JSON_PATH; else p=$CSS_PATH; fi
    args="merge-file --path $p $WORK/big/$input/base $WORK/big/$input/local $WORK/big/$input/upstream"
    # -i: a flagged merge exits 1; --shell none: no shell start in the measured time.
    hyperfine --style basic --shell none -i --runs "$RUNS" --warmup 1 \
        --export-json "$WORK/$input.json" \
        -n "$BEFORE_LABEL" "$BEFORE_BIN $args" \
        -n "$AFTER_LABEL" "$AFTER_BIN $args" >&2
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ms() { jq -r ".results[$2].$3 * 1000 * 10 | round / 10" "$WORK/$1.json"; }
ratio() { jq -r "(.results[1].$2 / .results[0].$2) * 100 | round / 100" "$WORK/$1.json"; }
bound() { # RATIO
    echo "$1" | awk '{ print ($1 <= 2 ? "holds" : "**broken**") }'
}
JSON_RATIO=$(ratio json median)
CSS_RATIO=$(ratio css median)
JSON_SIZE=$(wc -c <"$WORK/big/json/base")
CSS_SIZE=$(wc -c <"$WORK/big/css/base")

mkdir -p "$(dirname "$RESULTS")"
{
    echo "# Precision of the merges, before and after (issue #9)"
    echo
    echo "Generated by \`bench/precision.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores,"
    echo "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | sed 's/  */ /g'); $(hyperfine --version))."
    echo "Before: \`$BEFORE_LABEL\`, after: \`$AFTER_LABEL\`; both release builds of \`jitsi-custom\`."
    echo
    echo "## Where a person is asked"
    echo
    echo "Every fixture case under \`tests/fixtures/\` ($CASES cases: the issue-5 fixtures that existed at"
    echo "\`$BEFORE_LABEL\` and the cases written for #9 by \`bench/precision_fixtures.py\`) merged by"
    echo "\`jitsi-custom merge-file --path PATH base local upstream\` (plus \`--strategy\` where the case"
    echo "names one) with each binary. Each cell is **clean / flagged / silent loss**: clean is exit 0"
    echo "with the case's reviewed \`expected\` result; flagged is exit 1, a person is asked; a silent loss"
    echo "is exit 0 with a result that differs from \`expected\` — nobody is asked and a change is lost"
    echo "or altered (each one is shown below). Errors would be counted separately; there were"
    echo "$(count 6 error) before and $(count 7 error) after. Each \`expected\` is the current code's result,"
    echo "reviewed when it was committed (\`FIXTURES=overwrite\`), so the after column mostly confirms"
    echo "that the binary still gives it; the before column is the comparison. $(count 7 flagged) cases are"
    echo "still flagged after:$FLAGGED_AFTER; $ASKED of them ask for a conflict in their \`case.toml\`."
    echo
    echo "By strategy (the one the current binary picks; where $BEFORE_LABEL picked another, it is named):"
    echo
    echo "| strategy | cases | before | after |"
    echo "|---|---|---|---|"
    echo "$STRATEGY_ROWS"
    echo "$ALL_ROWS" | sed 's/^| all |/| **all** |/'
    echo
    echo "By class of the issue (1 both changed the same value, 2 upstream removed or commented out a"
    echo "setting the admin set, 3 upstream's own file repeats a JSON key, 4 untouched bytes stay"
    echo "untouched, 5 comments or code beside js-config settings, 6 minified CSS by rule identity,"
    echo "7 neighbouring settings in nginx, Lua, properties, HOCON; - none of these). The issue-5"
    echo "fixtures that exercise a class count in it:"
    echo
    echo "| class | cases | before | after |"
    echo "|---|---|---|---|"
    echo "$CLASS_ROWS"
    echo "$ORIGIN_ROWS" | sed 's/^| issue-5 |/| issue-5 fixtures |/; s/^| issue-9 |/| cases written for #9 |/'
    echo
    echo "Every case (\"text fallback\": the strategy could not take the case and merged the whole file as"
    echo "text, as it says in a note):"
    echo
    echo "| case | class | from | strategy before → after | before | after |"
    echo "|---|---|---|---|---|---|"
    awk -F '\t' '{
        s = ($4 == $5) ? $5 : $4 " → " $5
        vb = (($6 == "loss") ? "**silent loss**" : $6) ($8 == "yes" ? " (text fallback)" : "")
        va = (($7 == "loss") ? "**silent loss**" : $7) ($9 == "yes" ? " (text fallback)" : "")
        printf "| `%s` | %s | %s | %s | %s | %s |\n", $1, $2, $3, s, vb, va
    }' "$TABLE"
    echo
    if [ -s "$WORK/losses.md" ]; then
        echo "## The silent losses"
        echo
        echo "\`expected\` against the clean result (minified files split a rule per line):"
        echo
        cat "$WORK/losses.md"
    fi
    echo "## Run time on large files"
    echo
    echo "\`merge-file\` on the inputs of \`benches/merge_strategies.rs\`, written by"
    echo "\`bench/gen_merge_inputs.py\` (byte for byte the same): a $JSON_SIZE-byte lang JSON"
    echo "(\`--path $JSON_PATH\`; the admin changes twenty texts and adds keys,"
    echo "upstream changes, adds and removes others) and a $CSS_SIZE-byte one-line CSS"
    echo "(\`--path $CSS_PATH\`; the admin changes three rules, upstream two hundred and"
    echo "appends fifty). Result to stdout (discarded), the whole process timed:"
    echo "hyperfine \`--shell none\`, $RUNS runs each after 1 warm-up. Load average before and after:"
    echo "$LOAD_BEFORE; $LOAD_AFTER (the machine is shared; compare the ratio more than the times)."
    echo
    echo "| input | $BEFORE_LABEL median | $AFTER_LABEL median | after / before | bound (≤ 2×) | after / before, minimums | outcome before → after |"
    echo "|---|---|---|---|---|---|---|"
    echo "| 1 MB lang JSON (json) | $(ms json 0 median) ms | $(ms json 1 median) ms | ${JSON_RATIO}× | $(bound "$JSON_RATIO") | $(ratio json min)× | $(outcome json b) → $(outcome json a), $(same_result json) |"
    echo "| 5 MB minified CSS (minified) | $(ms css 0 median) ms | $(ms css 1 median) ms | ${CSS_RATIO}× | $(bound "$CSS_RATIO") | $(ratio css min)× | $(outcome css b) → $(outcome css a), $(same_result css) |"
    echo
    echo "Checked in each result (\`gen_merge_inputs.py --check\`): JSON $BEFORE_LABEL $(carried json b), $AFTER_LABEL"
    echo "$(carried json a); CSS $BEFORE_LABEL $(carried css b), $AFTER_LABEL $(carried css a)."
    echo
    echo "Min / max (ms): JSON $(ms json 0 min)–$(ms json 0 max) before, $(ms json 1 min)–$(ms json 1 max) after;"
    echo "CSS $(ms css 0 min)–$(ms css 0 max) before, $(ms css 1 min)–$(ms css 1 max) after."
} >"$RESULTS"
cat "$RESULTS"
