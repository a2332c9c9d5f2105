#!/usr/bin/env python3
"""The gensim peer for apps/lda (docs/APP_LDA.md "Quality against gensim").

Trains gensim's LdaModel (online variational Bayes, Hoffman et al. 2010) on a
UCI bag-of-words corpus, the one `gaia_lda_eval --export-corpus` writes, so it
sees exactly our training documents and word ids, and writes its topic-word
matrix in the exchange format of apps/lda/topic_matrix.h, which
gaia_lda_eval scores like ours:

    OUT        "K V", then K lines of V probabilities (topic k's row)
    OUT.vocab  V lines, word w on line w + 1

    python3 bench/lda_gensim.py --docword DIR/docword.NAME.txt --topics 20 \\
        --alpha 0.1 --eta 0.01 --passes 10 --iterations 100 --seed 1 --out gensim.topics

Prints one JSON line: train_seconds (the LdaModel call only), docs, tokens,
topics, vocab, out. gensim is a bench-only peer:
    apt-get install python3-gensim      (Debian 12; run with /usr/bin/python3)
Exit codes: 0 ok, 2 bad input (file:line named), 1 gensim missing or failed.
"""
import argparse
import json
import os
import sys
import time


def fail(message, code=2):
    print(f"lda_gensim.py: {message}", file=sys.stderr)
    sys.exit(code)


def read_ints(line, path, line_no, count):
    fields = line.split()
    if len(fields) != count:
        fail(f"{path}:{line_no}: {len(fields)} fields, expected {count}")
    try:
        values = [int(f) for f in fields]
    except ValueError:
        fail(f"{path}:{line_no}: '{line.strip()}' is not {count} integers")
    return values


def read_uci(docword):
    """Returns (docs as lists of (word id, count), vocab words, token count)."""
    name = os.path.basename(docword)
    if not (name.startswith("docword.") and name.endswith(".txt")):
        fail(f"{docword}: not a docword.NAME.txt file")
    vocab_path = os.path.join(os.path.dirname(docword), "vocab." + name[len("docword."):])
    try:
        with open(vocab_path, encoding="utf-8") as f:
            vocab = [w.rstrip("\r\n") for w in f]
        with open(docword, encoding="utf-8") as f:
            lines = f.readlines()
    except OSError as e:
        fail(f"{e.filename}: {e.strerror}")
    if len(lines) < 3:
        fail(f"{docword}: {len(lines)} lines, the header needs 3 (D, W, NNZ)")
    (d_count,) = read_ints(lines[0], docword, 1, 1)
    (w_count,) = read_ints(lines[1], docword, 2, 1)
    (nnz,) = read_ints(lines[2], docword, 3, 1)
    if w_count != len(vocab):
        fail(f"{vocab_path}: {len(vocab)} words, {docword}:2 says {w_count}")
    docs = [[] for _ in range(d_count)]
    tokens = 0
    for i, line in enumerate(lines[3:], start=4):
        if not line.strip():
            continue
        d, w, c = read_ints(line, docword, i, 3)
        if not (1 <= d <= d_count and 1 <= w <= w_count and c >= 1):
            fail(f"{docword}:{i}: doc {d}, word {w}, count {c} out of range")
        docs[d - 1].append((w - 1, c))
        tokens += c
    if sum(len(d) for d in docs) != nnz:
        fail(f"{docword}:3: NNZ {nnz}, the file has {sum(len(d) for d in docs)} entries")
    return docs, vocab, tokens


def write_topics(path, topics, vocab):
    """Exchange format; rows renormalized in float64 (gensim's are float32)."""
    k, v = topics.shape
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{k} {v}\n")
        for row in topics.astype("float64"):
            row = row / row.sum()
            f.write(" ".join(f"{x:.9g}" for x in row))
            f.write("\n")
    with open(path + ".vocab.tmp", "w", encoding="utf-8") as f:
        for word in vocab:
            f.write(word + "\n")
    os.replace(path + ".vocab.tmp", path + ".vocab")
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docword", required=True, help="UCI docword.NAME.txt (vocab beside it)")
    p.add_argument("--topics", type=int, required=True, help="K")
    p.add_argument("--alpha", type=float, default=0.1, help="symmetric document-topic prior")
    p.add_argument("--eta", type=float, default=0.01, help="symmetric topic-word prior (beta)")
    p.add_argument("--passes", type=int, default=10, help="passes over the corpus")
    p.add_argument("--iterations", type=int, default=100,
                   help="max E-step iterations per document")
    p.add_argument("--chunksize", type=int, default=2000, help="documents per update")
    p.add_argument("--seed", type=int, default=1, help="random_state")
    p.add_argument("--out", required=True, help="topic matrix file to write")
    args = p.parse_args()
    if args.topics < 2 or args.alpha <= 0 or args.eta <= 0 or args.passes < 1:
        fail("need --topics >= 2, --alpha > 0, --eta > 0, --passes >= 1")
    try:
        from gensim.models import LdaModel
    except ImportError:
        fail("gensim is missing: apt-get install python3-gensim, and run this with "
             "/usr/bin/python3", code=1)

    docs, vocab, tokens = read_uci(args.docword)
    start = time.perf_counter()
    model = LdaModel(corpus=docs, num_topics=args.topics, id2word=dict(enumerate(vocab)),
                     alpha=args.alpha, eta=args.eta, passes=args.passes,
                     iterations=args.iterations, chunksize=args.chunksize,
                     random_state=args.seed, eval_every=None)
    seconds = time.perf_counter() - start
    topics = model.get_topics()
    if topics.shape != (args.topics, len(vocab)):
        fail(f"gensim returned topics of shape {topics.shape}", code=1)
    write_topics(args.out, topics, vocab)
    print(json.dumps({"train_seconds": seconds, "docs": len(docs), "tokens": tokens,
                      "topics": args.topics, "vocab": len(vocab), "out": args.out}))


if __name__ == "__main__":
    main()
