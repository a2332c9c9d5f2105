#!/usr/bin/env python3
"""Fashion-MNIST pixels as a ratings matrix for apps/mf (docs/APP_MF.md).

Each image is a user, each of the 784 pixels an item, the pixel's intensity
(0..255, scaled to [0, --scale]) the rating: a dense 10k x 784 matrix from the
Debian package dataset-fashion-mnist (`apt-get install dataset-fashion-mnist`).
A seeded share of every image's pixels (--test-fraction) goes to a second
file, the held-out ratings for gaia_mf --test-data.

    python3 bench/fashion_mnist_ratings.py --out /tmp/fmnist
    # -> /tmp/fmnist/train.data, /tmp/fmnist/test.data (MovieLens u.data:
    #    user<TAB>item<TAB>rating<TAB>0; users 1..N, items 0..783)
"""
import argparse
import gzip
import os
import random
import struct
import sys

DEFAULT_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 16:
        sys.exit(f"{path}: too short for an IDX header")
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x00000803:
        sys.exit(f"{path}: magic {magic:#x} is not an IDX3 unsigned-byte file (0x803)")
    if len(data) != 16 + count * rows * cols:
        sys.exit(f"{path}: {len(data) - 16} pixel bytes, header says {count}x{rows}x{cols}")
    return count, rows * cols, data[16:]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", default=DEFAULT_IMAGES, help="IDX3 image file (.gz ok)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--users", type=int, default=10000, help="first N images")
    p.add_argument("--scale", type=float, default=1.0,
                   help="rating = pixel / 255 * scale (ratings must be in [0, 10])")
    p.add_argument("--test-fraction", type=float, default=0.1,
                   help="share of every image's pixels held out to test.data")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if not 0 <= args.scale <= 10:
        sys.exit("--scale must be in [0, 10]")
    if not 0 <= args.test_fraction < 1:
        sys.exit("--test-fraction must be in [0, 1)")
    count, pixels, data = read_idx_images(args.images)
    users = min(args.users, count)
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    train_n = test_n = 0
    with open(os.path.join(args.out, "train.data"), "w") as train, \
         open(os.path.join(args.out, "test.data"), "w") as test:
        for u in range(users):
            row = data[u * pixels:(u + 1) * pixels]
            for i in range(pixels):
                line = f"{u + 1}\t{i}\t{row[i] / 255.0 * args.scale:.4g}\t0\n"
                if rng.random() < args.test_fraction:
                    test.write(line)
                    test_n += 1
                else:
                    train.write(line)
                    train_n += 1
    print(f"{users} users x {pixels} items: {train_n} train, {test_n} test ratings "
          f"in {args.out}/{{train,test}}.data")


if __name__ == "__main__":
    main()
