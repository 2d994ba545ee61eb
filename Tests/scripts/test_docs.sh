# The repository's map stays true: every "spec §N.M" cited anywhere resolves to a numbered heading
# of docs/protocol.md, every repository path docs/architecture.md names in backticks exists, and
# nothing points at a design note or spec outside the repository.
# shellcheck disable=SC2016 # backticks inside single quotes here are Markdown, not command substitution

# A citation: § and a section number, optionally a range (§7.2–7.4). "RFC 2202 §3" is matched
# too, only so that it can be told apart and left out.
SPEC_CITATION='RFC ?[0-9]+ §|§[0-9]+(\.[0-9]+)*[a-z]?((–|-)[0-9]+(\.[0-9]+)*[a-z]?)?'

# section_numbers DOC: the number of every numbered heading ("## 5. Membership",
# "### 2.4b Verifying on receipt"), one per line.
section_numbers() {
    sed -n -E 's/^#{1,6} ([0-9]+(\.[0-9]+)*[a-z]?)\.?( .*)?$/\1/p' "$1"
}

# spec_citations DIR: "file:line:number" for every section cited in the text files under DIR,
# hidden directories (.git, .build*) left out. A range yields both of its ends.
spec_citations() {
    (cd "$1" && grep -rIno -E "$SPEC_CITATION" -- *) |
        sed -n -E 's/^([^:]*:[0-9]+):§/\1:/p' |
        awk -F: -v OFS=: '{ n = split($3, ends, /–|-/); for (i = 1; i <= n; i++) print $1, $2, ends[i] }'
}

# unresolved_citations DIR: prints each citation under DIR that names no heading of
# DIR/docs/protocol.md and the number of citations checked; fails if any did not resolve or none
# were found (a check that finds nothing checks nothing).
unresolved_citations() {
    local doc=$1/docs/protocol.md
    [ -f "$doc" ] || { echo "no $doc"; return 1; }
    local sections citations
    sections=$(section_numbers "$doc")
    citations=$(spec_citations "$1")
    [ -n "$citations" ] || { echo "no spec citations found under $1"; return 1; }
    awk -F: 'NR == FNR { known[$0] = 1; next }
             !($3 in known) { print $1 ":" $2 ": spec §" $3 " is not a heading of docs/protocol.md"; bad++ }
             END { print FNR " citations checked"; exit bad > 0 }' \
        <(printf '%s\n' "$sections") <(printf '%s\n' "$citations")
}

# missing_architecture_paths DIR: each backticked repository path in DIR/docs/architecture.md
# that does not exist. A span counts as a path when its first word starts with a top-level
# entry of the repository followed by "/" (or is a top-level file); globs must match something.
# Code blocks are left out; a span may wrap onto the next line.
missing_architecture_paths() {
    local doc=$1/docs/architecture.md
    [ -f "$doc" ] || { echo "no $doc"; return 1; }
    local top span path checked=0 bad=0
    top=$(cd "$1" && ls -1)
    while IFS= read -r span; do
        path=${span%% *}
        grep -qxF -- "${path%%/*}" <<<"$top" || continue
        [[ $path == */* ]] || [ -f "$1/$path" ] || continue
        checked=$((checked + 1))
        # shellcheck disable=SC2206 # a glob in the document is expanded on purpose
        local matches=("$1"/$path)
        if [ ! -e "${matches[0]}" ]; then
            echo "docs/architecture.md: \`$path\` does not exist"
            bad=$((bad + 1))
        fi
    done < <(sed '/^```/,/^```/d' "$doc" | tr '\n' ' ' | grep -o '`[^`]*`' | tr -d '`' | sort -u)
    echo "$checked paths checked"
    [ "$checked" -gt 0 ] && [ "$bad" -eq 0 ]
}

# outside_references DIR: files under DIR that point at a design note or spec kept outside the
# repository (the repository must stand alone; the facts live in docs/). Written so that this
# file does not match itself.
OUTSIDE_REFERENCE='[.][.]/share[d]/|/work/share[d]|DESIG[N][.]md'
outside_references() {
    local found
    found=$(cd "$1" && grep -rIn -E "$OUTSIDE_REFERENCE" -- *)
    [ -z "$found" ] || { echo "$found"; return 1; }
}

test_docs_no_reference_outside_the_repository() {
    run outside_references "$ROOT"
    expect_rc 0 "references to documents outside the repository"
}

test_docs_every_spec_citation_resolves() {
    run unresolved_citations "$ROOT"
    expect_rc 0 "spec citations"
}

test_docs_architecture_paths_exist() {
    run missing_architecture_paths "$ROOT"
    expect_rc 0 "paths named in docs/architecture.md"
}

# The checks themselves: a tree with one good and one dangling citation, and a doc naming one
# real and one missing path.
test_docs_checks_catch_what_they_guard() {
    mkdir -p tree/docs tree/Sources
    printf '# P\n## 1. One\n### 1.1 Sub\n### 2.4b Verify\n## 7. Seven\n### 7.2 A\n### 7.4 B\n' \
        >tree/docs/protocol.md
    printf '// spec §1.1, §2.4b and §7.2–7.4; RFC 2202 §3 is not ours.\n' >tree/Sources/a.swift
    run unresolved_citations tree
    expect_rc 0 "resolving citations"
    [[ $OUT == *"4 citations checked"* ]] || fail "expected 4 citations, got: $OUT"

    printf '/// See spec §1.2.\n' >tree/Sources/b.swift
    run unresolved_citations tree
    expect_rc 1 "a dangling citation"
    [[ $OUT == *"Sources/b.swift:1: spec §1.2 is not"* ]] || fail "dangling citation not named: $OUT"

    printf 'The core is `Sources/a.swift`; the globbed `Sources/*.swift` match.\n' >tree/docs/architecture.md
    run missing_architecture_paths tree
    expect_rc 0 "existing paths"
    [[ $OUT == *"2 paths checked"* ]] || fail "expected 2 paths, got: $OUT"
    printf 'And `Sources/gone.swift`, but not `/etc/ha.d` or\n`Node.handle`.\n' >>tree/docs/architecture.md
    run missing_architecture_paths tree
    expect_rc 1 "a missing path"
    [[ $OUT == *'`Sources/gone.swift` does not exist'* ]] || fail "missing path not named: $OUT"

    run outside_references tree
    expect_rc 0 "a tree without outside references"
    printf '/// See ../%s/%s.md.\n' shared DESIGN >tree/Sources/c.swift
    run outside_references tree
    expect_rc 1 "an outside reference"
    [[ $OUT == *"Sources/c.swift:1:"* ]] || fail "outside reference not named: $OUT"
}
