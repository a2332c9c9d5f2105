#!/usr/bin/env python3
"""PyTorch (CPU) peer of apps/cnn's model library, for speed and accuracy comparisons.

The same networks as apps/cnn/model_zoo.h (lenet, resnet8, resnet20 with group,
batch or no normalization), the same initialization (Kaiming-normal fan_in/ReLU
weights, zero biases, norm weight 1 bias 0), loss (mean softmax cross-entropy)
and optimizer (SGD, momentum 0.9, weight decay 5e-4, PyTorch's rule).

Speed, images/s of a training step on random 1x28x28 data, batch 64, 1 and 2
threads (median of --reps timed runs of --steps steps each):

  python3 bench/cnn_torch.py --model lenet --norm group

Side by side with ours, alternating runs of the two (the machine is shared and
noisy, so each gets the same conditions), medians at the end:

  python3 bench/cnn_torch.py --compare build/bin/cnn_train_bench

Fashion-MNIST training (test accuracy and images/s per epoch); --data is the
directory holding the four IDX .gz files, or the four files in the order
train-images train-labels test-images test-labels:

  python3 bench/cnn_torch.py --data /usr/share/datasets/fashion-mnist --epochs 5 --threads 2

Needs Debian's python3-torch (apt-get install python3-torch); use /usr/bin/python3
when another python3 comes first in PATH.
"""

import argparse
import gzip
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import time

import torch
from torch import nn

FASHION_MEAN = 0.2860
FASHION_STD = 0.3530


def norm_layer(kind, channels, groups):
    if kind == "group":
        return nn.GroupNorm(groups, channels, eps=1e-5)
    if kind == "batch":
        return nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1)
    return nn.Identity()


