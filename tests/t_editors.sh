#!/bin/sh
# t_editors.sh -- the editor support files: the TextMate grammar, its VS Code
# package and the Vim syntax parse, their keyword lists equal the scanner's
# (compiler/lexer.l), both grammars list the same built-ins (a superset of the
# reserved built-in names of docs/language.md), and both highlight a sample
# line as intended (TextMate: a small tokenizer over the grammar's rules;
# Vim: the real syntax engine, when vim is installed).
TM=editors/textmate/hyco.tmLanguage.json
VIMSYN=editors/vim/syntax/hyco.vim
VIMFT=editors/vim/ftdetect/hyco.vim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v python3 > /dev/null 2>&1; then
    echo "ok editors/skipped (no python3)"
    exit 0
fi
for f in $TM editors/textmate/package.json editors/textmate/language-configuration.json; do
    if python3 -m json.tool "$f" > /dev/null 2> "$tmp/err"; then echo "ok editors/json/$(basename "$f")"
    else echo "FAIL editors/json/$(basename "$f"): $(cat "$tmp/err")"; fi
done

python3 - "$TM" "$VIMSYN" compiler/lexer.l docs/language.md <<'PY'
import json, re, sys
tm_path, vim_path, lexer_path, lang_path = sys.argv[1:5]

def check(ok, name, why):
    print(("ok " if ok else "FAIL ") + name + ("" if ok else ": " + why))

def alternation(rx):
    m = re.fullmatch(r"\\b\(([a-z_0-9|]+)\)\\b", rx)
    return set(m.group(1).split("|")) if m else None

lexer = open(lexer_path).read()
table = lexer[lexer.index("kw_table[]"):]
table = table[:table.index("};")]
lex_kw = set(re.findall(r'\{\s*"([a-z_]+)"\s*,\s*[A-Z_]+\s*\}', table))
check(len(lex_kw) >= 20, "editors/lexer-keywords-found", "only %d keywords read from %s" % (len(lex_kw), lexer_path))

g = json.load(open(tm_path))
rep = g.get("repository", {})
tm_kw = alternation(rep.get("keyword", {}).get("match", ""))
check(tm_kw == lex_kw, "editors/textmate/keywords-match-lexer",
      "grammar only: %s; lexer only: %s" % (sorted((tm_kw or set()) - lex_kw), sorted(lex_kw - (tm_kw or set()))))

vim = open(vim_path).read()
def vim_group(name):
    s = set()
    for line in vim.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[:3] == ["syn", "keyword", name]:
            s.update(p for p in parts[3:] if not p.startswith("contained"))
    return s
vim_kw = vim_group("hycoKeyword")
check(vim_kw == lex_kw, "editors/vim/keywords-match-lexer",
      "vim only: %s; lexer only: %s" % (sorted(vim_kw - lex_kw), sorted(lex_kw - vim_kw)))

tm_builtin = (alternation(rep.get("builtin", {}).get("match", "")) or set()) | {"pi"}
vim_builtin = vim_group("hycoBuiltin") | vim_group("hycoConstant")
check(tm_builtin == vim_builtin, "editors/builtins-agree",
      "textmate only: %s; vim only: %s" % (sorted(tm_builtin - vim_builtin), sorted(vim_builtin - tm_builtin)))
tm_lib = alternation(rep.get("library", {}).get("match", "")) or set()
check(tm_lib == vim_group("hycoLibrary"), "editors/library-agree",
      "textmate only: %s; vim only: %s" % (sorted(tm_lib - vim_group("hycoLibrary")), sorted(vim_group("hycoLibrary") - tm_lib)))
check(vim_group("hycoContextual") == (alternation(rep.get("contextual", {}).get("match", "")) or set()),
      "editors/contextual-agree", "contextual words differ")

lang = open(lang_path).read()
m = re.search(r"built-in names \(`([^`]+)`\)", lang.replace("\n", " "))
doc_builtin = set(m.group(1).split()) if m else set()
check(doc_builtin and doc_builtin <= tm_builtin, "editors/builtins-cover-docs",
      "reserved built-ins missing from the grammars: %s" % sorted(doc_builtin - tm_builtin))

# Every rule compiles (Python's re accepts the subset of Oniguruma used here).
bad = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("match", "begin", "end"):
                try: re.compile(v)
                except re.error as e: bad.append("%s: %s" % (v, e))
            else: walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(g)
check(not bad, "editors/textmate/regexes-compile", "; ".join(bad))

# A small tokenizer: at each position the rule matching earliest wins, ties
# go to the first rule (TextMate's order); begin/end rules run to their end.
rules = [rep[p["include"][1:]] for p in g["patterns"]]
def tokenize(line):
    out, pos = [], 0
    while pos < len(line):
        best = None
        for r in rules:
            rx = r.get("match") or r.get("begin")
            m = re.compile(rx).search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, r)
        if not best: break
        m, r = best
        end = m.end()
        if "begin" in r:
            e = re.compile(r["end"]).search(line, end)
            end = e.end() if e else len(line)
        if "captures" in r:
            for k, c in r["captures"].items():
                out.append((m.group(int(k)), c["name"]))
        else:
            out.append((line[m.start():end], r["name"]))
        pos = end
    return out
line = 'net phy = mlp(1 -> 1, width 32) optimizer adam(lr 1e-3)  # a "net"'
toks = tokenize(line)
want = [("net", "keyword.other.hyco"), ("phy", "entity.name.function.hyco"), ("mlp", "support.type.library.hyco"),
        ("1e-3", "constant.numeric.hyco"), ("optimizer", "keyword.other.hyco"), ("->", "keyword.operator.hyco"),
        ('# a "net"', "comment.line.number-sign.hyco")]
missing = [w for w in want if w not in toks]
check(not missing, "editors/textmate/tokens", "missing %s in %s" % (missing, toks))
toks = tokenize('loss pde = mse(dxx(u) + pi^2 * sin(pi*x)) over line')
want = [("dxx", "support.function.derivative.hyco"), ("pi", "constant.language.hyco"), ("sin", "support.function.builtin.hyco"),
        ("over", "keyword.other.hyco"), ("pde", "entity.name.function.hyco"), ("2", "constant.numeric.hyco")]
missing = [w for w in want if w not in toks]
check(not missing, "editors/textmate/tokens-derivative", "missing %s in %s" % (missing, toks))
toks = tokenize('const u2 = x2 + 3')
check(("2", "constant.numeric.hyco") not in toks, "editors/textmate/no-number-in-names", "digits of a name taken as a number: %s" % toks)
PY

if grep -q '\*\.hyco' "$VIMFT" && grep -q 'setfiletype hyco' "$VIMFT"; then echo "ok editors/vim/ftdetect"
else echo "FAIL editors/vim/ftdetect: $VIMFT does not map *.hyco to hyco"; fi

if command -v vim > /dev/null 2>&1; then
    printf 'seed 0  # c\nnet n = mlp(1 -> 1) optimizer adam(lr 1e-3)\nloss l = mse(dxx(n) + sin(pi*x)) over line\n' > "$tmp/a.hyco"
    HOME=$tmp vim -u NONE -N -es -i NONE -c "set rtp^=$PWD/editors/vim" -c 'syntax on' -c 'filetype on' \
        -c 'runtime ftdetect/hyco.vim' -c "e $tmp/a.hyco" -c "redir! > $tmp/vim.out" \
        -c 'echo &filetype' \
        -c 'for [l, c] in [[1,1],[1,6],[1,9],[2,9],[2,31],[2,39],[3,14],[3,24],[3,28],[3,36]] | echo synIDattr(synID(l, c, 1), "name") | endfor' \
        -c 'redir END' -c 'qa!' > /dev/null 2>&1
    got=$(tr -s '\n' ' ' < "$tmp/vim.out" | sed 's/^ *//; s/ *$//')
    want="hyco hycoKeyword hycoNumber hycoComment hycoLibrary hycoLibrary hycoNumber hycoDerivative hycoBuiltin hycoConstant hycoKeyword"
    if [ "$got" = "$want" ]; then echo "ok editors/vim/highlights"
    else echo "FAIL editors/vim/highlights: got '$got', want '$want'"; fi
else
    echo "ok editors/vim/highlights (skipped: no vim)"
fi