class LeNet(nn.Module):
    def __init__(self, norm, groups, channels, height, width, classes):
        super().__init__()
        bias = norm == "none"
        self.conv1 = nn.Conv2d(channels, 16, 5, padding=2, bias=bias)
        self.norm1 = norm_layer(norm, 16, groups)
        self.conv2 = nn.Conv2d(16, 32, 5, padding=2, bias=bias)
        self.norm2 = norm_layer(norm, 32, groups)
        self.fc1 = nn.Linear(32 * (height // 4) * (width // 4), 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.norm1(self.conv1(x))), 2)
        x = nn.functional.max_pool2d(torch.relu(self.norm2(self.conv2(x))), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class BasicBlock(nn.Module):
    def __init__(self, norm, groups, cin, cout, stride):
        super().__init__()
        bias = norm == "none"
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=bias)
        self.norm1 = norm_layer(norm, cout, groups)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=bias)
        self.norm2 = norm_layer(norm, cout, groups)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=bias),
                                          norm_layer(norm, cout, groups))

    def forward(self, x):
        y = torch.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks, norm, groups, channels, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1, bias=norm == "none")
        self.norm1 = norm_layer(norm, 16, groups)
        stages = []
        cin = 16
        for stage in range(3):
            cout = 16 << stage
            for i in range(blocks):
                stages.append(BasicBlock(norm, groups, cin, cout,
                                         2 if stage > 0 and i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*stages)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.layers(torch.relu(self.norm1(self.conv1(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def build_model(args, channels=1, height=28, width=28, classes=10):
    torch.manual_seed(args.seed)
    if args.model == "lenet":
        model = LeNet(args.norm, args.groups, channels, height, width, classes)
    else:
        blocks = {"resnet8": 1, "resnet20": 3}[args.model]
        model = ResNet(blocks, args.norm, args.groups, channels, classes)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.GroupNorm, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def make_optimizer(args, model):
    return torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                           weight_decay=args.weight_decay, nesterov=args.nesterov)


def train_step(model, opt, loss_fn, x, y):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss


def bench_once(args, threads):
    """images/s of args.steps training steps on random data (after warm-up)."""
    torch.set_num_threads(threads)
    model = build_model(args)
    model.train()
    opt = make_optimizer(args, model)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(args.batch, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (args.batch,), generator=gen)
    for _ in range(3):
        train_step(model, opt, loss_fn, x, y)
    start = time.perf_counter()
    for _ in range(args.steps):
        train_step(model, opt, loss_fn, x, y)
    return args.steps * args.batch / (time.perf_counter() - start)


def ours_once(binary, args, threads):
    """images/s of our TrainStep from cnn_train_bench (one benchmark run)."""
    name = f"TrainStepBench/{args.model}_{args.norm}/batch:{args.batch}/threads:{threads}/"
    out = subprocess.run(
        [binary, f"--benchmark_filter=^{name}", "--benchmark_format=json",
         f"--benchmark_min_time={args.ours_min_time}"],
        check=True, capture_output=True, text=True).stdout
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs:
        sys.exit(f"{binary} has no benchmark {name}")
    return runs[0]["items_per_second"]


def run_bench(args):
    threads = [int(t) for t in args.threads.split(",")]
    results = {}
    for rep in range(args.reps):
        for t in threads:
            results.setdefault(("torch", t), []).append(bench_once(args, t))
            if args.compare:
                results.setdefault(("ours", t), []).append(ours_once(args.compare, args, t))
        print(f"rep {rep + 1}/{args.reps}: " + ", ".join(
            f"{who}/{t} threads {v[-1]:.0f}" for (who, t), v in sorted(results.items())),
            flush=True)
    print(f"\n{args.model}+{args.norm}, batch {args.batch}: median images/s over "
          f"{args.reps} alternating runs")
    for t in threads:
        line = f"  threads {t}: torch {statistics.median(results[('torch', t)]):8.0f}"
        if args.compare:
            ours = statistics.median(results[("ours", t)])
            line += f"   ours {ours:8.0f}   ours/torch " \
                    f"{ours / statistics.median(results[('torch', t)]):.2f}"
        print(line)


def read_idx(path):
    """An IDX file (optionally gzip) as a uint8 tensor of its dimensions."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    expected = 4 + 4 * ndim + math.prod(dims)
    if len(data) != expected:
        sys.exit(f"{path}: {len(data)} bytes, header says {expected}")
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def data_paths(data):
    if len(data) == 1 and os.path.isdir(data[0]):
        names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
        return [os.path.join(data[0], n) for n in names]
    if len(data) != 4:
        sys.exit("--data: a directory, or train-images train-labels test-images test-labels")
    return data


def normalized(images):
    x = images.to(torch.float32).div_(255.0).sub_(FASHION_MEAN).div_(FASHION_STD)
    return x.unsqueeze(1) if x.dim() == 3 else x


def lr_at(args, step, epoch, total_steps):
    if args.schedule == "step":
        return args.lr * args.gamma ** (epoch // args.step_epochs)
    if args.schedule == "cosine":
        t = min(step, total_steps) / total_steps
        return 0.5 * args.lr * (1 + math.cos(math.pi * t))
    return args.lr


def run_training(args):
    threads = int(args.threads.split(",")[-1])
    torch.set_num_threads(threads)
    train_x, train_y, test_x, test_y = [read_idx(p) for p in data_paths(args.data)]
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]
    train_x, test_x = normalized(train_x), normalized(test_x)
    train_y, test_y = train_y.long(), test_y.long()
    _, c, h, w = train_x.shape
    model = build_model(args, c, h, w, int(train_y.max()) + 1)
    opt = make_optimizer(args, model)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = len(train_x) // args.batch
    step = 0
    print(f"{args.model}+{args.norm}, batch {args.batch}, lr {args.lr} ({args.schedule}), "
          f"{threads} threads, {len(train_x)} train / {len(test_x)} test images")
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=gen)
        start = time.perf_counter()
        total_loss = 0.0
        for i in range(steps_per_epoch):
            for group in opt.param_groups:
                group["lr"] = lr_at(args, step, epoch, args.epochs * steps_per_epoch)
            idx = order[i * args.batch:(i + 1) * args.batch]
            total_loss += train_step(model, opt, loss_fn, train_x[idx], train_y[idx]).item()
            step += 1
        seconds = time.perf_counter() - start
        model.eval()
        correct = 0
        test_loss = 0.0
        with torch.no_grad():
            for i in range(0, len(test_x), 1000):
                logits = model(test_x[i:i + 1000])
                test_loss += nn.functional.cross_entropy(
                    logits, test_y[i:i + 1000], reduction="sum").item()
                correct += (logits.argmax(1) == test_y[i:i + 1000]).sum().item()
        print(f"epoch {epoch + 1}: train loss {total_loss / steps_per_epoch:.4f}  "
              f"test loss {test_loss / len(test_x):.4f}  "
              f"test accuracy {correct / len(test_x):.4f}  "
              f"{steps_per_epoch * args.batch / seconds:.0f} images/s", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="lenet", choices=["lenet", "resnet8", "resnet20"])
    p.add_argument("--norm", default="group", choices=["group", "batch", "none"])
    p.add_argument("--groups", type=int, default=4)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", default="1,2", help="comma list (training uses the last)")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--schedule", default="constant", choices=["constant", "step", "cosine"])
    p.add_argument("--gamma", type=float, default=0.1)
    p.add_argument("--step-epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=30, help="timed steps per bench run")
    p.add_argument("--reps", type=int, default=5, help="bench runs per thread count")
    p.add_argument("--compare", metavar="CNN_TRAIN_BENCH",
                   help="also run our bench binary, alternating with torch")
    p.add_argument("--ours-min-time", type=float, default=1.0,
                   help="--benchmark_min_time for each run of ours (seconds)")
    p.add_argument("--data", nargs="+", help="train on Fashion-MNIST (see above)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images only")
    args = p.parse_args()
    torch.set_num_interop_threads(1)
    if args.data:
        run_training(args)
    else:
        run_bench(args)


if __name__ == "__main__":
    main()
